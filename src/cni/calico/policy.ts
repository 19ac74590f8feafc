// Felix's rendering of Kubernetes NetworkPolicies (research note §10.3–§10.6): each policy that
// selects a local workload becomes a cali-pi-<id> (ingress) and cali-po-<id> (egress) chain, the
// workload's cali-tw-/cali-fw- chain jumps to them in tier "default" (order 1000, then by name),
// and every selector peer is an ipset of pod IPs. Written from the Felix and libcalico-go sources:
// - libcalico-go k8s conversion (k8sRuleToCalico): one Calico rule per protocol (sorted) × peer,
//   all ports of that protocol in the rule; no ports = any protocol; ipBlock = nets + notNets;
// - felix/rules/policy.go (PolicyToIptablesChains, ProtoRuleToIptablesRules): "allow" renders as
//   <match> → MARK 0x10000, then "mark 0x10000 → RETURN"; a trailing RETURN is stripped; the
//   policy comment goes on the chain's first rule (an empty policy keeps one comment-only rule);
//   several ports/named ports or except-lists become match blocks on the scratch mark bits;
// - felix/rules/endpoints.go: per tier "Start of tier …", per policy "mark 0/0x20000 → policy
//   chain" + "Return if policy accepted", then the end-of-tier drop (research §10.3, §14).
// Names follow §10.4 (chain IDs by version; ipsets cali40s:/cali40n: + hashed selector). The
// selector text hashed for ipset names is kubewire's rendering of the converted selector; the
// names are stable but not checked against a real node.

import type { ClusterState } from '../../control-plane/types.ts';
import type { V1LabelSelector, V1Namespace, V1NetworkPolicy, V1Pod } from '../../k8s/types.ts';
import { selectorMatches } from '../../k8s/validation.ts';
import { policyTypesOf } from '../../netpol/evaluate.ts';
import { base64Url, sha224 } from './sha224.ts';
import { sha3_224 } from './sha3.ts';
import { felixChainName, markBits, MARK_ACCEPT, MARK_PASS, type FelixChain, type FelixRule, type IpSetData, type WorkloadEndpoint } from './iptables.ts';
import { parseCalicoVersion, versionFeatures, type CalicoVersion } from './version.ts';

const NS_NAME_LABEL = 'kubernetes.io/metadata.name';
/** iptables multiport takes 15 slots (a range uses two). */
const MULTIPORT_SLOTS = 15;
const IPSET_NAME_MAX = 31;

type Dir = 'ingress' | 'egress';
type Proto = 'TCP' | 'UDP' | 'SCTP';

/** Which policy and rule a rendered iptables rule came from. */
export interface RuleOrigin {
  /** 0-based index into spec.ingress / spec.egress. */
  rule: number;
  /** Index into the rule's from/to (null: no peers listed). */
  peer: number | null;
  /** True for the rule that sets the accept mark (the one that decides "allowed"). */
  accepts: boolean;
}

export interface PolicyChainOrigin {
  policy: { namespace: string; name: string };
  direction: Dir;
  /** One entry per iptables rule of the chain (1-based rule n is origins[n-1]). */
  rules: Array<RuleOrigin | undefined>;
}

export interface FelixPolicyState {
  /** Per local endpoint (host interface): the policy chains that apply to it, in order. */
  endpoints: Record<string, { ingress: string[]; egress: string[] }>;
  /** Per local endpoint: what its tw/fw chain jumps to (policy chains, or policy-group chains). */
  jumps: Record<string, { ingress: string[]; egress: string[] }>;
  /** cali-pi-/cali-po- chains of every policy that selects a local endpoint. */
  chains: FelixChain[];
  /** cali40s:/cali40n: sets those chains match on. */
  ipsets: Record<string, IpSetData>;
  /** Chain name → the policy (and per rule, the policy rule) it renders. */
  origins: Record<string, PolicyChainOrigin>;
}

// ---- version-dependent naming (§10.4, §14) -------------------------------------------------

function atLeast(v: CalicoVersion, minor: number): boolean {
  return v.major > 3 || (v.major === 3 && v.minor >= minor);
}

/** The policy ID Felix hashes into chain names. */
export function knpPolicyId(v: CalicoVersion, namespace: string, name: string): string {
  if (atLeast(v, 32)) return `knp/${namespace}/${name}`;
  if (atLeast(v, 29)) return `default/${namespace}/knp.default.${name}`;
  return `${namespace}/knp.default.${name}`;
}

/** The comment on a policy chain's first rule. */
export function knpChainComment(v: CalicoVersion, namespace: string, name: string, dir: Dir): string {
  if (atLeast(v, 32)) return `KubernetesNetworkPolicy ${namespace}/${name} ${dir}`;
  return `Policy ${namespace}/knp.default.${name} ${dir}`;
}

export function knpChainName(v: CalicoVersion, namespace: string, name: string, dir: Dir): string {
  return felixChainName(dir === 'ingress' ? 'cali-pi-' : 'cali-po-', knpPolicyId(v, namespace, name));
}

/** The endpoint-chain rule that opens a tier (none in v3.28). */
export function tierStartComment(v: CalicoVersion): string | undefined {
  if (atLeast(v, 29)) return 'Start of tier default';
  if (atLeast(v, 28)) return undefined;
  return 'Start of policies';
}

export function tierEndComment(v: CalicoVersion): string {
  return atLeast(v, 30) ? 'End of tier default. Drop if no policies passed packet' : 'Drop if no policies passed packet';
}

// ---- selectors as libcalico-go converts them (text used for ipset names only) ----------------

const q = (s: string) => `'${s}'`;

function selectorTerms(sel: V1LabelSelector | undefined, keyPrefix: string): string[] {
  const terms: string[] = [];
  const ml = (sel?.matchLabels ?? {}) as Record<string, string>;
  for (const k of Object.keys(ml).sort()) terms.push(`${keyPrefix}${k} == ${q(ml[k]!)}`);
  for (const e of sel?.matchExpressions ?? []) {
    const k = `${keyPrefix}${e.key}`;
    const vals = `{${(e.values ?? []).map(q).join(', ')}}`;
    if (e.operator === 'In') terms.push(`${k} in ${vals}`);
    else if (e.operator === 'NotIn') terms.push(`${k} not in ${vals}`);
    else if (e.operator === 'Exists') terms.push(`has(${k})`);
    else if (e.operator === 'DoesNotExist') terms.push(`! has(${k})`);
  }
  return terms;
}

/** The combined selector of a peer (pods in namespaces), as Felix's rule scanner sees it. */
function peerSelectorText(policyNs: string, podSel: V1LabelSelector | undefined, nsSel: V1LabelSelector | undefined): string {
  const pod = [`projectcalico.org/orchestrator == ${q('k8s')}`, ...selectorTerms(podSel, '')].join(' && ');
  const ns = nsSel ? selectorTerms(nsSel, 'pcns.').join(' && ') || 'all()' : `projectcalico.org/namespace == ${q(policyNs)}`;
  return `(${ns}) && (${pod})`;
}

function ipsetName(kind: 's' | 'n', text: string): string {
  const id = `${kind}:${base64Url(sha224(new TextEncoder().encode(text)))}`;
  return `cali40${id}`.slice(0, IPSET_NAME_MAX);
}

// ---- the cluster as Felix's calculation graph sees it ----------------------------------------

interface Endpoint {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ip: string;
  ports: Array<{ name?: string; port: number; protocol: string }>;
}

interface World {
  endpoints: Endpoint[];
  nsLabels: Map<string, Record<string, string>>;
  policies: V1NetworkPolicy[];
}

function worldOf(cluster: ClusterState): World {
  const endpoints: Endpoint[] = [];
  const nsLabels = new Map<string, Record<string, string>>();
  const policies: V1NetworkPolicy[] = [];
  for (const [k, o] of Object.entries(cluster.objects)) {
    if (k.startsWith('Pod/')) {
      const p = o as unknown as V1Pod;
      // Workload endpoints: pods with an address of their own that have not finished.
      if (p.spec?.hostNetwork || !p.status?.podIP || p.status.phase === 'Succeeded' || p.status.phase === 'Failed') continue;
      const ports: Endpoint['ports'] = [];
      for (const c of p.spec?.containers ?? []) for (const cp of c.ports ?? []) ports.push({ name: cp.name, port: cp.containerPort, protocol: cp.protocol ?? 'TCP' });
      endpoints.push({ namespace: p.metadata?.namespace ?? 'default', name: p.metadata?.name ?? '', labels: (p.metadata?.labels ?? {}) as Record<string, string>, ip: p.status.podIP, ports });
    } else if (k.startsWith('Namespace/')) {
      const n = o as unknown as V1Namespace;
      const name = n.metadata?.name ?? '';
      nsLabels.set(name, { [NS_NAME_LABEL]: name, ...((n.metadata?.labels ?? {}) as Record<string, string>) });
    } else if (k.startsWith('NetworkPolicy/')) {
      policies.push(o as unknown as V1NetworkPolicy);
    }
  }
  // Tier "default", all KNPs at order 1000: ties broken by name (namespace/name here).
  policies.sort((a, b) => {
    const ka = `${a.metadata?.namespace ?? 'default'}/${a.metadata?.name ?? ''}`;
    const kb = `${b.metadata?.namespace ?? 'default'}/${b.metadata?.name ?? ''}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return { endpoints, nsLabels, policies };
}

const nsLabelsOf = (w: World, ns: string) => w.nsLabels.get(ns) ?? { [NS_NAME_LABEL]: ns };

// ---- rule rendering -----------------------------------------------------------------------

interface PortRange {
  first: number;
  last: number;
}

interface CalicoRule {
  /** undefined: any protocol. */
  protocol?: Proto;
  ports: PortRange[];
  namedPorts: string[];
  /** The peer: a selector (pods) or nets, or nothing (any). */
  peer?: { selector: string; podSel?: V1LabelSelector; nsSel?: V1LabelSelector } | { net: string; notNets: string[] };
  origin: { rule: number; peer: number | null };
}

/** Sort, then merge overlapping and adjacent ranges (libcalico-go SimplifyPorts). */
function simplifyPorts(ps: PortRange[]): PortRange[] {
  const s = [...ps].sort((a, b) => a.first - b.first || a.last - b.last);
  const out: PortRange[] = [];
  for (const p of s) {
    const last = out[out.length - 1];
    if (last && p.first <= last.last + 1) last.last = Math.max(last.last, p.last);
    else out.push({ ...p });
  }
  return out;
}

interface K8sPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface K8sPeer {
  podSelector?: V1LabelSelector;
  namespaceSelector?: V1LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

/** libcalico-go's k8sRuleToCalico: one rule per protocol (sorted) × peer. */
function convertRule(policyNs: string, ri: number, peers: K8sPeer[] | undefined, ports: K8sPort[] | undefined): CalicoRule[] {
  const byProto = new Map<string, { ports: PortRange[]; named: string[]; all: boolean }>();
  let any = false;
  for (const p of ports ?? []) {
    const proto = p.protocol ?? 'TCP';
    const cur = byProto.get(proto) ?? { ports: [], named: [], all: false };
    if (p.port === undefined || p.port === null) cur.all = true;
    else if (typeof p.port === 'number') cur.ports.push({ first: p.port, last: p.endPort ?? p.port });
    else if (/^\d+$/.test(p.port)) cur.ports.push({ first: Number(p.port), last: p.endPort ?? Number(p.port) });
    else cur.named.push(p.port);
    byProto.set(proto, cur);
  }
  if ((ports ?? []).length === 0) any = true;
  const protos = any ? [''] : [...byProto.keys()].sort();
  const peerList: Array<K8sPeer | undefined> = peers && peers.length > 0 ? peers : [undefined];
  const out: CalicoRule[] = [];
  for (const proto of protos) {
    const pp = byProto.get(proto);
    const all = !pp || pp.all;
    for (let pi = 0; pi < peerList.length; pi++) {
      const peer = peerList[pi];
      let cpeer: CalicoRule['peer'];
      if (peer?.ipBlock) cpeer = { net: peer.ipBlock.cidr, notNets: peer.ipBlock.except ?? [] };
      else if (peer) cpeer = { selector: peerSelectorText(policyNs, peer.podSelector, peer.namespaceSelector), podSel: peer.podSelector, nsSel: peer.namespaceSelector };
      out.push({
        protocol: proto ? (proto as Proto) : undefined,
        ports: all ? [] : simplifyPorts(pp!.ports),
        namedPorts: all ? [] : [...new Set(pp!.named)].sort(),
        peer: cpeer,
        origin: { rule: ri, peer: peers && peers.length > 0 ? pi : null },
      });
    }
  }
  return out;
}

function splitPorts(ps: PortRange[]): PortRange[][] {
  const splits: PortRange[][] = [];
  let cur: PortRange[] = [];
  let slots = MULTIPORT_SLOTS;
  for (const p of ps) {
    const need = p.first === p.last ? 1 : 2;
    if (slots < need) {
      splits.push(cur);
      cur = [];
      slots = MULTIPORT_SLOTS;
    }
    cur.push(p);
    slots -= need;
  }
  if (cur.length) splits.push(cur);
  return splits;
}

const hx = (n: number) => (n === 0 ? '0' : `0x${n.toString(16)}`);
const portText = (ps: PortRange[]) => ps.map((p) => (p.first === p.last ? `${p.first}` : `${p.first}:${p.last}`)).join(',');
const protoMatch = (p: Proto | undefined) => (p ? `-p ${p.toLowerCase()}` : '');
const join = (...xs: Array<string | undefined>) => xs.filter((x) => x).join(' ');

interface Rendered {
  rules: FelixRule[];
  origins: Array<RuleOrigin | undefined>;
}

/**
 * One Calico rule → iptables rules (ProtoRuleToIptablesRules): match blocks when the ports or the
 * except-list do not fit one rule, then the match + accept mark, then "mark → RETURN".
 */
function renderRule(r: CalicoRule, dir: Dir, sets: (kind: 's' | 'n', text: string, members: () => string[]) => string, world: World, scratch: { s0: number; s1: number }): Rendered {
  const out: Rendered = { rules: [], origins: [] };
  const originOf = (accepts: boolean): RuleOrigin => ({ rule: r.origin.rule, peer: r.origin.peer, accepts });
  const push = (fr: FelixRule, accepts = false) => {
    out.rules.push(fr);
    out.origins.push(originOf(accepts));
  };
  // The rule's "to" side for named ports: egress peers, ingress any endpoint (the policy's own pods).
  const portSide = 'dst';
  const peerSide = dir === 'ingress' ? 'src' : 'dst';
  const selPeer = r.peer && 'selector' in r.peer ? r.peer : undefined;
  const netPeer = r.peer && 'net' in r.peer ? r.peer : undefined;
  const namedSets = r.namedPorts.map((np) => {
    // Named-port sets hold (IP, proto:port) of the endpoints matching the rule's destination selector.
    const dstSel = dir === 'egress' && selPeer ? selPeer.selector : 'all()';
    const proto = (r.protocol ?? 'TCP').toLowerCase();
    return sets('n', `${proto}:${np}:${dstSel}`, () =>
      world.endpoints
        .filter((e) => (dir === 'egress' && selPeer ? peerMatches(world, e, selPeer) : true))
        .flatMap((e) => e.ports.filter((p) => p.name === np && p.protocol === (r.protocol ?? 'TCP')).map((p) => `${e.ip},${proto}:${p.port}`)),
    );
  });
  let usingBlocks = false;
  let donePositive = false;
  const initial = (setBits: number) => {
    if (usingBlocks) return;
    push({ action: `--jump MARK --set-mark ${hx(setBits)}/${hx(scratch.s0 | scratch.s1)}` });
    usingBlocks = true;
  };
  let ports = r.ports;
  let named = namedSets;
  const splits = splitPorts(ports);
  if (splits.length + named.length > 1) {
    initial(0);
    const bit = donePositive ? scratch.s1 : scratch.s0;
    for (const s of splits) push({ match: join(protoMatch(r.protocol), `-m multiport --destination-ports ${portText(s)}`), action: `--jump MARK --set-mark ${hx(bit)}/${hx(bit)}` });
    for (const n of named) push({ match: `-m set --match-set ${n} ${portSide},${portSide}`, action: `--jump MARK --set-mark ${hx(bit)}/${hx(bit)}` });
    if (donePositive) push({ match: `-m mark --mark 0/${hx(scratch.s1)}`, action: `--jump MARK --set-mark 0/${hx(scratch.s0)}` });
    donePositive = true;
    ports = [];
    named = [];
  }
  let notNets: string[] = netPeer?.notNets ?? [];
  if (netPeer && 1 + notNets.length > 1) {
    initial(scratch.s0);
    for (const n of notNets) push({ match: `${peerSide === 'src' ? '--source' : '--destination'} ${n}`, action: `--jump MARK --set-mark 0/${hx(scratch.s0)}` });
    notNets = [];
  }
  // The main rule, in CalculateRuleMatch's order: protocol, source net/sets, destination net/sets/ports.
  const peerSet = selPeer ? sets('s', selPeer.selector, () => world.endpoints.filter((e) => peerMatches(world, e, selPeer)).map((e) => e.ip)) : undefined;
  const parts: string[] = [protoMatch(r.protocol)];
  if (peerSide === 'src') {
    if (netPeer) parts.push(`--source ${netPeer.net}`);
    if (peerSet) parts.push(`-m set --match-set ${peerSet} src`);
  } else {
    if (netPeer) parts.push(`--destination ${netPeer.net}`);
    if (peerSet) parts.push(`-m set --match-set ${peerSet} dst`);
  }
  if (ports.length) parts.push(`-m multiport --destination-ports ${portText(ports)}`);
  for (const n of named) parts.push(`-m set --match-set ${n} ${portSide},${portSide}`);
  if (usingBlocks) parts.push(`-m mark --mark ${hx(scratch.s0)}/${hx(scratch.s0)}`);
  push({ match: join(...parts), action: `--jump MARK --set-mark ${hx(MARK_ACCEPT)}/${hx(MARK_ACCEPT)}` }, true);
  push({ match: `-m mark --mark ${hx(MARK_ACCEPT)}/${hx(MARK_ACCEPT)}`, action: '--jump RETURN' });
  return out;
}

function peerMatches(w: World, e: Endpoint, p: { podSel?: V1LabelSelector; nsSel?: V1LabelSelector }, policyNs?: string): boolean {
  if (p.nsSel) {
    if (!selectorMatches(p.nsSel, nsLabelsOf(w, e.namespace))) return false;
  } else if (policyNs !== undefined && e.namespace !== policyNs) return false;
  return p.podSel ? selectorMatches(p.podSel, e.labels) : true;
}

// ---- per node --------------------------------------------------------------------------------

/**
 * What Felix programs on `nodeName` for the cluster's NetworkPolicies: the policy chains of every
 * policy selecting one of `local` (host interface → "namespace/pod"), each endpoint's ordered
 * policy list per direction, and the ipsets.
 */
export function felixPolicyState(cluster: ClusterState, version: string, local: Record<string, string>): FelixPolicyState {
  const v = parseCalicoVersion(version);
  const mk = markBits(versionFeatures(v));
  const scratch = { s0: mk.scratch0, s1: mk.scratch1 };
  const w = worldOf(cluster);
  const byKey = new Map(w.endpoints.map((e) => [`${e.namespace}/${e.name}`, e]));
  const state: FelixPolicyState = { endpoints: {}, jumps: {}, chains: [], ipsets: {}, origins: {} };
  const sets = (kind: 's' | 'n', text: string, members: () => string[]) => {
    const name = ipsetName(kind, text);
    if (!state.ipsets[name]) state.ipsets[name] = { type: kind === 's' ? 'hash:net' : 'hash:ip,port', members: [...new Set(members())].sort() };
    return name;
  };
  const rendered = new Set<string>();
  for (const [iface, key] of Object.entries(local).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const ep = byKey.get(key);
    const mine = { ingress: [] as string[], egress: [] as string[] };
    const groups = { ingress: [] as Array<{ selector: string; policies: Array<{ namespace: string; name: string; chain: string }> }>, egress: [] as Array<{ selector: string; policies: Array<{ namespace: string; name: string; chain: string }> }> };
    state.endpoints[iface] = mine;
    state.jumps[iface] = { ingress: [], egress: [] };
    if (!ep) continue;
    for (const np of w.policies) {
      const ns = np.metadata?.namespace ?? 'default';
      const name = np.metadata?.name ?? '';
      if (ns !== ep.namespace || !selectorMatches(np.spec?.podSelector ?? {}, ep.labels)) continue;
      const types = policyTypesOf(np);
      for (const dir of ['ingress', 'egress'] as const) {
        if (!types.includes(dir === 'ingress' ? 'Ingress' : 'Egress')) continue;
        const chain = knpChainName(v, ns, name, dir);
        mine[dir].push(chain);
        // Consecutive policies with the same selector form a policy group.
        const selector = policySelectorText(ns, np.spec?.podSelector);
        const last = groups[dir][groups[dir].length - 1];
        if (last && last.selector === selector) last.policies.push({ namespace: ns, name, chain });
        else groups[dir].push({ selector, policies: [{ namespace: ns, name, chain }] });
        if (rendered.has(chain)) continue;
        rendered.add(chain);
        const rules: FelixRule[] = [];
        const origins: Array<RuleOrigin | undefined> = [];
        const k8sRules = (dir === 'ingress' ? np.spec?.ingress : np.spec?.egress) ?? [];
        k8sRules.forEach((kr, ri) => {
          const peers = (dir === 'ingress' ? (kr as { from?: K8sPeer[] }).from : (kr as { to?: K8sPeer[] }).to) ?? undefined;
          for (const cr of convertRule(ns, ri, peers, kr.ports as K8sPort[] | undefined)) {
            // A selector peer without a namespaceSelector is confined to the policy's namespace.
            const bound: CalicoRule = cr.peer && 'selector' in cr.peer && !cr.peer.nsSel ? { ...cr, peer: { ...cr.peer, nsSel: { matchLabels: { [NS_NAME_LABEL]: ns } } } } : cr;
            const r = renderRule(bound, dir, sets, w, scratch);
            rules.push(...r.rules);
            origins.push(...r.origins);
          }
        });
        // Trailing RETURNs are no-ops and Felix strips them.
        while (rules.length && rules[rules.length - 1]!.action === '--jump RETURN') {
          rules.pop();
          origins.pop();
        }
        if (rules.length === 0) {
          rules.push({ action: '' });
          origins.push(undefined);
        }
        rules[0] = { ...rules[0]!, comment: [...(rules[0]!.comment ?? []), knpChainComment(v, ns, name, dir)] };
        state.chains.push({ table: 'filter', name: chain, rules });
        state.origins[chain] = { policy: { namespace: ns, name }, direction: dir, rules: origins };
      }
    }
    for (const dir of ['ingress', 'egress'] as const) {
      for (const g of groups[dir]) {
        if (g.policies.length === 1 || !atLeast(v, 28)) {
          state.jumps[iface]![dir].push(...g.policies.map((p) => p.chain));
          continue;
        }
        const name = policyGroupChainName(v, dir, g.selector, g.policies);
        state.jumps[iface]![dir].push(name);
        if (!state.chains.some((c) => c.name === name)) state.chains.push({ table: 'filter', name, rules: policyGroupRules(g.policies.map((p) => p.chain)) });
      }
    }
  }
  return state;
}

/** The selector of a Kubernetes NetworkPolicy as Calico holds it (namespace and pod terms). */
function policySelectorText(ns: string, podSel: V1LabelSelector | undefined): string {
  return `(projectcalico.org/namespace == ${q(ns)}) && (${[`projectcalico.org/orchestrator == ${q('k8s')}`, ...selectorTerms(podSel, '')].join(' && ')})`;
}

/**
 * A policy group's chain (felix/rules PolicyGroup.UniqueID): cali-gi-/cali-go- + the first 20 characters of
 * base64url(SHA3-224) over newline-terminated fields — from v3.32 selector, direction, count and each policy
 * ID's String(); before, tier, selector, direction, count and each policy name.
 */
export function policyGroupChainName(v: CalicoVersion, dir: Dir, selector: string, policies: Array<{ namespace: string; name: string }>): string {
  const direction = dir === 'ingress' ? 'inbound' : 'outbound';
  const fields = atLeast(v, 32)
    ? [selector, direction, String(policies.length), ...policies.map((p) => `{Name: ${p.name}, Namespace: ${p.namespace}, Kind: KubernetesNetworkPolicy}`)]
    : ['default', selector, direction, String(policies.length), ...policies.map((p) => `${p.namespace}/knp.default.${p.name}`)];
  const uid = base64Url(sha3_224(new TextEncoder().encode(fields.map((f) => `${f}\n`).join('')))).slice(0, 20);
  return `${dir === 'ingress' ? 'cali-gi-' : 'cali-go-'}${uid}`;
}

/**
 * A policy group's rules (PolicyGroupToIptablesChains): jump to each policy in turn while no verdict is set
 * (accept or pass); every fifth jump is preceded by "Return on verdict" and needs no mark check.
 */
function policyGroupRules(chains: string[]): FelixRule[] {
  const verdictBits = MARK_ACCEPT | MARK_PASS;
  const rules: FelixRule[] = [];
  chains.forEach((c, i) => {
    if (i !== 0 && i % 5 === 0) rules.push({ match: `-m mark ! --mark 0/${hx(verdictBits)}`, action: '--jump RETURN', comment: ['Return on verdict'] });
    rules.push({ match: i % 5 === 0 ? undefined : `-m mark --mark 0/${hx(verdictBits)}`, action: `--jump ${c}` });
  });
  return rules;
}

/** Local workloads ("namespace/pod" → record with its host interface) as interface → pod key. */
function localOf(pods: Record<string, { hostIf: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, p] of Object.entries(pods)) out[p.hostIf] = key;
  return out;
}

/** The endpoints with their policy chains, and those chains, for applyFelixIptables. */
export function felixPolicyInput(
  cluster: ClusterState,
  version: string,
  pods: Record<string, { hostIf: string }>,
  endpoints: WorkloadEndpoint[],
): { endpoints: WorkloadEndpoint[]; policyChains: FelixChain[] } {
  const st = felixPolicyState(cluster, version, localOf(pods));
  return {
    endpoints: endpoints.map((e) => ({ ...e, ingressPolicies: st.jumps[e.iface]?.ingress ?? [], egressPolicies: st.jumps[e.iface]?.egress ?? [] })),
    policyChains: st.chains,
  };
}

/** The selector and named-port ipsets of a node's policy chains. */
export function felixPolicyIpsets(cluster: ClusterState, version: string, pods: Record<string, { hostIf: string }>): Record<string, IpSetData> {
  return felixPolicyState(cluster, version, localOf(pods)).ipsets;
}
