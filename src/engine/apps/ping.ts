// busybox 1.36 ping (FEATURE_FANCY_PING, networking/ping.c) on a raw ICMP socket:
// "PING HOST (IP): N data bytes", one echo request a second (-i), "N+8 bytes from IP: seq=S
// ttl=T time=X.XXX ms" per reply (no time when -s < 4), ICMP errors ignored (their id is not
// ours), then "--- HOST ping statistics ---", transmitted/received/loss and, with replies,
// "round-trip min/avg/max". After the last request it waits ~2 RTT (at least 1 s) when replies
// came, else -W seconds (10). Exit status 1 when nothing came back (or fewer than -c within -w).
// Without -c the real ping runs until interrupted; kubewire stops after 4 requests, as a Ctrl-C
// then would, and says so on stderr.

import { getaddrinfo } from './getaddrinfo.ts';
import { drawSeed, jitter, outcomeOf, traceFlow, ERRNO_TEXT, type AppContext, type Errno } from './transport.ts';
import type { PodResolv } from './resolv.ts';
import type { PodView } from './workloads.ts';
import type { ProgramResult } from './wget.ts';

export const UNBOUNDED_PING_CAP = 4;

const USAGE =
  'BusyBox v1.36.1 multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n\nSend ICMP ECHO_REQUESTs to HOST\n\n' +
  '\t-4,-6\t\tForce IP or IPv6 name resolution\n\t-c CNT\t\tSend only CNT pings\n\t-s SIZE\t\tSend SIZE data bytes in packets (default 56)\n' +
  '\t-i SECS\t\tInterval\n\t-A\t\tPing as soon as reply is received\n\t-t TTL\t\tSet TTL\n\t-I IFACE/IP\tSource interface or IP address\n' +
  '\t-W SEC\t\tWait for a reply SEC seconds after the last ping (default 10)\n\t-w SEC\t\tExit after SEC seconds\n' +
  '\t-q\t\tQuiet, only display output at start/finish\n\t-p HEXBYTE\tPayload pattern\n';

const fmtMs = (us: number) => `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;

export function runPing(ctx: AppContext, pod: PodView, resolv: PodResolv, argv: string[]): ProgramResult {
  const usage: ProgramResult = { stdout: '', stderr: USAGE, exitCode: 1 };
  let count = 0;
  let datalen = 56;
  let quiet = false;
  let deadlineS = 0;
  let waitS = 10;
  let intervalS = 1;
  const hosts: string[] = [];
  const num = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      hosts.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if ('qvAn4'.includes(c)) {
        if (c === 'q') quiet = true;
        continue;
      }
      if ('cstwWIpi'.includes(c)) {
        const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (v === undefined) return { stdout: '', stderr: `ping: option requires an argument -- '${c}'\n${USAGE}`, exitCode: 1 };
        if (c === 'i') {
          const f = Number(v);
          if (!Number.isFinite(f) || f < 0) return { stdout: '', stderr: `ping: invalid number '${v}'\n`, exitCode: 1 };
          intervalS = f;
        } else if (c === 'I' || c === 'p') {
          return { stdout: '', stderr: `kubewire: ping -${c} is not modelled\n`, exitCode: 1 };
        } else {
          const n = num(v);
          if (n === undefined) return { stdout: '', stderr: `ping: invalid number '${v}'\n`, exitCode: 1 };
          if (c === 'c') count = n;
          if (c === 's') datalen = Math.min(n, 65535);
          if (c === 'w') deadlineS = n;
          if (c === 'W') waitS = n;
        }
        break;
      }
      return { stdout: '', stderr: `ping: invalid option -- '${c}'\n${USAGE}`, exitCode: 1 };
    }
  }
  if (hosts.length !== 1) return usage;
  const host = hosts[0];
  const res = getaddrinfo(ctx, pod, resolv, host);
  if (!res.ok) return { stdout: '', stderr: `ping: bad address '${host}'\n`, exitCode: 1 };
  const ip = res.addresses.find((a) => !a.includes(':')) ?? res.addresses[0];
  let stdout = `PING ${host} (${ip}): ${datalen} data bytes\n`;
  let stderr = '';
  // Without -c the real ping runs until -w's deadline, or until interrupted (kubewire's cap).
  const capped = count === 0 && deadlineS === 0;
  const limit = count || (deadlineS ? Math.ceil(deadlineS / Math.max(intervalS, 0.001)) + 1 : UNBOUNDED_PING_CAP);
  // The ICMP id is the pid (kubectl exec's process in the container: a small number).
  const id = 2 + Math.floor(ctx.rng() * 60);
  const seed = drawSeed(ctx);
  const start = ctx.nowUs;
  const deadlineUs = deadlineS ? start + deadlineS * 1_000_000 : Infinity;
  const rtts: number[] = [];
  let sent = 0;
  let lastReplyAt = start;
  let sendErr: Errno | undefined;
  for (let seq = 0; seq < limit; seq++) {
    const at = start + Math.round(seq * intervalS * 1_000_000);
    if (at >= deadlineUs) break;
    ctx.nowUs = at;
    const { branch } = traceFlow(ctx, { kind: 'icmp', icmpSeq: seq, icmpDataLen: datalen }, { dst: ip, dport: 0, protocol: 'ICMP', sport: id }, seed);
    const f = branch.forward.disposition;
    if (f.signal?.startsWith('connect(): ')) {
      sendErr = (Object.entries(ERRNO_TEXT).find(([, t]) => t === f.signal!.slice(11))?.[0] as Errno | undefined) ?? 'ENETUNREACH';
      break;
    }
    sent++;
    const out = outcomeOf(ctx, branch, 'ICMP');
    if (out.kind !== 'answered') continue;
    const rtt = out.rttUs + jitter(ctx, 20);
    rtts.push(rtt);
    lastReplyAt = at + rtt;
    if (!quiet) stdout += `${datalen + 8} bytes from ${ip}: seq=${seq} ttl=${out.replyTtl}${datalen >= 4 ? ` time=${fmtMs(rtt)} ms` : ''}\n`;
  }
  if (sendErr) return { stdout, stderr: `ping: sendto: ${ERRNO_TEXT[sendErr]}\n`, exitCode: 1 };
  const received = rtts.length;
  // After the last request: all answered → done; else wait (2 RTT, ≥ 1 s, or -W), bounded by -w.
  if (received < limit || capped) {
    const lastSent = start + Math.round((sent - 1) * intervalS * 1_000_000);
    const waitUs = received ? Math.max(1, Math.floor(Math.max(...rtts) / (512 * 1024))) * 1_000_000 : waitS * 1_000_000;
    ctx.nowUs = Math.min(deadlineUs, lastSent + waitUs);
  } else ctx.nowUs = lastReplyAt;
  stdout += `\n--- ${host} ping statistics ---\n${sent} packets transmitted, ${received} packets received, ${sent ? Math.floor(((sent - received) * 100) / sent) : 0}% packet loss\n`;
  if (received && datalen >= 4) {
    const min = Math.min(...rtts);
    const max = Math.max(...rtts);
    const avg = Math.floor(rtts.reduce((a, b) => a + b, 0) / received);
    stdout += `round-trip min/avg/max = ${fmtMs(min)}/${fmtMs(avg)}/${fmtMs(max)} ms\n`;
  }
  if (capped) stderr += `kubewire: ping without -c runs until interrupted; stopped after ${UNBOUNDED_PING_CAP} requests, as Ctrl-C would\n`;
  const failed = received === 0 || (deadlineS > 0 && count > 0 && received < count);
  return { stdout, stderr, exitCode: failed ? 1 : 0 };
}
