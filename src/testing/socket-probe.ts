// What a connecting TCP socket sees, two ways: the python3 programs that probe the kernel (one
// bounded connect(), a listener), and the same reading of the engine's dispositions. Shared by the
// engine's kernel tests. Browser-safe (text and pure functions).

import type { Disposition } from '../engine/walk.ts';
import { fibErrorText, type FibError } from '../engine/route.ts';

/** argv: DST PORT TIMEOUT_S SRC(''=any). Prints connected, timeout or the errno name. */
export const CONNECT_PY = `
import errno, socket, sys
dst, port, timeout, src = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
s = socket.socket(); s.settimeout(timeout)
try:
    if src: s.bind((src, 0))
    s.connect((dst, port)); print('connected')
except socket.timeout: print('timeout')
except OSError as e: print(errno.errorcode.get(e.errno, str(e.errno)))
`;

/** argv: PORT LIFETIME_S. Accepts and closes until its lifetime ends; prints "ready" once listening. */
export const LISTEN_PY = `
import socket, sys, time
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(('0.0.0.0', int(sys.argv[1]))); t.listen(16)
t.settimeout(0.5); print('ready', flush=True); end = time.time() + float(sys.argv[2])
while time.time() < end:
    try: c, _ = t.accept(); c.close()
    except socket.timeout: pass
`;

const ERRNO_OF_TEXT = new Map<string, string>((['ENETUNREACH', 'EHOSTUNREACH', 'EACCES', 'EINVAL'] as FibError[]).map((e) => [fibErrorText(e), e]));

/** The errno an ICMP destination-unreachable code gives a connecting TCP socket (icmp_err_convert). */
const ICMP_ERRNO: Record<string, string> = {
  'net-unreachable': 'ENETUNREACH',
  'host-unreachable': 'EHOSTUNREACH',
  'port-unreachable': 'ECONNREFUSED',
  'proto-unreachable': 'ENOPROTOOPT',
  'admin-prohibited': 'EHOSTUNREACH',
  'net-prohibited': 'ENETUNREACH',
  'host-prohibited': 'EHOSTUNREACH',
};

/**
 * What a connecting TCP socket sees by the engine's account of one outcome: the reply delivered →
 * connected; a RST or an ICMP error → its errno; a failed route lookup at the sender → connect()'s
 * errno; a silent drop → nothing (timeout). `exitsVpc` is what leaving the VPC looks like where
 * the probe runs (the live lab's fabric has no route beyond the VPC: ENETUNREACH).
 */
export function socketSees(fwd: Disposition, reply?: Disposition, exitsVpc = 'ENETUNREACH'): string {
  if (fwd.code === 'delivered' || fwd.code === 'accepted') return reply?.code === 'delivered' ? 'connected' : reply ? socketSees(reply) : 'timeout';
  if (fwd.code === 'exits-vpc') return exitsVpc;
  const sig = fwd.signal ?? '';
  if (sig === 'TCP RST' || sig === 'tcp-reset') return 'ECONNREFUSED';
  const con = /^connect\(\): (.+)$/.exec(sig);
  if (con) return ERRNO_OF_TEXT.get(con[1]) ?? `? ${sig}`;
  const icmp = /^(?:ICMP |icmp-)([a-z-]+)$/.exec(sig);
  if (icmp && ICMP_ERRNO[icmp[1]]) return ICMP_ERRNO[icmp[1]];
  // Dropped without a word (DROP, blackhole while forwarding, rp_filter, source/dest check).
  if (!sig) return 'timeout';
  return `? ${sig}`;
}
