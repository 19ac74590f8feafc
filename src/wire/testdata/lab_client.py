# Runs in namespace A: a bounded set of real packets for the capture tests.
import socket, struct, sys, time

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def echo(dst, ident, seq, size, ttl=64, df=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    s.setsockopt(socket.IPPROTO_IP, 10, 2 if df else 0)  # IP_MTU_DISCOVER: DO / DONT
    payload = bytes(i & 0xff for i in range(size))
    hdr = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
    c = csum(hdr + payload)
    s.sendto(struct.pack('!BBHHH', 8, 0, c, ident, seq) + payload, (dst, 0))
    s.settimeout(1)
    try:
        s.recv(4096)
    except socket.timeout:
        pass
    s.close()

def http(dst, port):
    c = socket.create_connection((dst, port), timeout=5)
    c.sendall(b'GET / HTTP/1.1\r\nHost: nginx:8080\r\nUser-Agent: Wget\r\nConnection: close\r\n\r\n')
    while c.recv(4096):
        pass
    c.close()

peer, tunnel = sys.argv[1], sys.argv[2]
echo(peer, 0x1234, 1, 56)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(bytes(range(100)), (peer, 9999))
time.sleep(0.2)
u.close()
http(peer, 8080)
time.sleep(0.2)
echo('10.78.0.5', 0x2345, 1, 32, ttl=1)
time.sleep(0.2)
echo('10.78.0.5', 0x3456, 1, 1200, df=True)
time.sleep(0.2)
echo(tunnel, 0x4567, 1, 56)
http(tunnel, 8080)
time.sleep(0.3)
