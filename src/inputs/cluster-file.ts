// eksctl ClusterConfig (eksctl.io/v1alpha5) → ClusterSpec, with eksctl's defaults, strict decoding
// and validation, plus the kubewire extension block that selects Calico VXLAN.
// Every error names file:line:column and the field path. Browser-safe: takes text + file name.

import { KubewireError, type SourceLocation } from '../errors.ts';
import type { CalicoSettings, ClusterSpec, NodeGroupSpec, SubnetSpec } from './cluster-spec.ts';
import { parseYamlDocuments, formatPath, type PathSeg, type SourceDoc } from './yaml-source.ts';
import {
  DEFAULT_REGION,
  DEFAULT_VERSION,
  DEPRECATED_VERSIONS,
  REGION_AZS,
  SUPPORTED_VERSIONS,
  defaultZones,
} from './aws-regions.ts';
import { isQualifiedName, isValidLabelValue } from '../k8s/validation.ts';

// ---------------------------------------------------------------- defaults

/** eksctl api.DefaultCIDR(). */
export const DEFAULT_VPC_CIDR = '192.168.0.0/16';
/** eksctl DefaultNodeType. */
export const DEFAULT_INSTANCE_TYPE = 'm5.large';
/** eksctl DefaultNodeCount. */
export const DEFAULT_NODE_COUNT = 2;
/** vpc-cni add-on version kubewire models when the file names none (EKS default for 1.32). */
export const DEFAULT_VPC_CNI_VERSION = 'v1.19.2-eksbuild.1';
/**
 * Calico defaults: the tigera operator's defaults for `kubernetesProvider: EKS` (the install path
 * the Calico docs recommend on EKS): pool 172.16.0.0/16, VXLAN Always, IPIP Never, natOutgoing,
 * /26 blocks. Version: newest release studied (see research/calico.md).
 */
export const DEFAULT_CALICO: Readonly<CalicoSettings> = {
  version: 'v3.32.1',
  ipPoolCidr: '172.16.0.0/16',
  blockSize: 26,
  vxlanMode: 'Always',
  ipipMode: 'Never',
  natOutgoing: true,
};

/** The embedded default cluster, as a file users can start from (`kubewire init`). */
export const DEFAULT_CLUSTER_YAML = `# kubewire cluster file: an eksctl ClusterConfig (eksctl.io/v1alpha5).
# Create with: kubewire cluster create -f cluster.yaml
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig

metadata:
  name: kubewire
  region: us-west-2
  version: "${DEFAULT_VERSION}"

vpc:
  cidr: ${DEFAULT_VPC_CIDR}

availabilityZones: [us-west-2a, us-west-2b, us-west-2c]

managedNodeGroups:
  - name: ng-1
    instanceType: m5.large
    desiredCapacity: 3
    minSize: 3
    maxSize: 3

addons:
  - name: vpc-cni
    version: ${DEFAULT_VPC_CNI_VERSION}
    # configurationValues: |-
    #   env:
    #     WARM_IP_TARGET: "5"

# kubewire extension (not part of eksctl): which CNI runs on the nodes.
# kubewire:
#   cni: calico-vxlan        # default: vpc-cni
#   calico:
#     ipPoolCIDR: 172.16.0.0/16
#     blockSize: 26
#     vxlanMode: Always
#     natOutgoing: true
`;

// ---------------------------------------------------------------- small helpers

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function ip4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255 || (m[i]!.length > 1 && m[i]![0] === '0')) return null;
    n = n * 256 + o;
  }
  return n;
}
const fmtIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const maskOf = (p: number): number => (p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0);

interface Cidr {
  net: number;
  prefix: number;
  /** Address as written (host bits may be set, as Go's net.ParseCIDR allows). */
  ip: number;
}
/** Go net.ParseCIDR semantics (IPv4 only): error text "invalid CIDR address: <s>". */
function parseCidr(s: string): Cidr | null {
  const i = s.indexOf('/');
  if (i < 0) return null;
  const ip = ip4(s.slice(0, i));
  const ps = s.slice(i + 1);
  if (ip === null || !/^\d{1,2}$/.test(ps) || Number(ps) > 32) return null;
  const prefix = Number(ps);
  return { ip, prefix, net: (ip & maskOf(prefix)) >>> 0 };
}
const cidrText = (c: { net: number; prefix: number }): string => `${fmtIp(c.net)}/${c.prefix}`;
function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.net & maskOf(p)) >>> 0) === ((b.net & maskOf(p)) >>> 0);
}
function within(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && ((inner.net & maskOf(outer.prefix)) >>> 0) === outer.net;
}

/** 64-bit FNV-1a as 16 hex chars, for deterministic pseudo AWS ids. */
function fnv64hex(s: string): string {
  let h = 0xcbf29ce484222325n;
  const p = 0x100000001b3n;
  for (const b of new TextEncoder().encode(s)) {
    h ^= BigInt(b);
    h = (h * p) & 0xffffffffffffffffn;
  }
  // splitmix64 finaliser, so near-identical keys give unrelated ids
  const M = 0xffffffffffffffffn;
  h = ((h ^ (h >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
  h = ((h ^ (h >> 27n)) * 0x94d049bb133111ebn) & M;
  h ^= h >> 31n;
  return h.toString(16).padStart(16, '0');
}
/** "vpc-0" + 16 hex / "subnet-0" + 16 hex: the 17-hex-digit shape AWS uses. */
export function pseudoId(prefix: string, key: string): string {
  return `${prefix}-0${fnv64hex(key)}`;
}

/** eksctl's CloudFormation logical name: "SubnetPublicUSWEST2A". */
export function subnetName(az: string, isPublic: boolean): string {
  return `Subnet${isPublic ? 'Public' : 'Private'}${az.split('-').join('').toUpperCase()}`;
}

// ---------------------------------------------------------------- subnet layout (eksctl pkg/vpc SetSubnets)

/**
 * eksctl's layout: the VPC CIDR is cut into 8 equal blocks (prefix +3) when it needs at most 8
 * subnets, else 16 (prefix +4); AZ i gets block i as its public subnet and block i+N as its
 * private subnet (N = number of AZs). Returned in that index order: publics, then privates.
 */
export function layoutSubnets(vpcCidr: string, azs: readonly string[], idKey: string): SubnetSpec[] {
  const c = parseCidr(vpcCidr);
  if (!c) throw new Error(`invalid CIDR ${vpcCidr}`);
  const total = azs.length * 2;
  const count = total === 2 ? 2 : total <= 8 ? 8 : 16;
  const len = c.prefix + (total <= 8 ? 3 : 4);
  const blocks: string[] = [];
  for (let i = 0; i < count; i++) blocks.push(`${fmtIp((c.net + i * 2 ** (32 - len)) >>> 0)}/${len}`);
  const pub: SubnetSpec[] = [];
  const priv: SubnetSpec[] = [];
  azs.forEach((az, i) => {
    const pc = blocks[i]!;
    const vc = blocks[i + azs.length]!;
    pub.push({ id: pseudoId('subnet', `${idKey}/${pc}`), name: subnetName(az, true), az, cidr: pc, public: true });
    priv.push({ id: pseudoId('subnet', `${idKey}/${vc}`), name: subnetName(az, false), az, cidr: vc, public: false });
  });
  return [...pub, ...priv];
}

/**
 * EKS's choice of service CIDR when none is given: 172.20.0.0/16 when the VPC CIDR is inside
 * 10.0.0.0/8 (to avoid overlapping it), else 10.100.0.0/16.
 */
export function defaultServiceCidr(vpcCidr: string): string {
  const c = parseCidr(vpcCidr);
  const ten = parseCidr('10.0.0.0/8')!;
  return c && within(c, ten) ? '172.20.0.0/16' : '10.100.0.0/16';
}

// ---------------------------------------------------------------- strict decoding (sigs.k8s.io/yaml UnmarshalStrict)

type Leaf = 'string' | 'int' | 'bool' | 'any' | 'map[string]string' | '[]string';
interface Struct {
  go: string;
  fields: Record<string, Schema>;
}
type Schema = Leaf | Struct | { list: Struct; go: string };
const S = (go: string, fields: Record<string, Schema>): Struct => ({ go, fields });
const anyOf = (...names: string[]): Record<string, Schema> => Object.fromEntries(names.map((n) => [n, 'any' as Schema]));

const nodeGroupBase = {
  name: 'string',
  amiFamily: 'string',
  instanceType: 'string',
  availabilityZones: '[]string',
  desiredCapacity: 'int',
  minSize: 'int',
  maxSize: 'int',
  maxPodsPerNode: 'int',
  privateNetworking: 'bool',
  labels: 'map[string]string',
  tags: 'map[string]string',
  volumeSize: 'int',
  volumeType: 'string',
  volumeName: 'string',
  volumeEncrypted: 'bool',
  volumeKmsKeyID: 'string',
  volumeIOPS: 'int',
  volumeThroughput: 'int',
  ...anyOf(
    'subnets', 'instancePrefix', 'instanceName', 'ssh', 'iam', 'ami', 'securityGroups', 'asgSuspendProcesses', 'ebsOptimized',
    'additionalVolumes', 'preBootstrapCommands', 'overrideBootstrapCommand', 'propagateASGTags', 'disableIMDSv1', 'disablePodIMDS',
    'placement', 'efaEnabled', 'instanceSelector', 'additionalEncryptedVolume', 'bottlerocket', 'enableDetailedMonitoring',
    'capacityReservation', 'outpostARN', 'nodeRepairConfig', 'id', 'updateConfig', 'taints',
  ),
} satisfies Record<string, Schema>;

const managedNodeGroup = S('ManagedNodeGroup', {
  ...nodeGroupBase,
  instanceTypes: '[]string',
  spot: 'bool',
  ...anyOf('launchTemplate', 'releaseVersion'),
});
const nodeGroup = S('NodeGroup', {
  ...nodeGroupBase,
  ...anyOf(
    'classicLoadBalancerNames', 'targetGroupARNs', 'warmPool', 'cpuCredits', 'clusterDNS', 'kubeletExtraConfig', 'containerRuntime',
    'maxInstanceLifetime', 'localZones', 'instancesDistribution', 'asgMetricsCollection', 'subnetCidr',
  ),
});

const clusterConfigSchema = S('ClusterConfig', {
  apiVersion: 'string',
  kind: 'string',
  metadata: S('ClusterMeta', {
    name: 'string',
    region: 'string',
    version: 'string',
    forceUpdateVersion: 'bool',
    tags: 'map[string]string',
    annotations: 'map[string]string',
    accountID: 'string',
  }),
  kubernetesNetworkConfig: S('KubernetesNetworkConfig', { ipFamily: 'string', serviceIPv4CIDR: 'string' }),
  vpc: S('ClusterVPC', {
    cidr: 'string',
    ...anyOf(
      'id', 'ipv6Cidr', 'ipv6Pool', 'securityGroup', 'subnets', 'localZoneSubnets', 'extraCIDRs', 'extraIPv6CIDRs', 'sharedNodeSecurityGroup',
      'manageSharedNodeSecurityGroupRules', 'autoAllocateIPv6', 'nat', 'clusterEndpoints', 'publicAccessCIDRs', 'hostnameType',
    ),
  }),
  availabilityZones: '[]string',
  managedNodeGroups: { list: managedNodeGroup, go: '[]*v1alpha5.ManagedNodeGroup' },
  nodeGroups: { list: nodeGroup, go: '[]*v1alpha5.NodeGroup' },
  addons: {
    list: S('Addon', {
      name: 'string',
      version: 'string',
      configurationValues: 'string',
      ...anyOf(
        'serviceAccountRoleARN', 'attachPolicyARNs', 'attachPolicy', 'permissionsBoundary', 'wellKnownPolicies', 'tags', 'resolveConflicts',
        'force', 'podIdentityAssociations', 'useDefaultPodIdentityAssociations', 'namespaceConfig',
      ),
    }),
    go: '[]*v1alpha5.Addon',
  },
  kubewire: S('KubewireConfig', {
    cni: 'string',
    calico: S('CalicoConfig', {
      version: 'string',
      ipPoolCIDR: 'string',
      blockSize: 'int',
      vxlanMode: 'string',
      ipipMode: 'string',
      natOutgoing: 'bool',
      mtu: 'int',
    }),
  }),
  ...anyOf(
    'autoModeConfig', 'remoteNetworkConfig', 'iam', 'iamIdentityMappings', 'identityProviders', 'accessConfig', 'addonsConfig',
    'privateCluster', 'fargateProfiles', 'localZones', 'cloudWatch', 'secretsEncryption', 'status', 'karpenter', 'outpost',
    'zonalShiftConfig', 'gitops', 'capabilities',
  ),
});

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}

// ---------------------------------------------------------------- the parser

/** A cluster-file error: the message, the field path it is about, and where that field is. */
export class ClusterFileError extends KubewireError {
  readonly field: string;
  constructor(message: string, field: string, where: SourceLocation) {
    super(message, { where });
    this.field = field;
  }
}

class Ctx {
  readonly warnings: string[] = [];
  constructor(
    readonly doc: SourceDoc,
    readonly file: string,
  ) {}
  at(path: readonly PathSeg[]): SourceLocation {
    return this.doc.locate(path);
  }
  /**
   * Throws at the field's line. eksctl's own words are kept; when they do not name the field,
   * its path is put in front ("vpc.cidr: VPC CIDR prefix must be between /16 and /24").
   */
  fail(path: readonly PathSeg[], message: string, key = false, prefix = true): never {
    const field = formatPath(path);
    const text = prefix && field !== '' && !message.includes(field) ? `${field}: ${message}` : message;
    throw new ClusterFileError(text, field, key ? this.doc.locateKey(path) : this.doc.locate(path));
  }
  decodeError(path: readonly PathSeg[], detail: string, key = false): never {
    this.fail(path, `loading config file ${JSON.stringify(this.file)}: error unmarshaling JSON: while decoding JSON: ${detail}`, key, false);
  }
}

function strictDecode(ctx: Ctx, v: unknown, s: Schema, path: PathSeg[], struct: string, fieldPath: PathSeg[] = path): void {
  if (v === null || v === undefined) return;
  // encoding/json names the field path without array indexes or map keys.
  const typeErr = (goType: string): never => {
    const dotted = fieldPath.filter((p) => typeof p === 'string').join('.');
    return ctx.decodeError(path, `json: cannot unmarshal ${typeof v === 'number' && goType === 'int' ? `number ${v}` : jsonKind(v)} into Go struct field ${struct}.${dotted} of type ${goType}`);
  };
  if (typeof s === 'string') {
    switch (s) {
      case 'any':
        return;
      case 'string':
        if (typeof v !== 'string') typeErr('string');
        return;
      case 'int':
        if (typeof v !== 'number' || !Number.isInteger(v)) typeErr('int');
        return;
      case 'bool':
        if (typeof v !== 'boolean') typeErr('bool');
        return;
      case 'map[string]string':
        if (!isObj(v)) typeErr('map[string]string');
        for (const [k, x] of Object.entries(v as Obj)) if (x !== null && typeof x !== 'string') strictDecode(ctx, x, 'string', [...path, k], struct, path);
        return;
      case '[]string':
        if (!Array.isArray(v)) typeErr('[]string');
        (v as unknown[]).forEach((x, i) => strictDecode(ctx, x, 'string', [...path, i], struct));
        return;
    }
  }
  if (typeof s !== 'string' && 'list' in s) {
    if (!Array.isArray(v)) typeErr(s.go);
    (v as unknown[]).forEach((x, i) => strictDecode(ctx, x, s.list, [...path, i], struct));
    return;
  }
  const st = s as Struct;
  if (!isObj(v)) typeErr(`v1alpha5.${st.go}`);
  for (const [k, x] of Object.entries(v as Obj)) {
    const sub = st.fields[k];
    if (!sub) ctx.decodeError([...path, k], `json: unknown field ${JSON.stringify(k)} at ${formatPath([...path, k])}`, true);
    strictDecode(ctx, x, sub, [...path, k], st.go);
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** kubelet's own label namespaces (k8s.io/kubelet IsKubeletLabel), which eksctl lets through. */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
]);
function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = key.split('/')[0]!;
  return ns === 'kubelet.kubernetes.io' || ns.endsWith('.kubelet.kubernetes.io') || ns === 'node.kubernetes.io' || ns.endsWith('.node.kubernetes.io');
}
const isKubernetesNs = (ns: string): boolean => ['kubernetes.io', 'k8s.io'].some((d) => ns === d || ns.endsWith(`.${d}`));

/** eksctl validateNodeGroupLabels. */
function validateNodeLabels(ctx: Ctx, labels: Record<string, string>, path: PathSeg[]): void {
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const parts = k.split('/');
    if (parts.length > 2) ctx.fail([...path, k], `node label key ${JSON.stringify(k)} is of invalid format, can only use one '/' separator`, true);
    const ke = isQualifiedName(k);
    if (ke.length) ctx.fail([...path, k], `label ${JSON.stringify(k)} is invalid - [${ke.join(' ')}]`, true);
    const ve = isValidLabelValue(v);
    if (ve.length) ctx.fail([...path, k], `label ${JSON.stringify(k)} has invalid value ${JSON.stringify(v)} - [${ve.join(' ')}]`);
    if (parts.length === 2 && isKubernetesNs(parts[0]!) && !isKubeletLabel(k)) unknown.push(k);
  }
  if (unknown.length) ctx.fail([...path, unknown[0]!], `unknown 'kubernetes.io' or 'k8s.io' labels were specified: [${unknown.join(' ')}]`, true);
}

const NODEGROUP_NAME_RE = /^[a-zA-Z][-a-zA-Z0-9]*$/;
const CLUSTER_NAME_RE = /^[a-zA-Z][-a-zA-Z0-9]*$/;

function parseNodeGroup(ctx: Ctx, raw: Obj, path: PathSeg[], managed: boolean, clusterName: string, clusterAzs: string[], cni: string): NodeGroupSpec {
  const name = str(raw.name) ?? '';
  const p = formatPath(path);
  if (!name) ctx.fail(path, `${p}.name must be set`);
  if (!NODEGROUP_NAME_RE.test(name) || name.length > 63)
    ctx.fail([...path, 'name'], `validation for ${name} failed, name must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
  const maxPods = int(raw.maxPodsPerNode);
  if (maxPods !== undefined && maxPods < 0) ctx.fail([...path, 'maxPodsPerNode'], `${p}.maxPodsPerNode cannot be negative`);
  const azs = Array.isArray(raw.availabilityZones) ? (raw.availabilityZones as string[]) : [];
  if (azs.length > 0 && raw.subnets !== undefined) ctx.fail([...path, 'subnets'], `only one of ${p}.subnets or ${p}.availabilityZones should be set`);
  if (raw.subnets !== undefined) ctx.fail([...path, 'subnets'], `${p}.subnets: kubewire lays out the VPC itself; place node groups with availabilityZones instead`);
  azs.forEach((az, i) => {
    if (!clusterAzs.includes(az))
      ctx.fail([...path, 'availabilityZones', i], `${p}.availabilityZones[${i}]: ${JSON.stringify(az)} is not one of the cluster's availability zones [${clusterAzs.join(' ')}]`);
  });
  // instance type: instanceType, else (managed) the first of instanceTypes, else eksctl's default.
  let instanceType = str(raw.instanceType);
  const types = Array.isArray(raw.instanceTypes) ? (raw.instanceTypes as string[]) : [];
  if (instanceType && types.length) ctx.fail([...path, 'instanceTypes'], `${p}.instanceType and ${p}.instanceTypes cannot be set at the same time`);
  if (!instanceType) instanceType = types[0] ?? DEFAULT_INSTANCE_TYPE;
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType))
    ctx.fail([...path, types.length ? 'instanceTypes' : 'instanceType'], `${p}.instanceType: ${JSON.stringify(instanceType)} is not an EC2 instance type (family.size, e.g. m5.large)`);
  // scaling: eksctl's defaulting and checks (messages use its CLI flag names, as eksctl does).
  let desired = int(raw.desiredCapacity);
  let min = int(raw.minSize);
  let max = int(raw.maxSize);
  for (const [k, v] of [['desiredCapacity', desired], ['minSize', min], ['maxSize', max]] as const)
    if (v !== undefined && v < 0) ctx.fail([...path, k], `${p}.${k} cannot be negative`);
  if (min === undefined) min = desired ?? DEFAULT_NODE_COUNT;
  else if (desired !== undefined && desired < min)
    ctx.fail([...path, 'desiredCapacity'], managed ? `cannot use --nodes-min=${min} and --nodes=${desired} at the same time` : `--nodes value (${desired}) cannot be lower than --nodes-min value (${min})`);
  if (max === undefined) max = desired ?? min;
  else if (desired !== undefined && desired > max)
    ctx.fail([...path, 'desiredCapacity'], managed ? `cannot use --nodes-max=${max} and --nodes=${desired} at the same time` : `--nodes value (${desired}) cannot be greater than --nodes-max value (${max})`);
  else if (max < min) ctx.fail([...path, 'maxSize'], managed ? `cannot use --nodes-min=${min} and --nodes-max=${max} at the same time` : `--nodes-min value (${min}) cannot be greater than --nodes-max value (${max})`);
  // No desiredCapacity: the group starts at its minimum, as an ASG / EKS node group does.
  if (desired === undefined) desired = min;
  const userLabels = isObj(raw.labels) ? (raw.labels as Record<string, string>) : {};
  validateNodeLabels(ctx, userLabels, [...path, 'labels']);
  if (cni === 'calico-vxlan' && maxPods === undefined)
    ctx.warnings.push(
      `${p} (${name}): no maxPodsPerNode with Calico networking, so kubelet keeps the ENI-based max-pods limit of ${instanceType} (the Calico EKS guide sets --max-pods-per-node)`,
    );
  return {
    name,
    managed,
    instanceType,
    desiredCapacity: desired,
    availabilityZones: azs.length ? [...azs] : [...clusterAzs],
    ...(maxPods !== undefined ? { maxPodsPerNode: maxPods } : {}),
    privateNetworking: raw.privateNetworking === true,
    // eksctl adds its own two labels to every node group.
    labels: { ...userLabels, 'alpha.eksctl.io/cluster-name': clusterName, 'alpha.eksctl.io/nodegroup-name': name },
  };
}

/** vpc-cni configurationValues (JSON or YAML text) → aws-node env, checked like EKS's add-on schema. */
const VPC_CNI_CONFIG_KEYS = new Set([
  'env', 'init', 'nodeAgent', 'enableNetworkPolicy', 'enableWindowsIpam', 'enableWindowsPrefixDelegation', 'eniConfig', 'livenessProbe',
  'readinessProbe', 'resources', 'tolerations', 'affinity', 'nodeSelector', 'podAnnotations', 'podLabels', 'priorityClassName',
  'updateStrategy', 'minReadySeconds', 'windowsAffinity',
]);
function parseVpcCniConfig(ctx: Ctx, text: string, path: PathSeg[], flags: { enableNetworkPolicy?: boolean } = {}): Record<string, string> {
  const schemaErr = (detail: string): never =>
    ctx.fail(path, `ConfigurationValue provided in request is not supported: Json schema validation failed with error: [${detail}]`);
  let value: unknown;
  try {
    const docs = parseYamlDocuments(text, `${ctx.file} (${formatPath(path)})`);
    value = docs[0]?.value ?? {};
  } catch (e) {
    ctx.fail(path, `${formatPath(path)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (value === null || value === undefined || value === '') return {};
  if (!isObj(value)) schemaErr(`$: ${jsonKind(value)} found, object expected`);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Obj)) {
    if (!VPC_CNI_CONFIG_KEYS.has(k)) schemaErr(`$.${k}: is not defined in the schema and the schema does not allow additional properties`);
    if (k === 'enableNetworkPolicy') {
      // A string in the add-on's schema ("true"/"false"), as the EKS user guide passes it.
      if (typeof v !== 'string') schemaErr(`$.enableNetworkPolicy: ${typeof v === 'boolean' ? 'boolean' : jsonKind(v)} found, string expected`);
      if (v !== 'true' && v !== 'false') schemaErr(`$.enableNetworkPolicy: does not match pattern '^(true|false)$'`);
      flags.enableNetworkPolicy = v === 'true';
    }
    if (k !== 'env') continue;
    if (!isObj(v)) schemaErr(`$.env: ${jsonKind(v)} found, object expected`);
    for (const [name, x] of Object.entries(v as Obj)) {
      if (typeof x !== 'string') schemaErr(`$.env.${name}: ${typeof x === 'number' ? (Number.isInteger(x) ? 'integer' : 'number') : jsonKind(x)} found, string expected`);
      env[name] = x as string;
    }
  }
  return env;
}

function parseCalico(ctx: Ctx, raw: Obj | undefined): CalicoSettings {
  const c: CalicoSettings = { ...DEFAULT_CALICO };
  if (!raw) return c;
  const base: PathSeg[] = ['kubewire', 'calico'];
  if (raw.version !== undefined) {
    const v = raw.version as string;
    if (!/^v3\.\d+\.\d+$/.test(v)) ctx.fail([...base, 'version'], `kubewire.calico.version: ${JSON.stringify(v)} is not a Calico v3 release (e.g. ${DEFAULT_CALICO.version})`);
    c.version = v;
  }
  if (raw.ipPoolCIDR !== undefined) {
    const s = raw.ipPoolCIDR as string;
    const p = parseCidr(s);
    if (!p) ctx.fail([...base, 'ipPoolCIDR'], `kubewire.calico.ipPoolCIDR: invalid CIDR address: ${s}`);
    c.ipPoolCidr = cidrText(p);
  }
  if (raw.blockSize !== undefined) {
    const b = raw.blockSize as number;
    if (b < 20 || b > 32) ctx.fail([...base, 'blockSize'], 'kubewire.calico.blockSize: IPv4 block size must be between 20 and 32');
    c.blockSize = b;
  }
  const pool = parseCidr(c.ipPoolCidr)!;
  if (pool.prefix > c.blockSize)
    ctx.fail([...base, raw.blockSize !== undefined ? 'blockSize' : 'ipPoolCIDR'], `kubewire.calico: IP pool size (/${pool.prefix}) is too small for the block size /${c.blockSize}`);
  if (raw.vxlanMode !== undefined) {
    const m = raw.vxlanMode as string;
    if (m !== 'Always' && m !== 'CrossSubnet' && m !== 'Never')
      ctx.fail([...base, 'vxlanMode'], `kubewire.calico.vxlanMode: Unsupported value: ${JSON.stringify(m)}: supported values: "Always", "CrossSubnet", "Never"`);
    c.vxlanMode = m;
  }
  if (raw.ipipMode !== undefined) {
    const m = raw.ipipMode as string;
    if (m !== 'Always' && m !== 'CrossSubnet' && m !== 'Never')
      ctx.fail([...base, 'ipipMode'], `kubewire.calico.ipipMode: Unsupported value: ${JSON.stringify(m)}: supported values: "Always", "CrossSubnet", "Never"`);
    c.ipipMode = m;
  }
  if (c.ipipMode !== 'Never' && c.vxlanMode !== 'Never')
    ctx.fail([...base, raw.ipipMode !== undefined ? 'ipipMode' : 'vxlanMode'], 'kubewire.calico: an IP pool cannot use both IPIP and VXLAN (set ipipMode or vxlanMode to Never)');
  if (c.vxlanMode === 'Never')
    ctx.warnings.push('kubewire.calico.vxlanMode is Never: kubewire models the VXLAN overlay (BGP is disabled on EKS), so pod traffic between nodes is not encapsulated');
  if (raw.natOutgoing !== undefined) c.natOutgoing = raw.natOutgoing as boolean;
  if (raw.mtu !== undefined) {
    const m = raw.mtu as number;
    if (m < 68 || m > 9001) ctx.fail([...base, 'mtu'], `kubewire.calico.mtu: ${m} must be between 68 and 9001 (the ENI MTU)`);
    c.mtu = m;
  }
  return c;
}

/**
 * Parses an eksctl ClusterConfig. Unknown fields and wrong types are rejected (eksctl decodes
 * strictly); eksctl's defaults are applied (VPC 192.168.0.0/16, AZs of the region, m5.large,
 * 2 nodes); EKS's service CIDR rule applies when none is given.
 */
export function parseClusterFile(text: string, file: string): ClusterSpec {
  const docs = parseYamlDocuments(text, file).filter((d) => d.value !== null);
  if (docs.length === 0) throw new KubewireError(`loading config file ${JSON.stringify(file)}: the file is empty`, { where: { file, line: 1 } });
  if (docs.length > 1) throw new KubewireError(`loading config file ${JSON.stringify(file)}: expected one ClusterConfig document, found ${docs.length}`, { where: docs[1]!.start });
  const doc = docs[0]!;
  const ctx: Ctx = new Ctx(doc, file);
  const cfg = doc.value;
  if (!isObj(cfg)) ctx.decodeError([], `json: cannot unmarshal ${jsonKind(cfg)} into Go value of type v1alpha5.ClusterConfig`);
  // apiVersion/kind are checked by eksctl's scheme decoder before the strict unmarshal.
  if (cfg.kind === undefined || cfg.apiVersion === undefined)
    ctx.fail([], `loading config file ${JSON.stringify(file)}: couldn't get version/kind; json parse error: Object 'Kind' is missing`);
  if (cfg.kind !== 'ClusterConfig' || cfg.apiVersion !== 'eksctl.io/v1alpha5')
    ctx.fail(['kind'], `loading config file ${JSON.stringify(file)}: no kind ${JSON.stringify(String(cfg.kind))} is registered for version ${JSON.stringify(String(cfg.apiVersion))} in scheme (expected apiVersion eksctl.io/v1alpha5, kind ClusterConfig)`);
  strictDecode(ctx, cfg, clusterConfigSchema, [], 'ClusterConfig');

  // metadata
  const meta = isObj(cfg.metadata) ? cfg.metadata : {};
  const name = str(meta.name) ?? '';
  if (!name) ctx.fail(['metadata'], 'metadata.name must be set');
  if (!CLUSTER_NAME_RE.test(name) || name.length > 100)
    ctx.fail(['metadata', 'name'], `validation for ${name} failed, name must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
  const region = str(meta.region) ?? DEFAULT_REGION;
  if (!REGION_AZS[region]) ctx.fail(['metadata', 'region'], `--region=${region} is not supported - use one of: ${Object.keys(REGION_AZS).join(', ')}`);
  // eksctl: "" and "auto" mean the default version, "latest" the newest supported one.
  const given = str(meta.version) ?? '';
  const version = given === '' || given === 'auto' ? DEFAULT_VERSION : given === 'latest' ? SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1]! : given;
  if (!SUPPORTED_VERSIONS.includes(version)) {
    const see = '\nsee also: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html';
    if (DEPRECATED_VERSIONS.includes(version))
      ctx.fail(['metadata', 'version'], `invalid version, ${version} is no longer supported, supported values: ${SUPPORTED_VERSIONS.join(', ')}${see}`);
    ctx.fail(['metadata', 'version'], `invalid version, supported values: ${SUPPORTED_VERSIONS.join(', ')}${see}`);
  }

  // kubewire extension
  const kw = isObj(cfg.kubewire) ? cfg.kubewire : {};
  const cni = str(kw.cni) ?? 'vpc-cni';
  if (cni !== 'vpc-cni' && cni !== 'calico-vxlan') ctx.fail(['kubewire', 'cni'], `kubewire.cni: Unsupported value: ${JSON.stringify(cni)}: supported values: "calico-vxlan", "vpc-cni"`);
  if (kw.calico !== undefined && cni !== 'calico-vxlan') ctx.fail(['kubewire', 'calico'], 'kubewire.calico is only used with kubewire.cni: calico-vxlan');

  // network config
  const knc = isObj(cfg.kubernetesNetworkConfig) ? cfg.kubernetesNetworkConfig : {};
  const ipFamily = str(knc.ipFamily);
  if (ipFamily !== undefined && ipFamily.toLowerCase() !== 'ipv4')
    ctx.fail(['kubernetesNetworkConfig', 'ipFamily'], ipFamily.toLowerCase() === 'ipv6' ? 'kubernetesNetworkConfig.ipFamily: IPv6 clusters are not simulated by kubewire' : `invalid value ${JSON.stringify(ipFamily)} for ipFamily; allowed are IPv4 and IPv6`);

  // VPC
  const vpc = isObj(cfg.vpc) ? cfg.vpc : {};
  if (vpc.id !== undefined || vpc.subnets !== undefined)
    ctx.fail(['vpc', vpc.id !== undefined ? 'id' : 'subnets'], 'vpc.id / vpc.subnets (an existing VPC) are not simulated: kubewire lays out a new VPC as eksctl does; give vpc.cidr instead');
  const vpcCidrText = str(vpc.cidr) ?? DEFAULT_VPC_CIDR;
  const vpcCidr = parseCidr(vpcCidrText);
  if (!vpcCidr) ctx.decodeError(['vpc', 'cidr'], `invalid CIDR address: ${vpcCidrText}`);
  if (vpcCidr.prefix < 16 || vpcCidr.prefix > 24) ctx.fail(['vpc', 'cidr'], 'VPC CIDR prefix must be between /16 and /24');

  // availability zones
  let azs: string[];
  if (Array.isArray(cfg.availabilityZones) && cfg.availabilityZones.length > 0) {
    const given = cfg.availabilityZones as string[];
    if (given.length < 2) ctx.fail(['availabilityZones'], `only ${given.length} zones specified [${given.join(' ')}], 2 are required (can be non-unique)`);
    const known = REGION_AZS[region]!;
    given.forEach((az, i) => {
      if (!known.includes(az))
        // what EC2 answers when eksctl's stack creates the subnet
        ctx.fail(
          ['availabilityZones', i],
          `Value (${az}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${known.join(', ')}.`,
        );
    });
    azs = [...new Set(given)];
    if (azs.length * 2 > 16) ctx.fail(['availabilityZones'], `cannot create more than 16 subnets, ${azs.length * 2} requested`);
  } else {
    azs = defaultZones(region);
  }
  const vpcId = pseudoId('vpc', `${region}/${name}/${cidrText(vpcCidr)}`);
  const subnets = layoutSubnets(cidrText(vpcCidr), azs, `${region}/${name}`);

  // service CIDR
  let serviceCidr: string;
  if (knc.serviceIPv4CIDR !== undefined && knc.serviceIPv4CIDR !== '') {
    const s = knc.serviceIPv4CIDR as string;
    const c = parseCidr(s);
    if (!c) ctx.fail(['kubernetesNetworkConfig', 'serviceIPv4CIDR'], `invalid IPv4 CIDR for kubernetesNetworkConfig.serviceIPv4CIDR: invalid CIDR address: ${s}`);
    const privateBlocks = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((b) => parseCidr(b)!);
    const path: PathSeg[] = ['kubernetesNetworkConfig', 'serviceIPv4CIDR'];
    if (c.prefix < 12 || c.prefix > 24)
      ctx.fail(path, `InvalidParameterException: serviceIpv4Cidr ${s}: the block must be between /12 and /24`);
    if (!privateBlocks.some((b) => within(c, b)))
      ctx.fail(path, `InvalidParameterException: serviceIpv4Cidr ${s} must be within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`);
    if (overlaps(c, vpcCidr)) ctx.fail(path, `InvalidParameterException: serviceIpv4Cidr ${s} overlaps the VPC CIDR ${cidrText(vpcCidr)}`);
    serviceCidr = cidrText(c);
  } else {
    serviceCidr = defaultServiceCidr(cidrText(vpcCidr));
  }

  const privateCluster = isObj(cfg.privateCluster) && cfg.privateCluster.enabled === true;
  // node groups (names unique across managed and unmanaged)
  const groups: NodeGroupSpec[] = [];
  const seen = new Set<string>();
  for (const [key, managed] of [['nodeGroups', false], ['managedNodeGroups', true]] as const) {
    const list = Array.isArray(cfg[key]) ? (cfg[key] as unknown[]) : [];
    list.forEach((raw, i) => {
      const path: PathSeg[] = [key, i];
      if (!isObj(raw)) ctx.fail(path, `${formatPath(path)}.name must be set`);
      const n = str(raw.name) ?? '';
      if (n && seen.has(n)) ctx.fail([...path, 'name'], `${formatPath(path)}.name ${JSON.stringify(n)} is not unique`);
      seen.add(n);
      if (privateCluster && raw.privateNetworking !== true)
        ctx.fail([...path, 'privateNetworking'], `${formatPath(path)}.privateNetworking must be enabled for a fully-private cluster`);
      groups.push(parseNodeGroup(ctx, raw, path, managed, name, azs, cni));
    });
  }

  // add-ons
  let vpcCniEnv: Record<string, string> = {};
  let vpcCniVersion = DEFAULT_VPC_CNI_VERSION;
  const vpcCniFlags: { enableNetworkPolicy?: boolean } = {};
  const addonNames = new Set<string>();
  (Array.isArray(cfg.addons) ? (cfg.addons as unknown[]) : []).forEach((raw, i) => {
    const a = isObj(raw) ? raw : {};
    const an = str(a.name) ?? '';
    if (!an) ctx.fail(['addons', i], 'name is required');
    if (addonNames.has(an)) ctx.fail(['addons', i, 'name'], `addon ${an} is specified more than once`);
    addonNames.add(an);
    if (an !== 'vpc-cni') return;
    if (a.version !== undefined && a.version !== 'latest' && a.version !== '') {
      const v = a.version as string;
      if (!/^v?\d+\.\d+\.\d+(-eksbuild\.\d+)?$/.test(v)) ctx.fail(['addons', i, 'version'], `addons[${i}].version: ${JSON.stringify(v)} is not a vpc-cni add-on version (e.g. ${DEFAULT_VPC_CNI_VERSION})`);
      vpcCniVersion = v.startsWith('v') ? v : `v${v}`;
      if (!/-eksbuild\.\d+$/.test(vpcCniVersion)) vpcCniVersion += '-eksbuild.1';
    }
    if (typeof a.configurationValues === 'string' && a.configurationValues.trim() !== '')
      vpcCniEnv = parseVpcCniConfig(ctx, a.configurationValues, ['addons', i, 'configurationValues'], vpcCniFlags);
  });

  const calico = cni === 'calico-vxlan' ? parseCalico(ctx, isObj(kw.calico) ? kw.calico : undefined) : undefined;
  if (calico) {
    const pool = parseCidr(calico.ipPoolCidr)!;
    if (overlaps(pool, vpcCidr))
      ctx.warnings.push(`Calico IP pool ${calico.ipPoolCidr} overlaps the VPC CIDR ${cidrText(vpcCidr)}: pod and node addresses can collide`);
    if (overlaps(pool, parseCidr(serviceCidr)!))
      ctx.warnings.push(`Calico IP pool ${calico.ipPoolCidr} overlaps the service CIDR ${serviceCidr}: pod and Service addresses can collide`);
  }

  const spec: ClusterSpec = {
    name,
    region,
    kubernetesVersion: version,
    vpc: { id: vpcId, cidr: cidrText(vpcCidr), subnets },
    availabilityZones: azs,
    serviceIPv4CIDR: serviceCidr,
    nodeGroups: groups,
    cni: {
      type: cni,
      vpcCni: { env: vpcCniEnv, version: vpcCniVersion, ...(vpcCniFlags.enableNetworkPolicy ? { enableNetworkPolicy: true } : {}) },
      ...(calico ? { calico } : {}),
    },
    source: file,
  };
  if (ctx.warnings.length) spec.warnings = ctx.warnings;
  return spec;
}

/** The embedded default: cluster "kubewire", us-west-2, 3 AZs, one managed group of 3 m5.large, VPC CNI. */
export function defaultClusterSpec(): ClusterSpec {
  const spec = parseClusterFile(DEFAULT_CLUSTER_YAML, '<embedded default>');
  return spec;
}
