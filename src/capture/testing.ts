// Test helper: an AppRun of `wget -qO- http://<service>:<port>/` from a pod, built straight from
// tracePacket (the DNS A and AAAA queries to kube-dns, then the TCP connection), for captures'
// tests to run without the exec command.
import type { ClusterState } from '../control-plane/types.ts';
import { tracePacket } from '../engine/index.ts';
import type { AppFlow, AppRun } from '../engine/apps/types.ts';
import { findPodNetns } from '../k8s/lookup.ts';
import { ipsetsOf } from '../cni/index.ts';

function svcIp(state: ClusterState, ns: string, name: string): string {
  const svc = state.objects[`Service/${ns}/${name}`] as { spec?: { clusterIP?: string } } | undefined;
  const ip = svc?.spec?.clusterIP;
  if (!ip) throw new Error(`no Service ${ns}/${name}`);
  return ip;
}

export interface TestWget {
  pod: string;
  namespace?: string;
  /** Service name in the pod's namespace, or a pod IP (then no DNS). */
  target: string;
  port: number;
  seed?: number;
}

export function testWgetRun(state: ClusterState, o: TestWget): AppRun {
  const ns = o.namespace ?? 'default';
  const from = { pod: o.pod, namespace: ns };
  const where = findPodNetns(state, ns, o.pod);
  const flows: AppFlow[] = [];
  const seed = o.seed ?? 1;
  const ipsets = ipsetsOf(state);
  const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(o.target);
  let dst = o.target;
  if (!isIp) {
    dst = svcIp(state, ns, o.target);
    const dnsIp = svcIp(state, 'kube-system', 'kube-dns');
    const name = `${o.target}.${ns}.svc.cluster.local`;
    const sport = 41234;
    (['A', 'AAAA'] as const).forEach((qtype, i) => {
      const probe = { from, dst: dnsIp, dport: 53, protocol: 'UDP' as const, sport };
      flows.push({
        kind: 'dns',
        probe,
        trace: tracePacket(state, probe, { enumerate: false, seed: seed + i, ipsets }),
        dns: { name, qtype, id: 0x1234 + i, rcode: 'NOERROR', answers: qtype === 'A' ? [dst] : [], ttl: 5 },
        startUs: i * 300,
      });
    });
  }
  const probe = { from, dst, dport: o.port, protocol: 'TCP' as const, sport: 52344 };
  const host = isIp ? `${o.target}:${o.port}` : `${o.target}:${o.port}`;
  flows.push({
    kind: 'http',
    probe,
    trace: tracePacket(state, probe, { enumerate: false, seed, ipsets }),
    http: { method: 'GET', host, path: '/', userAgent: 'Wget', status: 200, server: 'nginx/1.27.5' },
    startUs: 1000,
  });
  const podIp = state.hosts[where.node].namespaces[where.netns].addresses.find((a) => a.family === 4 && a.dev === 'eth0')?.local ?? '';
  return { argv: ['wget', '-qO-', `http://${host}/`], pod: { namespace: ns, name: o.pod, node: where.node, netns: where.netns, ip: podIp }, stdout: '', stderr: '', exitCode: 0, flows };
}
