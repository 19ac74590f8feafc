# Runs in namespace A: one getaddrinfo(AF_UNSPEC) lookup, as most programs do it.
import socket, sys
try:
    socket.getaddrinfo(sys.argv[1], 8080, 0, socket.SOCK_STREAM)
except socket.gaierror:
    pass
