#!/usr/bin/env python3
"""An IMAP client for the demo: connects from a chosen loopback address
through HAProxy with TLS and a client certificate, and authenticates with
SASL EXTERNAL. Usage: demo-client.py SRC_IP PORT CERT KEY"""
import socket
import ssl
import sys

src, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sock = socket.create_connection(("127.0.0.1", port), timeout=10,
                                source_address=(src, 0))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(cert, key)
tls = ctx.wrap_socket(sock)
f = tls.makefile("rwb")


def line():
    text = f.readline().decode().rstrip("\r\n")
    print("  S: " + text)
    return text


def send(text):
    print("  C: " + text)
    f.write((text + "\r\n").encode())
    f.flush()


line()
send("a AUTHENTICATE EXTERNAL =")
reply = line()
while not reply.startswith("a "):
    reply = line()
send("b LOGOUT")
while not line().startswith("b "):
    pass
sys.exit(0 if reply.startswith("a OK") else 1)
