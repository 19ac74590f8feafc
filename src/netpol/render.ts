// Text renderers of the verdict records: a truth table (rows = source, columns = destination,
// "." allowed, "X" denied, like cyclonus and the e2e suite print) and a per-pair explanation.
import { KubewireError } from '../errors.ts';
import type { CniType } from '../inputs/cluster-spec.ts';
import type { Matrix, MatrixPod } from './matrix.ts';
import type { AllowingRule, DirectionVerdict, PolicyRef, Verdict } from './types.ts';

const ref = (p: PolicyRef) => `${p.namespace}/${p.name}`;
const podName = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/**
 * What enforces these verdicts on a cluster with this CNI: Calico's Felix (its iptables chains), the VPC
 * CNI's network policy agent when the add-on turns it on (`enableNetworkPolicy`), or nothing.
 */
export function enforcementNote(cni: CniType, opts: { agent?: boolean } = {}): string {
  switch (cni) {
    case 'vpc-cni':
      return opts.agent
        ? "these are the verdicts the NetworkPolicy API specifies. This cluster runs the Amazon VPC CNI with its network policy agent (enableNetworkPolicy), which enforces them at each pod's host veth; `kubewire trace` shows its verdicts."
        : 'these are the verdicts the NetworkPolicy API specifies. This cluster runs the Amazon VPC CNI without ' +
            'its network policy agent (the vpc-cni add-on\'s enableNetworkPolicy is not "true"), so nothing enforces them: ' +
            'every connection is delivered whatever the policies say.';
    case 'calico-vxlan':
      return "these are the verdicts the NetworkPolicy API specifies; Calico's Felix enforces them in its iptables chains (cali-pi-/cali-po-), and `kubewire trace` names the deciding policy and rule.";
  }
}

/** Whether the cluster's CNI enforces NetworkPolicies. */
export function enforced(cni: CniType, opts: { agent?: boolean } = {}): boolean {
  return cni === 'calico-vxlan' || (cni === 'vpc-cni' && opts.agent === true);
}

/** Longest pod name used as a column heading; longer ones make numbered columns. */
const COLUMN_NAME_MAX = 12;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+\n';
  let out = rule;
  rows.forEach((r, i) => {
    out += '|' + r.map((c, j) => ` ${c.padEnd(widths[j]!)} `).join('|') + '|\n';
    if (i === 0) out += rule;
  });
  return out + rule;
}

/** The truth table of a matrix, with a count and the pods left out. */
export function renderMatrix(m: Matrix, opts: { note?: string } = {}): string {
  let out = '';
  if (m.pods.length === 0) out += 'No pods with an IP in the selected namespaces.\n';
  else {
    // Short names head the columns themselves (as in cyclonus); long ones are numbered, the rows saying which is which.
    const names = m.pods.map(podName);
    const numbered = names.some((n) => n.length > COLUMN_NAME_MAX);
    const head = [`${m.protocol}/${m.port}`, ...names.map((n, j) => (numbered ? String(j + 1) : n))];
    const rows = m.pods.map((_, i) => [numbered ? `${String(i + 1).padStart(String(names.length).length)} ${names[i]}` : names[i]!, ...m.cells[i]!.map((v) => (v.allowed ? '.' : 'X'))]);
    out += table([head, ...rows]);
    const total = m.pods.length * m.pods.length;
    const allowed = m.cells.flat().filter((v) => v.allowed).length;
    out += `rows: source, columns: destination; "." allowed, "X" denied. ${allowed}/${total} allowed.\n`;
    out += 'a pod reaching itself (the diagonal) is always allowed: a pod cannot block access to itself.\n';
    out += `NetworkPolicies: ${m.policies.length === 0 ? '(none)' : m.policies.join(', ')}\n`;
    const hn = m.pods.filter((p) => p.hostNetwork);
    if (hn.length > 0) out += `hostNetwork pods (never selected by a policy; as peers they are their node's IP): ${hn.map(podName).join(', ')}\n`;
  }
  for (const s of m.skipped) out += `skipped ${podName(s)}: ${s.reason === 'NoPodIP' ? 'no pod IP yet' : 'terminated'}\n`;
  if (opts.note) out += `note: ${opts.note}\n`;
  return out;
}

/** "y/allow-x: spec.ingress[0] (from[1], ports[0])". */
export function describeRule(r: AllowingRule): string {
  const peerKey = r.direction === 'ingress' ? 'from' : 'to';
  const peer = r.peer === null ? `no ${peerKey} (every peer)` : `${peerKey}[${r.peer}]`;
  const port = r.port === null ? 'no ports (every port)' : `ports[${r.port}]`;
  return `${ref(r.policy)}: spec.${r.direction}[${r.rule}] (${peer}, ${port})`;
}

function describeDirection(dir: 'egress' | 'ingress', who: string, v: DirectionVerdict): string {
  switch (v.code) {
    case 'NotIsolated': {
      const why =
        v.subject === 'hostNetwork'
          ? `${who} is a hostNetwork pod, which no NetworkPolicy selects`
          : v.subject === 'ip'
            ? `${who} is not a pod`
            : `no NetworkPolicy selects ${who} for ${dir}`;
      return `  ${dir} of ${who}: allowed (${why})\n`;
    }
    case 'Allowed': {
      let s = `  ${dir} of ${who}: allowed by ${describeRule(v.by)}\n`;
      for (const r of v.alsoAllowedBy) s += `    also allowed by ${describeRule(r)}\n`;
      s += `    selected by: ${v.selectedBy.map(ref).join(', ')}\n`;
      return s;
    }
    case 'OwnNode':
      return `  ${dir} of ${who}: allowed (the other end is ${who}'s own node, always allowed; selected by ${v.selectedBy.map(ref).join(', ')})\n`;
    case 'Denied':
      return `  ${dir} of ${who}: denied (selected by ${v.selectedBy.map(ref).join(', ')}; none of their rules allows it)\n`;
  }
}

export type ExplainEnd = MatrixPod | { ip: string };
const endName = (e: ExplainEnd) => ('name' in e ? `${podName(e)} (${e.ip || 'no IP'})` : e.ip);

/** Why one connection is allowed or denied: each direction with the deciding policy and rule. */
export function renderExplain(src: ExplainEnd, dst: ExplainEnd, conn: { port: number; protocol: string }, v: Verdict, opts: { note?: string } = {}): string {
  let out = `${endName(src)} -> ${endName(dst)} ${conn.protocol}/${conn.port}: ${v.allowed ? 'ALLOWED' : 'DENIED'}\n`;
  if (v.loopback) out += '  a pod cannot block access to itself (loopback); what its policies say of each direction:\n';
  const sn = 'name' in src ? podName(src) : src.ip;
  const dn = 'name' in dst ? podName(dst) : dst.ip;
  out += describeDirection('egress', sn, v.egress);
  out += describeDirection('ingress', dn, v.ingress);
  if (opts.note) out += `note: ${opts.note}\n`;
  return out;
}

/** The explanation of one cell of a matrix, by pod ("namespace/name"): which policy and rule decided it. */
export function explain(m: Matrix, src: string, dst: string, opts: { note?: string } = {}): string {
  const at = (s: string) => {
    const i = m.pods.findIndex((p) => podName(p) === s);
    if (i < 0) throw new KubewireError(`pod "${s}" is not in the matrix (${m.pods.length} pods; give namespace/name)`);
    return i;
  };
  const i = at(src);
  const j = at(dst);
  return renderExplain(m.pods[i]!, m.pods[j]!, { port: m.port, protocol: m.protocol }, m.cells[i]![j]!, opts);
}
