// aws-node (ipamd + CNI plugin) configuration from the container environment.
//
// Defaults are those of the aws-node DaemonSet manifest (config/master/aws-k8s-cni.yaml), which
// sets e.g. ENABLE_IPv4=true, WARM_ENI_TARGET=1, WARM_PREFIX_TARGET=1; the EKS add-on's
// configurationValues.env overrides them. Parsing follows pkg/ipamd (strconv.Atoi for counts,
// strconv.ParseBool for booleans) and pkg/networkutils. Where aws-node would silently fall
// back to a default on a malformed value, we reject it with an error naming that default,
// since a simulation fed a typo should say so.

import { KubewireError } from '../../errors.ts';

/** The env the aws-node DaemonSet manifest sets. */
export const MANIFEST_ENV: Readonly<Record<string, string>> = {
  ADDITIONAL_ENI_TAGS: '{}',
  AWS_VPC_CNI_NODE_PORT_SUPPORT: 'true',
  AWS_VPC_ENI_MTU: '9001',
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'false',
  AWS_VPC_K8S_CNI_EXTERNALSNAT: 'false',
  AWS_VPC_K8S_CNI_RANDOMIZESNAT: 'prng',
  AWS_VPC_K8S_CNI_VETHPREFIX: 'eni',
  DISABLE_NETWORK_RESOURCE_PROVISIONING: 'false',
  ENABLE_IPv4: 'true',
  ENABLE_IPv6: 'false',
  ENABLE_POD_ENI: 'false',
  ENABLE_PREFIX_DELEGATION: 'false',
  WARM_ENI_TARGET: '1',
  WARM_PREFIX_TARGET: '1',
};

export type RandomizeSnat = 'none' | 'hashrandom' | 'prng';

export interface AwsNodeConfig {
  /** WARM_ENI_TARGET (code default 1). */
  warmEniTarget: number;
  /** WARM_IP_TARGET; 0 = not set. */
  warmIpTarget: number;
  /** MINIMUM_IP_TARGET; 0 = not set. */
  minimumIpTarget: number;
  /** WARM_PREFIX_TARGET (code default 0, manifest 1). */
  warmPrefixTarget: number;
  /** ENABLE_PREFIX_DELEGATION as configured (ipamd turns it off on non-Nitro instances). */
  prefixDelegation: boolean;
  /** MAX_ENI; -1 = instance limit. */
  maxEni: number;
  /** AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG. */
  customNetworking: boolean;
  /** AWS_VPC_K8S_CNI_VETHPREFIX. */
  vethPrefix: string;
  /** AWS_VPC_K8S_CNI_EXTERNALSNAT. */
  externalSnat: boolean;
  /** AWS_VPC_K8S_CNI_RANDOMIZESNAT. */
  randomizeSnat: RandomizeSnat;
  /** AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS. */
  excludeSnatCidrs: string[];
  /** AWS_EXTERNAL_SERVICE_CIDRS: destinations always routed through the main table (rules at 1535). */
  externalServiceCidrs: string[];
  /** AWS_VPC_ENI_MTU. */
  eniMtu: number;
  /** POD_MTU (defaults to AWS_VPC_ENI_MTU). */
  podMtu: number;
  /** IP_COOLDOWN_PERIOD in seconds (default 30). */
  ipCooldownPeriod: number;
  /** AWS_VPC_K8S_CNI_CONNMARK (default 0x80). */
  connmark: number;
  /** AWS_VPC_CNI_NODE_PORT_SUPPORT (default true). */
  nodePortSupport: boolean;
  /** DISABLE_NETWORK_RESOURCE_PROVISIONING. */
  disableEniProvisioning: boolean;
  /** ENABLE_POD_ENI (security groups for pods: reserves a slot for the trunk ENI). */
  enablePodEni: boolean;
  /** The merged environment the values came from. */
  env: Record<string, string>;
}

const MIN_MTU = 576;
const MAX_MTU = 9001;

function envError(name: string, value: string, what: string, fallback?: string): KubewireError {
  const fb = fallback !== undefined ? ` (aws-node would ignore it and use ${fallback})` : '';
  return new KubewireError(`aws-node env ${name}="${value}": ${what}${fb}`);
}

/** strconv.Atoi: optional sign, decimal digits. */
function atoi(name: string, v: string, fallback: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw envError(name, v, 'not an integer', fallback);
  return Number(v);
}

/** strconv.ParseBool. */
export function parseGoBool(name: string, v: string, fallback: boolean): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw envError(name, v, 'not a boolean (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)', String(fallback));
}

function nonNegative(name: string, env: Record<string, string>, dflt: number): number {
  const v = env[name];
  if (v === undefined) return dflt;
  const n = atoi(name, v, String(dflt));
  if (n < 0) throw envError(name, v, 'must not be negative', String(dflt));
  return n;
}

function bool(name: string, env: Record<string, string>, dflt: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  return parseGoBool(name, v, dflt);
}

function mtu(name: string, v: string): number {
  const n = atoi(name, v, String(MAX_MTU));
  if (n < MIN_MTU || n > MAX_MTU) throw envError(name, v, `MTU must be between ${MIN_MTU} and ${MAX_MTU}`, String(MAX_MTU));
  return n;
}

function parseCidrList(name: string, v: string): string[] {
  const out: string[] = [];
  for (const raw of v.split(',')) {
    const s = raw.trim();
    if (s === '') continue;
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
      throw envError(name, v, `"${s}" is not an IPv4 CIDR`);
    }
    out.push(s);
  }
  return out;
}

/** aws-node's effective configuration: manifest defaults, then `env` (the add-on's configurationValues.env). */
export function parseAwsNodeEnv(env: Record<string, string> = {}): AwsNodeConfig {
  const e: Record<string, string> = { ...MANIFEST_ENV, ...env };

  if (bool('ENABLE_IPv6', e, false)) {
    throw new KubewireError('aws-node env ENABLE_IPv6=true: IPv6 clusters are not simulated (only IPv4)');
  }
  if (!bool('ENABLE_IPv4', e, false)) {
    throw new KubewireError('aws-node env ENABLE_IPv4 is false: IPv4 and IPv6 are both disabled. One of them have to be enabled');
  }

  let maxEni = -1;
  if (e.MAX_ENI !== undefined) {
    const n = atoi('MAX_ENI', e.MAX_ENI, 'the instance limit');
    maxEni = n >= 1 ? n : -1; // getMaxENI: values below 1 mean "instance limit"
  }

  const vethPrefix = e.AWS_VPC_K8S_CNI_VETHPREFIX ?? 'eni';
  if (vethPrefix.length > 4) {
    throw envError('AWS_VPC_K8S_CNI_VETHPREFIX', vethPrefix, 'must be at most 4 characters');
  }
  if (['eth', 'vlan', 'lo'].includes(vethPrefix)) {
    throw envError('AWS_VPC_K8S_CNI_VETHPREFIX', vethPrefix, 'cannot be "eth", "vlan" or "lo"');
  }

  const rs = e.AWS_VPC_K8S_CNI_RANDOMIZESNAT ?? 'prng';
  if (rs !== 'none' && rs !== 'hashrandom' && rs !== 'prng') {
    throw envError('AWS_VPC_K8S_CNI_RANDOMIZESNAT', rs, 'must be "none", "hashrandom" or "prng"', 'prng');
  }

  const eniMtu = e.AWS_VPC_ENI_MTU !== undefined ? mtu('AWS_VPC_ENI_MTU', e.AWS_VPC_ENI_MTU) : MAX_MTU;
  const podMtu = e.POD_MTU !== undefined && e.POD_MTU !== '' ? mtu('POD_MTU', e.POD_MTU) : eniMtu;

  let connmark = 0x80;
  if (e.AWS_VPC_K8S_CNI_CONNMARK !== undefined) {
    const v = e.AWS_VPC_K8S_CNI_CONNMARK;
    const n = /^0[xX][0-9a-fA-F]+$/.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n <= 0 || n > 0xffffffff) {
      throw envError('AWS_VPC_K8S_CNI_CONNMARK', v, 'must be a 32-bit mark (decimal or 0x hex)', '0x80');
    }
    connmark = n;
  }

  return {
    warmEniTarget: nonNegative('WARM_ENI_TARGET', e, 1),
    warmIpTarget: nonNegative('WARM_IP_TARGET', e, 0),
    minimumIpTarget: nonNegative('MINIMUM_IP_TARGET', e, 0),
    warmPrefixTarget: nonNegative('WARM_PREFIX_TARGET', e, 0),
    prefixDelegation: bool('ENABLE_PREFIX_DELEGATION', e, false),
    maxEni,
    customNetworking: bool('AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', e, false),
    vethPrefix,
    externalSnat: bool('AWS_VPC_K8S_CNI_EXTERNALSNAT', e, false),
    randomizeSnat: rs,
    excludeSnatCidrs: e.AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS
      ? parseCidrList('AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS', e.AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS)
      : [],
    externalServiceCidrs: e.AWS_EXTERNAL_SERVICE_CIDRS ? parseCidrList('AWS_EXTERNAL_SERVICE_CIDRS', e.AWS_EXTERNAL_SERVICE_CIDRS) : [],
    eniMtu,
    podMtu,
    ipCooldownPeriod: nonNegative('IP_COOLDOWN_PERIOD', e, 30),
    connmark,
    nodePortSupport: bool('AWS_VPC_CNI_NODE_PORT_SUPPORT', e, true),
    disableEniProvisioning: bool('DISABLE_NETWORK_RESOURCE_PROVISIONING', e, false),
    enablePodEni: bool('ENABLE_POD_ENI', e, false),
    env: e,
  };
}
