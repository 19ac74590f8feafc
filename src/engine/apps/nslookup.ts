// busybox 1.36 nslookup (FEATURE_NSLOOKUP_BIG: its own resolver, networking/nslookup.c):
// - queries: A then AAAA (or the -type= asked); a HOST without a dot is asked once per search
//   domain of resolv.conf and never bare, a HOST with a dot only as given (no ndots rule);
// - all queries go out back to back from one connected UDP socket per server; every reply is
//   printed as it arrives: the "Server:/Address:" header before the first, then "** server can't
//   find NAME: RCODE", or the answers ("Non-authoritative answer:" when AA is clear, "Name:\tN\n
//   Address: A"; nothing for NODATA), each followed by an empty line;
// - an ICMP port unreachable for the first query (kube-proxy's REJECT, nothing on udp/53) comes
//   back before the next write() on the same host path, which then fails: "nslookup: write to
//   'SERVER': Connection refused", and that server is given up (checked against busybox 1.35 over
//   a veth pair);
// - SERVFAIL is retried at once (2 × queries retries in all); unanswered queries are resent
//   every timeout/retry (5 s / 2); no reply at all within 5 s → the next server, and after the
//   last: ";; connection timed out; no servers could be reached" (stdout, status 1);
// - exit status 1 when any reply carried an error rcode.

import { askDns, dnsId, type DnsResult } from './dns-client.ts';
import type { QType } from './coredns.ts';
import { drawSeed, ephemeralPort, jitter, type AppContext, ERRNO_TEXT } from './transport.ts';
import type { PodResolv } from './resolv.ts';
import type { ProgramResult } from './wget.ts';
import { isNumericIpv4 } from './getaddrinfo.ts';

const USAGE = 'BusyBox v1.36.1 multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n\nQuery DNS about HOST\n\nQUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,ptr,srv,any\n';
const QTYPES = ['SOA', 'NS', 'A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'PTR', 'ANY'];

interface Query {
  name: string;
  qtype: QType;
  id: number;
  done: boolean;
}

export function runNslookup(ctx: AppContext, resolv: PodResolv, argv: string[]): ProgramResult {
  const usage: ProgramResult = { stdout: '', stderr: USAGE, exitCode: 1 };
  const args = argv.slice(1);
  const types: string[] = [];
  let timeoutS = 5;
  let retry = 2;
  let port = 53;
  while (args.length && args[0].startsWith('-')) {
    const a = args.shift()!.slice(1);
    const eq = a.indexOf('=');
    const [k, v] = eq < 0 ? [a, ''] : [a.slice(0, eq), a.slice(eq + 1)];
    if (k === 'type' || k === 'querytype') {
      const t = QTYPES.find((x) => x === v.toUpperCase());
      if (!t) return { stdout: '', stderr: `nslookup: invalid query type "${v}"\n`, exitCode: 1 };
      if (!types.includes(t)) types.push(t);
    } else if (k === 'port' && /^\d+$/.test(v)) port = Number(v);
    else if (k === 'retry' && /^\d+$/.test(v)) retry = Math.max(1, Number(v));
    else if ((k === 't' || k === 'timeout') && /^\d+$/.test(v)) timeoutS = Math.max(1, Number(v));
    else if (k !== 'debug') return usage;
  }
  if (args.length < 1 || args.length > 2) return usage;
  const host = args[0];
  const wanted = (types.length ? QTYPES.filter((t) => types.includes(t)) : ['A', 'AAAA']) as string[];
  if (isNumericIpv4(host) && !types.length) return { stdout: '', stderr: 'kubewire: nslookup of an address (PTR) is not modelled\n', exitCode: 1 };
  const unsupported = wanted.find((t) => t !== 'A' && t !== 'AAAA');
  if (unsupported) return { stdout: '', stderr: `kubewire: nslookup -type=${unsupported.toLowerCase()} is not modelled\n`, exitCode: 1 };
  if (port !== 53) return { stdout: '', stderr: 'kubewire: nslookup -port is not modelled\n', exitCode: 1 };
  const servers = args[1] ? [args[1]] : resolv.nameservers.length ? resolv.nameservers : ['127.0.0.1'];
  if (servers.some((s) => !isNumericIpv4(s))) return { stdout: '', stderr: 'kubewire: nslookup with a server given by name is not modelled\n', exitCode: 1 };
  // add_query_with_search: a dotless name under each search domain, else as given.
  const names = host.includes('.') || resolv.search.length === 0 ? [host] : resolv.search.map((s) => `${host}.${s}`);
  const queries: Query[] = [];
  for (const t of wanted) for (const n of names) queries.push({ name: n, qtype: t as QType, id: dnsId(ctx), done: false });

  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  for (const server of servers) {
    const sport = ephemeralPort(ctx);
    const seed = drawSeed(ctx);
    const start = ctx.nowUs;
    const retryUs = (timeoutS * 1_000_000) / retry;
    let replies = 0;
    let servfailRetry = 0;
    for (let round = 0; start + round * retryUs < start + timeoutS * 1_000_000 && replies < queries.length; round++) {
      ctx.nowUs = start + round * retryUs;
      servfailRetry = 2 * queries.length;
      // Every unanswered query goes out; replies come back in the order sent.
      const pending: Array<{ q: Query; at: number; r: DnsResult }> = [];
      let refused: DnsResult | undefined;
      for (const q of queries) {
        if (q.done) continue;
        const sentAt = ctx.nowUs;
        const r = askDns(ctx, server, sport, seed, { name: q.name.replace(/\.$/, ''), qtype: q.qtype, id: q.id });
        ctx.nowUs += jitter(ctx, 8);
        if (r.kind === 'answer') pending.push({ q, at: sentAt + r.rttUs, r });
        if (r.kind === 'error') {
          // The error is queued on the socket before the next write(), which returns it.
          refused = r;
          ctx.nowUs += r.afterUs;
          break;
        }
      }
      if (refused?.kind === 'error') {
        stderr += `nslookup: write to '${server}': ${ERRNO_TEXT[refused.errno]}\n`;
        replies = -1;
        break;
      }
      let last = ctx.nowUs;
      for (let i = 0; i < pending.length; i++) {
        const { q, r } = pending[i];
        const at = Math.max(last + 1, pending[i].at);
        last = at;
        if (r.kind !== 'answer') continue;
        const a = r.answer;
        if (a.rcode === 'SERVFAIL' && servfailRetry > 0) {
          servfailRetry--;
          ctx.nowUs = Math.max(ctx.nowUs, at);
          const again = askDns(ctx, server, sport, seed, { name: q.name.replace(/\.$/, ''), qtype: q.qtype, id: q.id });
          if (again.kind === 'answer') pending.push({ q, at: at + again.rttUs, r: again });
          continue;
        }
        if (q.done) continue;
        q.done = true;
        if (replies++ === 0) stdout += `Server:\t\t${server}\nAddress:\t${server}:53\n\n`;
        if (a.rcode !== 'NOERROR') {
          stdout += `** server can't find ${q.name}: ${a.rcode}\n`;
          exitCode = 1;
        } else {
          if (!a.aa) stdout += 'Non-authoritative answer:\n';
          const owner = q.name.replace(/\.$/, '');
          if (a.cname) stdout += `${owner}\tcanonical name = ${a.cname}\n`;
          for (const addr of a.answers) stdout += `Name:\t${owner}\nAddress: ${addr}\n`;
        }
        stdout += '\n';
      }
      ctx.nowUs = Math.max(ctx.nowUs, last);
      if (replies >= queries.length) break;
      if (round + 1 >= retry) {
        ctx.nowUs = start + timeoutS * 1_000_000;
        break;
      }
    }
    if (replies > 0) {
      const missing = queries.filter((q) => !q.done);
      for (const q of missing) stdout += `*** Can't find ${q.name}: No answer\n`;
      if (missing.length) stdout += '\n';
      return { stdout, stderr, exitCode };
    }
  }
  stdout += ';; connection timed out; no servers could be reached\n\n';
  // The write errors come before the final verdict.
  return { stdout, stderr, exitCode: 1, merged: stderr + stdout };
}
