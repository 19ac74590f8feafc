// End to end on one node of the default cluster, built in real namespaces (kwt-<random>-…) with its
// iptables (kube-proxy + aws-node): a pod connects to a Service whose only endpoint is on the same
// node. The walk's outcome (delivered, reply delivered) and the root namespace's `conntrack -L`
// must equal the kernel's after the same TCP handshake.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { NetnsLab, netnsUsable } from '../testing/netns.node.ts';
import { defaultClusterSpec } from '../inputs/cluster-file.ts';
import { applyObjects, createCluster } from '../control-plane/cluster.ts';
import { pluginsFor } from '../cni/index.ts';
import { admitObject } from '../inputs/k8s-objects.ts';
import { generateDeployment, generateService } from '../k8s/generators.ts';
import { podSandbox } from '../control-plane/kubelet.ts';
import { iptablesSave } from '../netfilter/save.ts';
import { clusterWorld } from './index.ts';
import { newWalkState, replyPacket, walkFrom } from './walk.ts';
import { renderConntrack } from './conntrack.ts';
import { NFACCT_PY, nfacctNames } from '../lab/nfacct.ts';

const SERVER = `
import socket, time
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(('0.0.0.0', 80)); t.listen(5)
print('ready', flush=True)
c, _ = t.accept(); time.sleep(8)
`;
const CLIENT = `
import socket, sys, time
s = socket.socket(); s.bind((sys.argv[1], 43512)); s.settimeout(3); s.connect((sys.argv[2], 8080))
print('connected', flush=True); time.sleep(8)
`;

function waitFor(p: ChildProcess, word: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    const t = setTimeout(() => reject(new Error(`no "${word}": ${err}`)), ms);
    p.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes(word)) {
        clearTimeout(t);
        resolve();
      }
    });
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  });
}

describe.skipIf(!netnsUsable().ok)('one node of the default cluster vs the real kernel', () => {
  const lab = new NetnsLab();
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) if (p.pid !== undefined && p.exitCode === null) p.kill('SIGTERM');
    lab.cleanup();
  });

  it('pod → ClusterIP with a same-node endpoint: DNAT, delivery, reply, conntrack -L', async () => {
    const spec = defaultClusterSpec();
    const plugins = pluginsFor(spec);
    const state = createCluster(spec, { seed: 1, ...plugins });
    const nginx = generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80 });
    applyObjects(state, [admitObject(nginx)], plugins);
    const solo = generateDeployment({ name: 'solo', image: ['nginx'], replicas: 1, port: 80 });
    applyObjects(state, [admitObject(solo)], plugins);
    applyObjects(state, [admitObject(generateService({ target: solo, port: 8080, targetPort: '80' }))], plugins);
    const soloPod = Object.keys(state.objects).find((k) => k.startsWith('Pod/default/solo-'))!.split('/')[2];
    const server = podSandbox(state, 'default', soloPod)!;
    const clientName = Object.keys(state.objects)
      .filter((k) => k.startsWith('Pod/default/nginx-'))
      .map((k) => k.split('/')[2])
      .find((n) => podSandbox(state, 'default', n)!.node === server.node)!;
    expect(clientName).toBeDefined();
    const client = podSandbox(state, 'default', clientName)!;
    const clusterIP = (state.objects['Service/default/solo'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
    const host = state.hosts[server.node];

    // The model.
    const world = clusterWorld(state);
    const st = newWalkState();
    const from = { node: server.node, netns: client.netns! };
    const syn = walkFrom(world, from, { family: 4, src: '', dst: clusterIP, proto: 6, sport: 43512, dport: 8080, tcpFlags: 0x02, ttl: 64, mark: 0 }, {}, st);
    expect(syn).toHaveLength(1);
    expect(syn[0].disposition).toMatchObject({ code: 'delivered', netns: server.netns });
    const synack = walkFrom(world, { node: server.node, netns: server.netns! }, replyPacket(syn[0].final), {}, st);
    expect(synack[0].disposition).toMatchObject({ code: 'delivered', netns: client.netns });
    const ack = walkFrom(world, from, { family: 4, src: client.ips[0], dst: clusterIP, proto: 6, sport: 43512, dport: 8080, tcpFlags: 0x10, ttl: 64, mark: 0 }, {}, st);
    expect(ack[0].disposition.code).toBe('delivered');

    // The kernel.
    await lab.build(host);
    const rules = iptablesSave(host.namespaces.root.netfilter);
    // kube-proxy creates its nfacct objects over netlink before writing rules that name them.
    const accts = nfacctNames(rules);
    if (accts.length) {
      const a = spawnSync('python3', ['-c', NFACCT_PY, `/run/netns/${lab.realName('root')}`, ...accts], { encoding: 'utf8', timeout: 10_000 });
      expect(a.status, a.stderr).toBe(0);
    }
    const r = spawnSync('ip', ['netns', 'exec', lab.realName('root'), 'iptables-restore'], { input: rules, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const srv = spawn('ip', ['netns', 'exec', lab.realName(server.netns!), 'python3', '-c', SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(srv);
    await waitFor(srv, 'ready', 5000);
    const cli = spawn('ip', ['netns', 'exec', lab.realName(client.netns!), 'python3', '-c', CLIENT, client.ips[0], clusterIP], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(cli);
    await waitFor(cli, 'connected', 6000);
    await lab.settle(200);
    const real = spawnSync('ip', ['netns', 'exec', lab.realName('root'), 'conntrack', '-L', '-p', 'tcp', '--orig-port-src', '43512'], { encoding: 'utf8' });
    const norm = (s: string) => s.split('\n').filter(Boolean).map((l) => l.replace(/^(\S+ +\d+) \d+ /, '$1 T ')).sort();
    const ours = renderConntrack(st.conntrack[`${server.node}/root`]).stdout;
    expect(norm(ours)).toEqual(norm(real.stdout));
    expect(norm(ours)[0]).toContain(`dst=${clusterIP} sport=43512 dport=8080 src=${server.ips[0]}`);
  }, 60000);
});
