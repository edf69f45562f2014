#!/usr/bin/env python3
"""Clients for scripts/core-gaps.sh: run each scenario against the private
stock Dovecot and HAProxy it started and print a markdown table row per
scenario with the protocol reply received and the Dovecot log line seen.

Every scenario's client has a source address of its own (through HAProxy)
or puts one into its PROXY header (crafted headers), so a log line belongs
to a scenario by its rip=."""
import argparse
import csv
import io
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import time

TIMEOUT = 5.0
LOG_WAIT = 4.0

ap = argparse.ArgumentParser()
ap.add_argument("--dir", required=True)
ap.add_argument("--base", type=int, required=True)
args = ap.parse_args()
DIR = args.dir
CERTS = os.path.join(DIR, "certs")
LOG = os.path.join(DIR, "dovecot.log")
DOVECOT = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()


def d(n):
    return args.base + n


def h(n):
    return args.base + 10 + n


# ---------------------------------------------------------------- log

def log_lines():
    try:
        with open(LOG, "rb") as f:
            return f.read().decode("utf-8", "backslashreplace").splitlines()
    except FileNotFoundError:
        return []


def wait_log(pred, timeout=LOG_WAIT):
    """The first log line pred() accepts, polling until timeout."""
    end = time.time() + timeout
    while True:
        for line in log_lines():
            if pred(line):
                return line
        if time.time() >= end:
            return None
        time.sleep(0.1)


def login_line(ip, timeout=LOG_WAIT):
    """The login process's line (Login: or the disconnect/abort line) for
    the client with remote address ip."""
    tag = "rip=%s," % ip
    return wait_log(lambda l: tag in l and "-login: " in l, timeout)


def auth_lines(ip):
    tag = ",%s," % ip
    return [l for l in log_lines() if "auth" in l and tag in l and ": Debug: " not in l]


def escape(value):
    """value (decoded with surrogateescape) printable in a markdown code
    span: bytes that are not UTF-8, control characters, backquote, bar and
    backslash as \\xNN."""
    out = []
    for ch in value:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            out.append("\\x%02x" % (o - 0xDC00))
        elif ch.isprintable() and ch not in "`|\\":
            out.append(ch)
        elif o < 256:
            out.append("\\x%02x" % o)
        else:
            out.append("\\u%04x" % o)
    return "".join(out)


def cert_username(ip):
    """The cert_username the login process sent to auth for the client
    (auth_debug's "client in: AUTH" line), escaped; "(none)" if it sent
    none, None if it sent no request."""
    # the value may hold any byte, newlines too: search the whole log
    try:
        with open(LOG, "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return None
    for m in re.finditer(r"client in: AUTH\t", text):
        end = text.find("\trip=%s\t" % ip, m.end())
        nxt = text.find("client in: AUTH\t", m.end())
        if end < 0 or (0 <= nxt < end):
            continue
        request = text[m.end():end]
        c = re.search(r"\tcert_username=([^\t]*)", request)
        if not c:
            return "(none)"
        return escape(c.group(1)) if c.group(1) else "(empty)"
    return None


def clean(line):
    """A log line without timestamp and session id, shortened."""
    if line is None:
        return "(no line)"
    m = re.search(r"\b(imap|pop3|submission|managesieve)-login: .*|\bauth(-worker)?(\([^)]*\))?(<[^>]*>)?: .*", line)
    if m:
        line = m.group(0)
    line = re.sub(r", session=<[^>]*>", "", line)
    line = re.sub(r", mpid=\d+", "", line)
    return line


def user_of(line):
    m = line and re.search(r"(?:Login|Logged in): user=<([^>]*)>", line)
    return m.group(1) if m else None


# ---------------------------------------------------------------- connections

class Conn:
    def __init__(self, port, src=None, tls=False, cert=None, raw=None):
        if raw is not None:
            self.s = raw
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(TIMEOUT)
            if src:
                s.bind((src, 0))
            s.connect(("127.0.0.1", port))
            if tls:
                ctx = ssl.create_default_context(cafile=os.path.join(CERTS, "ca.pem"))
                if cert:
                    ctx.load_cert_chain(os.path.join(CERTS, cert + ".pem"),
                                        os.path.join(CERTS, cert + ".key"))
                s = ctx.wrap_socket(s, server_hostname="localhost")
            self.s = s
        self.s.settimeout(TIMEOUT)
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            try:
                data = self.s.recv(4096)
            except (socket.timeout, ssl.SSLError, OSError) as e:
                raise EOFError("no reply (%s)" % type(e).__name__)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "backslashreplace")

    def send(self, text):
        self.s.sendall(text.encode() + b"\r\n")

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def short(reply):
    reply = re.sub(r"\[CAPABILITY [^\]]*\]", "[CAPABILITY …]", reply)
    return reply


# Each protocol function: greeting read, EXTERNAL (or LOGIN) sent; returns
# (ok, reply line).

def imap_greeting(c):
    g = c.line()
    return g


def imap_external(c, greeting=True):
    if greeting:
        imap_greeting(c)
    c.send("a AUTHENTICATE EXTERNAL =")
    r = c.line()
    while r.startswith("* "):
        r = c.line()
    ok = r.startswith("a OK")
    try:
        c.send("b LOGOUT")
    except OSError:
        pass
    return ok, r


def pop3_external(c):
    c.line()
    c.send("AUTH EXTERNAL =")
    r = c.line()
    try:
        c.send("QUIT")
    except OSError:
        pass
    return r.startswith("+OK"), r


def smtp_external(c):
    r = c.line()
    while r[3:4] == "-":
        r = c.line()
    c.send("EHLO client.test")
    r = c.line()
    while r[3:4] == "-":
        r = c.line()
    c.send("AUTH EXTERNAL =")
    r = c.line()
    try:
        c.send("QUIT")
    except OSError:
        pass
    return r.startswith("235"), r


def sieve_external(c):
    r = c.line()
    while not r.startswith("OK"):
        r = c.line()
    # initial response "=": an empty authorization identity
    c.send('AUTHENTICATE "EXTERNAL" "="')
    r = c.line()
    try:
        c.send("LOGOUT")
    except OSError:
        pass
    return r.startswith("OK"), r


# ---------------------------------------------------------------- PROXY v2

SIG = b"\r\n\r\n\x00\r\nQUIT\n"
PP2_TYPE_AUTHORITY = 0x02
PP2_TYPE_CRC32C = 0x03
PP2_TYPE_SSL = 0x20
PP2_SUBTYPE_SSL_VERSION = 0x21
PP2_SUBTYPE_SSL_CN = 0x22
CLIENT_SSL, CERT_CONN, CERT_SESS = 0x01, 0x02, 0x04


def tlv(t, value):
    return struct.pack("!BH", t, len(value)) + value


def ssl_tlv(client, verify, subs):
    return tlv(PP2_TYPE_SSL, struct.pack("!BI", client, verify) + b"".join(subs))


def cn(name):
    return tlv(PP2_SUBTYPE_SSL_CN, name)


def version(v=b"TLSv1.3"):
    return tlv(PP2_SUBTYPE_SSL_VERSION, v)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def v2_header(src, tlvs, dst="127.0.0.1", sport=40000, dport=143, crc=None):
    """crc: None (no CRC32C TLV), "good" or "bad"."""
    body = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    body += b"".join(tlvs)
    if crc is not None:
        body += tlv(PP2_TYPE_CRC32C, b"\0\0\0\0")
    hdr = SIG + b"\x21\x11" + struct.pack("!H", len(body)) + body
    if crc is not None:
        value = crc32c(hdr)
        if crc == "bad":
            value ^= 0x5A5A5A5A
        hdr = hdr[:-4] + struct.pack("!I", value)
    return hdr


def crafted(header, split=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(TIMEOUT)
    s.bind(("127.0.0.1", 0))
    s.connect(("127.0.0.1", d(0)))
    if split is None:
        s.sendall(header)
    else:
        s.sendall(header[:split])
        time.sleep(0.2)
        try:
            s.sendall(header[split:])
        except OSError as e:
            s.close()
            raise EOFError("second part of the header not accepted: %s" % e)
    return Conn(None, raw=s)


# ---------------------------------------------------------------- table

rows = []


def md(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


KNOWN = ("certuser", "haproxy-backend", "plainuser")
last_ip = None


def row(sid, question, answer, reply, evidence):
    # a CN that reached auth as none of the names sent: say so
    cu = cert_username(last_ip) if last_ip else None
    if answer.startswith("no") and cu not in (None, "(none)") and cu not in KNOWN:
        answer += " (the CN reached auth garbled)"
    rows.append((sid, question, answer, reply, evidence))
    print("| %s | %s | **%s** | `%s` | `%s` |" % tuple(
        md(x) for x in (sid, question, answer, reply, evidence)), flush=True)


def run_login(fn, conn_factory, ip):
    """(ok, reply, login line) of one login attempt."""
    global last_ip
    last_ip = ip
    try:
        c = conn_factory()
    except (OSError, ssl.SSLError) as e:
        return False, "connect failed: %s" % e, None
    try:
        ok, reply = fn(c)
    except EOFError as e:
        ok, reply = False, str(e)
    time.sleep(0.1)
    c.close()
    return ok, reply, login_line(ip)


def login_as(ip, ok, line, user):
    """yes if the login succeeded as user (reply and log agree)."""
    return "yes" if ok and user_of(line) == user else "no"


def evidence(ip, line):
    ev = clean(line)
    cu = cert_username(ip)
    if cu is not None:
        ev += " ‖ login→auth: cert_username=%s" % cu
    if "Login:" not in (line or ""):
        extra = [clean(l) for l in auth_lines(ip)]
        if extra:
            ev += " ‖ " + " ‖ ".join(extra[-2:])
    return ev


print("| # | question | answer | protocol reply | Dovecot log |")
print("|---|---|---|---|---|")

# 1. EXTERNAL through HAProxy TLS termination, CA-signed client certificate
for i, (proto, port, fn) in enumerate([
        ("IMAP", h(0), imap_external), ("POP3", h(1), pop3_external),
        ("submission", h(2), smtp_external), ("ManageSieve", h(3), sieve_external)]):
    ip = "127.0.1.%d" % (i + 1)
    ok, reply, line = run_login(fn, lambda: Conn(port, ip, True, "client"), ip)
    row("1" + "abcd"[i],
        "%s: HAProxy TLS termination, CA-signed client cert (CN certuser), AUTH EXTERNAL: logged in as certuser?" % proto,
        login_as(ip, ok, line, "certuser"), short(reply), evidence(ip, line))

# 2. unverified (self-signed) client certificate let through by HAProxy
ip = "127.0.2.1"
ok, reply, line = run_login(imap_external, lambda: Conn(h(4), ip, True, "selfsigned"), ip)
row("2", "IMAP: HAProxy `crt-ignore-err all ca-ignore-err all`, self-signed cert CN certuser (verify != 0 in the TLV): EXTERNAL logged in as certuser (unverified CN accepted)?",
    login_as(ip, ok, line, "certuser"), short(reply), evidence(ip, line))

# 3. re-encryption to the ssl = yes listener with backend mTLS
ip = "127.0.3.1"
ok, reply, line = run_login(imap_external, lambda: Conn(h(5), ip, True, None), ip)
row("3", "IMAP: HAProxy re-encrypts to the `ssl = yes` listener with its own cert (CN haproxy-backend); client WITHOUT cert, EXTERNAL: logged in as haproxy-backend (proxy identity leaks)?",
    login_as(ip, ok, line, "haproxy-backend"), short(reply), evidence(ip, line))
ip = "127.0.3.2"
ok, reply, line = run_login(imap_external, lambda: Conn(h(5), ip, True, "client"), ip)
u = user_of(line) if ok else None
row("3b", "same, client WITH CA-signed cert CN certuser: logged in as certuser? (else as whom)",
    login_as(ip, ok, line, "certuser") + ("" if u in (None, "certuser") else " (as %s)" % u),
    short(reply), evidence(ip, line))

# 4. crafted PROXY v2 headers to the plain haproxy = yes listener
GOOD = [ssl_tlv(CLIENT_SSL | CERT_CONN | CERT_SESS, 0, [version(), cn(b"certuser")])]


def crafted_attempt(ip, header, split=None):
    """(greeted, ok, reply, login line) of one crafted connection."""
    global last_ip
    last_ip = ip
    seen_before = set(log_lines())
    greeted = False
    c = None
    try:
        c = crafted(header, split)
        g = imap_greeting(c)
        greeted = g.startswith("* OK")
        ok, reply = imap_external(c, greeting=False)
        reply = "greeting * OK; " + reply if greeted else reply
    except EOFError as e:
        ok, reply = False, ("greeting, then " if greeted else "no greeting: ") + str(e)
    time.sleep(0.1)
    if c:
        c.close()
    line = login_line(ip)
    if line is None and not greeted:
        # a refused header: whatever the login process logged meanwhile
        line = wait_log(lambda l: "haproxy" in l.lower() and "127.0.0.1" in l and
                        l not in seen_before, 1.0)
    return greeted, ok, reply, line


def crafted_case(sid, question, ip, header, split=None, expect_user="certuser",
                 answer=None):
    greeted, ok, reply, line = crafted_attempt(ip, header, split)
    user = user_of(line) if ok else None
    if answer is None:
        a = login_as(ip, ok, line, expect_user)
    else:
        a = answer(greeted, ok, user)
    row(sid, question, a, short(reply), evidence(ip, line))


SPLIT_TRIES = 5


def split_case(sid, question, net, split):
    """The same split header SPLIT_TRIES times (rip 127.0.<net>.1..): how
    many were accepted, with the evidence of one refused and one accepted."""
    accepted, refused = [], []
    for k in range(1, SPLIT_TRIES + 1):
        ip = "127.0.%d.%d" % (net, k)
        greeted, ok, reply, line = crafted_attempt(ip, v2_header(ip, GOOD), split)
        good = ok and user_of(line) == "certuser"
        (accepted if good else refused).append((ip, reply, line))
    global last_ip
    last_ip = None
    n = len(accepted)
    a = "yes" if n == SPLIT_TRIES else "no" if n == 0 else "sometimes"
    a += " (%d/%d accepted)" % (n, SPLIT_TRIES)
    shown = ([refused[0]] if refused else []) + ([accepted[0]] if accepted else [])
    row(sid, question, a,
        " ‖ ".join(short(r) for _, r, _ in shown),
        " ‖ ".join(evidence(ip, l) for ip, _, l in shown))


crafted_case("4", "control: valid v2 header in one send, SSL TLV client=0x07 verify=0 CN certuser: EXTERNAL logged in as certuser?",
             "127.0.4.1", v2_header("127.0.4.1", GOOD))
split_case("4a", "same header split across two sends (after 8 bytes, inside the signature), 200 ms pause: accepted (EXTERNAL as certuser)?",
           42, 8)
split_case("4a'", "same header split after 20 bytes (fixed part complete, addresses cut), 200 ms pause: accepted (EXTERNAL as certuser)?",
           43, 20)
crafted_case("4b", "CRC32C TLV that does NOT match: header accepted (greeting)?",
             "127.0.4.4", v2_header("127.0.4.4", GOOD, crc="bad"),
             answer=lambda g, ok, u: "yes" + (" (EXTERNAL as %s)" % u if u else "") if g else "no")
crafted_case("4b'", "control: CRC32C TLV that matches: header accepted (greeting)?",
             "127.0.4.5", v2_header("127.0.4.5", GOOD, crc="good"),
             answer=lambda g, ok, u: "yes" + (" (EXTERNAL as %s)" % u if u else "") if g else "no")
crafted_case("4c", "SSL TLV with CN certuser but client=0x00 (no SSL bit), verify=0: EXTERNAL logged in as certuser?",
             "127.0.4.6", v2_header("127.0.4.6", [ssl_tlv(0, 0, [cn(b"certuser")])]))
crafted_case("4d", "CN `certuser\\0x` (NUL inside): identity accepted? (as which user)",
             "127.0.4.7", v2_header("127.0.4.7", [ssl_tlv(CLIENT_SSL | CERT_CONN | CERT_SESS, 0, [version(), cn(b"certuser\0x")])]),
             answer=lambda g, ok, u: ("yes (user=<%s>)" % u) if u else ("no" if g else "no (header refused)"))
crafted_case("4e", "two SSL TLVs (CN certuser, then CN haproxy-backend): accepted? which CN wins",
             "127.0.4.8", v2_header("127.0.4.8", [
                 ssl_tlv(CLIENT_SSL | CERT_CONN | CERT_SESS, 0, [version(), cn(b"certuser")]),
                 ssl_tlv(CLIENT_SSL | CERT_CONN | CERT_SESS, 0, [version(), cn(b"haproxy-backend")])]),
             answer=lambda g, ok, u: ("yes (user=<%s>)" % u) if u else ("no" if g else "no (header refused)"))
crafted_case("4e'", "one SSL TLV with two CN sub-TLVs (certuser, then haproxy-backend): accepted? which CN wins",
             "127.0.4.9", v2_header("127.0.4.9", [
                 ssl_tlv(CLIENT_SSL | CERT_CONN | CERT_SESS, 0, [version(), cn(b"certuser"), cn(b"haproxy-backend")])]),
             answer=lambda g, ok, u: ("yes (user=<%s>)" % u) if u else ("no" if g else "no (header refused)"))
crafted_case("4f", "verify=1 (HAProxy could not verify) with client=0x07 (SSL, CERT_CONN, CERT_SESS), CN certuser: EXTERNAL logged in as certuser?",
             "127.0.4.10", v2_header("127.0.4.10", [ssl_tlv(CLIENT_SSL | CERT_CONN | CERT_SESS, 1, [version(), cn(b"certuser")])]))

# 5. plaintext client, HAProxy send-proxy-v2 (no SSL TLV)
ip = "127.0.5.1"
greeting = ""


def imap_login(c):
    global greeting
    greeting = c.line()
    c.send("a LOGIN plainuser secret")
    r = c.line()
    while r.startswith("* "):
        r = c.line()
    try:
        c.send("b LOGOUT")
    except OSError:
        pass
    return r.startswith("a OK"), r


ok, reply, line = run_login(imap_login, lambda: Conn(h(6), ip), ip)
secured = bool(line) and re.search(r", secured(,|$)", line) is not None
caps = "LOGINDISABLED" if "LOGINDISABLED" in greeting else "no LOGINDISABLED"
caps += ", STARTTLS" if "STARTTLS" in greeting else ", no STARTTLS"
row("5a", "plaintext client through HAProxy `send-proxy-v2` (no SSL TLV): logged as `secured`?",
    "yes" if secured else "no", "greeting: %s" % caps, evidence(ip, line))
row("5b", "same: LOGIN plainuser secret allowed despite %s?" % (
    "disable_plaintext_auth = yes" if DOVECOT.startswith("2.3.") else "auth_allow_cleartext = no"),
    "yes" if ok else "no", short(reply), evidence(ip, line))

ip = "127.0.5.2"
ok, reply, line = run_login(imap_login, lambda: Conn(h(7), ip), ip)
secured = bool(line) and re.search(r", secured(,|$)", line) is not None
caps = "LOGINDISABLED" if "LOGINDISABLED" in greeting else "no LOGINDISABLED"
row("5c", "same, but HAProxy connects to Dovecot from 127.0.0.2 (`source`), not from Dovecot's own address 127.0.0.1: logged as `secured`, LOGIN allowed?",
    ("yes" if secured else "no") + ", " + ("yes" if ok else "no"),
    "greeting: %s; %s" % (caps, short(reply)), evidence(ip, line))

last_ip = None

# 6. health checks: a second HAProxy alone, option tcp-check, LOCAL header
before = len(log_lines())
window = 3.0
hp = subprocess.Popen(["haproxy", "-db", "-f", os.path.join(DIR, "haproxy-checks.cfg")],
                      stdout=open(os.path.join(DIR, "haproxy-checks.log"), "wb"),
                      stderr=subprocess.STDOUT)
time.sleep(window)
stat = ""
try:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    s.connect(os.path.join(DIR, "haproxy-checks.sock"))
    s.sendall(b"show stat\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    for r in csv.DictReader(io.StringIO(data.decode().lstrip("# "))):
        if r.get("svname") == "dovecot":
            stat = "check_status=%s, status=%s, chkfail=%s" % (
                r.get("check_status"), r.get("status"), r.get("chkfail"))
except OSError as e:
    stat = "stats socket: %s" % e
hp.send_signal(signal.SIGTERM)
hp.wait(timeout=5)
time.sleep(0.5)
new = [l for l in log_lines()[before:] if "imap-login" in l]
info = [l for l in new if ": Info: " in l]
checks = int(window / 0.3)
row("6", "HAProxy `option tcp-check`, `tcp-check expect string \"* OK\"`, `send-proxy-v2 check inter 300ms` (LOCAL header): an Info line in Dovecot's log for every check?",
    "yes" if len(info) >= checks // 2 else "no",
    "%s; %d imap-login log lines (%d Info) in %.0f s (≈%d checks)" % (stat, len(new), len(info), window, checks),
    clean(info[0]) if info else (clean(new[0]) if new else "(no line)"))
