// kubewire trace SRC DST: a request through the simulated cluster, hop by hop, and its reply.
//   SRC: pod/NAME (in -n NS) or node/NAME
//   DST: svc/NAME:PORT (its ClusterIP), pod/NAME:PORT (its IP), node/NAME:PORT, or IP:PORT
import type { Command } from 'commander';
import { KubewireError } from '../../errors.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import { tracePacket, renderTraceText, type Probe } from '../../engine/index.ts';
import { findNode } from '../../k8s/lookup.ts';
import { notFoundMessage } from '../../k8s/resources.ts';
import { openSession } from '../session.ts';
import { ipsetsOf } from '../../cni/index.ts';
import { parseIntOpt } from './_common.ts';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function splitRef(word: string, what: string): { type: string; name: string } {
  const i = word.indexOf('/');
  if (i <= 0 || i === word.length - 1) throw new KubewireError(`${what} "${word}": expected TYPE/NAME (pod/NAME, node/NAME${what === 'destination' ? ', svc/NAME' : ''})`);
  return { type: word.slice(0, i).toLowerCase(), name: word.slice(i + 1) };
}

export function parseSource(state: ClusterState, word: string, namespace: string): Probe['from'] {
  const { type, name } = splitRef(word, 'source');
  if (type === 'pod' || type === 'po' || type === 'pods') {
    if (!state.objects[`Pod/${namespace}/${name}`]) throw new KubewireError(notFoundMessage('Pod', name));
    return { pod: name, namespace };
  }
  if (type === 'node' || type === 'no' || type === 'nodes') return { node: findNode(state, name).name };
  throw new KubewireError(`source "${word}": a trace starts at a pod/NAME or node/NAME`);
}

export function parseDestination(state: ClusterState, word: string, namespace: string): { dst: string; dport: number } {
  const c = word.lastIndexOf(':');
  if (c < 0) throw new KubewireError(`destination "${word}": add the port, e.g. svc/nginx:8080 or 10.100.0.10:53`);
  const target = word.slice(0, c);
  const portText = word.slice(c + 1);
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new KubewireError(`destination "${word}": port "${portText}" must be a number between 1 and 65535`);
  }
  const dport = Number(portText);
  const m = IPV4.exec(target);
  if (m) {
    if (m.slice(1).some((o) => Number(o) > 255)) throw new KubewireError(`destination "${word}": "${target}" is not an IPv4 address`);
    return { dst: target, dport };
  }
  const { type, name } = splitRef(target, 'destination');
  if (['svc', 'service', 'services'].includes(type)) {
    const svc = state.objects[`Service/${namespace}/${name}`] as { spec?: { clusterIP?: string } } | undefined;
    if (!svc) throw new KubewireError(notFoundMessage('Service', name));
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None') throw new KubewireError(`service "${name}" is headless (clusterIP None): trace a pod of it instead`);
    return { dst: ip, dport };
  }
  if (['pod', 'po', 'pods'].includes(type)) {
    const pod = state.objects[`Pod/${namespace}/${name}`] as { status?: { podIP?: string } } | undefined;
    if (!pod) throw new KubewireError(notFoundMessage('Pod', name));
    if (!pod.status?.podIP) throw new KubewireError(`pod "${name}" has no IP yet`);
    return { dst: pod.status.podIP, dport };
  }
  if (['node', 'no', 'nodes'].includes(type)) return { dst: findNode(state, name).primaryIp, dport };
  throw new KubewireError(`destination "${word}": expected svc/NAME:PORT, pod/NAME:PORT, node/NAME:PORT or IP:PORT`);
}

export function register(program: Command): void {
  program
    .command('trace')
    .description('trace a request hop by hop through routing, netfilter, conntrack, devices and the VPC fabric, and its reply')
    .argument('<source>', 'pod/NAME or node/NAME')
    .argument('<destination>', 'svc/NAME:PORT, pod/NAME:PORT, node/NAME:PORT or IP:PORT')
    .option('-n, --namespace <ns>', 'namespace of the pods and Services named', 'default')
    .option('-p, --protocol <proto>', 'TCP, UDP or ICMP', 'TCP')
    .option('--seed <n>', 'pick one Service endpoint with this seed instead of listing every branch', parseIntOpt('--seed', 0, 2 ** 31 - 1))
    .option('-o, --output <format>', 'text (default) or json')
    .action((src: string, dst: string, opts: { namespace: string; protocol: string; seed?: number; output?: string }, cmd: Command) => {
      if (opts.output !== undefined && opts.output !== 'text' && opts.output !== 'json') {
        throw new KubewireError(`invalid -o "${opts.output}" (must be text or json)`);
      }
      const protocol = opts.protocol.toUpperCase();
      if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'ICMP') throw new KubewireError(`invalid --protocol "${opts.protocol}" (must be TCP, UDP or ICMP)`);
      const s = openSession(cmd);
      const state = s.stored.state;
      const from = parseSource(state, src, opts.namespace);
      const to = parseDestination(state, dst, opts.namespace);
      const ipsets = ipsetsOf(state);
      const trace = tracePacket(state, { from, ...to, protocol }, opts.seed === undefined ? { enumerate: true, ipsets } : { seed: opts.seed, enumerate: false, ipsets });
      process.stdout.write(opts.output === 'json' ? JSON.stringify(trace, null, 2) + '\n' : renderTraceText(trace));
    });
}
