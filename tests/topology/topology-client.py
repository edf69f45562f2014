#!/usr/bin/env python3
"""Load driver of the topology tests (tests/topology/run.sh).

  load      a steady stream of IMAP or POP3 logins through HAProxy: EXTERNAL
            with a CA-signed certificate, PLAIN, and logins that must fail
            (EXTERNAL with a certificate nobody verified, EXTERNAL without a
            certificate, PLAIN with a wrong password), each from one of many
            client addresses; one JSON line per attempt with its outcome
  hold      open many connections (TLS, greeting, nothing more) and keep
            them: the login service reaches its process_limit or
            client_limit
  summarize the attempts of a run: one summary line; exit 1 on a wrong
            identity, an unverified login or a hang

Every successful login is checked in-band: each user's mailbox tree holds
one mailbox (IMAP: LIST "" "whoami-*") or one message (POP3: TOP 1 0,
"Subject: whoami USER") that names its owner. A login whose mail is not
the expected user's is a wrong identity. Each backend greets with its own
name (login_greeting), so every attempt knows which Dovecot served it.

Outcomes: served (the expected user, in-band), refused (a NO/BYE/-ERR from
Dovecot, or the TLS handshake refused, for a login that must fail),
failed (a NO/BYE/-ERR for a login that should have worked: a clean
refusal the client can retry), conn_error (connection refused, reset or
closed early, TLS error: the client sees it), hang (no outcome within
--timeout), wrong_identity, unverified (EXTERNAL succeeded without a
verified certificate).
"""
import argparse
import base64
import json
import os
import random
import socket
import ssl
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

POSITIVE = ("ext", "plain")
NEGATIVE = ("unverified", "nocert", "badpw")


class Refused(Exception):
    pass


class Conn:
    def __init__(self, src, target, ctx, deadline):
        self.deadline = deadline
        host, port = target.rsplit(":", 1)
        self.raw = socket.create_connection(
            (host, int(port)), timeout=self.remaining(),
            source_address=(src, 0))
        self.sport = self.raw.getsockname()[1]
        self.raw.settimeout(self.remaining())
        self.sock = ctx.wrap_socket(self.raw)
        self.buf = b""

    def remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline")
        return left

    def line(self):
        while b"\n" not in self.buf:
            self.sock.settimeout(self.remaining())
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("closed by the server")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def send(self, text):
        self.sock.settimeout(self.remaining())
        self.sock.sendall(text.encode() + b"\r\n")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def contexts(certs):
    """TLS contexts: no client certificate, and one per certificate file"""
    cache = {}

    def get(cert):
        if cert not in cache:
            ctx = ssl.create_default_context(cafile=f"{certs}/ca.pem")
            ctx.check_hostname = False
            if cert:
                ctx.load_cert_chain(f"{certs}/{cert}.pem",
                                    f"{certs}/{cert}.key")
            cache[cert] = ctx
        return cache[cert]
    return get


def greeting_backend(greeting):
    # login_greeting = "dc1 ready." / "dc2 ready."
    for word in greeting.split():
        if word.startswith("dc") and word[2:].isdigit():
            return word
    return "?"


def imap_login(c, kind, user, password, rec, start):
    if kind in ("plain", "badpw"):
        ir = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        c.send(f"a AUTHENTICATE PLAIN {ir}")
    else:
        c.send("a AUTHENTICATE EXTERNAL =")
    while True:
        line = c.line()
        if line.startswith("a "):
            break
        if line.startswith("* BYE"):
            raise Refused(line)
        if line.startswith("+"):
            c.send("*")  # no continuation expected: cancel
    rec["auth_secs"] = round(time.monotonic() - start, 3)
    if not line.startswith("a OK"):
        raise Refused(line)
    c.send('b LIST "" "whoami-*"')
    names = []
    while True:
        line = c.line()
        if line.startswith("b "):
            break
        if line.startswith("* LIST"):
            names.append(line.rsplit(" ", 1)[-1].strip('"'))
    c.send("c LOGOUT")
    return [n[len("whoami-"):] for n in names]


def pop3_login(c, kind, user, password, rec, start):
    if kind in ("plain", "badpw"):
        ir = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        c.send(f"AUTH PLAIN {ir}")
    else:
        c.send("AUTH EXTERNAL =")
    line = c.line()
    rec["auth_secs"] = round(time.monotonic() - start, 3)
    if not line.startswith("+OK"):
        raise Refused(line)
    c.send("TOP 1 0")
    names = []
    line = c.line()
    if line.startswith("+OK"):
        while True:
            line = c.line()
            if line == ".":
                break
            if line.lower().startswith("subject: whoami "):
                names.append(line.split()[-1])
    c.send("QUIT")
    return names


def attempt(args, ctxs, n, kind, user, password, cert, target, src):
    rec = {"n": n, "kind": kind, "user": user, "cert": cert or "",
           "target": target, "src": src, "t0": time.time()}
    start = time.monotonic()
    deadline = start + (args.bad_timeout if kind in NEGATIVE
                        else args.timeout)
    c = None
    stage = "connect"
    try:
        c = Conn(src, target, ctxs(cert), deadline)
        rec["sport"] = c.sport
        stage = "greeting"
        rec["tls_secs"] = round(time.monotonic() - start, 3)
        greeting = c.line()
        rec["greeting_secs"] = round(time.monotonic() - start, 3)
        rec["backend"] = greeting_backend(greeting)
        if not greeting.startswith(("* OK", "+OK")):
            raise Refused(greeting)
        stage = "login"
        login = imap_login if args.proto == "imap" else pop3_login
        names = login(c, kind, user, password, rec, start)
        rec["whoami"] = names
        if kind in ("unverified", "nocert"):
            rec["outcome"] = "unverified"
        elif kind == "badpw" or names != [user]:
            rec["outcome"] = "wrong_identity"
        else:
            rec["outcome"] = "served"
    except Refused as e:
        rec["outcome"] = "refused" if kind in NEGATIVE else "failed"
        rec["detail"] = str(e)[:160]
    except socket.timeout:
        rec["outcome"] = "hang"
        rec["detail"] = stage
    except ssl.SSLError as e:
        # HAProxy refuses a certificate it cannot verify in the handshake
        rec["outcome"] = ("refused" if kind == "unverified" and
                          stage in ("connect", "greeting") else "conn_error")
        rec["detail"] = f"{stage}: {e}"[:160]
    except (OSError, ConnectionError) as e:
        rec["outcome"] = "conn_error"
        rec["detail"] = f"{stage}: {e}"[:160]
    finally:
        if c is not None:
            c.close()
    rec["secs"] = round(time.monotonic() - start, 3)
    rec["t1"] = time.time()
    return rec


def cmd_load(args):
    rnd = random.Random(args.seed)
    ctxs = contexts(args.certs)
    sources = args.sources.split(",")
    bad_sources = (args.bad_sources or args.sources).split(",")
    targets = args.targets.split(",")
    mix = []
    for part in args.mix.split(","):
        kind, weight = part.split("=")
        mix.append((kind, float(weight)))
    kinds, weights = zip(*mix)
    out = open(args.out, "w")
    lock = threading.Lock()

    def run(plan):
        rec = attempt(args, ctxs, *plan)
        with lock:
            out.write(json.dumps(rec) + "\n")
            out.flush()

    pool = ThreadPoolExecutor(max_workers=args.concurrency)
    start = time.monotonic()
    n = 0
    while True:
        due = start + n / args.rate
        if due - start >= args.duration:
            break
        if args.stop_file and os.path.exists(args.stop_file):
            break
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        kind = rnd.choices(kinds, weights)[0]
        i = rnd.randrange(1, args.users + 1)
        target = rnd.choice(targets)
        cert, password = None, None
        if kind == "ext":
            user, cert = f"ext{i:02d}", f"client-ext{i:02d}"
        elif kind == "unverified":
            # CA-less, self-signed, the CN of a real user; to the
            # frontend that lets unverifiable certificates through
            # (--unverified-target) or to a strict one
            user, cert = f"ext{i:02d}", rnd.choice(
                ["selfsigned-ext01", "selfsigned-ext02", "rogue-ext03"])
            user = "ext" + cert[-2:]
            if args.unverified_target:
                target = rnd.choice(args.unverified_target.split(","))
        elif kind == "nocert":
            user = f"ext{i:02d}"
        elif kind == "plain":
            user, password = f"pl{i:02d}", f"pw-pl{i:02d}"
        else:
            user, password = f"pl{i:02d}", "not-the-password"
        src = rnd.choice(bad_sources if kind in NEGATIVE else sources)
        pool.submit(run, (n, kind, user, password, cert, target, src))
        n += 1
    pool.shutdown(wait=True)
    out.close()


def cmd_hold(args):
    """Opens --count connections at once (TCP, TLS, then waits for the
    greeting: the login service accepts them), holds them until --duration
    seconds after the start, closes them. Each greeting is waited for by
    the clock, until --greet-timeout seconds after the start (a connection
    beyond the service's limits may wait in the listen queue until the
    login process kills an older one). Prints how many were greeted
    within that bound and the longest wait, how many got no greeting (by
    then: not_greeted; an error: errors) and how many the server closed
    while held (a greeted one that Dovecot closed to make room: "Connection
    queue full")."""
    ctxs = contexts(args.certs)
    sources = args.sources.split(",")
    targets = args.targets.split(",")
    start = time.monotonic()
    greet_deadline = start + args.greet_timeout
    end = start + max(args.duration, args.greet_timeout)
    results = [None] * args.count

    def one(i):
        c = None
        r = {"greeted": False, "error": None, "closed": False}
        try:
            c = Conn(sources[i % len(sources)], targets[i % len(targets)],
                     ctxs(None), greet_deadline)
            line = c.line()
            r["greeted"] = True
            r["secs"] = time.monotonic() - start
            r["greeting"] = line[:80]
            # held: anything more (a BYE/-ERR) or the close is the server
            # ending it
            c.sock.settimeout(max(0.0, end - time.monotonic()))
            try:
                while c.sock.recv(4096):
                    pass
                r["closed"] = True
            except socket.timeout:
                pass
        except socket.timeout:
            r["error"] = "no greeting"
        except (OSError, ConnectionError) as e:
            r["error"] = str(e)[:80]
            if r["greeted"]:
                r["closed"] = True
        finally:
            if c is not None:
                c.close()
        results[i] = r

    threads = [threading.Thread(target=one, args=(i,))
               for i in range(args.count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    greeted = [r for r in results if r["greeted"]]
    print(json.dumps({
        "held": args.count, "greeted": len(greeted),
        "greet_bound_secs": args.greet_timeout,
        "max_greeting_secs": round(max((r["secs"] for r in greeted),
                                       default=0), 3),
        "not_greeted": sum(r["error"] == "no greeting" for r in results),
        "errors": sum(r["error"] not in (None, "no greeting")
                      for r in results),
        "closed_by_server": sum(r["closed"] for r in results),
        "held_secs": round(time.monotonic() - start, 3)}))


def cmd_summarize(args):
    recs = [json.loads(line) for line in open(args.file)]
    count = {}
    for r in recs:
        count[r["outcome"]] = count.get(r["outcome"], 0) + 1
    # recovery: from the fault's end until a login that should succeed
    # succeeds again on the backend the fault hit (or anywhere, --backend
    # any), counted from the first such login started after the end
    recovery = None
    if args.fault_end is not None:
        ok = sorted(r["t1"] for r in recs
                    if r["outcome"] == "served" and r["t0"] >= args.fault_end
                    and (args.backend == "any" or
                         r.get("backend") == args.backend))
        recovery = round(ok[0] - args.fault_end, 2) if ok else None
    attempts = len(recs)
    refused = count.get("refused", 0) + count.get("failed", 0)
    line = (f"topology run={args.name} attempts={attempts} "
            f"served={count.get('served', 0)} refused={refused} "
            f"(expected={count.get('refused', 0)}, "
            f"retryable={count.get('failed', 0)}) "
            f"conn_errors={count.get('conn_error', 0)} "
            f"hangs={count.get('hang', 0)} "
            f"wrong_identity={count.get('wrong_identity', 0)} "
            f"unverified={count.get('unverified', 0)} "
            f"max_secs={max((r['secs'] for r in recs), default=0)} "
            f"max_secs_good={max((r['secs'] for r in recs if r['kind'] in POSITIVE), default=0)} "
            f"recovery={'n/a' if args.fault_end is None else recovery}"
            f"{'s' if recovery is not None else ''}")
    print(line)
    bad = [r for r in recs if r["outcome"] in
           ("wrong_identity", "unverified", "hang")]
    for r in bad[:10]:
        print("  BAD:", json.dumps(r), file=sys.stderr)
    fails = [r for r in recs if r["outcome"] in ("failed", "conn_error")]
    for r in fails[:args.show_failures]:
        print("  failure:", json.dumps(r), file=sys.stderr)
    if bad:
        return 1
    if count.get("served", 0) == 0:
        print("  no login was served at all", file=sys.stderr)
        return 1
    if args.fault_end is not None and recovery is None:
        print(f"  {args.backend} served no login after the fault's end",
              file=sys.stderr)
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    load = sub.add_parser("load")
    load.add_argument("--proto", choices=("imap", "pop3"), default="imap")
    load.add_argument("--targets", required=True,
                      help="HOST:PORT,... (HAProxy frontends)")
    load.add_argument("--unverified-target", default="",
                      help="frontends for the unverified certificates")
    load.add_argument("--sources", required=True,
                      help="client addresses to bind to, comma separated")
    load.add_argument("--bad-sources", default="",
                      help="addresses of the logins that must fail "
                      "(default: --sources); Dovecot's auth penalty delays "
                      "every login from an address with failed ones")
    load.add_argument("--certs", required=True)
    load.add_argument("--users", type=int, default=32)
    load.add_argument("--rate", type=float, default=10.0,
                      help="attempts started per second")
    load.add_argument("--duration", type=float, default=25.0,
                      help="seconds (at most, with --stop-file)")
    load.add_argument("--stop-file",
                      help="stop starting attempts once this file exists")
    load.add_argument("--concurrency", type=int, default=32)
    load.add_argument("--timeout", type=float, default=25.0,
                      help="a login that should work and has no outcome "
                      "by then hangs")
    load.add_argument("--bad-timeout", type=float, default=40.0,
                      help="the same for logins that must fail (the auth "
                      "penalty delays them by up to 15 s)")
    load.add_argument("--mix", default="ext=45,plain=35,unverified=10,"
                      "nocert=5,badpw=5")
    load.add_argument("--seed", type=int, default=1)
    load.add_argument("--out", required=True)
    hold = sub.add_parser("hold")
    hold.add_argument("--targets", required=True)
    hold.add_argument("--sources", required=True)
    hold.add_argument("--certs", required=True)
    hold.add_argument("--count", type=int, default=60)
    hold.add_argument("--duration", type=float, default=10.0,
                      help="seconds from the start until all are closed")
    hold.add_argument("--greet-timeout", type=float, default=10.0,
                      help="seconds from the start a greeting is waited for")
    summ = sub.add_parser("summarize")
    summ.add_argument("file")
    summ.add_argument("--name", required=True)
    summ.add_argument("--fault-end", type=float)
    summ.add_argument("--backend", default="any")
    summ.add_argument("--show-failures", type=int, default=5)
    args = p.parse_args()
    if args.cmd == "load":
        cmd_load(args)
    elif args.cmd == "hold":
        cmd_hold(args)
    else:
        sys.exit(cmd_summarize(args))


if __name__ == "__main__":
    main()
