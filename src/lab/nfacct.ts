// kube-proxy's `-m nfacct --nfacct-name NAME` rules need the accounting object to exist (kube-proxy
// creates it over netlink); iptables-restore fails with ENOENT otherwise. There is no nfacct(8) in
// the lab image, so a few lines of Python send NFNL_MSG_ACCT_NEW (nfnetlink subsystem 7).

/** Names used by `-m nfacct --nfacct-name` in iptables-save text. */
export function nfacctNames(saveText: string): string[] {
  const out = new Set<string>();
  for (const m of saveText.matchAll(/--nfacct-name\s+("[^"]*"|\S+)/g)) out.add(m[1].replace(/^"|"$/g, ''));
  return [...out];
}

// argv: NETNS_PATH name... [-- NETNS_PATH name...]...: one process for every namespace (setns
// into each in turn: a netlink socket talks to the namespace it was opened in).
export const NFACCT_PY = `
import ctypes, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
groups, cur = [], None
for a in sys.argv[1:]:
    if a == '--':
        cur = None
    elif cur is None:
        cur = [a]
        groups.append(cur)
    else:
        cur.append(a)
for g in groups:
    fd = os.open(g[0], os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:
        sys.exit('setns %s: %s' % (g[0], os.strerror(ctypes.get_errno())))
    os.close(fd)
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
    for i, name in enumerate(g[1:]):
        n = name.encode() + b'\\0'
        attr = struct.pack('HH', 4 + len(n), 1) + n
        attr += b'\\0' * ((4 - len(attr) % 4) % 4)
        body = struct.pack('BBH', 0, 0, 0) + attr
        msg = struct.pack('IHHII', 16 + len(body), (7 << 8) | 0, 0x1 | 0x4 | 0x400, i + 1, 0) + body
        s.sendto(msg, (0, 0))
        err = struct.unpack('i', s.recv(4096)[16:20])[0]
        if err not in (0, -17):
            sys.exit('nfacct %s in %s: %s' % (name, g[0], os.strerror(-err)))
    s.close()
`;

/** argv (after `python3 -c NFACCT_PY`) creating `names` in each namespace (path → names). */
export function nfacctArgv(groups: Array<[string, string[]]>): string[] {
  return groups.filter(([, n]) => n.length).flatMap(([path, names], i) => [...(i ? ['--'] : []), path, ...names]);
}
