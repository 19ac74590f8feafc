// Client programs in a pod of the default cluster (VPC CNI + kube-proxy): what busybox prints and
// how each DNS query and connection went through the engine.
import { beforeAll, describe, expect, it } from 'vitest';
import { applyObjects } from '../../control-plane/cluster.ts';
import { admitObject } from '../../inputs/k8s-objects.ts';
import { podSandbox } from '../../control-plane/kubelet.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import type { KObject } from '../../k8s/types.ts';
import { NGINX_INDEX_HTML } from '../../wire/http.ts';
import { nginxCluster, nginxPods, testPod } from '../../testing/nginx-cluster.ts';
import { runPodCommand, shellWords, type AppRun } from './index.ts';

interface World {
  state: ClusterState;
  nginx: Array<{ name: string; node: string; ip: string; netns: string }>;
  svcIp: (name: string, ns?: string) => string;
  dnsIp: string;
  client: { node: string; ip: string };
}

function pod(name: string, image: string, extra: Record<string, unknown> = {}): KObject {
  return testPod(name, image, { command: ['sleep', '3600'], spec: extra });
}

function build(opts: { corednsReplicas?: number } = {}): World {
  const { state, plugins } = nginxCluster({
    ghost: true,
    extra: () => {
      const headless = admitObject({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        spec: { clusterIP: 'None', selector: { app: 'nginx' }, ports: [{ port: 80, targetPort: 80 }] },
      } as unknown as KObject);
      return [headless, pod('busybox', 'busybox:1.36'), pod('resolver', 'busybox:1.36', { dnsPolicy: 'Default' })];
    },
  });
  if (opts.corednsReplicas !== undefined) {
    const cd = structuredClone(state.objects['Deployment/kube-system/coredns']) as unknown as { spec: { replicas: number } };
    cd.spec.replicas = opts.corednsReplicas;
    applyObjects(state, [cd as unknown as KObject], plugins);
  }
  const nginx = nginxPods(state);
  const svcIp = (name: string, ns = 'default') => (state.objects[`Service/${ns}/${name}`] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
  const sb = podSandbox(state, 'default', 'busybox')!;
  return { state, nginx, svcIp, dnsIp: svcIp('kube-dns', 'kube-system'), client: { node: sb.node, ip: sb.ips[0] } };
}

const run = (w: World, cmd: string, seed = 7, pod = 'busybox'): AppRun => runPodCommand(w.state, { namespace: 'default', pod }, cmd.split(' '), { seed });

const PROGRESS_615 = `-                    100% |${'*'.repeat(32)}|   615  0:00:00 ETA\n`;

describe('busybox wget in a pod', () => {
  let w: World;
  beforeAll(() => {
    w = build();
  });

  it('fetches nginx by the Service short name: kube-dns A+AAAA on one socket, then HTTP to a DNATed endpoint', () => {
    const r = run(w, 'wget -O- http://nginx:8080');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(NGINX_INDEX_HTML);
    expect(r.stderr).toBe(`Connecting to nginx:8080 (${w.svcIp('nginx')}:8080)\nwriting to stdout\n${PROGRESS_615}written to stdout\n`);
    expect(r.flows.map((f) => f.kind)).toEqual(['dns', 'dns', 'http']);
    const [a, aaaa, http] = r.flows;
    expect([a.dns!.qtype, aaaa.dns!.qtype]).toEqual(['A', 'AAAA']);
    expect(a.dns).toMatchObject({ name: 'nginx.default.svc.cluster.local', rcode: 'NOERROR', answers: [w.svcIp('nginx')], ttl: 5, answered: true });
    expect(aaaa.dns).toMatchObject({ rcode: 'NOERROR', answers: [], answered: true });
    expect(a.probe).toMatchObject({ dst: w.dnsIp, dport: 53, protocol: 'UDP' });
    // One socket: same source port, so the same conntrack entry and the same CoreDNS endpoint.
    expect(aaaa.probe.sport).toBe(a.probe.sport);
    const dnat = (f: typeof a) => f.trace.branches[0].forward.steps.find((s) => s.kind === 'nat' && s.decidedBy?.kind === 'nat' && s.decidedBy.type === 'DNAT')?.decidedBy as { to: string } | undefined;
    expect(dnat(a)?.to).toMatch(/:53$/);
    expect(dnat(aaaa)?.to).toBe(dnat(a)?.to);
    expect(a.trace.branches[0].reply?.disposition.code).toBe('delivered');
    expect(http.probe).toMatchObject({ dst: w.svcIp('nginx'), dport: 8080, protocol: 'TCP' });
    expect(http.probe.sport! % 2).toBe(1);
    const to = dnat(http)!.to;
    const server = w.nginx.find((p) => `${p.ip}:80` === to)!;
    expect(server).toBeDefined();
    expect(http.trace.branches[0].forward.disposition).toMatchObject({ code: 'delivered', node: server.node, netns: server.netns });
    expect(http.http).toMatchObject({ method: 'GET', host: 'nginx:8080', path: '/', userAgent: 'Wget', status: 200, server: 'nginx/1.27.5' });
    expect(http.http!.body).toBe(NGINX_INDEX_HTML);
    for (let i = 1; i < r.flows.length; i++) expect(r.flows[i].startUs).toBeGreaterThan(r.flows[i - 1].startUs);
  });

  it('tries the search list first for a 4-dot FQDN (ndots:5), the bare name last', () => {
    const r = run(w, 'wget -q -O /dev/null nginx.default.svc.cluster.local:8080');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const dns = r.flows.filter((f) => f.kind === 'dns').map((f) => `${f.dns!.qtype} ${f.dns!.name} ${f.dns!.rcode}`);
    const n = 'nginx.default.svc.cluster.local';
    expect(dns).toEqual([
      `A ${n}.default.svc.cluster.local NXDOMAIN`,
      `AAAA ${n}.default.svc.cluster.local NXDOMAIN`,
      `A ${n}.svc.cluster.local NXDOMAIN`,
      `AAAA ${n}.svc.cluster.local NXDOMAIN`,
      `A ${n}.cluster.local NXDOMAIN`,
      `AAAA ${n}.cluster.local NXDOMAIN`,
      `A ${n}.us-west-2.compute.internal NXDOMAIN`,
      `AAAA ${n}.us-west-2.compute.internal NXDOMAIN`,
      `A ${n} NOERROR`,
      `AAAA ${n} NOERROR`,
    ]);
    // A new socket per name.
    const ports = r.flows.filter((f) => f.kind === 'dns').map((f) => f.probe.sport);
    expect(new Set(ports).size).toBe(5);
  });

  it('an unknown name: every search name NXDOMAIN, then "bad address" with the port as given', () => {
    const r = run(w, 'wget -O- http://nosuch:8080/');
    expect(r).toMatchObject({ exitCode: 1, stdout: '', stderr: "wget: bad address 'nosuch:8080'\n" });
    expect(r.flows.every((f) => f.kind === 'dns' && f.dns!.rcode === 'NXDOMAIN')).toBe(true);
    expect(r.flows.map((f) => f.dns!.name).at(-1)).toBe('nosuch');
  });

  it('a Service without endpoints: kube-proxy REJECTs the SYN, connect() is refused', () => {
    const r = run(w, 'wget -q -O- ghost:9090');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`wget: can't connect to remote host (${w.svcIp('ghost')}): Connection refused\n`);
    const d = r.flows.at(-1)!.trace.branches[0].forward.disposition;
    expect(d.code).toBe('rejected');
    expect(d.decidedBy).toMatchObject({ kind: 'rule', text: expect.stringContaining('default/ghost has no endpoints') });
  });

  it('a closed port on a pod answers RST: Connection refused', () => {
    const target = w.nginx[0];
    const r = run(w, `wget -q -O- http://${target.ip}:81/`);
    expect(r.flows.map((f) => f.kind)).toEqual(['http']);
    expect(r.stderr).toBe(`wget: can't connect to remote host (${target.ip}): Connection refused\n`);
    expect(r.flows[0].trace.branches[0].forward.disposition).toMatchObject({ code: 'port-closed', signal: 'TCP RST' });
    expect(r.flows[0].http!.status).toBeUndefined();
  });

  it('a missing page: nginx 404, "server returned error", -S echoes the status line first', () => {
    const r = run(w, 'wget -S -O- nginx:8080/nope');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`Connecting to nginx:8080 (${w.svcIp('nginx')}:8080)\n  HTTP/1.1 404 Not Found\nwget: server returned error: HTTP/1.1 404 Not Found\n`);
    expect(r.flows.at(-1)!.http).toMatchObject({ path: '/nope', status: 404 });
  });

  it('the headless Service resolves to the ready pod IPs and wget reaches one of them directly', () => {
    const r = run(w, 'wget -q -O- web');
    expect(r.exitCode).toBe(0);
    const a = r.flows.find((f) => f.kind === 'dns' && f.dns!.qtype === 'A')!;
    expect(a.dns!.name).toBe('web.default.svc.cluster.local');
    expect([...a.dns!.answers].sort()).toEqual(w.nginx.map((p) => p.ip).sort());
    const http = r.flows.at(-1)!;
    expect(http.probe.dst).toBe(a.dns!.answers[0]);
    expect(http.trace.branches[0].forward.steps.some((s) => s.kind === 'nat' && s.decidedBy?.kind === 'nat' && s.decidedBy.type === 'DNAT')).toBe(false);
  });

  it('a pod on another node by its IP: no DNS, the SYN crosses the VPC fabric to the nginx pod', () => {
    const target = w.nginx.find((p) => p.node !== w.client.node)!;
    const r = run(w, `wget -O- http://${target.ip}/`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(NGINX_INDEX_HTML);
    expect(r.stderr.split('\n')[0]).toBe(`Connecting to ${target.ip} (${target.ip}:80)`);
    expect(r.flows.map((f) => f.kind)).toEqual(['http']);
    const b = r.flows[0].trace.branches[0];
    expect(b.forward.steps.filter((s) => s.kind === 'fabric')).toHaveLength(1);
    expect(b.forward.disposition).toMatchObject({ code: 'delivered', node: target.node, netns: target.netns });
    expect(b.reply?.disposition).toMatchObject({ code: 'delivered', node: w.client.node });
  });

  it('the same seed repeats the run; another seed may pick other ports and ids', () => {
    expect(JSON.stringify(run(w, 'wget -q -O- nginx:8080', 11))).toBe(JSON.stringify(run(w, 'wget -q -O- nginx:8080', 11)));
    expect(run(w, 'wget -q -O- nginx:8080', 11).flows[0].probe.sport).not.toBe(run(w, 'wget -q -O- nginx:8080', 12).flows[0].probe.sport);
  });

  it('runs through `busybox APPLET` and `sh -c` (one simple command; the shell reports a missing one)', () => {
    const direct = run(w, 'wget -q -O- nginx:8080');
    const viaBusybox = runPodCommand(w.state, { namespace: 'default', pod: 'busybox' }, ['busybox', 'wget', '-q', '-O-', 'nginx:8080'], { seed: 7 });
    const viaSh = runPodCommand(w.state, { namespace: 'default', pod: 'busybox' }, ['sh', '-c', `wget -q -O- 'nginx:8080'`], { seed: 7 });
    for (const r of [viaBusybox, viaSh]) expect({ out: r.stdout, err: r.stderr, code: r.exitCode, flows: r.flows.length }).toEqual({ out: direct.stdout, err: direct.stderr, code: 0, flows: 3 });
    const missing = runPodCommand(w.state, { namespace: 'default', pod: 'busybox' }, ['sh', '-c', 'curl nginx'], { seed: 7 });
    expect(missing).toMatchObject({ stderr: 'sh: curl: not found\n', exitCode: 127 });
    expect(shellWords(`wget -O- "http://a b/\\"x" c\\ d ''`)).toEqual(['wget', '-O-', 'http://a b/"x', 'c d', '']);
    expect(() => shellWords('wget x | head')).toThrow(/one simple command/);
  });

  it('the nginx image has no wget: the runtime\'s exec error, exit 1', () => {
    const r = run(w, 'wget -q -O- nginx:8080', 1, w.nginx[0].name);
    expect(r.exitCode).toBe(1);
    expect(r.flows).toEqual([]);
    expect(r.stderr).toMatch(/^error: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "wget": executable file not found in \$PATH: unknown\n$/);
  });
});

describe('busybox nslookup and ping in a pod', () => {
  let w: World;
  beforeAll(() => {
    w = build();
  });

  it('nslookup of a short name asks every search domain (A, then AAAA), never the bare name, and exits 1 on the NXDOMAINs (format as busybox 1.35 prints it live)', () => {
    const r = run(w, 'nslookup nginx');
    const ip = w.svcIp('nginx');
    const nx = (n: string) => `** server can't find nginx.${n}: NXDOMAIN\n\n`;
    expect(r.stdout).toBe(
      `Server:\t\t${w.dnsIp}\nAddress:\t${w.dnsIp}:53\n\n` +
        `Name:\tnginx.default.svc.cluster.local\nAddress: ${ip}\n\n` +
        nx('svc.cluster.local') + nx('cluster.local') + nx('us-west-2.compute.internal') +
        // The AAAA NODATA reply prints nothing but its empty line (as busybox 1.35 does, checked live).
        '\n' +
        nx('svc.cluster.local') + nx('cluster.local') + nx('us-west-2.compute.internal'),
    );
    expect(r.exitCode).toBe(1);
    expect(r.flows).toHaveLength(8);
    expect(new Set(r.flows.map((f) => f.probe.sport)).size).toBe(1);
  });

  it('nslookup of a pod A name (pods insecure) and of an EC2 private name through the VPC resolver', () => {
    const p = w.nginx[0];
    const name = `${p.ip.replace(/\./g, '-')}.default.pod.cluster.local`;
    const r = run(w, `nslookup -type=a ${name}`);
    expect(r.stdout).toBe(`Server:\t\t${w.dnsIp}\nAddress:\t${w.dnsIp}:53\n\nName:\t${name}\nAddress: ${p.ip}\n\n`);
    expect(r.exitCode).toBe(0);
    const node = w.state.nodes[0];
    const r2 = run(w, `nslookup -type=a ${node.name}`);
    expect(r2.stdout).toBe(`Server:\t\t${w.dnsIp}\nAddress:\t${w.dnsIp}:53\n\nNon-authoritative answer:\nName:\t${node.name}\nAddress: ${node.primaryIp}\n\n`);
  });

  it('nslookup kubernetes.default: the dotted name is asked as given, forwarded, and there is no such TLD', () => {
    const r = run(w, 'nslookup kubernetes.default');
    const nx = "** server can't find kubernetes.default: NXDOMAIN\n\n";
    expect(r.stdout).toBe(`Server:\t\t${w.dnsIp}\nAddress:\t${w.dnsIp}:53\n\n${nx}${nx}`);
    expect(r.exitCode).toBe(1);
    expect(r.flows.map((f) => f.dns!.name)).toEqual(['kubernetes.default', 'kubernetes.default']);
  });

  it('a public name: no internet in the simulation, so SERVFAIL, which nslookup retries (2 × queries) before printing', () => {
    const r = run(w, 'nslookup example.com');
    expect(r.stdout).toContain("** server can't find example.com: SERVFAIL\n");
    expect(r.flows.map((f) => f.dns!.qtype)).toEqual(['A', 'AAAA', 'A', 'AAAA', 'A', 'AAAA']);
    expect(new Set(r.flows.map((f) => f.dns!.id)).size).toBe(2);
    for (let i = 1; i < r.flows.length; i++) expect(r.flows[i].startUs).toBeGreaterThanOrEqual(r.flows[i - 1].startUs);
  });

  it('a dnsPolicy Default pod asks the VPC resolver (VPC base + 2) with the node\'s search domain', () => {
    const r = run(w, 'nslookup -type=a nginx', 7, 'resolver');
    expect(r.stdout).toBe("Server:\t\t192.168.0.2\nAddress:\t192.168.0.2:53\n\n** server can't find nginx.us-west-2.compute.internal: NXDOMAIN\n\n");
    expect(r.flows[0].probe).toMatchObject({ dst: '192.168.0.2', dport: 53 });
  });

  it('ping of a pod on another node: replies with TTL 62 (two forwarding hops) over the VPC fabric', () => {
    const target = w.nginx.find((p) => p.node !== w.client.node)!;
    const r = run(w, `ping -c 2 ${target.ip}`);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`PING ${target.ip} (${target.ip}): 56 data bytes`);
    expect(lines[1]).toMatch(new RegExp(`^64 bytes from ${target.ip.replace(/\./g, '\\.')}: seq=0 ttl=62 time=\\d+\\.\\d{3} ms$`));
    expect(lines[2]).toMatch(/: seq=1 ttl=62 time=/);
    expect(lines.slice(3, 6)).toEqual(['', `--- ${target.ip} ping statistics ---`, '2 packets transmitted, 2 packets received, 0% packet loss']);
    expect(lines[6]).toMatch(/^round-trip min\/avg\/max = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/);
    expect(r.exitCode).toBe(0);
    expect(r.flows.map((f) => f.kind)).toEqual(['icmp', 'icmp']);
    expect(r.flows[1].startUs - r.flows[0].startUs).toBe(1_000_000);
    expect(r.flows[0].trace.branches[0].forward.steps.some((s) => s.kind === 'fabric')).toBe(true);
  });

  it('ping of a ClusterIP gets no reply (kube-proxy NATs only the Service ports): 100% loss, exit 1', () => {
    const r = run(w, 'ping -c 3 nginx');
    const ip = w.svcIp('nginx');
    expect(r.stdout).toBe(`PING nginx (${ip}): 56 data bytes\n\n--- nginx ping statistics ---\n3 packets transmitted, 0 packets received, 100% packet loss\n`);
    expect(r.exitCode).toBe(1);
    expect(r.flows.filter((f) => f.kind === 'icmp')).toHaveLength(3);
  });

  it('ping -w SEC without -c sends one request a second until the deadline', () => {
    const r = run(w, `ping -w 3 ${w.nginx[0].ip}`);
    expect(r.stdout).toMatch(/\n3 packets transmitted, 3 packets received, 0% packet loss\n/);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('ping without -c stops after a few requests and says so', () => {
    const r = run(w, `ping -q ${w.nginx[0].ip}`);
    expect(r.stdout).toMatch(/4 packets transmitted, 4 packets received, 0% packet loss\n/);
    expect(r.stderr).toMatch(/^kubewire: ping without -c/);
  });
});

describe('without CoreDNS endpoints', () => {
  let w: World;
  beforeAll(() => {
    w = build({ corednsReplicas: 0 });
  });

  it('kube-dns REJECTs the queries: wget cannot resolve, nslookup reports the refusals then gives up', () => {
    const r = run(w, 'wget -q -O- nginx:8080');
    expect(r).toMatchObject({ exitCode: 1, stderr: "wget: bad address 'nginx:8080'\n" });
    expect(r.flows.every((f) => f.kind === 'dns' && f.dns!.answered === false)).toBe(true);
    expect(r.flows[0].trace.branches[0].forward.disposition.code).toBe('rejected');
    const n = run(w, 'nslookup nginx');
    expect(n.stdout).toBe(';; connection timed out; no servers could be reached\n\n');
    expect(n.stderr).toBe(`nslookup: write to '${w.dnsIp}': Connection refused\n`);
    expect(n.exitCode).toBe(1);
    expect(n.flows).toHaveLength(1);
  });
});
