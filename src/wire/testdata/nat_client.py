# Runs in namespace A for the NAT capture: HTTP to the "service" 10.96.0.10:80, a UDP probe to
# 10.96.0.10:53 (DNATed to a closed port), and an ICMP echo to the backend 10.78.0.2.
import socket, struct, time

c = socket.create_connection(('10.96.0.10', 80), timeout=5)
c.sendall(b'GET / HTTP/1.1\r\nHost: nginx\r\nUser-Agent: Wget\r\nConnection: close\r\n\r\n')
while c.recv(4096):
    pass
c.close()
time.sleep(0.2)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
q = struct.pack('!HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0)
for label in 'nginx.default.svc.cluster.local'.split('.'):
    q += bytes([len(label)]) + label.encode()
q += b'\0' + struct.pack('!HH', 1, 1)
u.sendto(q, ('10.96.0.10', 53))
time.sleep(0.3)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
payload = bytes(range(56))
def csum(b):
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
h = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 1)
s.sendto(struct.pack('!BBHHH', 8, 0, csum(h + payload), 0x4242, 1) + payload, ('10.78.0.2', 0))
s.settimeout(1)
try:
    s.recv(200)
except socket.timeout:
    pass
time.sleep(0.2)
