#!/usr/bin/env python3
"""Benchmark: a password brute force must not starve honest clients.

What it checks (the issue's acceptance criterion): 40 clients hammering AUTH
with wrong passwords, each from its own loopback address (127.0.0.2 and up),
must not push the wall time of an honest client's whole session (no AUTH, one
1 KB message, from 127.0.0.1) beyond 2x what the same session takes on an
idle server.

Why it holds: the protection plugins hold replies asynchronously instead of
letting the guessers burn the CPU on password hashing:
  tarpit                 every error reply to an unauthenticated client is
                         held `interval` (5s) and so is the greeting of the
                         next connection of a client that got one;
  limit-protocol-errors  the 4th failed AUTH of a session gets 421 4.7.0 and
                         the session closes (max_logon_failures = 3);
  limit-connections      at most 20 concurrent sessions per source address.
None of them holds a thread, so a held guesser costs (almost) nothing.

Phases (each server freshly started in its own temporary directory):
  unloaded               the honest sessions alone (the baseline), on a
                         server with the three plugins above (defaults);
  hammered+protected     the same server, the same sessions, while the
                         attackers hammer it;
  hammered+unprotected   a server without those plugins, hammered the same
                         way, to show what they buy.
The honest sessions of a phase are spread evenly over --duration (22s), so a
hammered phase spans the attackers' whole cycle under the tarpit: three 535s
held 5s each, the 421 of the 4th failure, a greeting held 5s, ...

Password hashing is realistic (store-sqlite pbkdf2_iterations = 210000, the
default), so each wrong password costs ~40 ms of CPU as in production.

The attackers run as threads in a child process, so their Python work does
not compete for the GIL with the honest client whose latency is measured.

This is a benchmark, not a test: it is never registered in ctest and it
exits 0 whether or not the 2x goal is met (non-zero only when something
broke: the server did not start, every honest session failed, ...).

Run from anywhere:  tests/bench/bruteforce_auth.py [--sessions 30]
                    [--attackers 40] [--warmup 3] [--duration 22]
The build directory is MAILFW_BUILD_DIR, else ../../build next to this file;
MAILFW_KEEP_TMP=1 keeps each server's temporary directory (config, stderr log
mailfwd.stderr, maildir) and prints where it is.
"""

import argparse
import base64
import collections
import multiprocessing
import os
import signal
import socket
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import mailfw_harness as harness  # noqa: E402

BASE_PLUGINS = ["store-sqlite", "deliver-maildir", "sasl-login", "sasl-plain"]
PROTECTION_PLUGINS = ["tarpit", "limit-protocol-errors", "limit-connections"]

VICTIM_USER = "victim@example.test"
VICTIM_PASSWORD = "correct horse battery staple"
HONEST_FROM = "sender@example.test"
HONEST_RCPT = "honest@example.test"

# Each reply of an honest session must come within this (a tarpit hold is 5s).
HONEST_TIMEOUT = 30.0
# An attacker's socket wakes up this often to notice the stop request.
ATTACK_POLL = 0.2
# An attacker gives up on a reply after this long (then reconnects).
ATTACK_REPLY_LIMIT = 60.0


def honest_body(size=1024):
    head = (b"From: Honest Sender <sender@example.test>\r\n"
            b"To: <honest@example.test>\r\n"
            b"Subject: benchmark message\r\n"
            b"\r\n")
    line = b"The quick brown fox jumps over the lazy dog, 0123456789.\r\n"
    body = head
    while len(body) + len(line) <= size:
        body += line
    body += b"x" * max(0, size - len(body) - 2) + b"\r\n"
    return body


# --------------------------------------------------------------------------
# The honest client
# --------------------------------------------------------------------------

class SessionFailed(Exception):
    pass


def _expect(reply, code, what):
    if reply.code != code:
        raise SessionFailed("%s: expected %d, got %r" % (what, code, reply.raw))


def honest_session(port, body):
    """One whole session from 127.0.0.1; returns its wall time in seconds."""
    t0 = time.perf_counter()
    c = harness.SmtpClient(port, host="127.0.0.1", timeout=HONEST_TIMEOUT)
    try:
        _expect(c.greeting, 220, "greeting")
        _expect(c.ehlo("honest.example.test"), 250, "EHLO")
        _expect(c.cmd("MAIL FROM:<%s>" % HONEST_FROM), 250, "MAIL FROM")
        _expect(c.cmd("RCPT TO:<%s>" % HONEST_RCPT), 250, "RCPT TO")
        _expect(c.cmd("DATA"), 354, "DATA")
        c.send(harness.dot_stuff(body) + b".\r\n")
        _expect(c.read_reply(), 250, "end of DATA")
        _expect(c.cmd("QUIT"), 221, "QUIT")
    finally:
        c.close()
    return time.perf_counter() - t0


def run_honest(port, sessions, interval, body):
    """`sessions` sequential sessions, started `interval` s apart (at once when
    the previous one ran late); returns (times_s, failures)."""
    times, failures = [], []
    t0 = time.monotonic()
    for i in range(sessions):
        wait = t0 + i * interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            times.append(honest_session(port, body))
        except (SessionFailed, harness.ConnectionClosed, AssertionError, OSError) as e:
            failures.append("%s: %s" % (type(e).__name__, str(e)[:300]))
    return times, failures


# --------------------------------------------------------------------------
# The attackers (threads in a child process)
# --------------------------------------------------------------------------

class _Stop(Exception):
    pass


class _Closed(Exception):
    pass


class _Line:
    """Reads reply codes off a socket with a short timeout, so that a thread
    waiting on a held (tarpitted) reply still notices the stop request."""

    def __init__(self, sock, stop):
        self.sock, self.stop, self.buf = sock, stop, b""

    def reply(self):
        deadline = time.monotonic() + ATTACK_REPLY_LIMIT
        while True:
            while b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                if len(line) < 3 or not line[:3].isdigit():
                    raise _Closed("malformed reply line %r" % line[:80])
                if len(line) == 3 or line[3:4] == b" ":
                    return int(line[:3])
            if self.stop.is_set():
                raise _Stop()
            if time.monotonic() > deadline:
                raise socket.timeout("no reply within %.0fs" % ATTACK_REPLY_LIMIT)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                continue
            except (ConnectionResetError, BrokenPipeError):
                raise _Closed("reset")
            if not chunk:
                raise _Closed("closed")
            self.buf += chunk

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            raise _Closed("reset on send")


def attacker(index, host, port, stop, counts):
    source = "127.0.0.%d" % (2 + index)
    n = 0
    while not stop.is_set():
        try:
            sock = socket.create_connection((host, port), timeout=5.0, source_address=(source, 0))
        except OSError:
            counts["connect_refused"] += 1
            stop.wait(0.1)
            continue
        counts["connections"] += 1
        sock.settimeout(ATTACK_POLL)
        conn = _Line(sock, stop)
        try:
            code = conn.reply()
            if code == 421:
                counts["421_at_connect"] += 1
                continue
            if code != 220:
                counts["other_%d_at_connect" % code] += 1
                continue
            conn.send(b"EHLO attacker%d.example.test\r\n" % index)
            code = conn.reply()
            if code != 250:
                counts["other_%d_to_ehlo" % code] += 1
                continue
            while True:
                n += 1
                token = base64.b64encode(
                    ("\0%s\0wrong-password-%d-%d" % (VICTIM_USER, index, n)).encode())
                conn.send(b"AUTH PLAIN " + token + b"\r\n")
                counts["attempts"] += 1
                code = conn.reply()
                if code == 535:
                    counts["535"] += 1
                elif code == 421:
                    counts["421_to_auth"] += 1
                    break
                elif code == 235:
                    counts["235_unexpected"] += 1
                    break
                else:
                    counts["other_%d_to_auth" % code] += 1
                    if code >= 500 or code == 454:
                        continue
                    break
        except _Stop:
            break
        except _Closed:
            counts["closed_by_server"] += 1
        except (socket.timeout, TimeoutError):
            counts["reply_timeouts"] += 1
        except OSError as e:
            counts["os_error_%s" % (e.errno or type(e).__name__)] += 1
        finally:
            sock.close()


def attacker_process(host, port, attackers, go, stop_mp, ready, results):
    """Child process: `attackers` threads; counts go back through `results`."""
    stop = threading.Event()
    counts = [collections.Counter() for _ in range(attackers)]
    threads = [threading.Thread(target=attacker, args=(i, host, port, stop, counts[i]), daemon=True)
               for i in range(attackers)]
    ready.set()
    go.wait()
    t0 = time.monotonic()
    for t in threads:
        t.start()
    stop_mp.wait()
    stop.set()
    elapsed = time.monotonic() - t0
    for t in threads:
        t.join(timeout=5)
    total = collections.Counter()
    for c in counts:
        total.update(c)
    results.put({"elapsed": elapsed, "counts": dict(total),
                 "stuck_threads": sum(t.is_alive() for t in threads)})


def check_sources(attackers):
    """Every 127.0.0.x the attackers need must be bindable (Linux: all of 127/8)."""
    for i in range(attackers):
        ip = "127.0.0.%d" % (2 + i)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((ip, 0))
            except OSError as e:
                raise SystemExit("cannot bind the attacker source %s (%s); on this system only "
                                 "127.0.0.1 may be usable" % (ip, e))


# --------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------

def start_server(protected):
    loads = BASE_PLUGINS + (PROTECTION_PLUGINS if protected else [])
    srv = harness.MailfwServer(
        loads=loads,
        listeners={"bench": {"role": "gateway", "tls": "none", "auth": "optional",
                             "allow_plaintext_auth": True}},
        users={VICTIM_USER: VICTIM_PASSWORD},
        store={"pbkdf2_iterations": 210000},
        deliver={"domains": ["example.test"]})
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    return srv


def server_summary(srv):
    """Counts of what the server logged (tarpit holds, limit hits, ...)."""
    log = srv.read_log()
    needles = collections.OrderedDict([
        ("tarpit 535 holds", "Tarpit: 535 held"),
        ("tarpit greeting holds", "Tarpit: greeting held"),
        ("logon-failure closes", "ProtocolViolationCount (logon failures)"),
        ("per-source refusals", "ConnectionCountPerSource"),
        ("auth failures", "authentication failed"),
    ])
    return {k: log.count(v) for k, v in needles.items()}, log


class Attack:
    """The attacker threads, in a child process, against one server."""

    def __init__(self, port, attackers):
        ctx = multiprocessing.get_context("spawn")
        self.go, self.stop, ready = ctx.Event(), ctx.Event(), ctx.Event()
        self.results = ctx.Queue()
        self.proc = ctx.Process(target=attacker_process,
                                args=("127.0.0.1", port, attackers, self.go, self.stop, ready,
                                      self.results),
                                daemon=True)
        self.proc.start()
        if not ready.wait(30):
            self.close()
            raise RuntimeError("the attacker process did not start")
        self.go.set()

    def finish(self):
        """Stop the attackers; their counts."""
        self.stop.set()
        try:
            return self.results.get(timeout=30)
        finally:
            self.close()

    def close(self):
        self.stop.set()
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=5)


def measure(name, srv, args, body, attack=None):
    interval = args.duration / args.sessions
    t0 = time.monotonic()
    times, failures = run_honest(srv.port, args.sessions, interval, body)
    measured = time.monotonic() - t0
    counts = attack.finish() if attack else None
    died = srv.died()
    ms = sorted(t * 1000 for t in times)
    print("   %-22s %d sessions ok, %d failed, median %.1f ms, over %.1fs%s"
          % (name, len(ms), len(failures), statistics.median(ms) if ms else float("nan"),
             measured, "; SERVER DIED: " + died if died else ""), flush=True)
    for f in failures[:5]:
        print("   failed session: %s" % f, flush=True)
    return {"phase": name, "times": times, "failures": failures, "attack": counts,
            "died": died, "server": None}


def run_server(protected, phases, args, body, out):
    """One server; `phases` is a list of (name, hammered) measured in order
    (the attackers, once started, hammer until the end of the phase)."""
    print("== mailfwd with %s" % ", ".join(BASE_PLUGINS + (PROTECTION_PLUGINS if protected else [])),
          flush=True)
    srv = start_server(protected)
    attack = None
    rows = []
    try:
        # One untimed session first: first-use costs (maildir creation, ...)
        # are not what is measured.
        try:
            honest_session(srv.port, body)
        except Exception as e:  # noqa: BLE001 - the timed runs report failures
            print("   warm-up session failed: %s" % e, flush=True)
        for name, hammered in phases:
            if hammered and args.attackers:
                attack = Attack(srv.port, args.attackers)
                print("   %d attackers hammering AUTH from 127.0.0.2-127.0.0.%d; warm-up %.1fs"
                      % (args.attackers, 1 + args.attackers, args.warmup), flush=True)
                time.sleep(args.warmup)
            rows.append(measure(name, srv, args, body, attack))
            attack = None
    finally:
        if attack is not None:
            attack.close()
        rc = srv.stop()
        summary, _log = server_summary(srv)
        srv.cleanup()
    print("   server exit status %s on SIGTERM" % rc, flush=True)
    rows[-1]["server"] = summary  # the log covers the whole server, shown once
    for r in rows:
        r["rc"] = rc
    out.extend(rows)


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def print_report(rows):
    base = rows[0]
    base_ms = sorted(t * 1000 for t in base["times"])
    base_median = statistics.median(base_ms) if base_ms else float("nan")
    print()
    hdr = "%-22s %8s %8s %8s %8s %6s %10s %8s %8s %8s" % (
        "phase", "median", "p95", "max", "ratio", "fail", "auth/s", "535", "421", "refused")
    print(hdr)
    print("%-22s %8s %8s %8s %8s %6s %10s %8s %8s %8s" % (
        "", "ms", "ms", "ms", "median", "", "attacker", "", "to AUTH", "at conn"))
    print("-" * len(hdr))
    for r in rows:
        ms = sorted(t * 1000 for t in r["times"])
        med = statistics.median(ms) if ms else float("nan")
        p95 = percentile(ms, 95)
        mx = ms[-1] if ms else float("nan")
        ratio = med / base_median if base_median else float("nan")
        a = r["attack"]
        if a:
            c = a["counts"]
            rate = "%.1f" % (c.get("attempts", 0) / a["elapsed"]) if a["elapsed"] else "-"
            n535 = str(c.get("535", 0))
            n421 = str(c.get("421_to_auth", 0))
            refused = str(c.get("connect_refused", 0) + c.get("421_at_connect", 0))
        else:
            rate = n535 = n421 = refused = "-"
        print("%-22s %8.1f %8.1f %8.1f %7.2fx %6d %10s %8s %8s %8s" % (
            r["phase"], med, p95, mx, ratio, len(r["failures"]), rate, n535, n421, refused))
    print()
    for r in rows:
        a = r["attack"]
        if a:
            extra = ", ".join("%s=%d" % kv for kv in sorted(a["counts"].items()))
            print("%s attackers (%.1fs): %s%s" % (r["phase"], a["elapsed"], extra,
                                                   ", stuck threads=%d" % a["stuck_threads"]
                                                   if a["stuck_threads"] else ""))
        if r["server"] is not None:
            print("%s server log (whole run of that server): %s" % (r["phase"], ", ".join(
                "%s=%d" % kv for kv in r["server"].items())))
    print()
    prot = next((r for r in rows if r["phase"] == "hammered+protected"), None)
    if prot is None:
        print("(no protected phase run)")
        return
    pms = sorted(t * 1000 for t in prot["times"])
    pmed = statistics.median(pms) if pms else float("nan")
    ok = bool(pms) and not prot["failures"] and pmed <= 2 * base_median
    verdict = "PASS" if ok else "FAIL"
    why = "protected median %.1f ms vs unloaded %.1f ms (%.2fx, goal <= 2x)" % (
        pmed, base_median, pmed / base_median if base_median else float("nan"))
    if prot["failures"]:
        why += "; %d honest session(s) failed" % len(prot["failures"])
    if ok:
        print("PASS: protected median within 2x of unloaded (%s)" % why)
    else:
        print("%s: protected median not within 2x of unloaded (%s)" % (verdict, why))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", type=int, default=30, help="honest sessions per phase (default 30)")
    p.add_argument("--attackers", type=int, default=40,
                   help="attacker threads, one loopback source each from 127.0.0.2 (default 40, max 253)")
    p.add_argument("--warmup", type=float, default=3.0,
                   help="seconds the attackers hammer before the honest sessions start (default 3)")
    p.add_argument("--duration", type=float, default=22.0,
                   help="seconds over which each phase's honest sessions are spread (evenly "
                        "spaced starts), so that a hammered phase spans the attackers' whole "
                        "tarpit cycle: 3 held 535s, the 421, a held greeting (default 22)")
    p.add_argument("--skip-unprotected", action="store_true",
                   help="do not run the hammered+unprotected phase")
    args = p.parse_args()
    if args.sessions < 1 or not 0 <= args.attackers <= 253 or args.duration < 0 \
            or args.warmup < 0:
        p.error("--sessions must be >= 1, --attackers 0..253, --duration and --warmup >= 0")
    harness.require_binaries()
    for n in PROTECTION_PLUGINS:
        if not os.path.exists(os.path.join(harness.PLUGIN_DIR, n + ".so")):
            raise SystemExit("missing plugin %s.so in %s; build first" % (n, harness.PLUGIN_DIR))
    check_sources(args.attackers)
    # A SIGTERM to the benchmark unwinds like ^C: the finally blocks stop the
    # server and the attacker process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    body = honest_body()
    rows = []
    load_before = os.getloadavg()
    t0 = time.monotonic()
    # The baseline and the protected run share one server (same warm state);
    # the unprotected run gets a server without the protection plugins.
    run_server(True, [("unloaded", False), ("hammered+protected", True)], args, body, rows)
    if not args.skip_unprotected:
        run_server(False, [("hammered+unprotected", True)], args, body, rows)
    print_report(rows)
    print("(%d honest sessions per phase, started %.2fs apart, 1 KB message; %d attackers,"
          " warm-up %.1fs; pbkdf2_iterations 210000; %d CPUs; load average %.2f before, %.2f after;"
          " total %.0fs)" % (args.sessions, args.duration / args.sessions, args.attackers,
                              args.warmup, os.cpu_count() or 0, load_before[0], os.getloadavg()[0],
                              time.monotonic() - t0))
    if not rows[0]["times"] or any(r["died"] for r in rows):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
