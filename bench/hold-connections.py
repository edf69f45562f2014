#!/usr/bin/env python3
"""Open COUNT connections to 127.0.0.1:PORT, send the PROXY header given
as hex (or nothing), wait for each greeting, then keep them open until
stdin closes. Prints "ready" once all are greeted."""
import socket
import sys

port, count, header = int(sys.argv[1]), int(sys.argv[2]), bytes.fromhex(sys.argv[3])
socks = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if header:
        s.sendall(header)
    socks.append(s)
for s in socks:
    data = b""
    while b"\n" not in data:
        chunk = s.recv(1024)
        if not chunk:
            sys.exit("closed before the greeting")
        data += chunk
print("ready", flush=True)
sys.stdin.read()
