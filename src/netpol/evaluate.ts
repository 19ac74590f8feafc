// NetworkPolicy semantics (networking.k8s.io/v1), as the API reference and the upstream e2e suite define them:
// - a policy selects the non-hostNetwork pods of its namespace matching spec.podSelector, per direction in spec.policyTypes
//   (inferred when absent: Ingress always, Egress when spec.egress has rules);
// - a pod selected for a direction is isolated in it: only what some rule of some selecting policy allows passes (union);
// - a rule matches when one of its peers (none listed = all) and one of its ports (none listed = all) match;
// - a peer is podSelector (policy's namespace), namespaceSelector (any pod of the matching namespaces), both (AND),
//   or ipBlock (cidr minus except, on the peer's IP: pod IPs included, as the e2e ipBlock cases probe pod IPs);
// - hostNetwork pods are never selected, and as peers only an ipBlock holding their (node) IP matches them;
// - a connection passes when the source's egress and the destination's ingress both allow it;
// - exceptions (concepts page): a pod cannot block access to itself (loopback), and traffic between a pod and the
//   node it runs on is always allowed (the node's IPs are taken from the pods' status.hostIPs).
import ipaddr from 'ipaddr.js';
import { KubewireError } from '../errors.ts';
import type { V1Namespace, V1NetworkPolicy, V1Pod, V1LabelSelector } from '../k8s/types.ts';
import { invalidMessage, parseCIDRv4, parseIPv4, selectorMatches, validateNetworkPolicy } from '../k8s/validation.ts';
import type { AllowingRule, Connection, DirectionVerdict, Peer, PolicyInputs, PolicyRef, Protocol, Subject, Verdict } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const set = (v: unknown): boolean => v !== undefined && v !== null;

/** The metadata.name label the API server puts on every namespace (used when the Namespace object is missing). */
const NS_NAME_LABEL = 'kubernetes.io/metadata.name';

interface CompiledPort {
  protocol: Protocol;
  /** undefined: every port of the protocol. */
  port?: number | string;
  endPort?: number;
}
interface CompiledPeer {
  podSelector?: V1LabelSelector;
  namespaceSelector?: V1LabelSelector;
  ipBlock?: { cidr: string; except: string[] };
  /** Memo of this peer's verdict on a pod (selectors) or an IP (ipBlock): the matrix asks the same questions often. */
  memo: Map<PodView | string, boolean>;
}
interface CompiledRule {
  /** null: no from/to listed (every peer). */
  peers: CompiledPeer[] | null;
  /** null: no ports listed (every port and protocol). */
  ports: CompiledPort[] | null;
}
interface CompiledPolicy {
  ref: PolicyRef;
  podSelector: V1LabelSelector;
  ingress: CompiledRule[] | null;
  egress: CompiledRule[] | null;
}

/** A pod as policies see it. */
interface PodView {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ip?: string;
  /** Normalized IP (see ipKey). */
  ipKey?: string;
  /** IPs of the node the pod runs on (status.hostIPs, status.hostIP), normalized. */
  hostIpKeys: string[];
  hostNetwork: boolean;
  /** Not finished (phase neither Succeeded nor Failed): only such a pod still owns its IP. */
  running: boolean;
  ports: Array<{ name?: string; containerPort: number; protocol: string }>;
}

/** Inputs prepared once; `evaluate` on it is cheap (the matrix calls it for every pair). */
export interface Compiled {
  policies: CompiledPolicy[];
  nsLabels: Map<string, Record<string, string>>;
  pods: Map<string, PodView>;
  /** Memo: the policies selecting a pod, per direction. */
  selecting: Map<PodView, Record<'ingress' | 'egress', { policies: CompiledPolicy[]; refs: PolicyRef[] }>>;
  /**
   * Memo of direction verdicts, by what a verdict depends on: the judged pod's class (its selecting
   * policies, its named ports, its node's IPs, the port and protocol) and the other end. Pods of one
   * class (replicas) share their verdicts; the matrix asks each class once per other end.
   */
  verdicts: Map<string, Map<PodView | string, DirectionVerdict>>;
  classKeys: Map<PodView, Record<'ingress' | 'egress', string>>;
}

/** Policy types in effect: spec.policyTypes, or the API server's default when absent. */
export function policyTypesOf(np: V1NetworkPolicy): Array<'Ingress' | 'Egress'> {
  const pts = (np.spec?.policyTypes ?? []) as string[];
  if (pts.length > 0) return pts.filter((t): t is 'Ingress' | 'Egress' => t === 'Ingress' || t === 'Egress');
  return (np.spec?.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function compileRules(rules: unknown, peerKey: 'from' | 'to'): CompiledRule[] {
  return arr(rules).map((rr) => {
    const r = isObj(rr) ? rr : {};
    const peers = set(r[peerKey]) && arr(r[peerKey]).length > 0 ? arr(r[peerKey]) : null;
    const ports = set(r.ports) && arr(r.ports).length > 0 ? arr(r.ports) : null;
    return {
      peers:
        peers?.map((pp) => {
          const p = isObj(pp) ? pp : {};
          const out: CompiledPeer = { memo: new Map() };
          if (set(p.podSelector)) out.podSelector = p.podSelector as V1LabelSelector;
          if (set(p.namespaceSelector)) out.namespaceSelector = p.namespaceSelector as V1LabelSelector;
          if (isObj(p.ipBlock)) out.ipBlock = { cidr: String(p.ipBlock.cidr ?? ''), except: arr(p.ipBlock.except).map(String) };
          return out;
        }) ?? null,
      ports:
        ports?.map((pp) => {
          const p = isObj(pp) ? pp : {};
          const out: CompiledPort = { protocol: ((p.protocol as string) || 'TCP') as Protocol };
          if (set(p.port)) out.port = p.port as number | string;
          if (set(p.endPort)) out.endPort = Number(p.endPort);
          return out;
        }) ?? null,
    };
  });
}

function podView(p: V1Pod): PodView {
  const ports: PodView['ports'] = [];
  for (const c of p.spec?.containers ?? []) for (const cp of c.ports ?? []) ports.push({ name: cp.name, containerPort: cp.containerPort, protocol: cp.protocol ?? 'TCP' });
  return {
    namespace: p.metadata?.namespace ?? 'default',
    name: p.metadata?.name ?? '',
    labels: (p.metadata?.labels ?? {}) as Record<string, string>,
    ip: p.status?.podIP || undefined,
    ipKey: ipKey(p.status?.podIP),
    hostIpKeys: [p.status?.hostIP, ...(p.status?.hostIPs ?? []).map((h) => h.ip)].map(ipKey).filter((x): x is string => x !== undefined),
    hostNetwork: p.spec?.hostNetwork === true,
    running: p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    ports,
  };
}

/**
 * Validates the policies (with the API server's validation; an invalid one is an error, as `kubectl apply` would say)
 * and prepares the inputs.
 */
export function compile(inputs: PolicyInputs): Compiled {
  const policies: CompiledPolicy[] = [];
  const sorted = [...inputs.policies].sort((a, b) => key(a).localeCompare(key(b)));
  for (const np of sorted) {
    const ns = np.metadata?.namespace ?? 'default';
    const name = np.metadata?.name ?? '';
    const errs = validateNetworkPolicy({ ...np, metadata: { ...np.metadata, namespace: ns } });
    if (errs.length > 0) throw new KubewireError(invalidMessage('NetworkPolicy', name, errs));
    const types = policyTypesOf(np);
    policies.push({
      ref: { namespace: ns, name },
      podSelector: np.spec?.podSelector ?? {},
      ingress: types.includes('Ingress') ? compileRules(np.spec?.ingress, 'from') : null,
      egress: types.includes('Egress') ? compileRules(np.spec?.egress, 'to') : null,
    });
  }
  const nsLabels = new Map<string, Record<string, string>>();
  for (const n of inputs.namespaces) {
    const name = n.metadata?.name ?? '';
    nsLabels.set(name, { [NS_NAME_LABEL]: name, ...((n.metadata?.labels ?? {}) as Record<string, string>) });
  }
  const pods = new Map<string, PodView>();
  for (const p of inputs.pods) {
    const v = podView(p);
    pods.set(`${v.namespace}/${v.name}`, v);
  }
  return { policies, nsLabels, pods, selecting: new Map(), verdicts: new Map(), classKeys: new Map() };
}

function key(np: V1NetworkPolicy): string {
  return `${np.metadata?.namespace ?? 'default'}/${np.metadata?.name ?? ''}`;
}

function labelsOfNamespace(c: Compiled, ns: string): Record<string, string> {
  return c.nsLabels.get(ns) ?? { [NS_NAME_LABEL]: ns };
}

// ---------- addresses

function parseIp(s: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const v4 = parseIPv4(s);
  if (v4 !== null) return ipaddr.IPv4.parse([(v4 >>> 24) & 255, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.'));
  if (!s.includes(':') || !ipaddr.IPv6.isValid(s)) return null;
  const a = ipaddr.IPv6.parse(s);
  return a.isIPv4MappedAddress() ? a.toIPv4Address() : a;
}

/** One spelling per address ("4:10.0.0.1", "6:fd00:0:0:0:0:0:0:1"), for equality tests; undefined when not an IP. */
function ipKey(s: string | undefined): string | undefined {
  const a = s ? parseIp(s) : null;
  return a ? `${a.kind() === 'ipv4' ? 4 : 6}:${a.toNormalizedString()}` : undefined;
}

/** True when `ip` is inside `cidr` (IPv4 with leading zeros accepted, as ParseCIDRSloppy; IPv6 via ipaddr.js). */
export function cidrContains(cidr: string, ip: string): boolean {
  const addr = parseIp(ip);
  if (!addr) return false;
  const v4 = parseCIDRv4(cidr);
  if (v4) {
    if (addr.kind() !== 'ipv4') return false;
    const b = (addr as ipaddr.IPv4).octets;
    const n = (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) as number;
    const mask = v4.prefix === 0 ? 0 : (0xffffffff << (32 - v4.prefix)) >>> 0;
    return ((n & mask) >>> 0) === v4.net;
  }
  const i = cidr.indexOf('/');
  if (i < 0 || addr.kind() !== 'ipv6') return false;
  const base = cidr.slice(0, i);
  const prefix = Number(cidr.slice(i + 1));
  if (!ipaddr.IPv6.isValid(base) || !Number.isInteger(prefix) || prefix < 0 || prefix > 128) return false;
  return (addr as ipaddr.IPv6).match(ipaddr.IPv6.parse(base), prefix);
}

export function ipBlockContains(b: { cidr: string; except?: readonly string[] }, ip: string): boolean {
  return cidrContains(b.cidr, ip) && !(b.except ?? []).some((e) => cidrContains(e, ip));
}

// ---------- ends of a connection

/** One end, resolved: a selectable pod, a hostNetwork pod (its node's IP) or a bare IP. */
interface End {
  subject: Subject;
  pod?: PodView;
  ip?: string;
  ipKey?: string;
}

function resolve(c: Compiled, p: Peer): End {
  if (p.kind === 'ip') {
    const k = ipKey(p.ip);
    if (k === undefined) throw new KubewireError(`invalid IP address "${p.ip}"`);
    // A pod's IP is that pod: policies see the pod behind the address, however the caller named it.
    for (const pod of c.pods.values()) if (!pod.hostNetwork && pod.running && pod.ipKey === k) return { subject: 'pod', pod, ip: pod.ip, ipKey: k };
    return { subject: 'ip', ip: p.ip, ipKey: k };
  }
  const pod = c.pods.get(`${p.namespace}/${p.name}`);
  if (!pod) throw new KubewireError(`pods "${p.name}" not found in namespace "${p.namespace}"`);
  return { subject: pod.hostNetwork ? 'hostNetwork' : 'pod', pod, ip: pod.ip, ipKey: pod.ipKey };
}

function selects(pol: CompiledPolicy, pod: PodView): boolean {
  return pod.namespace === pol.ref.namespace && selectorMatches(pol.podSelector, pod.labels);
}

/** Does `peer` (in policy `pol`) match the other end of the connection? */
function peerMatches(c: Compiled, pol: CompiledPolicy, peer: CompiledPeer, other: End): boolean {
  if (peer.ipBlock) {
    if (other.ip === undefined) return false;
    let m = peer.memo.get(other.ip);
    if (m === undefined) peer.memo.set(other.ip, (m = ipBlockContains(peer.ipBlock, other.ip)));
    return m;
  }
  // Pod and namespace selectors see pods only; a hostNetwork pod is its node's IP to them.
  if (other.subject !== 'pod' || !other.pod) return false;
  let m = peer.memo.get(other.pod);
  if (m === undefined) peer.memo.set(other.pod, (m = selectorsMatch(c, pol, peer, other.pod)));
  return m;
}

function selectorsMatch(c: Compiled, pol: CompiledPolicy, peer: CompiledPeer, pod: PodView): boolean {
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, labelsOfNamespace(c, pod.namespace))) return false;
  } else if (pod.namespace !== pol.ref.namespace) {
    return false;
  }
  return peer.podSelector ? selectorMatches(peer.podSelector, pod.labels) : true;
}

/** Does `pp` match the destination port? A named port resolves against the destination pod's container ports. */
function portMatches(pp: CompiledPort, conn: Connection, dst: End): boolean {
  if (pp.protocol !== conn.protocol) return false;
  if (pp.port === undefined) return true;
  if (typeof pp.port === 'number') {
    const end = pp.endPort ?? pp.port;
    return conn.port >= pp.port && conn.port <= end;
  }
  // Named: only a (non-hostNetwork) pod has named ports a policy can see.
  if (dst.subject !== 'pod' || !dst.pod) return false;
  return dst.pod.ports.some((cp) => cp.name === pp.port && cp.protocol === conn.protocol && cp.containerPort === conn.port);
}

function selectingOf(c: Compiled, pod: PodView): Record<'ingress' | 'egress', { policies: CompiledPolicy[]; refs: PolicyRef[] }> {
  let sel = c.selecting.get(pod);
  if (!sel) {
    const mine = c.policies.filter((pol) => selects(pol, pod));
    const of = (d: 'ingress' | 'egress') => {
      const policies = mine.filter((p) => p[d] !== null);
      return { policies, refs: policies.map((p) => p.ref) };
    };
    sel = { ingress: of('ingress'), egress: of('egress') };
    c.selecting.set(pod, sel);
  }
  return sel;
}

const policyIndex = new WeakMap<CompiledPolicy, number>();

/** The judged pod's class for a direction: everything its verdicts depend on besides the other end. */
function classKey(c: Compiled, dir: 'ingress' | 'egress', pod: PodView): string {
  let k = c.classKeys.get(pod);
  if (!k) {
    const sel = selectingOf(c, pod);
    const ids = (d: 'ingress' | 'egress') =>
      sel[d].policies
        .map((p) => {
          let i = policyIndex.get(p);
          if (i === undefined) policyIndex.set(p, (i = c.policies.indexOf(p)));
          return i;
        })
        .join(',');
    const host = pod.hostIpKeys.join(',');
    // Ingress: named ports resolve against the judged (destination) pod; egress: against the other end.
    const ports = pod.ports.filter((p) => p.name).map((p) => `${p.name}/${p.protocol}/${p.containerPort}`).join(',');
    k = { ingress: `i|${ids('ingress')}|${host}|${ports}`, egress: `e|${ids('egress')}|${host}` };
    c.classKeys.set(pod, k);
  }
  return k[dir];
}

/** judge(), memoized per class of the judged pod and the other end. */
function judgeCached(c: Compiled, dir: 'ingress' | 'egress', self: End, other: End, conn: Connection, dst: End): DirectionVerdict {
  if (self.subject !== 'pod' || !self.pod) return judge(c, dir, self, other, conn, dst);
  const key = `${classKey(c, dir, self.pod)}|${conn.protocol}/${conn.port}`;
  let m = c.verdicts.get(key);
  if (!m) c.verdicts.set(key, (m = new Map()));
  const ok: PodView | string = other.subject === 'pod' && other.pod ? other.pod : `${other.subject}:${other.ipKey ?? ''}`;
  let v = m.get(ok);
  if (!v) m.set(ok, (v = judge(c, dir, self, other, conn, dst)));
  return v;
}

function judge(c: Compiled, dir: 'ingress' | 'egress', self: End, other: End, conn: Connection, dst: End): DirectionVerdict {
  if (self.subject !== 'pod' || !self.pod) return { code: 'NotIsolated', allowed: true, isolated: false, subject: self.subject, selectedBy: [] };
  const allowing: AllowingRule[] = [];
  const sel = selectingOf(c, self.pod);
  // Shared by every verdict on this pod and direction (treat as read-only).
  const selectedBy = sel[dir].refs;
  for (const pol of sel[dir].policies) {
    const rules = pol[dir]!;
    rules.forEach((r, ri) => {
      let peer: number | null | undefined;
      if (r.peers === null) peer = null;
      else {
        const i = r.peers.findIndex((p) => peerMatches(c, pol, p, other));
        peer = i >= 0 ? i : undefined;
      }
      if (peer === undefined) return;
      let port: number | null | undefined;
      if (r.ports === null) port = null;
      else {
        const i = r.ports.findIndex((p) => portMatches(p, conn, dst));
        port = i >= 0 ? i : undefined;
      }
      if (port === undefined) return;
      allowing.push({ policy: pol.ref, direction: dir, rule: ri, peer, port });
    });
  }
  if (selectedBy.length === 0) return { code: 'NotIsolated', allowed: true, isolated: false, subject: 'pod', selectedBy: [] };
  if (allowing.length === 0 && other.ipKey !== undefined && self.pod.hostIpKeys.includes(other.ipKey))
    return { code: 'OwnNode', allowed: true, isolated: true, subject: 'pod', selectedBy };
  if (allowing.length === 0) return { code: 'Denied', allowed: false, isolated: true, subject: 'pod', selectedBy };
  return { code: 'Allowed', allowed: true, isolated: true, subject: 'pod', selectedBy, by: allowing[0]!, alsoAllowedBy: allowing.slice(1) };
}

/** The verdict of one connection on prepared inputs. */
export function evaluateCompiled(c: Compiled, conn: Connection): Verdict {
  if (!Number.isInteger(conn.port) || conn.port < 1 || conn.port > 65535) throw new KubewireError(`invalid port ${conn.port} (must be 1-65535)`);
  if (conn.protocol !== 'TCP' && conn.protocol !== 'UDP' && conn.protocol !== 'SCTP') throw new KubewireError(`unsupported protocol "${String(conn.protocol)}" (must be TCP, UDP or SCTP)`);
  const src = resolve(c, conn.src);
  const dst = resolve(c, conn.dst);
  return verdictOf(c, src, dst, conn);
}

function verdictOf(c: Compiled, src: End, dst: End, conn: Connection): Verdict {
  const egress = judgeCached(c, 'egress', src, dst, conn, dst);
  const ingress = judgeCached(c, 'ingress', dst, src, conn, dst);
  // "A pod cannot block access to itself."
  const loopback = src.pod !== undefined && src.pod === dst.pod;
  return { allowed: loopback || (egress.allowed && ingress.allowed), loopback, egress, ingress };
}

/**
 * Verdicts of every ordered pair of `pods` on one port and protocol (rows: sources): the matrix's path,
 * each pod resolved once. Verdicts share their direction records (treat them as read-only).
 */
export function evaluatePairs(c: Compiled, pods: ReadonlyArray<{ namespace: string; name: string }>, port: number, protocol: Protocol): Verdict[][] {
  const conn: Connection = { src: { kind: 'ip', ip: '0.0.0.0' }, dst: { kind: 'ip', ip: '0.0.0.0' }, port, protocol };
  if (pods.length > 0) evaluateCompiled(c, { ...conn, src: { kind: 'pod', ...pods[0]! }, dst: { kind: 'pod', ...pods[0]! } });
  const ends = pods.map((p) => resolve(c, { kind: 'pod', namespace: p.namespace, name: p.name }));
  // Per pod, once: its verdict memo per direction (by its class) and its key as the other end.
  const memo = (dir: 'ingress' | 'egress', e: End) => {
    if (e.subject !== 'pod' || !e.pod) return undefined;
    const key = `${classKey(c, dir, e.pod)}|${protocol}/${port}`;
    let m = c.verdicts.get(key);
    if (!m) c.verdicts.set(key, (m = new Map()));
    return m;
  };
  const eg = ends.map((e) => memo('egress', e));
  const ing = ends.map((e) => memo('ingress', e));
  const asOther = ends.map((e): PodView | string => (e.subject === 'pod' && e.pod ? e.pod : `${e.subject}:${e.ipKey ?? ''}`));
  const get = (m: Map<PodView | string, DirectionVerdict> | undefined, dir: 'ingress' | 'egress', self: End, other: End, ok: PodView | string, dst: End) => {
    if (!m) return judge(c, dir, self, other, conn, dst);
    let v = m.get(ok);
    if (!v) m.set(ok, (v = judge(c, dir, self, other, conn, dst)));
    return v;
  };
  return ends.map((s, i) =>
    ends.map((d, j) => {
      const egress = get(eg[i], 'egress', s, d, asOther[j]!, d);
      const ingress = get(ing[j], 'ingress', d, s, asOther[i]!, d);
      const loopback = s.pod !== undefined && s.pod === d.pod;
      return { allowed: loopback || (egress.allowed && ingress.allowed), loopback, egress, ingress };
    }),
  );
}

/**
 * Would the policies allow `conn`? Both the source's egress and the destination's ingress must allow it.
 * Throws KubewireError for an invalid policy, an unknown pod or a malformed IP.
 */
export function evaluate(
  policies: readonly V1NetworkPolicy[],
  namespaces: readonly V1Namespace[],
  pods: readonly V1Pod[],
  conn: Connection,
): Verdict {
  return evaluateCompiled(compile({ policies, namespaces, pods }), conn);
}
