// What a shell on an EKS node sees in /run/netns: containerd's pod namespaces (cni-...) and no
// name for the node's own root namespace. In the lab every namespace is named kw-<id>-..., so
// `ip` would print `link-netns kw-1a2b-n0p1` where a node prints `link-netns cni-...` and
// `link-netns kw-1a2b-n0` where a pod prints `link-netnsid 0`. `lab ssh`/`lab exec` therefore run
// the tool with a private /run/netns: inside `ip netns exec` (which already gives the command
// its own mount namespace, with mounts not propagating back to the host), a small tmpfs on
// /run/netns holds the node's pod namespaces bound under their model names.
//
// The same private mount namespace also carries a pod's /etc/resolv.conf and /etc/hosts as kubelet
// writes them (bind mounts of the lab's files over the host's), so resolvers in `lab exec` ask the
// cluster's DNS.
//
// argv: N model1 real1 ... modelN realN M target1 source1 ... targetM sourceM -- command...

export const NETNS_VIEW_PY = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def mount(src, tgt, fs, flags, data):
    if libc.mount(src.encode(), tgt.encode(), fs.encode() if fs else None, flags, data.encode() if data else None) != 0:
        e = ctypes.get_errno()
        raise OSError(e, 'mount %s: %s' % (tgt, os.strerror(e)))
n = int(sys.argv[1])
names = sys.argv[2:2 + 2 * n]
m = int(sys.argv[2 + 2 * n])
binds = sys.argv[3 + 2 * n:3 + 2 * n + 2 * m]
cmd = sys.argv[3 + 2 * n + 2 * m + 1:]
for i in range(m):
    mount(binds[2 * i + 1], binds[2 * i], None, 4096, None)
fds = [(names[2 * i], os.open('/run/netns/' + names[2 * i + 1], os.O_RDONLY)) for i in range(n)]
mount('kubewire-netns-view', '/run/netns', 'tmpfs', 0, 'size=64k,mode=755')
for name, fd in fds:
    p = '/run/netns/' + name
    open(p, 'w').close()
    mount('/proc/self/fd/%d' % fd, p, None, 4096, None)
    os.close(fd)
os.execvp(cmd[0], cmd)
`;

/** The argv after `ip netns exec REAL` that runs `command` with /run/netns showing only `names`
 *  (model → real), and each file of `binds` (target → source) bind-mounted over its target. */
export function viewArgv(names: Record<string, string>, command: string[], binds: Record<string, string> = {}): string[] {
  const pairs = Object.entries(names).flat();
  const files = Object.entries(binds).flat();
  return ['python3', '-c', NETNS_VIEW_PY, String(pairs.length / 2), ...pairs, String(files.length / 2), ...files, '--', ...command];
}
