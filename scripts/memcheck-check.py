#!/usr/bin/env python3
"""Read the reports scripts/memcheck.sh collected and print a summary.

Usage: memcheck-check.py valgrind|asan DIR

DIR has one directory per test environment (tests/integration/env.sh with
TEST_MEMCHECK_DIR), each with the test program's command line in
"program" and:
- valgrind: valgrind-SERVICE-PID.xml (and .log) for each login process;
- asan: asan.EXE.PID for each Dovecot process the ASan runtime was loaded
  into (verbosity=1 makes every process write its file, so the files count
  the processes), ubsan.EXE.PID where UBSan reported something.

Fails (exit 1) on any memory error, any UBSan report, any definite leak
with one of our modules (or our sources) in its allocation stack, and any
valgrind log that ends without its summary (a process killed before its
leak check). Definite leaks allocated by Dovecot alone are counted and
listed, not failed: they are not the plugin's.
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

OURS = re.compile(r"haproxy_tlv|haproxy-tlv|doveadm_haproxy|doveadm-haproxy"
                  r"|proxy-header|proxy_header")


def ours(text):
    return OURS.search(text) is not None


def program_of(envdir):
    try:
        with open(os.path.join(envdir, "program")) as f:
            argv0 = f.read().split(" ")[0]
        return os.path.basename(argv0)
    except OSError:
        return "?"


class Totals:
    def __init__(self):
        self.processes = 0
        self.errors = []        # (where, text)
        self.our_leaks = []     # (where, text)
        self.other_leaks = 0
        self.other_leak_bytes = 0
        self.incomplete = []    # where
        self.suppressed = {}    # name -> count
        self.by_program = {}    # program -> processes
        self.slow_starts = 0    # login processes the master killed

    def failed(self):
        return bool(self.errors or self.our_leaks or self.incomplete)


def valgrind_frames(error):
    """The error's stack, then the stacks of its auxiliary descriptions
    (where a block was allocated or freed)"""
    frames = []
    for frame in error.iter("frame"):
        parts = [frame.findtext(t) or "" for t in ("fn", "obj", "dir", "file")]
        line = frame.findtext("line") or ""
        frames.append("%s (%s %s/%s:%s)" % (parts[0], parts[1], parts[2],
                                           parts[3], line))
    return frames


def check_valgrind(path, where, t):
    with open(path, "rb") as f:
        data = f.read()
    if b"</valgrindoutput>" not in data:
        t.incomplete.append(where)
        return
    root = ET.fromstring(data)
    for error in root.iter("error"):
        kind = error.findtext("kind") or ""
        frames = valgrind_frames(error)
        what = error.findtext("what") or \
            error.findtext("xwhat/text") or kind
        text = "%s: %s\n    %s" % (kind, what, "\n    ".join(frames))
        if not kind.startswith("Leak_"):
            t.errors.append((where, text))
        elif any(ours(f) for f in frames):
            t.our_leaks.append((where, text))
        else:
            t.other_leaks += 1
            t.other_leak_bytes += int(error.findtext(
                "xwhat/leakedbytes") or 0)
    for pair in root.findall("suppcounts/pair"):
        name = pair.findtext("name")
        t.suppressed[name] = t.suppressed.get(name, 0) + \
            int(pair.findtext("count") or 0)


SEPARATOR = "=" * 65


def check_asan(path, where, t):
    with open(path, errors="replace") as f:
        check_asan_text(f.read(), where, t)


def check_asan_text(text, where, t):
    # the reports after the start-up lines verbosity=1 writes
    for report in text.split(SEPARATOR)[1:]:
        if "ERROR: LeakSanitizer: detected memory leaks" in report:
            for block in re.split(r"\n(?=(?:Direct|Indirect) leak of )",
                                  report)[1:]:
                block = block.split("\n\n")[0]
                if not block.startswith("Direct"):
                    continue
                if ours(block):
                    t.our_leaks.append((where, block))
                else:
                    t.other_leaks += 1
                    m = re.match(r"Direct leak of (\d+)", block)
                    t.other_leak_bytes += int(m.group(1)) if m else 0
        elif "ERROR:" in report or "WARNING:" in report:
            t.errors.append((where, report.strip()))
    # LeakSanitizer could not run, or another fatal problem outside a
    # report
    for line in text.splitlines():
        if re.search(r"LeakSanitizer has encountered a fatal error|"
                     r"LeakSanitizer does not work", line):
            t.errors.append((where, line))


LOG_PREFIX = re.compile(r"^\w+ +\d+ [\d:]+ ([\w-]+)(?:\([^)]*\))?"
                        r"(?:<[^>]*>)*: \w+: ")


def check_dovecot_log(path, where, t):
    """A login process's sanitizer reports end up in Dovecot's log (its
    stderr) rather than in the log_path files; one report's lines may
    interleave with other processes' lines, so they are grouped by the
    process name the log gives them"""
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    texts = {}
    for line in lines:
        m = LOG_PREFIX.match(line)
        if m is None:
            continue
        texts.setdefault(m.group(1), []).append(line[m.end():])
    for name, body in sorted(texts.items()):
        text = "\n".join(body)
        if not re.search(r"Sanitizer|runtime error:", text):
            continue
        check_asan_text(text, "%s (%s)" % (where, name), t)
        check_ubsan_text(text, "%s (%s)" % (where, name), t)


def check_ubsan(path, where, t):
    with open(path, errors="replace") as f:
        check_ubsan_text(f.read(), where, t)


def check_ubsan_text(text, where, t):
    for report in re.split(r"\n(?=\S+:\d+:\d+: runtime error:)", text):
        if "runtime error:" in report:
            t.errors.append((where, report.strip()))


def main():
    mode, top = sys.argv[1], sys.argv[2]
    t = Totals()
    envs = sorted(d for d in os.listdir(top)
                  if os.path.isdir(os.path.join(top, d)))
    for env in envs:
        envdir = os.path.join(top, env)
        program = program_of(envdir)
        for name in sorted(os.listdir(envdir)):
            path = os.path.join(envdir, name)
            where = "%s %s" % (program, os.path.relpath(path, top))
            if mode == "valgrind" and name.endswith(".xml"):
                t.processes += 1
                t.by_program[program] = t.by_program.get(program, 0) + 1
                check_valgrind(path, where, t)
            elif mode == "asan" and name.startswith("asan."):
                t.processes += 1
                t.by_program[program] = t.by_program.get(program, 0) + 1
                check_asan(path, where, t)
            elif mode == "asan" and name.startswith("ubsan."):
                check_ubsan(path, where, t)
            elif mode == "asan" and name in ("dovecot.log",
                                             "dovecot.stdout"):
                check_dovecot_log(path, where, t)
            if name == "dovecot.log":
                # Dovecot's master kills a process that has not reported
                # its status 30 s after it started: its report is lost
                with open(path, errors="replace") as f:
                    t.slow_starts += f.read().count(
                        "Initial status notification not received")

    for where, text in t.errors:
        print("ERROR in %s:\n%s\n" % (where, text))
    for where, text in t.our_leaks:
        print("LEAK (ours) in %s:\n%s\n" % (where, text))
    for where in t.incomplete:
        print("INCOMPLETE (no summary: killed before its leak check?): %s"
              % where)
    print("memcheck %s summary" % mode)
    print("  environments:       %d" % len(envs))
    print("  processes checked:  %d (%s)" % (t.processes, ", ".join(
        "%s %d" % (p, n) for p, n in sorted(t.by_program.items()))))
    print("  errors:             %d" % len(t.errors))
    print("  definite leaks with our modules in the stack: %d"
          % len(t.our_leaks))
    print("  definite leaks of Dovecot alone (not ours): %d (%d bytes)"
          % (t.other_leaks, t.other_leak_bytes))
    if mode == "valgrind":
        print("  logs without a summary: %d" % len(t.incomplete))
        for name, count in sorted(t.suppressed.items()):
            print("  suppressed %s: %d" % (name, count))
    print("  processes the master killed after 30 s without a status: %d"
          % t.slow_starts)
    print("  result: %s" % ("FAIL" if t.failed() else "OK"))
    return 1 if t.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
