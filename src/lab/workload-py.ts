// The pods' servers in the lab (python3, standard library only): one process for the lab. It
// enters each pod's network namespace in turn (setns), opens that pod's sockets there (a socket
// stays in the namespace it was made in), returns to the namespace it was started in (the
// fabric's), and serves them all from threads. Every byte it sends comes from TypeScript (src/lab/workloads.ts): nginx's responses
// (only the Date header is filled in) and CoreDNS's answers (only the id, flags and the question
// as asked are filled in). It exits by itself after TTL seconds and on SIGTERM.
//
// argv: MARKER (kubewire-workload:<prefix>-<id>:lab) CONFIG_JSON_PATH
// Test modes (no sockets): --dns CONFIG QUERY_HEX udp|tcp → reply hex (or "drop");
// --http CONFIG VERSION REQUEST_HEX → the response hex for one request.

export const WORKLOAD_MARKER_PREFIX = 'kubewire-workload:';

export const WORKLOAD_PY = String.raw`
import ctypes, json, os, random, signal, socket, struct, sys, threading, time
from email.utils import formatdate

def load(path):
    with open(path) as f:
        return json.load(f)

# ------------------------------------------------------------------ DNS (CoreDNS, EKS Corefile)
def read_question(q):
    # -> (name bytes with the final zero, lower_fqdn, qtype, qclass, end) for one uncompressed question
    o, labels = 12, []
    while True:
        n = q[o]
        if n & 0xc0:
            raise ValueError('compressed question')
        if n == 0:
            o += 1
            break
        labels.append(q[o + 1:o + 1 + n])
        o += 1 + n
    qtype, qclass = struct.unpack('>HH', q[o:o + 4])
    name = b'.'.join(labels).decode('latin-1').lower() + '.'
    if name == '..':
        name = '.'
    return q[12:o], name, qtype, qclass, o + 4

def skip_name(b, o):
    while True:
        n = b[o]
        if n & 0xc0 == 0xc0:
            return o + 2
        if n == 0:
            return o + 1
        o += 1 + n

def find_opt(q, o, counts):
    # EDNS0 OPT among the query's records after the question -> its bytes (root owner) or None
    for _ in range(sum(counts)):
        start = o
        o = skip_name(q, o)
        rtype, rclass, ttl, rdlen = struct.unpack('>HHIH', q[o:o + 10])
        end = o + 10 + rdlen
        if rtype == 41:
            # CoreDNS SizeAndDo: echo the OPT, version 0, extended rcode and flags cleared but DO,
            # only the options it supports (NSID, EXPIRE, COOKIE, TCP-KEEPALIVE, PADDING).
            opts, p, rd = b'', o + 10, q[o + 10:end]
            i = 0
            while i + 4 <= len(rd):
                code, ln = struct.unpack('>HH', rd[i:i + 4])
                if code in (3, 9, 10, 11, 12):
                    opts += rd[i:i + 4 + ln]
                i += 4 + ln
            return b'\x00' + struct.pack('>HHIH', 41, rclass, ttl & 0xff00, len(opts)) + opts
        o = end
    return None

def enc_name(name):
    out = b''
    for l in name.rstrip('.').split('.'):
        if l:
            out += bytes([len(l)]) + l.encode('latin-1')
    return out + b'\x00'

def strict_octets(s, sep):
    parts = s.split(sep)
    ok = len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and p == str(int(p)) and int(p) <= 255 for p in parts)
    return [int(p) for p in parts] if ok else None

def public_tld(tld, tlds):
    return (len(tld) == 2 and tld.isalpha() and tld.isascii()) or tld in tlds or tld.startswith('xn--')

def vpc_resolver(fw, name, qtype, raw):
    # forward . /etc/resolv.conf -> the VPC resolver model (src/engine/apps/coredns.ts vpcResolverRecords):
    # (rcode, answers, relayed)
    q = name[:-1]
    dom = fw['domain']
    if q == dom or q.endswith('.' + dom):
        head = q[:-len(dom) - 1] if q != dom else ''
        ip = strict_octets(head[3:], '-') if head.startswith('ip-') else None
        if ip is not None:
            n = (ip[0] << 24) | (ip[1] << 16) | (ip[2] << 8) | ip[3]
            if (n & fw['mask']) == fw['net']:
                ans = [raw + struct.pack('>HHIH', 1, 1, fw['ttl'], 4) + bytes(ip)] if qtype == 1 else []
                return 0, ans, True
        return 3, [], True
    tld = q[q.rfind('.') + 1:]
    if not public_tld(tld, fw['tlds']):
        return 3, [], True
    return 2, [], False

def pod_outcome(tbl, name, qtype):
    # pods insecure: <a-b-c-d>.<ns>.pod.<zone>, with an endpoint or _port._proto label ignored (findPods)
    zone = tbl['zone']
    labels = name[:-len(zone) - 1].split('.')
    if not (3 <= len(labels) <= 5 and labels[-1] == 'pod' and labels[-2] in tbl['namespaces']):
        return None
    pod = labels[-3]
    ip = strict_octets(pod, '-') if pod.count('-') == 3 and '--' not in pod else None
    if ip is None:
        return None
    if qtype == 1:
        return {'rc': 0, 'an': [(struct.pack('>HHIH', 1, 1, tbl['ttl'], 4) + bytes(ip)).hex()], 'ns': [], 'ar': [], 'own': True}
    if qtype == 33:
        target = enc_name('%s.%s.pod.%s' % (pod, labels[-2], zone))
        srv = struct.pack('>HHIH', 33, 1, tbl['ttl'], 6 + len(target)) + struct.pack('>HHH', 0, 100, 0) + target
        a = target + struct.pack('>HHIH', 1, 1, tbl['ttl'], 4) + bytes(ip)
        return {'rc': 0, 'an': [srv.hex()], 'ns': [], 'ar': [a.hex()], 'own': True}
    return tbl['nodata']

def dns_reply(tbl, q, proto):
    if len(q) < 12:
        return None
    qid, flags, qd, an, ns, ar = struct.unpack('>HHHHHH', q[:12])
    if flags & 0x8000 or qd != 1:
        return None
    try:
        raw, name, qtype, qclass, end = read_question(q)
        opt = find_opt(q, end, (an, ns, ar))
    except (IndexError, ValueError, struct.error):
        return None
    opcode, rd, cd = (flags >> 11) & 0xf, flags & 0x0100, flags & 0x0010
    zone = tbl['zone']
    question = q[12:end]
    extra = [opt] if opt else []
    in_zone = name == zone or name.endswith('.' + zone)
    if in_zone and qtype in (251, 252):
        # AXFR/IXFR: the kubernetes plugin refuses (not authoritative).
        hdr = struct.pack('>HHHHHH', qid, 0x8000 | (opcode << 11) | rd | cd | 5, 1, 0, 0, len(extra))
        return hdr + question + b''.join(extra)
    out = tbl['exact'].get('%s %d' % (name, qtype)) or tbl['other'].get(name)
    if out is None and in_zone:
        out = tbl['nodata'] if qtype == 6 else (pod_outcome(tbl, name, qtype) or tbl['nx'])
    if out is None:
        rc, fans, relayed = vpc_resolver(tbl['forward'], name, qtype, raw)
        # Relayed from the resolver: AA clear, RA set; SERVFAIL is CoreDNS's own (no upstream answered).
        hdr = struct.pack('>HHHHHH', qid, 0x8000 | (opcode << 11) | (0x0080 if relayed else 0) | rd | cd | rc, 1, len(fans), 0, len(extra))
        return hdr + question + b''.join(fans) + b''.join(extra)
    ans = []
    for h in out['an']:
        b = bytes.fromhex(h)
        ans.append(raw + b if out.get('own') else raw + b[len(raw):])
    if len(ans) > 1 and qtype in (1, 28):
        random.shuffle(ans)  # loadbalance (round_robin)
    auth = [bytes.fromhex(h) for h in out['ns']]
    add = [bytes.fromhex(h) for h in out['ar']] + extra
    aa = 0x0400
    hdr = struct.pack('>HHHHHH', qid, 0x8000 | (opcode << 11) | aa | rd | cd | out['rc'], 1, len(ans), len(auth), len(add))
    msg = hdr + question + b''.join(ans) + b''.join(auth) + b''.join(add)
    limit = 512
    if opt:
        limit = max(512, struct.unpack('>H', opt[3:5])[0])
    if proto == 'udp' and len(msg) > limit:
        # Too big for the client's buffer: truncated, records dropped (CoreDNS would keep what fits).
        hdr = struct.pack('>HHHHHH', qid, 0x8000 | (opcode << 11) | aa | 0x0200 | rd | cd | out['rc'], 1, 0, 0, len(extra))
        msg = hdr + question + b''.join(extra)
    return msg

def serve_dns_udp(sock, tbl):
    while True:
        data, peer = sock.recvfrom(4096)
        r = dns_reply(tbl, data, 'udp')
        if r is not None:
            sock.sendto(r, peer)

def recv_exact(c, n):
    b = b''
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            return None
        b += d
    return b

def serve_dns_conn(c, tbl):
    with c:
        c.settimeout(10)
        try:
            while True:
                ln = recv_exact(c, 2)
                if ln is None:
                    return
                q = recv_exact(c, struct.unpack('>H', ln)[0])
                if q is None:
                    return
                r = dns_reply(tbl, q, 'tcp')
                if r is None:
                    return
                c.sendall(struct.pack('>H', len(r)) + r)
        except OSError:
            return

# ------------------------------------------------------------------ nginx
PLACEHOLDER = b'Thu, 01 Jan 1970 00:00:00 GMT'

def http_reply(resp, req):
    # -> (response bytes, keep the connection open)
    head = req.split(b'\r\n\r\n', 1)[0].decode('latin-1')
    lines = head.split('\r\n')
    parts = lines[0].split(' ')
    if len(parts) != 3 or not parts[2].startswith('HTTP/1.'):
        key = '400-close'
        return bytes.fromhex(resp[key]), False
    method, target, version = parts
    conn = ''
    for l in lines[1:]:
        k, _, v = l.partition(':')
        if k.strip().lower() == 'connection':
            conn = v.strip().lower()
    keep = (conn != 'close') if version == 'HTTP/1.1' else (conn == 'keep-alive')
    c = 'keep' if keep else 'close'
    path = target.split('?', 1)[0]
    if method not in ('GET', 'HEAD'):
        key, keep = '405-close', False
    elif path in ('/', '/index.html'):
        key = 'page-head-' + c if method == 'HEAD' else 'page-' + c
    else:
        key = '404-head-' + c if method == 'HEAD' else '404-' + c
    return bytes.fromhex(resp[key]), keep

def serve_http_conn(c, resp):
    with c:
        c.settimeout(65)  # nginx keepalive_timeout 65
        buf = b''
        try:
            while True:
                while b'\r\n\r\n' not in buf:
                    if len(buf) > 8192:
                        c.sendall(bytes.fromhex(resp['400-close']).replace(PLACEHOLDER, formatdate(usegmt=True).encode()))
                        return
                    d = c.recv(4096)
                    if not d:
                        return
                    buf += d
                req, buf = buf.split(b'\r\n\r\n', 1)
                out, keep = http_reply(resp, req + b'\r\n\r\n')
                c.sendall(out.replace(PLACEHOLDER, formatdate(usegmt=True).encode(), 1))
                if not keep:
                    c.shutdown(socket.SHUT_WR)
                    return
        except OSError:
            return

# ------------------------------------------------------------------ plain listeners
def serve_close(c):
    c.close()

def serve_udp_drop(sock):
    while True:
        sock.recvfrom(65535)

def accept_loop(ls, handler, *args):
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handler, args=(c,) + args, daemon=True).start()

def main():
    if sys.argv[1] == '--dns':
        r = dns_reply(load(sys.argv[2])['dns'], bytes.fromhex(sys.argv[3]), sys.argv[4])
        print('drop' if r is None else r.hex())
        return
    if sys.argv[1] == '--http':
        out, keep = http_reply(load(sys.argv[2])['nginx'][sys.argv[3]], bytes.fromhex(sys.argv[4]))
        print(out.hex(), 'keep' if keep else 'close')
        return
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    signal.signal(signal.SIGINT, lambda *a: os._exit(0))
    cfg = load(sys.argv[2])
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open('/proc/self/ns/net', os.O_RDONLY)
    def setns(fd):
        if libc.setns(fd, 0x40000000) != 0:
            raise OSError(ctypes.get_errno(), 'setns')
    servers = []
    for pod in cfg['pods']:
        if pod['netns']:
            fd = os.open(pod['netns'], os.O_RDONLY)
            setns(fd)
            os.close(fd)
        for l in pod['listen']:
            if l['proto'] == 'udp':
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(('0.0.0.0', l['port']))
            except OSError as e:
                # Two hostNetwork pods declaring one port (the scheduler would not allow it): keep the first.
                print('%s: %s/%d: %s' % (pod['pod'], l['proto'], l['port'], e), flush=True)
                s.close()
                continue
            if l['proto'] == 'tcp':
                s.listen(511)
            servers.append((pod, l, s))
        setns(home)
    for pod, l, s in servers:
        app = l.get('app', pod['kind'])
        if app == 'coredns' and l['port'] == 53:
            t = (serve_dns_udp, (s, cfg['dns'])) if l['proto'] == 'udp' else (accept_loop, (s, serve_dns_conn, cfg['dns']))
        elif app == 'nginx' and pod.get('version') in cfg['nginx']:
            t = (accept_loop, (s, serve_http_conn, cfg['nginx'][pod['version']]))
        else:
            t = (serve_udp_drop, (s,)) if l['proto'] == 'udp' else (accept_loop, (s, serve_close))
        threading.Thread(target=t[0], args=t[1], daemon=True).start()
    print('ready', flush=True)
    time.sleep(float(cfg['ttl']))
    os._exit(0)

main()
`;
