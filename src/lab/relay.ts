// The wire between the nodes' ENIs and the VPC fabric. The ip-batch plan makes each ENI (model kind
// "device") a multi-queue tap, which shows `qdisc mq` like an ENA NIC and has carrier only while a
// process holds a queue. This relay is that process, one for the whole lab: it starts in the fabric
// namespace and waits on stdin for "go <node-ns-path> nodeDev:fabricDev ..." lines, sent as each
// node's ENI taps come to exist; for each it enters the node's namespace, holds one queue of each
// ENI tap, returns to the fabric, opens the ENI's fabric-side tap, and says "ready <node-ns-path>".
// It copies Ethernet frames both ways between every pair. It exits by itself after `ttl` seconds
// (a forgotten lab goes quiet) and on SIGTERM. (One process instead of one per node: Python's
// start-up is the expensive part of a 20-node `lab up`.) EOF on stdin before any "go" ends it;
// after that, EOF just means no more nodes.
//
// argv: MARKER (kubewire-relay:<prefix>-<id>) TTL_SECONDS

export const RELAY_MARKER_PREFIX = 'kubewire-relay:';

export const RELAY_PY = `
import ctypes, fcntl, os, select, signal, struct, sys, time
TUNSETIFF = 0x400454ca
IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE = 0x0002, 0x1000, 0x0100
libc = ctypes.CDLL(None, use_errno=True)
def setns(path_or_fd):
    fd = os.open(path_or_fd, os.O_RDONLY) if isinstance(path_or_fd, str) else path_or_fd
    if libc.setns(fd, 0x40000000) != 0:
        raise OSError(ctypes.get_errno(), 'setns %s' % path_or_fd)
    if isinstance(path_or_fd, str):
        os.close(fd)
def tap(name, mq):
    fd = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI | (IFF_MULTI_QUEUE if mq else 0)))
    os.set_blocking(fd, False)
    return fd
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
signal.signal(signal.SIGINT, lambda *a: sys.exit(0))
ttl = float(sys.argv[2])
home = os.open('/proc/self/ns/net', os.O_RDONLY)
peer = {}
ctl = sys.stdin.fileno()
os.set_blocking(ctl, False)
buf, went = b'', False
def command(line):
    global went
    parts = line.split()
    if not parts or parts[0] != 'go':
        return
    went = True
    pairs = [p.split(':') for p in parts[2:]]
    setns(parts[1])
    node_fds = [tap(n, True) for n, _ in pairs]
    setns(home)
    for (_, f), a in zip(pairs, node_fds):
        b = tap(f, False)
        peer[a] = b
        peer[b] = a
    print('ready ' + parts[1], flush=True)
deadline = time.monotonic() + ttl
while time.monotonic() < deadline:
    fds = list(peer) + ([ctl] if ctl is not None else [])
    r, _, _ = select.select(fds, [], [], 1.0)
    for fd in r:
        if fd == ctl:
            data = os.read(ctl, 4096)
            if not data:
                if not went:
                    sys.exit(0)
                ctl = None
                continue
            buf += data
            while b'\\n' in buf:
                line, buf = buf.split(b'\\n', 1)
                command(line.decode())
            continue
        for _ in range(64):
            try:
                data = os.read(fd, 65536)
            except (BlockingIOError, OSError):
                break
            try:
                os.write(peer[fd], data)
            except OSError:
                pass
`;
