// The AWS side of the cluster: VPC, subnets, ENIs and who owns each private IP.
// The VPC fabric delivers a packet to the ENI that owns its destination IP.

export interface SubnetState {
  id: string;
  az: string;
  cidr: string;
  public: boolean;
  /** IPs handed out in this subnet → owning ENI id (AWS reserves the first four and the last). */
  used: Record<string, string>;
}

export interface Eni {
  id: string;
  subnetId: string;
  /** Instance it is attached to (absent when detached). */
  instanceId?: string;
  /** 0 = primary ENI (eth0), 1 = eth1, ... */
  deviceIndex?: number;
  mac: string;
  primaryIp: string;
  secondaryIps: string[];
  /** /28 prefixes (prefix delegation). */
  prefixes: string[];
  sourceDestCheck: boolean;
  securityGroups: string[];
  description?: string;
}

export interface VpcState {
  id: string;
  cidr: string;
  subnets: SubnetState[];
  enis: Eni[];
  /** Counter for deterministic resource ids. */
  nextId: number;
}
