# Runs in namespace B: a one-shot-per-connection TCP server on 8080 answering like a tiny web
# server, for at most 20 seconds.
import socket, threading, time

def handle(c):
    data = b''
    c.settimeout(5)
    try:
        while b'\r\n\r\n' not in data:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        body = b'hello from kwt\n'
        c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)
    finally:
        c.close()

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 8080))
s.listen(8)
s.settimeout(20)
print('ready', flush=True)
end = time.time() + 20
while time.time() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    threading.Thread(target=handle, args=(c,), daemon=True).start()
