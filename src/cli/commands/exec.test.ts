// `kubewire exec` in-process on a state directory: busybox programs through the simulated network,
// the exit status passed on, --trace, -o json, kubectl's errors, and the ip commands as before.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../main.ts';
import { NGINX_INDEX_HTML } from '../../wire/http.ts';

const EXAMPLES = resolve(__dirname, '..', '..', '..', 'examples');
let dir: string;

async function kw(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'kubewire', '--state', dir, ...args]);
    return { stdout, stderr, code };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

let nginxPod: string;
let dnsIp: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kw-exec-'));
  expect((await kw('cluster', 'create')).code).toBe(0);
  expect((await kw('apply', '-f', join(EXAMPLES, 'nginx.yaml'))).code).toBe(0);
  expect((await kw('apply', '-f', join(EXAMPLES, 'busybox.yaml'))).code).toBe(0);
  const pods = JSON.parse((await kw('get', 'pods', '-o', 'json')).stdout).items as Array<{ metadata: { name: string } }>;
  nginxPod = pods.find((p) => p.metadata.name.startsWith('nginx-'))!.metadata.name;
  dnsIp = JSON.parse((await kw('get', 'svc', 'kube-dns', '-n', 'kube-system', '-o', 'json')).stdout).spec.clusterIP;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubewire exec', () => {
  it('runs busybox wget against the nginx Service and passes its output and status on', async () => {
    const r = await kw('exec', 'busybox', '--', 'wget', '-qO-', 'http://nginx:8080');
    expect(r).toEqual({ stdout: NGINX_INDEX_HTML, stderr: '', code: 0 });
    const bad = await kw('exec', 'busybox', '--', 'wget', '-q', 'http://nosuch:8080/');
    expect(bad).toEqual({ stdout: '', stderr: "wget: bad address 'nosuch:8080'\n", code: 1 });
  });

  it('-it: the program writes to a terminal: both streams on stdout in order, \\r\\n line ends, the progress line redrawn with \\r', async () => {
    const r = await kw('exec', '-it', 'busybox', '--', 'wget', '-O-', 'nginx:8080');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\r\n');
    expect(lines[0]).toMatch(/^Connecting to nginx:8080 \(10\.100\.\d+\.\d+:8080\)$/);
    expect(lines[1]).toBe('writing to stdout');
    expect(r.stdout).toContain(NGINX_INDEX_HTML.replace(/\n/g, '\r\n'));
    expect(lines.at(-3)).toBe(`\r-                    100% |${'*'.repeat(32)}|   615  0:00:00 ETA`);
    expect(lines.at(-2)).toBe('written to stdout');
    expect(lines.at(-1)).toBe('');
  });

  it('--trace appends each flow, headed by what it is, with the engine\'s hop-by-hop', async () => {
    const r = await kw('exec', 'busybox', '--trace', '--', 'wget', '-qO-', 'nginx:8080');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(NGINX_INDEX_HTML)).toBe(true);
    const trace = r.stdout.slice(NGINX_INDEX_HTML.length);
    const heads = trace.split('\n').filter((l) => l.startsWith('=== flow'));
    expect(heads).toHaveLength(3);
    expect(heads[0]).toMatch(new RegExp(`^=== flow 1/3 at \\+0\\.000000s: DNS A nginx\\.default\\.svc\\.cluster\\.local → ${dnsIp.replace(/\./g, '\\.')}:53 \\(id \\d+, from udp/\\d+\\)$`));
    expect(heads[1]).toMatch(/^=== flow 2\/3 at \+0\.0000\d\ds: DNS AAAA nginx\.default\.svc\.cluster\.local/);
    expect(heads[2]).toMatch(/^=== flow 3\/3 at \+0\.\d{6}s: HTTP GET http:\/\/nginx:8080\/ → 10\.100\.\d+\.\d+:8080 \(from tcp\/\d+\)$/);
    expect(trace).toContain(`trace UDP to ${dnsIp}:53 from pod default/busybox`);
    expect(trace).toMatch(/one run, seed \d+/);
    expect(trace).toMatch(/=> DELIVERED at \S+ cni-\S+ eth0: delivered to tcp\/80/);
  });

  it('-o json prints the run: argv, pod, output, exit status and flows', async () => {
    const r = await kw('exec', 'busybox', '-o', 'json', '--', 'nslookup', 'nginx');
    expect(r.code).toBe(1);
    const run = JSON.parse(r.stdout);
    expect(run.argv).toEqual(['nslookup', 'nginx']);
    expect(run.pod).toMatchObject({ namespace: 'default', name: 'busybox' });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/^Server:\t\t10\.100\.0\.10\nAddress:\t10\.100\.0\.10:53\n\nName:\tnginx\.default\.svc\.cluster\.local\n/);
    expect(run.flows).toHaveLength(8);
    expect(run.flows[0].trace.branches[0].forward.disposition.code).toBe('delivered');
  });

  it('repeats a run exactly; --seed changes the random choices', async () => {
    const a = await kw('exec', 'busybox', '-o', 'json', '--', 'wget', '-q', 'nginx:8080');
    const b = await kw('exec', 'busybox', '-o', 'json', '--', 'wget', '-q', 'nginx:8080');
    expect(a.stdout).toBe(b.stdout);
    const c = await kw('exec', 'busybox', '--seed', '99', '-o', 'json', '--', 'wget', '-q', 'nginx:8080');
    expect(JSON.parse(c.stdout).flows[0].probe.sport).not.toBe(JSON.parse(a.stdout).flows[0].probe.sport);
  });

  it('prints what kubectl prints when the image lacks the program, and for an unknown pod', async () => {
    const r = await kw('exec', nginxPod, '--', 'wget', '-qO-', 'nginx:8080');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: Internal error occurred: error executing command in container: .*exec: "wget": executable file not found in \$PATH: unknown\n$/);
    const nf = await kw('exec', 'nosuch', '--', 'wget', 'x');
    expect(nf).toEqual({ stdout: '', stderr: 'Error from server (NotFound): pods "nosuch" not found\n', code: 1 });
  });

  it('shows the pod\'s resolv.conf as kubelet writes it for ClusterFirst on EKS', async () => {
    const r = await kw('exec', 'busybox', '--', 'cat', '/etc/resolv.conf');
    expect(r).toEqual({ stdout: `search default.svc.cluster.local svc.cluster.local cluster.local us-west-2.compute.internal\nnameserver ${dnsIp}\noptions ndots:5\n`, stderr: '', code: 0 });
  });

  it('keeps answering ip commands from the pod\'s namespace, in any image', async () => {
    const r = await kw('exec', nginxPod, '--', 'ip', 'route');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('default via 169.254.1.1 dev eth0');
  });
});
