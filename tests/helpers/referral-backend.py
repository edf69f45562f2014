#!/usr/bin/env python3
"""A fake IMAP backend for Dovecot's login proxy: every LOGIN and
AUTHENTICATE is answered with NO [REFERRAL imap://TARGET/], which makes
the proxy redirect (and reauthenticate, with proxy_redirect_reauth).

Usage: referral-backend.py TARGET    (TARGET: user@host:port)

Listens on an ephemeral port of 127.0.0.1 and prints it on the first line
of stdout. Exits when stdin reaches EOF: the test program holds the other
end, so the backend never outlives it, even when it aborts."""

import os
import socket
import sys
import threading


def serve(conn, target):
    f = conn.makefile('rwb')
    f.write(b'* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR ID] fake\r\n')
    f.flush()
    for line in f:
        parts = line.split(b' ', 2)
        tag = parts[0]
        cmd = parts[1].strip().upper() if len(parts) > 1 else b''
        if cmd in (b'LOGIN', b'AUTHENTICATE'):
            reply = (tag + b' NO [REFERRAL imap://' + target +
                     b'/] go elsewhere\r\n')
        elif cmd == b'ID':
            reply = b'* ID NIL\r\n' + tag + b' OK\r\n'
        elif cmd == b'CAPABILITY':
            reply = (b'* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR ID\r\n' +
                     tag + b' OK\r\n')
        else:
            reply = tag + b' OK\r\n'
        f.write(reply)
        f.flush()
    conn.close()


def exit_on_eof():
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    target = sys.argv[1].encode()
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(5)
    threading.Thread(target=exit_on_eof, daemon=True).start()
    print(sock.getsockname()[1], flush=True)
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve, args=(conn, target),
                         daemon=True).start()


main()
