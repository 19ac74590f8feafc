// Felix's iptables dataplane for a Calico VXLAN node (research note §10, §11): the static cali-*
// chains of the raw, mangle, nat and filter tables, the per-endpoint chains of local workloads
// (NetworkPolicy tiers, then profiles; the policy chains themselves come from policy.ts), the
// hooks into the built-in chains, and the ipsets those rules refer to.
//
// Rules are kept in Felix's own rendering (long option forms: --jump, --in-interface, -p 17,
// -m multiport --destination-ports) because that is both what Felix feeds iptables-restore and
// what its rule-hash comments are computed over (§10.7): per chain, h = SHA-224(chain name), then
// for each rule h = SHA-224(h ‖ "-A <chain> HASH <comments> <match> <action>"); the comment is
// "cali:" + the first 16 characters of base64url(h).

import type { CalicoSettings } from '../../inputs/cluster-spec.ts';
import type { NetfilterRule, NetfilterState, TableName } from '../../netfilter/types.ts';
import { iptablesRestore } from '../../netfilter/restore.ts';
import { sha256Utf8 } from '../../kube-proxy/sha256.ts';
import { base64Url, sha224 } from './sha224.ts';
import { parseCalicoVersion, type CalicoFeatures } from './version.ts';
import type { CalicoState } from './plugin.ts';

// Mark bits (IptablesMarkMask 0xffff0000, allocated from the low bit, §10.5).
export const MARK_ACCEPT = 0x10000;
export const MARK_PASS = 0x20000;

/**
 * The scratch bits follow the optional drop bit: v3.30+ allocates accept, pass, drop, scratch0,
 * scratch1 (0x10000, 0x20000, 0x40000, 0x80000, 0x100000); older releases have no drop bit, so
 * scratch0/1 are 0x40000/0x80000 (real v3.28 dump: `MARK and 0xfff0ffff` = clear 0xf0000).
 * "All Calico bits" (cleared at chain starts) = accept | pass | scratch0 | scratch1.
 */
export function markBits(f: CalicoFeatures): { scratch0: number; scratch1: number; all: number } {
  const scratch0 = f.markDropBit ? 0x80000 : 0x40000;
  const scratch1 = scratch0 << 1;
  return { scratch0, scratch1, all: MARK_ACCEPT | MARK_PASS | scratch0 | scratch1 };
}

export const IPSET_ALL_POOLS = 'cali40all-ipam-pools';
export const IPSET_MASQ_POOLS = 'cali40masq-ipam-pools';
export const IPSET_VXLAN_NET = 'cali40all-vxlan-net';
export const IPSET_HOSTS_NET = 'cali40all-hosts-net';
export const IPSET_THIS_HOST = 'cali40this-host';

const WL_PREFIX = 'cali';
const VXLAN_PORT = 4789;
const VXLAN_IF = 'vxlan.calico';
/** iptables' chain-name limit Felix hashes against. */
const MAX_CHAIN_NAME = 28;

/** Go's %#x: 0 prints as "0". */
function hx(n: number): string {
  return n === 0 ? '0' : `0x${n.toString(16)}`;
}

/** One Felix rule: comments, match and action in Felix's rendering. */
export interface FelixRule {
  match?: string;
  action: string;
  comment?: string[];
}

export interface FelixChain {
  table: TableName;
  name: string;
  rules: FelixRule[];
}

// ---- match and action fragments ----------------------------------------------------------
const m = {
  markSet: (bit: number) => `-m mark --mark ${hx(bit)}/${hx(bit)}`,
  markClear: (bit: number) => `-m mark --mark 0/${hx(bit)}`,
  markWithMask: (mark: number, mask: number) => `-m mark --mark ${hx(mark)}/${hx(mask)}`,
  inIf: (i: string) => `--in-interface ${i}`,
  outIf: (i: string) => `--out-interface ${i}`,
  ct: (s: string) => `-m conntrack --ctstate ${s}`,
  notCt: (s: string) => `-m conntrack ! --ctstate ${s}`,
  srcSet: (s: string) => `-m set --match-set ${s} src`,
  dstSet: (s: string) => `-m set --match-set ${s} dst`,
  notDstSet: (s: string) => `-m set ! --match-set ${s} dst`,
  dstLocal: '-m addrtype --dst-type LOCAL',
  srcLocal: '-m addrtype --src-type LOCAL',
  notSrcLocalLimitOut: '-m addrtype ! --src-type LOCAL --limit-iface-out',
  udpDports: (p: number) => `-p 17 -m multiport --destination-ports ${p}`,
  rpfFailed: '-m rpfilter --invert --validmark',
};
const a = {
  jump: (c: string) => `--jump ${c}`,
  goto: (c: string) => `--goto ${c}`,
  accept: '--jump ACCEPT',
  drop: '--jump DROP',
  ret: '--jump RETURN',
  notrack: '--jump NOTRACK',
  masq: '--jump MASQUERADE --random-fully',
  clearMark: (bits: number) => `--jump MARK --set-mark 0/${hx(bits)}`,
  setMark: (bit: number) => `--jump MARK --set-mark ${hx(bit)}/${hx(bit)}`,
};

function renderBody(r: FelixRule): string {
  const parts: string[] = [];
  for (const c of r.comment ?? []) parts.push(`-m comment --comment "${c}"`);
  if (r.match) parts.push(r.match);
  if (r.action) parts.push(r.action);
  return parts.join(' ');
}

const hashCache = new Map<string, string[]>();

/** Felix's rule-hash comments for a chain's rules (§10.7). */
export function ruleHashes(chain: string, rules: FelixRule[]): string[] {
  const key = `${chain}\n${rules.map(renderBody).join('\n')}`;
  const hit = hashCache.get(key);
  if (hit) return hit;
  const enc = new TextEncoder();
  let h = sha224(enc.encode(chain));
  const out = rules.map((r) => {
    const text = enc.encode(`-A ${chain} HASH ${renderBody(r)}`);
    const buf = new Uint8Array(h.length + text.length);
    buf.set(h);
    buf.set(text, h.length);
    h = sha224(buf);
    return base64Url(h).slice(0, 16);
  });
  if (hashCache.size > 20000) hashCache.clear();
  hashCache.set(key, out);
  return out;
}

/** The iptables-restore line Felix writes for rule i of chain (hash comment first). */
function restoreLines(chain: string, rules: FelixRule[], hashChain = chain): string[] {
  const hashes = ruleHashes(hashChain, rules);
  return rules.map((r, i) => `-A ${chain} -m comment --comment "cali:${hashes[i]}" ${renderBody(r)}`);
}

/** Chain name for a profile/policy: prefix + id, or prefix + "_" + base64url(SHA-256(id)) when too long. */
export function felixChainName(prefix: string, id: string): string {
  if (prefix.length + id.length <= MAX_CHAIN_NAME) return prefix + id;
  return `${prefix}_${base64Url(sha256Utf8(id)).slice(0, MAX_CHAIN_NAME - 1 - prefix.length)}`;
}

export interface WorkloadEndpoint {
  iface: string;
  namespace: string;
  serviceAccount?: string;
  /** Policy chains (cali-pi-…) of tier "default" that select the endpoint for ingress, in order. */
  ingressPolicies?: string[];
  /** Policy chains (cali-po-…) that select it for egress, in order. */
  egressPolicies?: string[];
}

export interface FelixIptablesInput {
  features: CalicoFeatures;
  settings: CalicoSettings;
  /** VXLAN enabled and the tunnel address known. */
  vxlan: boolean;
  endpoints?: WorkloadEndpoint[];
  /** The cali-pi-/cali-po- chains of the policies selecting local endpoints (policy.ts). */
  policyChains?: FelixChain[];
}

function rawChains(o: FelixIptablesInput): FelixChain[] {
  const mk = markBits(o.features);
  const pre: FelixRule[] = [{ action: a.clearMark(mk.all) }];
  if (o.vxlan && o.features.vxlanNotrack) pre.push({ match: `-p udp --dport ${VXLAN_PORT}`, action: a.notrack });
  pre.push(
    { match: m.inIf(`${WL_PREFIX}+`), action: a.setMark(mk.scratch0) },
    { match: m.markWithMask(mk.scratch0, mk.scratch0), action: a.jump('cali-rpf-skip') },
    { match: `${m.markWithMask(mk.scratch0, mk.scratch0)} ${m.rpfFailed}`, action: a.drop },
    { match: m.markClear(mk.scratch0), action: a.jump('cali-from-host-endpoint') },
    { match: m.markSet(MARK_ACCEPT), action: a.accept },
  );
  const out: FelixRule[] = [{ action: a.clearMark(mk.all) }, { action: a.jump('cali-to-host-endpoint') }];
  if (o.vxlan && o.features.vxlanNotrack) out.push({ match: `-p udp --dport ${VXLAN_PORT}`, action: a.notrack });
  out.push({ match: m.markSet(MARK_ACCEPT), action: a.accept });
  return [
    { table: 'raw', name: 'cali-PREROUTING', rules: pre },
    { table: 'raw', name: 'cali-OUTPUT', rules: out },
    { table: 'raw', name: 'cali-from-host-endpoint', rules: [] },
    { table: 'raw', name: 'cali-to-host-endpoint', rules: [] },
    { table: 'raw', name: 'cali-rpf-skip', rules: [] },
  ];
}

function mangleChains(o: FelixIptablesInput): FelixChain[] {
  const mk = markBits(o.features);
  return [
    {
      table: 'mangle',
      name: 'cali-PREROUTING',
      rules: [
        { match: m.ct('RELATED,ESTABLISHED'), action: a.accept },
        { match: m.markSet(MARK_ACCEPT), action: a.accept },
        { action: a.jump('cali-from-host-endpoint') },
        { match: m.markSet(MARK_ACCEPT), action: a.accept, comment: ['Host endpoint policy accepted packet.'] },
      ],
    },
    {
      table: 'mangle',
      name: 'cali-POSTROUTING',
      rules: [
        { match: m.markSet(MARK_ACCEPT), action: a.ret },
        { action: a.clearMark(mk.all) },
        { match: m.ct('DNAT'), action: a.jump('cali-to-host-endpoint') },
        { match: m.markSet(MARK_ACCEPT), action: a.ret, comment: ['Host endpoint policy accepted packet.'] },
      ],
    },
    { table: 'mangle', name: 'cali-from-host-endpoint', rules: [] },
    { table: 'mangle', name: 'cali-to-host-endpoint', rules: [] },
  ];
}

function natChains(o: FelixIptablesInput): FelixChain[] {
  const post: FelixRule[] = [{ action: a.jump('cali-fip-snat') }, { action: a.jump('cali-nat-outgoing') }];
  if (o.vxlan) post.push({ match: `${m.outIf(VXLAN_IF)} ${m.notSrcLocalLimitOut} ${m.srcLocal}`, action: a.masq });
  const natOut: FelixRule[] = o.settings.natOutgoing ? [{ match: `${m.srcSet(IPSET_MASQ_POOLS)} ${m.notDstSet(IPSET_ALL_POOLS)}`, action: a.masq }] : [];
  return [
    { table: 'nat', name: 'cali-PREROUTING', rules: [{ action: a.jump('cali-fip-dnat') }] },
    { table: 'nat', name: 'cali-POSTROUTING', rules: post },
    { table: 'nat', name: 'cali-OUTPUT', rules: [{ action: a.jump('cali-fip-dnat') }] },
    { table: 'nat', name: 'cali-fip-dnat', rules: [] },
    { table: 'nat', name: 'cali-fip-snat', rules: [] },
    { table: 'nat', name: 'cali-nat-outgoing', rules: natOut },
  ];
}

/** The "Start of tier" / end-of-tier comments by release (research §10.3, §14). */
function tierComments(version: string): { start?: string; end: string; clearsPass: boolean } {
  const v = parseCalicoVersion(version);
  const at = (minor: number) => v.major > 3 || (v.major === 3 && v.minor >= minor);
  return {
    start: at(29) ? 'Start of tier default' : at(28) ? undefined : 'Start of policies',
    end: at(30) ? 'End of tier default. Drop if no policies passed packet' : 'Drop if no policies passed packet',
    clearsPass: at(28),
  };
}

function endpointChains(ep: WorkloadEndpoint, version: string): FelixChain[] {
  const sa = ep.serviceAccount ?? 'default';
  const tier = tierComments(version);
  const chains: FelixChain[] = [];
  for (const dir of ['tw', 'fw'] as const) {
    const profPrefix = dir === 'tw' ? 'cali-pri-' : 'cali-pro-';
    const rules: FelixRule[] = [
      { match: m.ct('RELATED,ESTABLISHED'), action: a.accept },
      { match: m.ct('INVALID'), action: a.drop },
      // Before v3.28 only the accept bit is cleared here; the tier start clears the pass bit.
      { action: a.clearMark(tier.clearsPass ? MARK_ACCEPT | MARK_PASS : MARK_ACCEPT) },
    ];
    if (dir === 'fw') {
      rules.push(
        { match: m.udpDports(VXLAN_PORT), action: a.drop, comment: ['Drop VXLAN encapped packets originating in workloads'] },
        { match: '-p 4', action: a.drop, comment: ['Drop IPinIP encapped packets originating in workloads'] },
      );
    }
    // Tier "default" (every Kubernetes NetworkPolicy): a policy that sets the pass bit skips the
    // rest of the tier; one that accepts returns; nothing accepting or passing means drop.
    const policies = (dir === 'tw' ? ep.ingressPolicies : ep.egressPolicies) ?? [];
    if (policies.length > 0) {
      if (tier.start) rules.push({ action: a.clearMark(MARK_PASS), comment: [tier.start] });
      for (const chain of policies) {
        rules.push({ match: m.markClear(MARK_PASS), action: a.jump(chain) });
        rules.push({ match: m.markSet(MARK_ACCEPT), action: a.ret, comment: ['Return if policy accepted'] });
      }
      rules.push({ match: m.markClear(MARK_PASS), action: a.drop, comment: [tier.end] });
    }
    for (const profile of [`kns.${ep.namespace}`, `ksa.${ep.namespace}.${sa}`]) {
      rules.push({ action: a.jump(felixChainName(profPrefix, profile)) });
      rules.push({ match: m.markSet(MARK_ACCEPT), action: a.ret, comment: ['Return if profile accepted'] });
    }
    rules.push({ action: a.drop, comment: ['Drop if no profiles matched'] });
    chains.push({ table: 'filter', name: `cali-${dir}-${ep.iface}`, rules });
  }
  return chains;
}

/**
 * Profile chains (real v3.28 dump): kns.<ns> has one allow-all rule carrying the comment
 * "Profile kns.<ns> ingress|egress" (`-j MARK --set-xmark 0x10000/0x10000`); ksa.<ns>.<sa> has no
 * rules, so its chain holds one comment-only rule without a target.
 */
function profileChains(eps: WorkloadEndpoint[]): FelixChain[] {
  const out = new Map<string, FelixChain>();
  for (const ep of eps) {
    const sa = ep.serviceAccount ?? 'default';
    for (const [prefix, dir] of [['cali-pri-', 'ingress'], ['cali-pro-', 'egress']] as const) {
      const kns = `kns.${ep.namespace}`;
      const knsChain = felixChainName(prefix, kns);
      out.set(knsChain, { table: 'filter', name: knsChain, rules: [{ action: a.setMark(MARK_ACCEPT), comment: [`Profile ${kns} ${dir}`] }] });
      const ksa = `ksa.${ep.namespace}.${sa}`;
      const ksaChain = felixChainName(prefix, ksa);
      out.set(ksaChain, { table: 'filter', name: ksaChain, rules: [{ action: '', comment: [`Profile ${ksa} ${dir}`] }] });
    }
  }
  return [...out.values()];
}

function filterChains(o: FelixIptablesInput): FelixChain[] {
  const mk = markBits(o.features);
  const eps = [...(o.endpoints ?? [])].sort((x, y) => (x.iface < y.iface ? -1 : x.iface > y.iface ? 1 : 0));
  const input: FelixRule[] = [];
  if (o.vxlan) {
    input.push(
      { match: `${m.udpDports(VXLAN_PORT)} ${m.srcSet(IPSET_VXLAN_NET)} ${m.dstLocal}`, action: a.accept, comment: ['Allow IPv4 VXLAN packets from allowed hosts'] },
      { match: `${m.udpDports(VXLAN_PORT)} ${m.dstLocal}`, action: a.drop, comment: ['Drop IPv4 VXLAN packets from non-allowed hosts'] },
    );
  }
  input.push(
    { match: m.inIf(`${WL_PREFIX}+`), action: a.goto('cali-wl-to-host') },
    { match: m.markSet(MARK_ACCEPT), action: a.accept },
    { action: a.clearMark(mk.all) },
    { action: a.jump('cali-from-host-endpoint') },
    { match: m.markSet(MARK_ACCEPT), action: a.accept, comment: ['Host endpoint policy accepted packet.'] },
  );
  const output: FelixRule[] = [{ match: m.markSet(MARK_ACCEPT), action: a.accept }, { match: m.outIf(`${WL_PREFIX}+`), action: a.ret }];
  if (o.vxlan) {
    output.push({ match: `${m.udpDports(VXLAN_PORT)} ${m.srcLocal} ${m.dstSet(IPSET_VXLAN_NET)}`, action: a.accept, comment: ['Allow IPv4 VXLAN packets to other allowed hosts'] });
  }
  output.push(
    { action: a.clearMark(mk.all) },
    { match: m.notCt('DNAT'), action: a.jump('cali-to-host-endpoint') },
    { match: m.markSet(MARK_ACCEPT), action: a.accept, comment: ['Host endpoint policy accepted packet.'] },
  );
  const forward: FelixRule[] = [
    { action: a.clearMark(mk.all & ~MARK_ACCEPT) },
    { match: m.markClear(MARK_ACCEPT), action: a.jump('cali-from-hep-forward') },
    { match: m.inIf(`${WL_PREFIX}+`), action: a.jump('cali-from-wl-dispatch') },
    { match: m.outIf(`${WL_PREFIX}+`), action: a.jump('cali-to-wl-dispatch') },
    { action: a.jump('cali-to-hep-forward') },
    { action: a.jump('cali-cidr-block') },
  ];
  const wlToHost: FelixRule[] = [
    { action: a.jump('cali-from-wl-dispatch') },
    // DefaultEndpointToHostAction: ACCEPT with the operator and the manifests.
    { action: a.accept, comment: ['Configured DefaultEndpointToHostAction'] },
  ];
  const fromDispatch: FelixRule[] = eps.map((e) => ({ match: m.inIf(e.iface), action: a.goto(`cali-fw-${e.iface}`) }));
  fromDispatch.push({ action: a.drop, comment: ['Unknown interface'] });
  const toDispatch: FelixRule[] = eps.map((e) => ({ match: m.outIf(e.iface), action: a.goto(`cali-tw-${e.iface}`) }));
  toDispatch.push({ action: a.drop, comment: ['Unknown interface'] });
  return [
    { table: 'filter', name: 'cali-FORWARD', rules: forward },
    { table: 'filter', name: 'cali-INPUT', rules: input },
    { table: 'filter', name: 'cali-OUTPUT', rules: output },
    { table: 'filter', name: 'cali-wl-to-host', rules: wlToHost },
    { table: 'filter', name: 'cali-from-wl-dispatch', rules: fromDispatch },
    { table: 'filter', name: 'cali-to-wl-dispatch', rules: toDispatch },
    { table: 'filter', name: 'cali-from-hep-forward', rules: [] },
    { table: 'filter', name: 'cali-to-hep-forward', rules: [] },
    { table: 'filter', name: 'cali-from-host-endpoint', rules: [] },
    { table: 'filter', name: 'cali-to-host-endpoint', rules: [] },
    { table: 'filter', name: 'cali-cidr-block', rules: [] },
    ...eps.flatMap((e) => endpointChains(e, o.settings.version)),
    ...profileChains(eps),
    ...(o.policyChains ?? []),
  ];
}

/** Every cali-* chain Felix programs on the node, by table. */
export function felixChains(o: FelixIptablesInput): FelixChain[] {
  return [...rawChains(o), ...mangleChains(o), ...natChains(o), ...filterChains(o)];
}

interface Hook {
  table: TableName;
  chain: string;
  rules: FelixRule[];
  mode: 'insert' | 'append';
}

/**
 * The name Felix seeds a built-in chain's rule hashes with: the chain name for inserted rules,
 * "<chain>*appends*" for appended ones (so both lists hash differently). Real dumps:
 * FORWARD appends `cali:S93hcgKJrXEqnTfs` (felix#2606), nat POSTROUTING `cali:0i8pjzKKPyA34aQD`.
 */
function hookHashChain(h: { chain: string; mode: 'insert' | 'append' }): string {
  return h.mode === 'append' ? `${h.chain}*appends*` : h.chain;
}

/** Felix's rules in the built-in chains (§10.1). */
export function felixHooks(f: CalicoFeatures): Hook[] {
  const j = (c: string): FelixRule[] => [{ action: a.jump(c) }];
  return [
    { table: 'raw', chain: 'PREROUTING', rules: j('cali-PREROUTING'), mode: 'insert' },
    { table: 'raw', chain: 'OUTPUT', rules: j('cali-OUTPUT'), mode: 'insert' },
    { table: 'mangle', chain: 'PREROUTING', rules: j('cali-PREROUTING'), mode: 'insert' },
    { table: 'mangle', chain: 'POSTROUTING', rules: j('cali-POSTROUTING'), mode: 'insert' },
    { table: 'nat', chain: 'PREROUTING', rules: j('cali-PREROUTING'), mode: 'insert' },
    { table: 'nat', chain: 'OUTPUT', rules: j('cali-OUTPUT'), mode: 'insert' },
    { table: 'nat', chain: 'POSTROUTING', rules: j('cali-POSTROUTING'), mode: f.natPostroutingAppend ? 'append' : 'insert' },
    { table: 'filter', chain: 'INPUT', rules: j('cali-INPUT'), mode: 'insert' },
    { table: 'filter', chain: 'FORWARD', rules: j('cali-FORWARD'), mode: 'insert' },
    { table: 'filter', chain: 'OUTPUT', rules: j('cali-OUTPUT'), mode: 'insert' },
    {
      table: 'filter',
      chain: 'FORWARD',
      rules: [{ match: m.markSet(MARK_ACCEPT), action: a.accept, comment: ['Policy explicitly accepted packet.'] }, { action: a.setMark(MARK_ACCEPT) }],
      mode: 'append',
    },
  ];
}

const TABLE_ORDER: TableName[] = ['raw', 'mangle', 'nat', 'filter'];

/** The 16-character hash of a rule's first `cali:` comment, if any. */
function hashComment(r: NetfilterRule): string | undefined {
  for (const m of r.matches) {
    if (m.module !== 'comment') continue;
    const v = m.options.find((o) => o.name === 'comment')?.values[0];
    if (v?.startsWith('cali:')) return v.slice(5);
  }
  return undefined;
}

/**
 * Applies Felix's iptables to a namespace's netfilter state: every cali-* chain is (re)declared and
 * rewritten, chains of endpoints that are gone are deleted, and the hook rules are added to the
 * built-in chains unless already there (Felix keeps exactly one copy).
 */
export function applyFelixIptables(state: NetfilterState, o: FelixIptablesInput): NetfilterState {
  const chains = felixChains(o);
  const hooks = felixHooks(o.features);
  let out = state;
  for (const table of TABLE_ORDER) {
    const lines: string[] = [`*${table}`];
    const all = chains.filter((c) => c.table === table);
    const names = new Set(all.map((c) => c.name));
    const existing = out.tables.find((t) => t.name === table)?.chains ?? [];
    const byName = new Map(existing.map((c) => [c.name, c]));
    // Felix rewrites only chains whose content changed; the hash comments identify the content.
    const mine = all.filter((c) => {
      const have = byName.get(c.name);
      if (!have) return true;
      const want = ruleHashes(c.name, c.rules);
      if (have.rules.length !== want.length) return true;
      return have.rules.some((r, i) => hashComment(r) !== want[i]);
    });
    for (const c of mine) lines.push(`:${c.name} - [0:0]`);
    // Stale endpoint/profile chains (their references are rewritten above, so they can go).
    const stale = existing.filter((c) => /^cali-(tw|fw|pri|pro|pi|po|gi|go)-/.test(c.name) && !names.has(c.name)).map((c) => c.name);
    for (const s of stale) lines.push(`:${s} - [0:0]`);
    for (const h of hooks.filter((x) => x.table === table)) {
      const rules = (byName.get(h.chain)?.rules ?? []).map((r) => `"cali:${hashComment(r) ?? ''}"`);
      const hashes = ruleHashes(hookHashChain(h), h.rules);
      const want = h.rules.map((r, i) => `-A ${h.chain} -m comment --comment "cali:${hashes[i]}" ${renderBody(r)}`);
      const mark = (i: number) => `"cali:${hashes[i]}"`;
      // Insert mode: Felix's rules must be the first ones of the chain, in order; append mode: present.
      const inPlace =
        h.mode === 'insert'
          ? hashes.every((_, i) => rules[i]?.includes(mark(i)))
          : hashes.every((_, i) => rules.some((l) => l.includes(mark(i))));
      if (inPlace) continue;
      // Remove stray copies (bottom-up so indexes stay valid), then insert at the top / append.
      const idx = rules.map((l, i) => (hashes.some((_, k) => l.includes(mark(k))) ? i + 1 : 0)).filter((i) => i > 0);
      for (const i of idx.reverse()) lines.push(`-D ${h.chain} ${i}`);
      if (h.mode === 'insert') want.forEach((l, i) => lines.push(l.replace(/^-A (\S+)/, `-I $1 ${i + 1}`)));
      else lines.push(...want);
    }
    for (const c of mine) lines.push(...restoreLines(c.name, c.rules));
    for (const s of stale) lines.push(`-X ${s}`);
    if (lines.length === 1) continue;
    lines.push('COMMIT', '');
    out = iptablesRestore(out, lines.join('\n'), { noflush: true, file: 'calico-felix' });
  }
  return out;
}

/** The felix text alone (iptables-restore input for a fresh node; hooks included). */
export function felixIptables(o: FelixIptablesInput): string {
  const chains = felixChains(o);
  const hooks = felixHooks(o.features);
  const out: string[] = [];
  for (const table of TABLE_ORDER) {
    out.push(`*${table}`);
    for (const c of chains.filter((x) => x.table === table)) out.push(`:${c.name} - [0:0]`);
    for (const h of hooks.filter((x) => x.table === table)) {
      const ls = restoreLines(h.chain, h.rules, hookHashChain(h));
      out.push(...(h.mode === 'insert' ? ls.map((l, i) => l.replace(/^-A (\S+)/, `-I $1 ${i + 1}`)) : ls));
    }
    for (const c of chains.filter((x) => x.table === table)) out.push(...restoreLines(c.name, c.rules));
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

/** An ipset as the engine reads it (`-m set`). */
export interface IpSetData {
  type: string;
  members: string[];
}

/** The IPv4 ipsets Felix keeps on a node (§10.6). */
export function calicoIpsets(s: CalicoState, nodeName: string): Record<string, IpSetData> {
  const pool = s.settings.ipPoolCidr;
  const peers = Object.entries(s.nodes)
    .filter(([n, r]) => n !== nodeName && r.tunnelIp)
    .map(([, r]) => r.nodeIp)
    .sort();
  const hosts = Object.values(s.nodes)
    .map((r) => r.nodeIp)
    .sort();
  return {
    [IPSET_ALL_POOLS]: { type: 'hash:net', members: [pool] },
    [IPSET_MASQ_POOLS]: { type: 'hash:net', members: s.settings.natOutgoing ? [pool] : [] },
    [IPSET_VXLAN_NET]: { type: 'hash:net', members: peers },
    [IPSET_HOSTS_NET]: { type: 'hash:net', members: hosts },
  };
}
