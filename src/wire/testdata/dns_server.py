# Runs in namespace B: a minimal authoritative responder on UDP 53 for the capture tests, so the
# real stub resolver (glibc, busybox) in namespace A walks its search list. It answers
# <ANSWER_NAME> A with <ANSWER_IP>, everything else in cluster.local with NODATA/NXDOMAIN + SOA.
# Exits after 20 seconds.
import socket, struct, sys, time

answer_name, answer_ip = sys.argv[1].lower(), sys.argv[2]

def read_name(b, o):
    labels = []
    while b[o]:
        labels.append(b[o + 1:o + 1 + b[o]].decode())
        o += 1 + b[o]
    return '.'.join(labels) + '.', o + 1

def name(n):
    out = b''
    for l in n.rstrip('.').split('.'):
        out += bytes([len(l)]) + l.encode()
    return out + b'\0'

soa = name('cluster.local.') + struct.pack('!HHIH', 6, 1, 5, 0)
rdata = name('ns.dns.cluster.local.') + name('hostmaster.cluster.local.') + struct.pack('!IIIII', 1, 7200, 1800, 86400, 5)
soa = soa[:-2] + struct.pack('!H', len(rdata)) + rdata

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', 53))
s.settimeout(1)
print('ready', flush=True)
end = time.time() + 20
while time.time() < end:
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        continue
    qid, flags = struct.unpack('!HH', q[:4])
    qname, o = read_name(q, 12)
    qtype = struct.unpack('!H', q[o:o + 2])[0]
    question = q[12:o + 4]
    rd = flags & 0x0100
    if qname.lower() == answer_name:
        if qtype == 1:
            ans = name(qname) + struct.pack('!HHIH', 1, 1, 5, 4) + socket.inet_aton(answer_ip)
            s.sendto(struct.pack('!HHHHHH', qid, 0x8400 | rd, 1, 1, 0, 0) + question + ans, peer)
        else:
            s.sendto(struct.pack('!HHHHHH', qid, 0x8400 | rd, 1, 0, 1, 0) + question + soa, peer)
    else:
        s.sendto(struct.pack('!HHHHHH', qid, 0x8403 | rd, 1, 0, 1, 0) + question + soa, peer)
