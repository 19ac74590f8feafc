// The wire between a node's ENI and the VPC fabric. The ip-batch plan makes each ENI (model kind
// "device") a multi-queue tap, which shows `qdisc mq` like an ENA NIC and has carrier only while a
// process holds a queue. This relay is that process: it runs inside the node's namespace, holds
// one queue of each ENI tap, enters the fabric namespace, opens the fabric-side tap of each ENI,
// and copies Ethernet frames both ways. It exits by itself after `ttl` seconds (a forgotten lab
// goes quiet) and on SIGTERM. It is started early (Python's start-up overlaps the node's build) and
// waits for "go" on stdin, sent once the node's ENI taps exist; EOF instead means give up.
//
// argv: MARKER (kubewire-relay:<prefix>-<id>:n<i>) FABRIC_NETNS_PATH TTL_SECONDS nodeDev:fabricDev ...

export const RELAY_MARKER_PREFIX = 'kubewire-relay:';

export const RELAY_PY = `
import ctypes, fcntl, os, select, signal, struct, sys, time
TUNSETIFF = 0x400454ca
IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE = 0x0002, 0x1000, 0x0100
def tap(name, mq):
    fd = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI | (IFF_MULTI_QUEUE if mq else 0)))
    os.set_blocking(fd, False)
    return fd
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
signal.signal(signal.SIGINT, lambda *a: sys.exit(0))
fabric, ttl = sys.argv[2], float(sys.argv[3])
pairs = [a.split(':') for a in sys.argv[4:]]
if sys.stdin.readline().strip() != 'go':
    sys.exit(0)
node_fds = [tap(n, True) for n, _ in pairs]
libc = ctypes.CDLL(None, use_errno=True)
nsfd = os.open(fabric, os.O_RDONLY)
if libc.setns(nsfd, 0x40000000) != 0:
    raise OSError(ctypes.get_errno(), 'setns ' + fabric)
os.close(nsfd)
fab_fds = [tap(f, False) for _, f in pairs]
peer = {}
for a, b in zip(node_fds, fab_fds):
    peer[a] = b
    peer[b] = a
print('ready', flush=True)
deadline = time.monotonic() + ttl
while time.monotonic() < deadline:
    r, _, _ = select.select(list(peer), [], [], 1.0)
    for fd in r:
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
