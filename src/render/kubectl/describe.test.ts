import { describe, expect, it } from 'vitest';
import { renderDescribe } from './describe.ts';
import { at, obj, runningPod, stateWith } from './testing.ts';

// Expected texts are built from describe.go's writes: two spaces per level, then Go's tabwriter
// (minwidth 0, padding 2). A column block is a run of consecutive lines that have a tab in that
// column; each block's width is noted next to it as "widest cell + 2".
const pad = (s: string, w: number): string => s.padEnd(w);
const NODE = 'ip-192-168-12-34.us-west-2.compute.internal';

describe('kubectl describe pod', () => {
  const pod = runningPod('coredns-789f8477df-x2x9z', 'kube-system', 10, {
    labels: { 'eks.amazonaws.com/component': 'coredns', 'k8s-app': 'kube-dns', 'pod-template-hash': '789f8477df' },
    meta: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'coredns-789f8477df', uid: 'rs-1', controller: true }] },
    containers: [{
      name: 'coredns',
      image: 'coredns:v1.11.3',
      args: ['-conf', '/etc/coredns/Corefile'],
      ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }, { name: 'metrics', containerPort: 9153, protocol: 'TCP' }],
      resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
      livenessProbe: { httpGet: { path: '/health', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 60, timeoutSeconds: 5, periodSeconds: 10, successThreshold: 1, failureThreshold: 5 },
      readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' } },
      volumeMounts: [
        { name: 'kube-api-access-x', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
        { name: 'config-volume', mountPath: '/etc/coredns', readOnly: true },
      ],
    }],
    containerStatuses: [{ name: 'coredns', ready: true, restartCount: 0, containerID: 'containerd://abc', imageID: '', state: { running: { startedAt: at(12) } } }],
    spec: {
      priority: 2000000000,
      priorityClassName: 'system-cluster-critical',
      serviceAccountName: 'coredns',
      volumes: [
        { name: 'config-volume', configMap: { name: 'coredns' } },
        { name: 'kube-api-access-x', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt' } }, { downwardAPI: { items: [] } }] } },
      ],
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    },
  });
  const state = stateWith([pod], {
    clock: 400,
    events: [
      { namespace: 'kube-system', kind: 'Pod', name: 'coredns-789f8477df-x2x9z', type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', source: 'kubelet', count: 3, firstTimestamp: 20, lastTimestamp: 40 },
      { namespace: 'kube-system', kind: 'Pod', name: 'coredns-789f8477df-x2x9z', type: 'Normal', reason: 'Scheduled', message: `Successfully assigned kube-system/coredns-789f8477df-x2x9z to ${NODE}`, source: 'default-scheduler', count: 1, firstTimestamp: 10, lastTimestamp: 10 },
      { namespace: 'default', kind: 'Pod', name: 'coredns-789f8477df-x2x9z', type: 'Normal', reason: 'Other', message: 'other namespace', source: 'kubelet', count: 1, firstTimestamp: 10, lastTimestamp: 10 },
    ],
  });

  it('prints the pod layout with kubectl alignment', () => {
    const want = [
      // Block: Name .. IP, widest "Priority Class Name:" (20) + 2.
      `${pad('Name:', 22)}coredns-789f8477df-x2x9z`,
      `${pad('Namespace:', 22)}kube-system`,
      `${pad('Priority:', 22)}2000000000`,
      `${pad('Priority Class Name:', 22)}system-cluster-critical`,
      `${pad('Service Account:', 22)}coredns`,
      `${pad('Node:', 22)}${NODE}/192.168.12.34`,
      `${pad('Start Time:', 22)}Wed, 01 Jan 2025 00:00:10 +0000`,
      `${pad('Labels:', 22)}eks.amazonaws.com/component=coredns`,
      `${pad('', 22)}k8s-app=kube-dns`,
      `${pad('', 22)}pod-template-hash=789f8477df`,
      `${pad('Annotations:', 22)}<none>`,
      `${pad('Status:', 22)}Running`,
      `${pad('IP:', 22)}192.168.5.10`,
      'IPs:',
      // Block: "  IP:" and "Controlled By:" (14) + 2.
      `${pad('  IP:', 16)}192.168.5.10`,
      `${pad('Controlled By:', 16)}ReplicaSet/coredns-789f8477df`,
      'Containers:',
      '  coredns:',
      // Block: "    Container ID:" (17) + 2.
      `${pad('    Container ID:', 19)}containerd://abc`,
      `${pad('    Image:', 19)}coredns:v1.11.3`,
      `${pad('    Image ID:', 19)}`,
      `${pad('    Ports:', 19)}53/UDP (dns), 53/TCP (dns-tcp), 9153/TCP (metrics)`,
      `${pad('    Host Ports:', 19)}0/UDP (dns), 0/TCP (dns-tcp), 0/TCP (metrics)`,
      '    Args:',
      '      -conf',
      '      /etc/coredns/Corefile',
      // Block: State .. Restart Count, widest "    Restart Count:" (18) + 2.
      `${pad('    State:', 20)}Running`,
      `${pad('      Started:', 20)}Wed, 01 Jan 2025 00:00:12 +0000`,
      `${pad('    Ready:', 20)}True`,
      `${pad('    Restart Count:', 20)}0`,
      '    Limits:',
      `${pad('      memory:', 15)}170Mi`,
      '    Requests:',
      // Block: requests, probes and Environment, widest "    Environment:" (16) + 2.
      `${pad('      cpu:', 18)}100m`,
      `${pad('      memory:', 18)}70Mi`,
      `${pad('    Liveness:', 18)}http-get http://:8080/health delay=60s timeout=5s period=10s #success=1 #failure=5`,
      `${pad('    Readiness:', 18)}http-get http://:8181/ready delay=0s timeout=1s period=10s #success=1 #failure=3`,
      `${pad('    Environment:', 18)}<none>`,
      '    Mounts:',
      '      /etc/coredns from config-volume (ro)',
      '      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-x (ro)',
      'Conditions:',
      // Block: "  PodReadyToStartContainers " (28) + 2; the values keep their trailing space.
      `${pad('  Type', 30)}Status`,
      `${pad('  PodReadyToStartContainers ', 30)}True `,
      `${pad('  Initialized ', 30)}True `,
      `${pad('  Ready ', 30)}True `,
      `${pad('  ContainersReady ', 30)}True `,
      `${pad('  PodScheduled ', 30)}True `,
      'Volumes:',
      '  config-volume:',
      `${pad('    Type:', 15)}ConfigMap (a volume populated by a ConfigMap)`,
      `${pad('    Name:', 15)}coredns`,
      `${pad('    Optional:', 15)}false`,
      '  kube-api-access-x:',
      // Block: projected volume lines down to Events, widest "    TokenExpirationSeconds:" (27) + 2.
      `${pad('    Type:', 29)}Projected (a volume that contains injected data from multiple sources)`,
      `${pad('    TokenExpirationSeconds:', 29)}3607`,
      `${pad('    ConfigMapName:', 29)}kube-root-ca.crt`,
      `${pad('    Optional:', 29)}false`,
      `${pad('    DownwardAPI:', 29)}true`,
      `${pad('QoS Class:', 29)}Burstable`,
      `${pad('Node-Selectors:', 29)}<none>`,
      `${pad('Tolerations:', 29)}CriticalAddonsOnly op=Exists`,
      `${pad('', 29)}node-role.kubernetes.io/control-plane:NoSchedule`,
      `${pad('', 29)}node.kubernetes.io/not-ready:NoExecute op=Exists for 300s`,
      `${pad('', 29)}node.kubernetes.io/unreachable:NoExecute op=Exists for 300s`,
      // DescribeEvents flushes the tabwriter first: the table is aligned on its own.
      'Events:',
      // Age column: "6m (x3 over 6m20s)" (18) + 2.
      '  Type     Reason     Age                 From               Message',
      '  ----     ------     ----                ----               -------',
      `  Normal   Scheduled  6m30s               default-scheduler  Successfully assigned kube-system/coredns-789f8477df-x2x9z to ${NODE}`,
      '  Warning  Unhealthy  6m (x3 over 6m20s)  kubelet            Readiness probe failed: HTTP probe failed with statuscode: 503',
      '',
    ].join('\n');
    expect(renderDescribe(state, { resource: 'pod', name: 'coredns-789f8477df-x2x9z', namespace: 'kube-system' })).toEqual({
      stdout: want, stderr: '', exitCode: 0,
    });
  });

  it('reports NotFound, and falls back to a name-prefix match like kubectl', () => {
    expect(renderDescribe(state, { resource: 'po', name: 'nope', namespace: 'kube-system' })).toEqual({
      stdout: '', stderr: 'Error from server (NotFound): pods "nope" not found\n', exitCode: 1,
    });
    const byPrefix = renderDescribe(state, { resource: 'pods', name: 'coredns', namespace: 'kube-system' });
    expect(byPrefix.exitCode).toBe(0);
    expect(byPrefix.stdout.startsWith(`${pad('Name:', 22)}coredns-789f8477df-x2x9z\n`)).toBe(true);
    // Each prefix match is followed by an extra newline.
    expect(byPrefix.stdout.endsWith('statuscode: 503\n\n')).toBe(true);
  });
});

describe('kubectl describe node', () => {
  it('prints lease, conditions, addresses, capacity, system info, pods and allocated resources', () => {
    const node = obj('Node', NODE, undefined, 0, {
      spec: { providerID: 'aws:///us-west-2a/i-0123456789abcdef0', taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] },
      status: {
        capacity: { cpu: '2', memory: '3955304Ki', pods: '17' },
        allocatable: { cpu: '1930m', memory: '3395176Ki', pods: '17' },
        conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: at(3600), lastTransitionTime: at(30), reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
        addresses: [{ type: 'InternalIP', address: '192.168.12.34' }, { type: 'Hostname', address: NODE }],
        nodeInfo: { machineID: 'm1', systemUUID: 'u1', bootID: 'b1', kernelVersion: '6.1.119', osImage: 'Amazon Linux 2023', operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'containerd://1.7.23', kubeletVersion: 'v1.31.3-eks-59bf375' },
      },
    }, { labels: { 'kubernetes.io/os': 'linux' } });
    const state = stateWith([
      node,
      runningPod('coredns-1', 'kube-system', 20, { containers: [{ name: 'c', resources: { requests: { cpu: '100m', memory: '70Mi' }, limits: { memory: '170Mi' } } }] }),
      runningPod('web-1', 'default', 100),
      runningPod('done', 'default', 100, { status: { phase: 'Succeeded' } }),
      runningPod('elsewhere', 'default', 100, { node: 'other' }),
    ], {
      clock: 3725,
      events: [{ namespace: '', kind: 'Node', name: NODE, type: 'Normal', reason: 'RegisteredNode', message: `Node ${NODE} event: Registered Node ${NODE} in Controller`, source: 'node-controller', count: 1, firstTimestamp: 5, lastTimestamp: 5 }],
    });
    const want = [
      // Block: Name .. Unschedulable, widest "CreationTimestamp:" (18) + 2.
      `${pad('Name:', 20)}${NODE}`,
      `${pad('Roles:', 20)}<none>`,
      `${pad('Labels:', 20)}kubernetes.io/os=linux`,
      `${pad('Annotations:', 20)}<none>`,
      `${pad('CreationTimestamp:', 20)}Wed, 01 Jan 2025 00:00:00 +0000`,
      `${pad('Taints:', 20)}dedicated=web:NoSchedule`,
      `${pad('Unschedulable:', 20)}false`,
      'Lease:',
      `${pad('  HolderIdentity:', 19)}${NODE}`,
      `${pad('  AcquireTime:', 19)}<unset>`,
      `${pad('  RenewTime:', 19)}Wed, 01 Jan 2025 01:02:05 +0000`,
      'Conditions:',
      `${pad('  Type', 10)}${pad('Status', 8)}${pad('LastHeartbeatTime', 34)}${pad('LastTransitionTime', 34)}${pad('Reason', 15)}Message`,
      `${pad('  ----', 10)}${pad('------', 8)}${pad('-----------------', 34)}${pad('------------------', 34)}${pad('------', 15)}-------`,
      `${pad('  Ready ', 10)}${pad('True ', 8)}${pad('Wed, 01 Jan 2025 01:00:00 +0000 ', 34)}${pad('Wed, 01 Jan 2025 00:00:30 +0000 ', 34)}${pad('KubeletReady ', 15)}kubelet is posting ready status`,
      'Addresses:',
      `${pad('  InternalIP:', 15)}192.168.12.34`,
      `${pad('  Hostname:', 15)}${NODE}`,
      'Capacity:',
      // Block: "  memory:" (9) + 2.
      `${pad('  cpu:', 11)}2`,
      `${pad('  memory:', 11)}3955304Ki`,
      `${pad('  pods:', 11)}17`,
      'Allocatable:',
      `${pad('  cpu:', 11)}1930m`,
      `${pad('  memory:', 11)}3395176Ki`,
      `${pad('  pods:', 11)}17`,
      'System Info:',
      // Block: System Info through the pods table, widest "  Container Runtime Version:" (28) + 2.
      `${pad('  Machine ID:', 30)}m1`,
      `${pad('  System UUID:', 30)}u1`,
      `${pad('  Boot ID:', 30)}b1`,
      `${pad('  Kernel Version:', 30)}6.1.119`,
      `${pad('  OS Image:', 30)}Amazon Linux 2023`,
      `${pad('  Operating System:', 30)}linux`,
      `${pad('  Architecture:', 30)}amd64`,
      `${pad('  Container Runtime Version:', 30)}containerd://1.7.23`,
      `${pad('  Kubelet Version:', 30)}v1.31.3-eks-59bf375`,
      `${pad('ProviderID:', 30)}aws:///us-west-2a/i-0123456789abcdef0`,
      `${pad('Non-terminated Pods:', 30)}(2 in total)`,
      // Pods are listed in API order (namespace, name); Succeeded pods and other nodes' pods are left out.
      // CPU 100m of 1930m is 5%; memory 70Mi of 3395176Ki is 2%, 170Mi is 5%.
      `${pad('  Namespace', 30)}${pad('Name', 11)}  ${pad('CPU Requests', 14)}${pad('CPU Limits', 12)}${pad('Memory Requests', 17)}${pad('Memory Limits', 15)}Age`,
      `${pad('  ---------', 30)}${pad('----', 11)}  ${pad('------------', 14)}${pad('----------', 12)}${pad('---------------', 17)}${pad('-------------', 15)}---`,
      `${pad('  default', 30)}${pad('web-1', 11)}  ${pad('0 (0%)', 14)}${pad('0 (0%)', 12)}${pad('0 (0%)', 17)}${pad('0 (0%)', 15)}60m`,
      `${pad('  kube-system', 30)}${pad('coredns-1', 11)}  ${pad('100m (5%)', 14)}${pad('0 (0%)', 12)}${pad('70Mi (2%)', 17)}${pad('170Mi (5%)', 15)}61m`,
      'Allocated resources:',
      '  (Total limits may be over 100 percent, i.e., overcommitted.)',
      `${pad('  Resource', 21)}${pad('Requests', 11)}Limits`,
      `${pad('  --------', 21)}${pad('--------', 11)}------`,
      `${pad('  cpu', 21)}${pad('100m (5%)', 11)}0 (0%)`,
      `${pad('  memory', 21)}${pad('70Mi (2%)', 11)}170Mi (5%)`,
      `${pad('  ephemeral-storage', 21)}${pad('0 (0%)', 11)}0 (0%)`,
      'Events:',
      '  Type    Reason          Age   From             Message',
      '  ----    ------          ----  ----             -------',
      `  Normal  RegisteredNode  62m   node-controller  Node ${NODE} event: Registered Node ${NODE} in Controller`,
      '',
    ].join('\n');
    expect(renderDescribe(state, { resource: 'nodes', name: NODE }).stdout).toBe(want);
  });
});

describe('kubectl describe service', () => {
  it('prints ports with their endpoints from the service EndpointSlices', () => {
    const svc = obj('Service', 'web', 'default', 0, {
      spec: {
        type: 'LoadBalancer', selector: { app: 'web' }, ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
        clusterIP: '10.100.3.4', clusterIPs: ['10.100.3.4'], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster',
        ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 31234, protocol: 'TCP' }, { name: 'admin', port: 9000, targetPort: 'admin', nodePort: 30900, protocol: 'TCP' }],
      },
      status: { loadBalancer: { ingress: [{ hostname: 'abc.elb.amazonaws.com' }] } },
    }, { labels: { app: 'web' } });
    const eps = (addrs: [string, boolean][]): object[] => addrs.map(([a, ready]) => ({ addresses: [a], conditions: { ready } }));
    const slice = obj('EndpointSlice', 'web-x1', 'default', 0, {
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'admin', port: 9090, protocol: 'TCP' }],
      endpoints: eps([['192.168.1.1', true], ['192.168.1.2', false], ['192.168.1.3', true], ['192.168.1.4', true], ['192.168.1.5', true]]),
    }, { labels: { 'kubernetes.io/service-name': 'web' } });
    const state = stateWith([svc, slice], { clock: 60 });
    // formatEndpointSlices: not-ready endpoints are skipped, the list stops at 3 and the rest are counted.
    const want = [
      `${pad('Name:', 26)}web`,
      `${pad('Namespace:', 26)}default`,
      `${pad('Labels:', 26)}app=web`,
      `${pad('Annotations:', 26)}<none>`,
      `${pad('Selector:', 26)}app=web`,
      `${pad('Type:', 26)}LoadBalancer`,
      `${pad('IP Family Policy:', 26)}SingleStack`,
      `${pad('IP Families:', 26)}IPv4`,
      `${pad('IP:', 26)}10.100.3.4`,
      `${pad('IPs:', 26)}10.100.3.4`,
      `${pad('LoadBalancer Ingress:', 26)}abc.elb.amazonaws.com`,
      `${pad('Port:', 26)}http  80/TCP`,
      `${pad('TargetPort:', 26)}8080/TCP`,
      `${pad('NodePort:', 26)}http  31234/TCP`,
      `${pad('Endpoints:', 26)}192.168.1.1:8080,192.168.1.3:8080,192.168.1.4:8080 + 1 more...`,
      `${pad('Port:', 26)}admin  9000/TCP`,
      `${pad('TargetPort:', 26)}admin/TCP`,
      `${pad('NodePort:', 26)}admin  30900/TCP`,
      `${pad('Endpoints:', 26)}192.168.1.1:9090,192.168.1.3:9090,192.168.1.4:9090 + 1 more...`,
      `${pad('Session Affinity:', 26)}None`,
      `${pad('External Traffic Policy:', 26)}Cluster`,
      `${pad('Internal Traffic Policy:', 26)}Cluster`,
      `${pad('Events:', 26)}<none>`,
      '',
    ];
    // Port/NodePort have a second tab: "http" and "admin" form their own column blocks (one line each).
    want[11] = `${pad('Port:', 26)}${pad('http', 6)}80/TCP`;
    want[13] = `${pad('NodePort:', 26)}${pad('http', 6)}31234/TCP`;
    want[15] = `${pad('Port:', 26)}${pad('admin', 7)}9000/TCP`;
    want[17] = `${pad('NodePort:', 26)}${pad('admin', 7)}30900/TCP`;
    expect(renderDescribe(state, { resource: 'svc', name: 'web' }).stdout).toBe(want.join('\n'));
  });
});

describe('kubectl describe deployment', () => {
  it('prints the pod template indented and the new ReplicaSet', () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } };
    const d = obj('Deployment', 'web', 'default', 0, {
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } }, template },
      status: { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] },
    }, { uid: 'd-1', annotations: { 'deployment.kubernetes.io/revision': '1' } });
    const rsTemplate = { metadata: { labels: { app: 'web', 'pod-template-hash': '5d8f7c9b6' } }, spec: template.spec };
    const rs = obj('ReplicaSet', 'web-5d8f7c9b6', 'default', 0, { spec: { replicas: 2, template: rsTemplate }, status: { replicas: 2 } },
      { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-1', controller: true }] });
    const state = stateWith([d, rs], {
      clock: 30,
      events: [{ namespace: 'default', kind: 'Deployment', name: 'web', type: 'Normal', reason: 'ScalingReplicaSet', message: 'Scaled up replica set web-5d8f7c9b6 to 2', source: 'deployment-controller', count: 1, firstTimestamp: 1, lastTimestamp: 1 }],
    });
    const want = [
      `${pad('Name:', 24)}web`,
      `${pad('Namespace:', 24)}default`,
      `${pad('CreationTimestamp:', 24)}Wed, 01 Jan 2025 00:00:00 +0000`,
      `${pad('Labels:', 24)}<none>`,
      `${pad('Annotations:', 24)}deployment.kubernetes.io/revision: 1`,
      `${pad('Selector:', 24)}app=web`,
      `${pad('Replicas:', 24)}2 desired | 2 updated | 2 total | 2 available | 0 unavailable`,
      `${pad('StrategyType:', 24)}RollingUpdate`,
      `${pad('MinReadySeconds:', 24)}0`,
      `${pad('RollingUpdateStrategy:', 24)}25% max unavailable, 25% max surge`,
      'Pod Template:',
      `${pad('  Labels:', 11)}app=web`,
      '  Containers:',
      '   app:',
      `${pad('    Image:', 19)}nginx:1.27`,
      `${pad('    Port:', 19)}80/TCP`,
      `${pad('    Host Port:', 19)}0/TCP`,
      `${pad('    Environment:', 19)}<none>`,
      `${pad('    Mounts:', 19)}<none>`,
      `${pad('  Volumes:', 19)}<none>`,
      `${pad('  Node-Selectors:', 19)}<none>`,
      `${pad('  Tolerations:', 19)}<none>`,
      'Conditions:',
      // Block runs from the table through NewReplicaSet: widest "OldReplicaSets:" (15) + 2.
      `${pad('  Type', 17)}${pad('Status', 8)}Reason`,
      `${pad('  ----', 17)}${pad('------', 8)}------`,
      `${pad('  Available ', 17)}${pad('True', 8)}MinimumReplicasAvailable`,
      `${pad('  Progressing ', 17)}${pad('True', 8)}NewReplicaSetAvailable`,
      `${pad('OldReplicaSets:', 17)}<none>`,
      `${pad('NewReplicaSet:', 17)}web-5d8f7c9b6 (2/2 replicas created)`,
      'Events:',
      '  Type    Reason             Age   From                   Message',
      '  ----    ------             ----  ----                   -------',
      '  Normal  ScalingReplicaSet  29s   deployment-controller  Scaled up replica set web-5d8f7c9b6 to 2',
      '',
    ].join('\n');
    expect(renderDescribe(state, { resource: 'deploy', name: 'web' }).stdout).toBe(want);
  });
});

describe('kubectl describe (other kinds)', () => {
  it('namespace: status, then quota and limit-range notes', () => {
    const state = stateWith([obj('Namespace', 'default', undefined, 0, { status: { phase: 'Active' } }, { labels: { 'kubernetes.io/metadata.name': 'default' } })]);
    expect(renderDescribe(state, { resource: 'ns', name: 'default' }).stdout).toBe(
      `${pad('Name:', 14)}default\n${pad('Labels:', 14)}kubernetes.io/metadata.name=default\n${pad('Annotations:', 14)}<none>\n${pad('Status:', 14)}Active\n\nNo resource quota.\n\nNo LimitRange resource.\n`,
    );
  });

  it('rejects unknown types', () => {
    expect(renderDescribe(stateWith([]), { resource: 'foo', name: 'x' }).stderr).toBe('error: the server doesn\'t have a resource type "foo"\n');
  });
});

describe('kubectl describe networkpolicy', () => {
  it('spells out selectors, ports, peers and isolation', () => {
    const np = obj('NetworkPolicy', 'allow-db', 'default', 5, {
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: { app: 'web' } } }, { namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: {} }], ports: [{ protocol: 'TCP', port: 5432 }] },
          { from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] },
        ],
        egress: [],
      },
    });
    expect(renderDescribe(stateWith([np]), { resource: 'netpol', name: 'allow-db' }).stdout).toBe([
      `${pad('Name:', 14)}allow-db`,
      `${pad('Namespace:', 14)}default`,
      // "%s" of a metav1.Time is Go's time.Time.String().
      `${pad('Created on:', 14)}2025-01-01 00:00:05 +0000 UTC`,
      `${pad('Labels:', 14)}<none>`,
      `${pad('Annotations:', 14)}<none>`,
      'Spec:',
      // "  PodSelector: " then the selector written at level 2 (four more spaces).
      '  PodSelector:     app=db',
      '  Allowing ingress traffic:',
      '    To Port: 5432/TCP',
      '    From:',
      '      PodSelector: app=web',
      '    From:',
      '      NamespaceSelector: team=a',
      '      PodSelector: <none>',
      '    ----------',
      '    To Port: <any> (traffic allowed to all ports)',
      '    From:',
      '      IPBlock:',
      '        CIDR: 10.0.0.0/8',
      '        Except: 10.1.0.0/16',
      '  Allowing egress traffic:',
      '    <none> (Selected pods are isolated for egress connectivity)',
      '  Policy Types: Ingress, Egress',
      '',
    ].join('\n'));
  });
});
