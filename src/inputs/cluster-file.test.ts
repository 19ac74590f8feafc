import { describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { ClusterFileError, DEFAULT_CLUSTER_YAML, defaultClusterSpec, defaultServiceCidr, layoutSubnets, parseClusterFile, subnetName } from './cluster-file.ts';

const head = `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: demo
  region: us-west-2
`;

function fail(text: string): KubewireError {
  try {
    parseClusterFile(text, 'c.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(KubewireError);
    return e as KubewireError;
  }
  throw new Error('expected an error');
}

describe('default cluster', () => {
  it('is the seed cluster: 3 AZs, one managed group of 3 m5.large, VPC CNI', () => {
    const s = defaultClusterSpec();
    expect(s.name).toBe('kubewire');
    expect(s.region).toBe('us-west-2');
    expect(s.vpc.cidr).toBe('192.168.0.0/16');
    expect(s.availabilityZones).toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c']);
    expect(s.nodeGroups).toHaveLength(1);
    expect(s.nodeGroups[0]).toMatchObject({ name: 'ng-1', managed: true, instanceType: 'm5.large', desiredCapacity: 3, privateNetworking: false });
    expect(s.cni.type).toBe('vpc-cni');
    expect(s.serviceIPv4CIDR).toBe('10.100.0.0/16');
    expect(s.source).toBe('<embedded default>');
    expect(s.warnings).toBeUndefined();
  });

  it('DEFAULT_CLUSTER_YAML parses to the same spec', () => {
    const a = parseClusterFile(DEFAULT_CLUSTER_YAML, 'x');
    const b = defaultClusterSpec();
    expect({ ...a, source: '' }).toEqual({ ...b, source: '' });
  });

  it('is deterministic (ids do not change between runs)', () => {
    expect(defaultClusterSpec()).toEqual(defaultClusterSpec());
    const ids = defaultClusterSpec().vpc.subnets.map((s) => s.id);
    expect(new Set(ids).size).toBe(6);
    for (const id of ids) expect(id).toMatch(/^subnet-0[0-9a-f]{16}$/);
    expect(defaultClusterSpec().vpc.id).toMatch(/^vpc-0[0-9a-f]{16}$/);
  });
});

describe('eksctl defaults', () => {
  it('fills VPC CIDR, AZs, instance type and node count like eksctl', () => {
    const s = parseClusterFile(`${head}managedNodeGroups:\n  - name: ng\nnodeGroups:\n  - name: un\n`, 'c.yaml');
    expect(s.vpc.cidr).toBe('192.168.0.0/16');
    expect(s.availabilityZones).toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c']);
    const mng = s.nodeGroups.find((g) => g.name === 'ng')!;
    expect(mng).toMatchObject({ managed: true, instanceType: 'm5.large', desiredCapacity: 2, privateNetworking: false });
    expect(mng.availabilityZones).toEqual(s.availabilityZones);
    expect(mng.labels).toEqual({ 'alpha.eksctl.io/cluster-name': 'demo', 'alpha.eksctl.io/nodegroup-name': 'ng' });
    expect(s.nodeGroups.find((g) => g.name === 'un')!.managed).toBe(false);
    expect(s.kubernetesVersion).toBe('1.32');
  });

  it('version "auto" is the default, "latest" the newest supported', () => {
    expect(parseClusterFile(head.replace('region: us-west-2', 'region: us-west-2\n  version: auto'), 'c').kubernetesVersion).toBe('1.32');
    expect(parseClusterFile(head.replace('region: us-west-2', 'region: us-west-2\n  version: latest'), 'c').kubernetesVersion).toBe('1.34');
  });

  it('picks 2 zones in us-east-1 and skips us-east-1e', () => {
    const s = parseClusterFile(head.replace('us-west-2', 'us-east-1'), 'c.yaml');
    expect(s.availabilityZones).toEqual(['us-east-1a', 'us-east-1b']);
  });

  it('defaults desiredCapacity to minSize when only minSize is given', () => {
    const s = parseClusterFile(`${head}managedNodeGroups:\n  - name: ng\n    minSize: 4\n    maxSize: 6\n`, 'c.yaml');
    expect(s.nodeGroups[0]!.desiredCapacity).toBe(4);
  });

  it('keeps user labels, maxPodsPerNode, privateNetworking and node-group AZs', () => {
    const s = parseClusterFile(
      `${head}managedNodeGroups:\n  - name: ng\n    maxPodsPerNode: 110\n    privateNetworking: true\n    availabilityZones: [us-west-2b]\n    labels: {role: web}\n`,
      'c.yaml',
    );
    expect(s.nodeGroups[0]).toMatchObject({ maxPodsPerNode: 110, privateNetworking: true, availabilityZones: ['us-west-2b'] });
    expect(s.nodeGroups[0]!.labels.role).toBe('web');
  });

  it('takes the first of instanceTypes for a managed group', () => {
    const s = parseClusterFile(`${head}managedNodeGroups:\n  - name: ng\n    instanceTypes: [t3.large, t3a.large]\n`, 'c.yaml');
    expect(s.nodeGroups[0]!.instanceType).toBe('t3.large');
  });
});

describe('subnet layout (eksctl SetSubnets)', () => {
  it('splits a /16 into /19s: public i, private i+N', () => {
    const subs = layoutSubnets('192.168.0.0/16', ['us-west-2a', 'us-west-2b', 'us-west-2c'], 'k');
    expect(subs.map((s) => [s.name, s.cidr])).toEqual([
      ['SubnetPublicUSWEST2A', '192.168.0.0/19'],
      ['SubnetPublicUSWEST2B', '192.168.32.0/19'],
      ['SubnetPublicUSWEST2C', '192.168.64.0/19'],
      ['SubnetPrivateUSWEST2A', '192.168.96.0/19'],
      ['SubnetPrivateUSWEST2B', '192.168.128.0/19'],
      ['SubnetPrivateUSWEST2C', '192.168.160.0/19'],
    ]);
  });

  it('splits into 16 (/20 of a /16) when more than 4 AZs', () => {
    const azs = ['a', 'b', 'c', 'd', 'e'].map((x) => `us-east-1${x}`);
    const subs = layoutSubnets('10.0.0.0/16', azs, 'k');
    expect(subs[0]!.cidr).toBe('10.0.0.0/20');
    expect(subs[4]!.cidr).toBe('10.0.64.0/20');
    expect(subs[5]).toMatchObject({ cidr: '10.0.80.0/20', az: 'us-east-1a', public: false });
  });

  it('uses prefix+3 for a /24 VPC', () => {
    const subs = layoutSubnets('10.1.2.0/24', ['us-west-2a', 'us-west-2b'], 'k');
    expect(subs.map((s) => s.cidr)).toEqual(['10.1.2.0/27', '10.1.2.32/27', '10.1.2.64/27', '10.1.2.96/27']);
  });

  it('names subnets as eksctl CloudFormation resources', () => {
    expect(subnetName('ap-southeast-1a', false)).toBe('SubnetPrivateAPSOUTHEAST1A');
  });

  it('file VPC CIDR with host bits is masked like net.ParseCIDR', () => {
    const s = parseClusterFile(`${head}vpc:\n  cidr: 10.10.5.0/16\n`, 'c.yaml');
    expect(s.vpc.cidr).toBe('10.10.0.0/16');
    expect(s.vpc.subnets[0]!.cidr).toBe('10.10.0.0/19');
  });
});

describe('service CIDR', () => {
  it('EKS default: 10.100.0.0/16, or 172.20.0.0/16 for a VPC inside 10.0.0.0/8', () => {
    expect(defaultServiceCidr('192.168.0.0/16')).toBe('10.100.0.0/16');
    expect(defaultServiceCidr('10.0.0.0/16')).toBe('172.20.0.0/16');
    expect(defaultServiceCidr('172.31.0.0/16')).toBe('10.100.0.0/16');
    expect(parseClusterFile(`${head}vpc: {cidr: 10.20.0.0/16}\n`, 'c').serviceIPv4CIDR).toBe('172.20.0.0/16');
  });

  it('takes kubernetesNetworkConfig.serviceIPv4CIDR', () => {
    expect(parseClusterFile(`${head}kubernetesNetworkConfig:\n  serviceIPv4CIDR: 10.96.0.0/12\n`, 'c').serviceIPv4CIDR).toBe('10.96.0.0/12');
  });

  it('rejects a bad or overlapping one with its line', () => {
    const e = fail(`${head}kubernetesNetworkConfig:\n  serviceIPv4CIDR: 10.96.0/12\n`);
    expect(e.message).toBe('invalid IPv4 CIDR for kubernetesNetworkConfig.serviceIPv4CIDR: invalid CIDR address: 10.96.0/12');
    expect(e.where).toMatchObject({ file: 'c.yaml', line: 7 });
    expect(fail(`${head}kubernetesNetworkConfig:\n  serviceIPv4CIDR: 192.168.0.0/20\n`).message).toMatch(/overlaps the VPC CIDR 192\.168\.0\.0\/16/);
  });
});

describe('strict decoding and validation', () => {
  it('every error carries the field path (ClusterFileError.field)', () => {
    const e = fail(`${head}vpc: {cidr: 10.0.0.0/12}\n`) as ClusterFileError;
    expect(e).toBeInstanceOf(ClusterFileError);
    expect(e.field).toBe('vpc.cidr');
    expect(e.where).toEqual({ file: 'c.yaml', line: 6, column: 13 });
  });

  it('rejects an unknown field, naming its path and line', () => {
    const e = fail(`${head}managedNodeGroups:\n  - name: ng\n    instancetype: m5.large\n`);
    expect(e.message).toContain('json: unknown field "instancetype"');
    expect(e.message).toContain('managedNodeGroups[0].instancetype');
    expect(e.where).toEqual({ file: 'c.yaml', line: 8, column: 5 });
  });

  it('rejects a wrong type like Go json does (unquoted version is a number)', () => {
    const e = fail(head.replace('region: us-west-2', 'region: us-west-2\n  version: 1.30'));
    expect(e.message).toContain('json: cannot unmarshal number into Go struct field ClusterMeta.metadata.version of type string');
    expect(e.where?.line).toBe(6);
  });

  it('rejects a wrong kind or apiVersion', () => {
    expect(fail(head.replace('ClusterConfig', 'Cluster')).message).toContain('no kind "Cluster" is registered for version "eksctl.io/v1alpha5"');
  });

  it('rejects a bad VPC CIDR and a prefix outside /16../24', () => {
    expect(fail(`${head}vpc: {cidr: 10.0.0.0/33}\n`).message).toContain('invalid CIDR address: 10.0.0.0/33');
    expect(fail(`${head}vpc: {cidr: 10.0.0.0/12}\n`).message).toBe('vpc.cidr: VPC CIDR prefix must be between /16 and /24');
  });

  it('rejects a negative desiredCapacity', () => {
    const e = fail(`${head}managedNodeGroups:\n  - name: ng\n    desiredCapacity: -1\n`);
    expect(e.message).toBe('managedNodeGroups[0].desiredCapacity cannot be negative');
    expect(e.where?.line).toBe(8);
  });

  it('rejects desiredCapacity outside min/max with eksctl wording', () => {
    expect(fail(`${head}managedNodeGroups:\n  - name: ng\n    desiredCapacity: 1\n    minSize: 2\n`).message).toBe('managedNodeGroups[0].desiredCapacity: cannot use --nodes-min=2 and --nodes=1 at the same time');
    expect(fail(`${head}nodeGroups:\n  - name: ng\n    desiredCapacity: 5\n    maxSize: 3\n`).message).toBe('nodeGroups[0].desiredCapacity: --nodes value (5) cannot be greater than --nodes-max value (3)');
  });

  it('rejects a negative maxPodsPerNode', () => {
    expect(fail(`${head}nodeGroups:\n  - name: ng\n    maxPodsPerNode: -5\n`).message).toBe('nodeGroups[0].maxPodsPerNode cannot be negative');
  });

  it('rejects duplicate node group names across managed and unmanaged', () => {
    const e = fail(`${head}nodeGroups:\n  - name: ng\nmanagedNodeGroups:\n  - name: ng\n`);
    expect(e.message).toBe('managedNodeGroups[0].name "ng" is not unique');
    expect(e.where?.line).toBe(9);
  });

  it('a fully-private cluster needs private node groups', () => {
    expect(fail(`${head}privateCluster: {enabled: true}\nmanagedNodeGroups:\n  - name: ng\n`).message).toBe(
      'managedNodeGroups[0].privateNetworking must be enabled for a fully-private cluster',
    );
  });

  it('requires node group names', () => {
    expect(fail(`${head}managedNodeGroups:\n  - instanceType: m5.large\n`).message).toBe('managedNodeGroups[0].name must be set');
  });

  it('rejects an AZ of another region and too few AZs', () => {
    const e = fail(`${head}availabilityZones: [us-west-2a, eu-west-1a]\n`);
    expect(e.message).toBe(
      'availabilityZones[1]: Value (eu-west-1a) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: us-west-2a, us-west-2b, us-west-2c, us-west-2d.',
    );
    expect(e.where).toMatchObject({ line: 6 });
    expect(fail(`${head}availabilityZones: [us-west-2a]\n`).message).toBe('availabilityZones: only 1 zones specified [us-west-2a], 2 are required (can be non-unique)');
  });

  it('rejects a node-group AZ that is not one of the cluster AZs', () => {
    const e = fail(`${head}availabilityZones: [us-west-2a, us-west-2b]\nmanagedNodeGroups:\n  - name: ng\n    availabilityZones: [us-west-2c]\n`);
    expect(e.message).toContain('"us-west-2c" is not one of the cluster\'s availability zones');
  });

  it('rejects an unsupported Kubernetes version and an unknown region', () => {
    expect(fail(head.replace('region: us-west-2', 'region: us-west-2\n  version: "1.21"')).message).toMatch(/^metadata\.version: invalid version, 1\.21 is no longer supported/);
    expect(fail(head.replace('us-west-2', 'mars-north-1')).message).toMatch(/^metadata\.region: --region=mars-north-1 is not supported/);
  });

  it('validates the cluster name like eksctl', () => {
    expect(fail(head.replace('name: demo', 'name: 1demo')).message).toBe(
      'metadata.name: validation for 1demo failed, name must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*',
    );
  });

  it('rejects reserved kubernetes.io node labels like eksctl', () => {
    expect(fail(`${head}managedNodeGroups:\n  - name: ng\n    labels: {kubernetes.io/role: x}\n`).message).toBe(
      "managedNodeGroups[0].labels.kubernetes.io/role: unknown 'kubernetes.io' or 'k8s.io' labels were specified: [kubernetes.io/role]",
    );
    const s = parseClusterFile(`${head}managedNodeGroups:\n  - name: ng\n    labels: {node.kubernetes.io/lifecycle: spot}\n`, 'c');
    expect(s.nodeGroups[0]!.labels['node.kubernetes.io/lifecycle']).toBe('spot');
  });
});

describe('vpc-cni add-on', () => {
  it('reads env from JSON and YAML configurationValues', () => {
    const json = parseClusterFile(`${head}addons:\n  - name: vpc-cni\n    version: v1.18.3-eksbuild.2\n    configurationValues: '{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}'\n`, 'c');
    expect(json.cni.vpcCni).toEqual({ env: { ENABLE_PREFIX_DELEGATION: 'true' }, version: 'v1.18.3-eksbuild.2' });
    const yaml = parseClusterFile(`${head}addons:\n  - name: vpc-cni\n    configurationValues: |-\n      env:\n        WARM_IP_TARGET: "5"\n        MINIMUM_IP_TARGET: "10"\n`, 'c');
    expect(yaml.cni.vpcCni.env).toEqual({ WARM_IP_TARGET: '5', MINIMUM_IP_TARGET: '10' });
  });

  it('rejects non-string env values like the EKS add-on schema', () => {
    const e = fail(`${head}addons:\n  - name: vpc-cni\n    configurationValues: '{"env":{"WARM_IP_TARGET":5}}'\n`);
    expect(e.message).toBe(
      'addons[0].configurationValues: ConfigurationValue provided in request is not supported: Json schema validation failed with error: [$.env.WARM_IP_TARGET: integer found, string expected]',
    );
    expect(e.where?.line).toBe(8);
  });

  it('rejects unknown top-level configuration keys', () => {
    expect(fail(`${head}addons:\n  - name: vpc-cni\n    configurationValues: '{"foo":1}'\n`).message).toContain(
      '[$.foo: is not defined in the schema and the schema does not allow additional properties]',
    );
  });
});

describe('kubewire Calico extension', () => {
  it('applies Calico defaults (operator EKS defaults)', () => {
    const s = parseClusterFile(`${head}kubewire:\n  cni: calico-vxlan\nmanagedNodeGroups:\n  - name: ng\n    maxPodsPerNode: 110\n`, 'c');
    expect(s.cni.type).toBe('calico-vxlan');
    expect(s.cni.calico).toEqual({ version: 'v3.32.1', ipPoolCidr: '172.16.0.0/16', blockSize: 26, vxlanMode: 'Always', ipipMode: 'Never', natOutgoing: true });
    expect(s.warnings).toBeUndefined();
  });

  it('takes overrides and warns about a pool overlapping the VPC or service CIDR', () => {
    const s = parseClusterFile(
      `${head}kubewire:\n  cni: calico-vxlan\n  calico:\n    ipPoolCIDR: 192.168.0.0/16\n    blockSize: 24\n    vxlanMode: CrossSubnet\n    natOutgoing: false\n    mtu: 1450\n`,
      'c',
    );
    expect(s.cni.calico).toMatchObject({ ipPoolCidr: '192.168.0.0/16', blockSize: 24, vxlanMode: 'CrossSubnet', natOutgoing: false, mtu: 1450 });
    expect(s.warnings!.some((w) => w.includes('overlaps the VPC CIDR'))).toBe(true);
    const t = parseClusterFile(`${head}kubewire:\n  cni: calico-vxlan\n  calico: {ipPoolCIDR: 10.100.0.0/16}\n`, 'c');
    expect(t.warnings!.some((w) => w.includes('overlaps the service CIDR 10.100.0.0/16'))).toBe(true);
  });

  it('warns when a node group has no maxPodsPerNode under Calico', () => {
    const s = parseClusterFile(`${head}kubewire: {cni: calico-vxlan}\nmanagedNodeGroups:\n  - name: ng\n`, 'c');
    expect(s.warnings!.some((w) => w.includes('maxPodsPerNode'))).toBe(true);
  });

  it('rejects bad Calico settings with their line', () => {
    const e = fail(`${head}kubewire:\n  cni: calico-vxlan\n  calico:\n    blockSize: 33\n`);
    expect(e.message).toBe('kubewire.calico.blockSize: IPv4 block size must be between 20 and 32');
    expect(e.where?.line).toBe(9);
    expect(fail(`${head}kubewire:\n  cni: weave\n`).message).toContain('kubewire.cni: Unsupported value: "weave"');
    expect(fail(`${head}kubewire:\n  cni: calico-vxlan\n  calico: {vxlanMode: Sometimes}\n`).message).toContain('Unsupported value: "Sometimes"');
    expect(fail(`${head}kubewire:\n  cni: calico-vxlan\n  calico: {ipipMode: Always}\n`).message).toContain('cannot use both IPIP and VXLAN');
  });
});
