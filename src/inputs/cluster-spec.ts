// The validated, defaulted cluster description that the control plane builds from.
// Produced by inputs/cluster-file.ts from an eksctl ClusterConfig (or the embedded default).

export type CniType = 'vpc-cni' | 'calico-vxlan';

export interface SubnetSpec {
  /** Deterministic pseudo AWS id, e.g. "subnet-0a1b2c3d4e5f60718". */
  id: string;
  /** eksctl's naming: "SubnetPublicUSWEST2A" / "SubnetPrivateUSWEST2A". */
  name: string;
  az: string;
  cidr: string;
  public: boolean;
}

export interface NodeGroupSpec {
  name: string;
  managed: boolean;
  instanceType: string;
  desiredCapacity: number;
  /** AZs this group's nodes are spread over (defaults to the cluster's). */
  availabilityZones: string[];
  /** eksctl maxPodsPerNode override (kubelet --max-pods). */
  maxPodsPerNode?: number;
  /** eksctl privateNetworking: nodes in private subnets (eksctl default for managed groups: false → public). */
  privateNetworking: boolean;
  labels: Record<string, string>;
}

export interface VpcCniSettings {
  /** aws-node container env from addons[vpc-cni].configurationValues.env. */
  env: Record<string, string>;
  version: string;
  /** configurationValues.enableNetworkPolicy: the network policy agent (aws-node's second container) enforces NetworkPolicies. */
  enableNetworkPolicy?: boolean;
}

export interface CalicoSettings {
  version: string;
  ipPoolCidr: string;
  blockSize: number;
  vxlanMode: 'Always' | 'CrossSubnet' | 'Never';
  ipipMode: 'Always' | 'CrossSubnet' | 'Never';
  natOutgoing: boolean;
  mtu?: number;
}

/** How the cluster reached its current CNI when it was migrated on a running cluster. */
export interface CniMigration {
  from: 'vpc-cni';
  /** Calico install path: the Tigera operator (Installation CR) or the calico-vxlan.yaml manifest. */
  install: 'operator' | 'manifest';
  /** Logical clock of the migration. */
  clock: number;
  /** Whether /etc/cni/net.d/10-aws.conflist was left on the nodes (containerd then keeps using aws-cni). */
  keptAwsConflist: boolean;
}

export interface ClusterSpec {
  name: string;
  region: string;
  kubernetesVersion: string;
  vpc: {
    id: string;
    cidr: string;
    subnets: SubnetSpec[];
  };
  availabilityZones: string[];
  serviceIPv4CIDR: string;
  nodeGroups: NodeGroupSpec[];
  cni: {
    type: CniType;
    vpcCni: VpcCniSettings;
    calico?: CalicoSettings;
    /** Set when a running VPC CNI cluster was migrated to Calico (`kubewire cni migrate`). */
    migration?: CniMigration;
  };
  /** Where the spec came from, for messages ("<embedded default>" or a path). */
  source: string;
  /** Non-fatal findings while reading the file (e.g. a Calico pool overlapping the VPC). */
  warnings?: string[];
}
