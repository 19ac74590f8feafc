// The VPC CNI network policy agent in the live lab, realised with its netfilter equivalent (policy-agent-netfilter.ts):
// the default cluster (VPC CNI, enableNetworkPolicy) with the
// e2e model pods (namespaces x, y; pods a, b, c) and policies, built in real namespaces, the agent's rules loaded
// by lab up into each node's root namespace. Every ordered pod pair connects over TCP to a listener on port 80: the kernel's outcome, the
// engine's walk and the API's matrix must agree. Needs root; skips with the reason otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, nsExec, rootCheck, type Lab } from '../../lab/lab.node.ts';
import { labTestCluster } from '../../lab/testing.ts';
import { podSandbox } from '../../control-plane/kubelet.ts';
import { modelCluster, type ModelCluster } from '../../netpol/cluster.testing.ts';
import { np } from '../../netpol/testing.ts';
import { matrix } from '../../netpol/matrix.ts';
import { dataplaneMatrix } from '../../netpol/dataplane.ts';
import { agentNetfilterText } from './policy-agent-netfilter.ts';
import { ROOT_NS } from '../../node-state/types.ts';

const root = rootCheck();
const PREFIX = 'kwna';

// One accept-and-close TCP server on port 80, bounded to 5 minutes.
const LISTENER = [
  'import socket',
  's = socket.socket()',
  's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
  "s.bind(('0.0.0.0', 80))",
  's.listen(64)',
  'while True:',
  '    c, _ = s.accept()',
  '    c.close()',
].join('\n');

describe.skipIf(!root.ok)(`live lab, VPC CNI network policy agent (netfilter equivalent) (${root.reason || 'root'})`, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'kw-labna-'));
  let c: ModelCluster;
  let lab: Lab;
  const listeners: ChildProcess[] = [];
  beforeAll(async () => {
    const spec = labTestCluster(1, false).spec;
    c = modelCluster({ ...spec, cni: { ...spec.cni, vpcCni: { ...spec.cni.vpcCni, enableNetworkPolicy: true } } });
    c.apply([
      np('deny', { podSelector: {}, policyTypes: ['Ingress'] }),
      np('from-y-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 'serve-80-tcp' }] }] }),
      np('egress-to-x', { podSelector: { matchLabels: { pod: 'c' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'x' } } }], ports: [{ port: 80 }] }] }, 'y'),
    ]);
    // labUp loads the agent's netfilter equivalent into each node's root namespace.
    lab = await labUp(c.state, { runDir, prefix: PREFIX, workloads: false });
  }, 180_000);
  afterAll(() => {
    for (const l of listeners) l.kill('SIGKILL');
    if (lab) labDown({ runDir, all: true, prefix: PREFIX });
    rmSync(runDir, { recursive: true, force: true });
  });

  it('lab up loaded the agent rules where isolated pods live', () => {
    const loaded = lab.record.nodes.filter((n) => agentNetfilterText(c.state, n.node) !== '');
    expect(loaded.length).toBeGreaterThan(0);
    for (const n of loaded) expect(nsExec(n.ns[ROOT_NS]!, ['iptables-save', '-t', 'mangle']).stdout).toMatch(/-A POSTROUTING -o eni\w+ -j KWNP-I-eni/);
  });

    it('kernel, engine and matrix agree on every pod pair of x and y (TCP/80)', async () => {
    const m = matrix(c.state, { port: 80, protocol: 'TCP', namespaces: ['x', 'y'] });
    const engine = dataplaneMatrix(c.state, m, c.world());
    expect(engine.disagreements).toEqual([]);
    const real = m.pods.map((p) => {
      const node = (c.state.objects[`Pod/${p.namespace}/${p.name}`] as unknown as { spec: { nodeName: string } }).spec.nodeName;
      const netns = podSandbox(c.state, p.namespace, p.name)!.netns!;
      return lab.record.nodes.find((n) => n.node === node)!.ns[netns]!;
    });
    for (const ns of real) listeners.push(spawn('ip', ['netns', 'exec', ns, 'timeout', '300', 'python3', '-c', LISTENER], { stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 1500));
    const kernel: string[] = [];
    const disagreements: string[] = [];
    m.pods.forEach((s, i) => {
      let row = '';
      m.pods.forEach((d, j) => {
        const probe = `import socket; socket.create_connection(('${d.ip}', 80), timeout=1.5).close()`;
        const r = nsExec(real[i]!, ['timeout', '5', 'python3', '-c', probe], { timeoutMs: 8000 });
        const ok = r.exitCode === 0;
        row += ok ? '.' : 'X';
        if (ok !== m.cells[i]![j]!.allowed) disagreements.push(`${s.namespace}/${s.name} -> ${d.namespace}/${d.name}: kernel ${ok ? 'connected' : 'failed'} ${r.stderr.trim().split('\n').pop() ?? ''}`);
      });
      kernel.push(row);
    });
    expect(disagreements).toEqual([]);
    // The expected table (rows x/a..y/c): x admits only y/b to x/a on 80 (and each pod itself); y/c may only reach x.
    expect(kernel).toEqual(['.XX...', 'X.X...', 'XX....', 'XXX...', '.XX...', 'XXXXX.']);
  }, 180_000);
});
