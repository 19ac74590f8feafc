// What a fresh EKS cluster holds before anything is applied: the four namespaces, the
// "kubernetes" Service with its EndpointSlice (written by kube-apiserver's endpoint reconciler,
// listing the EKS-managed control-plane ENIs in the cluster's subnets), and the default add-ons
// (vpc-cni's aws-node DaemonSet, kube-proxy DaemonSet, CoreDNS Deployment and kube-dns Service).
// Add-on image tags follow the EKS default add-on version for the cluster's Kubernetes minor.

import type { KObject } from '../k8s/types.ts';
import { u32ToIp, parseCidr4 } from '../aws/ip.ts';
import { createEni } from '../aws/vpc.ts';
import type { ClusterState } from './types.ts';

/** EKS add-on container registry account per region (602401143452 unless listed). */
const ECR_ACCOUNTS: Record<string, string> = {
  'af-south-1': '877085696533',
  'ap-east-1': '800184023465',
  'ap-south-2': '900889452093',
  'ap-southeast-3': '296578399912',
  'ap-southeast-4': '491585149902',
  'ca-west-1': '761377655185',
  'eu-central-2': '900612956339',
  'eu-south-1': '590381155156',
  'eu-south-2': '455263428931',
  'il-central-1': '066635153087',
  'me-central-1': '759879836304',
  'me-south-1': '558608220178',
  'cn-north-1': '918309763551',
  'cn-northwest-1': '961992271922',
};

export function ecrRegistry(region: string): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${ECR_ACCOUNTS[region] ?? '602401143452'}.dkr.ecr.${region}.${suffix}`;
}

const KUBE_PROXY: Record<string, string> = {
  '1.28': 'v1.28.15-eksbuild.4',
  '1.29': 'v1.29.13-eksbuild.3',
  '1.30': 'v1.30.9-eksbuild.3',
  '1.31': 'v1.31.3-eksbuild.2',
  '1.32': 'v1.32.0-eksbuild.2',
  '1.33': 'v1.33.0-eksbuild.2',
};
const COREDNS: Record<string, string> = {
  '1.28': 'v1.10.1-eksbuild.18',
  '1.29': 'v1.11.1-eksbuild.16',
  '1.30': 'v1.11.3-eksbuild.1',
  '1.31': 'v1.11.3-eksbuild.1',
  '1.32': 'v1.11.4-eksbuild.2',
  '1.33': 'v1.12.1-eksbuild.2',
};

function minor(v: string): string {
  return /^v?(1\.\d+)/.exec(v)?.[1] ?? v;
}

function eksbuild(v: string): string {
  const t = v.startsWith('v') ? v : `v${v}`;
  return t.includes('-eksbuild') ? t : `${t}-eksbuild.1`;
}

/** IP of the n-th address in the service CIDR (1 → kubernetes, 10 → kube-dns). */
export function serviceIp(cidr: string, n: number): string {
  return u32ToIp(parseCidr4(cidr).base + n);
}

const LINUX_AFFINITY = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
            { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] },
            { key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate', 'hybrid', 'auto'] },
          ],
        },
      ],
    },
  },
};

function ns(name: string): KObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

function awsNode(state: ClusterState): KObject {
  const spec = state.spec;
  const reg = ecrRegistry(spec.region);
  const tag = eksbuild(spec.cni.vpcCni.version);
  const base: Record<string, string> = {
    ADDITIONAL_ENI_TAGS: '{}',
    ANNOTATE_POD_IP: 'false',
    AWS_VPC_CNI_NODE_PORT_SUPPORT: 'true',
    AWS_VPC_ENI_MTU: '9001',
    AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'false',
    AWS_VPC_K8S_CNI_EXTERNALSNAT: 'false',
    AWS_VPC_K8S_CNI_LOGLEVEL: 'DEBUG',
    AWS_VPC_K8S_CNI_LOG_FILE: '/host/var/log/aws-routed-eni/ipamd.log',
    AWS_VPC_K8S_CNI_RANDOMIZESNAT: 'prng',
    AWS_VPC_K8S_CNI_VETHPREFIX: 'eni',
    AWS_VPC_K8S_PLUGIN_LOG_FILE: '/var/log/aws-routed-eni/plugin.log',
    AWS_VPC_K8S_PLUGIN_LOG_LEVEL: 'DEBUG',
    CLUSTER_NAME: spec.name,
    DISABLE_INTROSPECTION: 'false',
    DISABLE_METRICS: 'false',
    DISABLE_NETWORK_RESOURCE_PROVISIONING: 'false',
    ENABLE_IPv4: 'true',
    ENABLE_IPv6: 'false',
    ENABLE_POD_ENI: 'false',
    ENABLE_PREFIX_DELEGATION: 'false',
    ENABLE_SUBNET_DISCOVERY: 'true',
    NETWORK_POLICY_ENFORCING_MODE: 'standard',
    VPC_CNI_VERSION: tag.split('-')[0],
    VPC_ID: spec.vpc.id,
    WARM_ENI_TARGET: '1',
    WARM_PREFIX_TARGET: '1',
    ...spec.cni.vpcCni.env,
  };
  const env: Record<string, unknown>[] = Object.keys(base)
    .sort()
    .map((name) => ({ name, value: base[name] }));
  env.push({ name: 'MY_NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } });
  env.push({ name: 'MY_POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } });
  const labels = { 'app.kubernetes.io/instance': 'aws-vpc-cni', 'app.kubernetes.io/name': 'aws-node', 'k8s-app': 'aws-node' };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'aws-node', namespace: 'kube-system', labels: { ...labels, 'app.kubernetes.io/version': tag.split('-')[0] } },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'aws-node' } },
      updateStrategy: { rollingUpdate: { maxUnavailable: '10%' }, type: 'RollingUpdate' },
      template: {
        metadata: { labels },
        spec: {
          affinity: LINUX_AFFINITY,
          containers: [
            {
              env,
              image: `${reg}/amazon-k8s-cni:${tag}`,
              livenessProbe: { exec: { command: ['/app/grpc-health-probe', '-addr=:50051', '-connect-timeout=5s', '-rpc-timeout=5s'] }, initialDelaySeconds: 60, timeoutSeconds: 10 },
              name: 'aws-node',
              ports: [{ containerPort: 61678, name: 'metrics' }],
              readinessProbe: { exec: { command: ['/app/grpc-health-probe', '-addr=:50051', '-connect-timeout=5s', '-rpc-timeout=5s'] }, initialDelaySeconds: 1, timeoutSeconds: 10 },
              resources: { requests: { cpu: '25m' } },
              securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
            },
            {
              args: ['--enable-ipv6=false', '--enable-network-policy=false', '--enable-cloudwatch-logs=false', '--enable-policy-event-logs=false', '--log-file=/var/log/aws-routed-eni/network-policy-agent.log', '--metrics-bind-addr=:8162', '--health-probe-bind-addr=:8163', '--conntrack-cache-cleanup-period=300'],
              env: [{ name: 'MY_NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
              image: `${reg}/amazon/aws-network-policy-agent:v1.1.5-eksbuild.1`,
              name: 'aws-eks-nodeagent',
              ports: [{ containerPort: 8162, name: 'agentmetrics' }],
              resources: { requests: { cpu: '25m' } },
              securityContext: { capabilities: { add: ['NET_ADMIN'] }, privileged: true },
            },
          ],
          hostNetwork: true,
          initContainers: [
            {
              env: [
                { name: 'DISABLE_TCP_EARLY_DEMUX', value: 'false' },
                { name: 'ENABLE_IPv6', value: 'false' },
              ],
              image: `${reg}/amazon-k8s-cni-init:${tag}`,
              name: 'aws-vpc-cni-init',
              resources: { requests: { cpu: '25m' } },
              securityContext: { privileged: true },
            },
          ],
          priorityClassName: 'system-node-critical',
          serviceAccountName: 'aws-node',
          terminationGracePeriodSeconds: 10,
          tolerations: [{ operator: 'Exists' }],
        },
      },
    },
  };
}

function calicoNode(state: ClusterState): KObject {
  const v = state.spec.cni.calico?.version ?? 'v3.29.0';
  const labels = { 'app.kubernetes.io/name': 'calico-node', 'k8s-app': 'calico-node' };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'calico-node', namespace: 'calico-system', labels: { ...labels } },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'calico-node' } },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ image: `quay.io/calico/node:${v}`, name: 'calico-node', securityContext: { privileged: true } }],
          hostNetwork: true,
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          priorityClassName: 'system-node-critical',
          serviceAccountName: 'calico-node',
          tolerations: [{ effect: 'NoSchedule', operator: 'Exists' }, { key: 'CriticalAddonsOnly', operator: 'Exists' }, { effect: 'NoExecute', operator: 'Exists' }],
        },
      },
    },
  };
}

function kubeProxy(state: ClusterState): KObject {
  const spec = state.spec;
  const tag = KUBE_PROXY[minor(spec.kubernetesVersion)] ?? `v${minor(spec.kubernetesVersion)}.0-eksbuild.1`;
  const labels = { 'k8s-app': 'kube-proxy' };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { 'eks.amazonaws.com/component': 'kube-proxy', 'k8s-app': 'kube-proxy' } },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { rollingUpdate: { maxUnavailable: '10%' }, type: 'RollingUpdate' },
      template: {
        metadata: { labels },
        spec: {
          affinity: LINUX_AFFINITY,
          containers: [
            {
              command: ['kube-proxy', '--v=2', '--config=/var/lib/kube-proxy-config/config', '--hostname-override=$(NODE_NAME)'],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
              image: `${ecrRegistry(spec.region)}/eks/kube-proxy:${tag}`,
              name: 'kube-proxy',
              resources: { requests: { cpu: '100m' } },
              securityContext: { privileged: true },
            },
          ],
          hostNetwork: true,
          priorityClassName: 'system-node-critical',
          serviceAccountName: 'kube-proxy',
          tolerations: [{ operator: 'Exists' }],
        },
      },
    },
  };
}

function coredns(state: ClusterState): KObject {
  const spec = state.spec;
  const tag = COREDNS[minor(spec.kubernetesVersion)] ?? 'v1.11.3-eksbuild.1';
  const sel = { 'eks.amazonaws.com/component': 'coredns', 'k8s-app': 'kube-dns' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'eks.amazonaws.com/component': 'coredns', 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' } },
    spec: {
      progressDeadlineSeconds: 600,
      replicas: 2,
      revisionHistoryLimit: 10,
      selector: { matchLabels: sel },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 }, type: 'RollingUpdate' },
      template: {
        metadata: { labels: sel },
        spec: {
          affinity: {
            ...LINUX_AFFINITY,
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  podAffinityTerm: { labelSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }] }, topologyKey: 'kubernetes.io/hostname' },
                  weight: 100,
                },
              ],
            },
          },
          containers: [
            {
              args: ['-conf', '/etc/coredns/Corefile'],
              image: `${ecrRegistry(spec.region)}/eks/coredns:${tag}`,
              livenessProbe: { failureThreshold: 5, httpGet: { path: '/health', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 60, timeoutSeconds: 5 },
              name: 'coredns',
              ports: [
                { containerPort: 53, name: 'dns', protocol: 'UDP' },
                { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
              ],
              readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' } },
              resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, readOnlyRootFilesystem: true },
              volumeMounts: [{ mountPath: '/etc/coredns', name: 'config-volume', readOnly: true }],
            },
          ],
          dnsPolicy: 'Default',
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: 'coredns',
          tolerations: [
            { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' },
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
          ],
          topologySpreadConstraints: [
            { labelSelector: { matchLabels: { 'k8s-app': 'kube-dns' } }, maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
          ],
          volumes: [{ configMap: { items: [{ key: 'Corefile', path: 'Corefile' }], name: 'coredns' }, name: 'config-volume' }],
        },
      },
    },
  };
}

function kubeDnsService(state: ClusterState): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kube-dns',
      namespace: 'kube-system',
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
      labels: { 'eks.amazonaws.com/component': 'kube-dns', 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
    },
    spec: {
      clusterIP: serviceIp(state.spec.serviceIPv4CIDR, 10),
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
      selector: { 'k8s-app': 'kube-dns' },
      type: 'ClusterIP',
    },
  };
}

function kubernetesService(state: ClusterState): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      clusterIP: serviceIp(state.spec.serviceIPv4CIDR, 1),
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }],
      type: 'ClusterIP',
    },
  };
}

/**
 * The EKS-managed control-plane ENIs (cross-account, in two of the cluster's subnets in distinct
 * AZs, private subnets preferred) and the "kubernetes" EndpointSlice kube-apiserver writes for
 * them: name "kubernetes", only the service-name label, no managed-by, addresses sorted.
 */
function controlPlane(state: ClusterState): KObject {
  const subnets = state.vpc.subnets;
  const pool = subnets.some((s) => !s.public) ? subnets.filter((s) => !s.public) : subnets;
  const picked: typeof subnets = [];
  for (const s of pool) if (picked.length < 2 && !picked.some((p) => p.az === s.az)) picked.push(s);
  for (const s of pool) if (picked.length < 2 && !picked.includes(s)) picked.push(s);
  const ips: string[] = [];
  for (const s of picked) {
    const eni = createEni(state.vpc, { subnetId: s.id, rng: state, description: `Amazon EKS ${state.spec.name}` });
    eni.sourceDestCheck = true;
    ips.push(eni.primaryIp);
  }
  ips.sort((a, b) => parseCidr4(`${a}/32`).base - parseCidr4(`${b}/32`).base);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'https', port: 443, protocol: 'TCP' }],
  };
}

/** The objects of a fresh cluster, in the order they are created. */
export function bootstrapObjects(state: ClusterState): KObject[] {
  const objs: KObject[] = [ns('default'), ns('kube-node-lease'), ns('kube-public'), ns('kube-system')];
  objs.push(kubernetesService(state), controlPlane(state));
  if (state.spec.cni.type === 'vpc-cni') objs.push(awsNode(state));
  else objs.push(ns('calico-system'), calicoNode(state));
  objs.push(kubeProxy(state), coredns(state), kubeDnsService(state));
  return objs;
}
