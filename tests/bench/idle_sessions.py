#!/usr/bin/env python3
"""Benchmark: idle sessions cost no CPU and their timers never leak.

What it checks (the issue's acceptance criterion): "Timers never leak: a
session that ends cancels its timers; 10,000 idle sessions cost no CPU."

Every session on the server under test carries the per-session state of all
the limit plugins: limit-timers gives it a ConnectionTimer (an asio
steady_timer through the host's timer_start) and an inactivity timer (no asio
timer of its own: the core folds it into the session's read deadline);
limit-connections holds two counter increments, tarpit a counter key,
limit-protocol-errors, limit-size, limit-recipients and limit-hops their
counts. connection_timeout and inactivity_timeout are 1h (the core's idle
cap), so nothing may fire during the run.

Phases, all on one mailfwd:
  before        the server started, no session: RSS, threads, open fds;
  open          --sessions (10000) sessions opened, spread over the source
                addresses 127.0.0.2 and up (--per-source, 1000 each, so the
                per-source limits are not what is measured; limit-connections
                is raised above N); each reads the 220 greeting, sends EHLO
                and reads the 250 reply, then says nothing;
  idle (N open) mailfwd's CPU time (utime+stime of /proc/<pid>/stat) and its
                context switches (all threads) over --idle (10) seconds;
                every session must still be open at the end;
  closed        all sessions closed (the client drops the connection, or
                QUIT with --quit); once mailfwd's fd count is back, RSS, and
                CPU over another --idle window with 0 sessions: a timer that
                outlived its session would show here;
  round 2       another N opened and closed: RSS must not grow (leak check).
KiB per session = (RSS with N open - RSS before) / N.

PASS when mailfwd uses less than 1% of one core in both idle windows, every
session stayed open, the fds came back, and RSS after round 2 is within 10%
(or 5 MiB) of RSS after the first close; else CHECK: with the figure.

This is a benchmark, not a test: it is never registered in ctest and it
exits 0 whether or not the goal is met (1 when mailfwd crashed or did not
exit 0 on SIGTERM, 2 when no session could be opened at all).

File descriptors: the client and mailfwd each need N plus a few. This script
raises its own RLIMIT_NOFILE to the hard limit (mailfwd, started with
subprocess.Popen, inherits it) and, should mailfwd's soft limit still be too
low, raises it with prlimit(2); when even the hard limit is too low, N is
lowered to what fits and the script says so.

Run from anywhere:  tests/bench/idle_sessions.py [--sessions 10000]
                    [--idle 10] [--per-source 1000] [--quit]
The build directory is MAILFW_BUILD_DIR, else ../../build next to this file;
MAILFW_KEEP_TMP=1 keeps the server's temporary directory (config, stderr log
mailfwd.stderr) and prints where it is.
"""

import argparse
import errno
import os
import re
import resource
import selectors
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # leave no __pycache__ in tests/integration
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from mailfw_harness import PLUGINS, MailfwServer  # noqa: E402

LIMIT_PLUGINS = ("limit-timers", "limit-connections", "limit-size", "limit-recipients", "limit-hops",
                 "limit-protocol-errors", "tarpit")
FD_MARGIN = 256          # fds beyond N each side keeps for itself (listener, epoll, db, logs, ...)
CLK_TCK = os.sysconf("SC_CLK_TCK")
IDLE_CPU_LIMIT = 1.0     # % of one core
RSS_MARGIN_PCT = 10.0
RSS_MARGIN_KIB = 5 * 1024


# --------------------------------------------------------------------------
# /proc readings of mailfwd
# --------------------------------------------------------------------------

def cpu_ticks(pid):
    """utime + stime of the whole process, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # fields 14 and 15 of proc(5)


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def rss_kib(pid):
    return int(status(pid)["VmRSS"].split()[0])


def threads(pid):
    return int(status(pid)["Threads"])


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def context_switches(pid):
    """Voluntary + involuntary context switches summed over all threads: each
    wakeup of an idle thread (a timer firing, a poll returning) is one."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split(":")[1])
        except FileNotFoundError:
            pass
    return total


def nofile_soft_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                v = line.split()[3]
                return resource.RLIM_INFINITY if v == "unlimited" else int(v)
    return None


# --------------------------------------------------------------------------
# Many sessions at once: non-blocking sockets, one selector
# --------------------------------------------------------------------------

REPLY_END = re.compile(rb"(?:^|\r\n)(\d{3})(?: [^\r\n]*)?\r\n$")


def complete_reply(buf):
    """The code of the complete reply at the end of buf, else None."""
    m = REPLY_END.search(buf)
    return int(m.group(1)) if m else None


class Opener:
    """Opens sessions from the given sources, at most `window` in flight."""

    CONNECT, GREETING, EHLO = range(3)

    def __init__(self, port, window=512, timeout=60.0):
        self.port = port
        self.window = window
        self.timeout = timeout
        self.errors = {}

    def error(self, what):
        self.errors[what] = self.errors.get(what, 0) + 1

    def open(self, sources):
        """sources: one source address per session wanted. Returns the idle
        (greeted, EHLO'd) sockets."""
        sel = selectors.DefaultSelector()
        idle = []
        todo = list(reversed(sources))
        inflight = 0
        deadline = time.monotonic() + self.timeout
        while (todo or inflight) and time.monotonic() < deadline:
            while todo and inflight < self.window:
                src = todo.pop()
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    s.setblocking(False)
                    s.bind((src, 0))
                    rc = s.connect_ex(("127.0.0.1", self.port))
                except OSError as e:
                    s.close()
                    self.error("socket/bind: " + (errno.errorcode.get(e.errno) or str(e)))
                    if e.errno in (errno.EMFILE, errno.ENFILE):
                        todo = []
                    continue
                if rc not in (0, errno.EINPROGRESS):
                    s.close()
                    self.error("connect: " + errno.errorcode.get(rc, str(rc)))
                    continue
                sel.register(s, selectors.EVENT_WRITE, [self.CONNECT, b""])
                inflight += 1
            for key, _ev in sel.select(timeout=0.5):
                s, st = key.fileobj, key.data
                if st[0] == self.CONNECT:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        self.error("connect: " + errno.errorcode.get(err, str(err)))
                        sel.unregister(s)
                        s.close()
                        inflight -= 1
                        continue
                    st[0] = self.GREETING
                    sel.modify(s, selectors.EVENT_READ, st)
                    continue
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    chunk = None
                    self.error("recv: " + (errno.errorcode.get(e.errno) or str(e)))
                if not chunk:
                    if chunk is not None:
                        self.error("closed by the server (had %r)" % st[1][:60])
                    sel.unregister(s)
                    s.close()
                    inflight -= 1
                    continue
                st[1] += chunk
                code = complete_reply(st[1])
                if code is None:
                    continue
                if st[0] == self.GREETING and code == 220:
                    st[0], st[1] = self.EHLO, b""
                    s.send(b"EHLO client.example.test\r\n")   # tiny: fits any socket buffer
                    continue
                sel.unregister(s)
                inflight -= 1
                if st[0] == self.EHLO and code == 250:
                    idle.append(s)
                else:
                    self.error("%s answered %d: %r" % ("greeting" if st[0] == self.GREETING else "EHLO",
                                                       code, st[1][-80:]))
                    s.close()
        for key in list(sel.get_map().values()):
            self.error("no reply within %.0fs" % self.timeout)
            key.fileobj.close()
        sel.close()
        return idle


def still_open(socks):
    """How many of the idle sessions the server has neither written to nor closed."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    readable = len(sel.select(timeout=0))
    sel.close()
    return len(socks) - readable


def close_all(socks, quit_first, timeout=30.0):
    """Ends every session: a plain close, or QUIT and wait for the server to close."""
    if quit_first:
        sel = selectors.DefaultSelector()
        for s in socks:
            try:
                s.send(b"QUIT\r\n")
                sel.register(s, selectors.EVENT_READ)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ev in sel.select(timeout=0.5):
                try:
                    chunk = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    sel.unregister(key.fileobj)
        sel.close()
    for s in socks:
        s.close()


def sources_for(n, per_source, first=2):
    """127.0.0.2, 127.0.0.2, ... (per_source each), then 127.0.0.3, ..."""
    out = []
    for i in range(n):
        k = first + i // per_source          # 2 .. 2^24-2
        out.append("127.%d.%d.%d" % ((k >> 16) & 255, (k >> 8) & 255, k & 255))
    return out


# --------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------

def raise_nofile(want):
    """Our own RLIMIT_NOFILE to the hard limit; the soft limit we got."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, want)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def ensure_server_nofile(pid, want):
    """mailfwd's soft limit (inherited from us); raised with prlimit(2) when too low."""
    have = nofile_soft_limit(pid)
    if have is not None and have != resource.RLIM_INFINITY and have < want:
        try:
            _s, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY
                                                           else want, hard))
        except (OSError, AttributeError) as e:
            print("note: could not raise mailfwd's RLIMIT_NOFILE: %s" % e)
        have = nofile_soft_limit(pid)
    return have


def wait_closed(srv, baseline_fds, ended, timeout=15.0):
    """Seconds until mailfwd's open fds are back to baseline (+2) and it has
    logged `ended` sessions as ended, or None."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if open_fds(srv.proc.pid) <= baseline_fds + 2 and sessions_ended(srv) >= ended:
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def idle_window(pid, seconds):
    """(CPU ms, context switches) of mailfwd over `seconds` of doing nothing here."""
    c0, x0 = cpu_ticks(pid), context_switches(pid)
    t0 = time.monotonic()
    time.sleep(seconds)
    c1, x1 = cpu_ticks(pid), context_switches(pid)
    wall = time.monotonic() - t0
    return (c1 - c0) * 1000.0 / CLK_TCK, x1 - x0, wall


def log_problems(text):
    """warn/error lines, but the harness's own pbkdf2_iterations = 1000 (it keeps tests fast)."""
    return [l for l in text.splitlines()
            if (" warn " in l or " error " in l) and "pbkdf2_iterations" not in l]


def sessions_ended(srv):
    """Sessions mailfwd has logged as ended so far ("disconnect after N commands")."""
    return srv.read_log().count("] disconnect after ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=10000, help="idle sessions to open (default 10000)")
    ap.add_argument("--idle", type=float, default=10.0, help="seconds of each idle window (default 10)")
    ap.add_argument("--per-source", type=int, default=1000,
                    help="sessions per source address 127.0.0.2.. (default 1000)")
    ap.add_argument("--window", type=int, default=512, help="sessions being opened at once (default 512)")
    ap.add_argument("--quit", action="store_true", help="end sessions with QUIT instead of dropping them")
    ap.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"),
                    help="mailfwd's log_level (default info)")
    args = ap.parse_args()

    n = args.sessions
    soft = raise_nofile(n + FD_MARGIN)
    if soft != resource.RLIM_INFINITY and soft < n + FD_MARGIN:
        print("note: RLIMIT_NOFILE hard limit is %d; %d sessions need %d fds on each side: using %d sessions"
              % (soft, n, n + FD_MARGIN, soft - FD_MARGIN))
        n = max(1, soft - FD_MARGIN)

    cap = max(100000, 2 * n)
    loads = tuple(PLUGINS) + LIMIT_PLUGINS
    srv = MailfwServer(
        loads=loads,
        server={"log_level": args.log_level},
        extra_sections={
            "limit-timers": {"connection_timeout": "1h", "inactivity_timeout": "1h"},
            "limit-connections": {"max_inbound_connections": cap, "max_connections_per_source": cap},
        })
    crashed = False
    try:
        return run(srv, args, n, soft, loads)
    except RuntimeError as e:   # mailfwd died: check_alive said how
        crashed = True
        print("CRASH: %s" % e)
        return 1
    except BaseException:
        crashed = True
        raise
    finally:
        if crashed:
            print("mailfwd's stderr ends:\n" + srv.read_log()[-3000:])
        srv.cleanup()


def run(srv, args, n, soft, loads):
    """The phases; returns the exit status."""
    srv.start()
    pid = srv.proc.pid
    server_nofile = ensure_server_nofile(pid, n + FD_MARGIN)
    if server_nofile != resource.RLIM_INFINITY and server_nofile < n + FD_MARGIN:
        print("note: mailfwd may open %d fds; using %d sessions" % (server_nofile, server_nofile - FD_MARGIN))
        n = max(1, server_nofile - FD_MARGIN)
    print("mailfwd pid %d, %s; plugins: %s" % (pid, srv.dir, " ".join(loads)))
    print("RLIMIT_NOFILE: client %s, mailfwd %s; %d sessions, %d per source address, idle windows %.0fs"
          % (soft, server_nofile, n, args.per_source, args.idle))
    time.sleep(1.0)   # let start-up settle
    rss_before, fds_before, thr_before = rss_kib(pid), open_fds(pid), threads(pid)
    ended_before = sessions_ended(srv)   # the harness's readiness probe

    def check_alive(phase):
        died = srv.died()
        if died:
            raise RuntimeError("mailfwd died during %s: %s" % (phase, died))

    # -- round 1: open N ----------------------------------------------
    opener = Opener(srv.port, window=args.window)
    t0 = time.monotonic()
    socks = opener.open(sources_for(n, args.per_source))
    open_s = time.monotonic() - t0
    check_alive("opening")
    print("opened %d of %d sessions in %.2fs%s" % (len(socks), n, open_s,
          "" if not opener.errors else "; errors: %r" % opener.errors))
    if not socks:
        print("CHECK: no session could be opened")
        return 2
    time.sleep(0.5)
    rss_open, fds_open, thr_open = rss_kib(pid), open_fds(pid), threads(pid)

    cpu_open_ms, cs_open, wall_open = idle_window(pid, args.idle)
    check_alive("the idle window")
    alive = still_open(socks)
    rss_idle_end = rss_kib(pid)

    # -- close them ---------------------------------------------------
    opened1 = len(socks)
    close_all(socks, args.quit)
    socks = []
    drained1 = wait_closed(srv, fds_before, ended_before + opened1)
    ended1 = sessions_ended(srv) - ended_before
    time.sleep(2.0)   # the sessions' last log lines, frees, ...
    check_alive("closing")
    rss_close1, fds_close1 = rss_kib(pid), open_fds(pid)
    cpu_closed_ms, cs_closed, wall_closed = idle_window(pid, args.idle)
    check_alive("the idle window after close")

    # -- round 2: open N and close them again (leak check) ------------
    opener2 = Opener(srv.port, window=args.window)
    t0 = time.monotonic()
    socks = opener2.open(sources_for(n, args.per_source))
    open2_s = time.monotonic() - t0
    opened2 = len(socks)
    check_alive("opening round 2")
    time.sleep(0.5)
    rss_open2 = rss_kib(pid)
    close_all(socks, args.quit)
    socks = []
    drained2 = wait_closed(srv, fds_before, ended_before + opened1 + opened2)
    ended2 = sessions_ended(srv) - ended_before - ended1
    time.sleep(2.0)
    check_alive("closing round 2")
    rss_close2, fds_close2, thr_end = rss_kib(pid), open_fds(pid), threads(pid)
    print("round 2: opened %d of %d sessions in %.2fs%s" % (opened2, n, open2_s,
          "" if not opener2.errors else "; errors: %r" % opener2.errors))

    rc = srv.stop()
    log = srv.read_log()

    # -- report ---------------------------------------------------------------
    def pct(ms, wall):
        return 100.0 * ms / (wall * 1000.0)

    def mib(kib):
        return "%.1f MiB" % (kib / 1024.0)

    per_session = (rss_open - rss_before) / float(opened1)
    rows = [
        ("sessions open (of %d asked)" % n, "%d" % opened1),
        ("opened in", "%.2f s" % open_s),
        ("idle window, %d open: CPU" % opened1,
         "%.0f ms = %.2f%% of one core (%.1fs)" % (cpu_open_ms, pct(cpu_open_ms, wall_open), wall_open)),
        ("  context switches (all threads)", "%d" % cs_open),
        ("  sessions still open at its end", "%d of %d" % (alive, opened1)),
        ("idle window, 0 open: CPU",
         "%.0f ms = %.2f%% of one core (%.1fs)" % (cpu_closed_ms, pct(cpu_closed_ms, wall_closed), wall_closed)),
        ("  context switches (all threads)", "%d" % cs_closed),
        ("KiB per session", "%.2f" % per_session),
        ("RSS before", mib(rss_before)),
        ("RSS with N open", "%s (%s at the end of the idle window)" % (mib(rss_open), mib(rss_idle_end))),
        ("RSS after close", mib(rss_close1)),
        ("RSS round 2: open / after close", "%s / %s" % (mib(rss_open2), mib(rss_close2))),
        ("open fds before / open / closed / round 2",
         "%d / %d / %d / %d" % (fds_before, fds_open, fds_close1, fds_close2)),
        ("fds back + ends logged after close", "round 1 %s, round 2 %s"
         % ("%.2f s" % drained1 if drained1 is not None else "never",
            "%.2f s" % drained2 if drained2 is not None else "never")),
        ("sessions logged as ended", "round 1 %d of %d, round 2 %d of %d" % (ended1, opened1, ended2, opened2)),
        ("threads before / open / end", "%d / %d / %d" % (thr_before, thr_open, thr_end)),
        ("mailfwd exit status on SIGTERM", "%s" % rc),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    for k, v in rows:
        print("%-*s  %s" % (width, k, v))

    problems = log_problems(log)
    if problems:
        print("\nmailfwd logged %d warning/error line(s), e.g.:" % len(problems))
        for l in problems[:5]:
            print("  " + l)

    checks = []
    if opened1 < n or opened2 < n:
        checks.append("only %d / %d of %d sessions opened" % (opened1, opened2, n))
    if pct(cpu_open_ms, wall_open) >= IDLE_CPU_LIMIT:
        checks.append("%.0f ms CPU (%.2f%% of one core) with %d idle sessions"
                      % (cpu_open_ms, pct(cpu_open_ms, wall_open), opened1))
    if pct(cpu_closed_ms, wall_closed) >= IDLE_CPU_LIMIT:
        checks.append("%.0f ms CPU (%.2f%% of one core) after all sessions ended"
                      % (cpu_closed_ms, pct(cpu_closed_ms, wall_closed)))
    if alive < opened1:
        checks.append("%d idle session(s) written to or closed by the server during the idle window"
                      % (opened1 - alive))
    if drained1 is None or drained2 is None:
        checks.append("mailfwd's fds or its session-end log lines did not come back after close"
                      " (fds %d before, %d / %d after; ended %d of %d / %d of %d)"
                      % (fds_before, fds_close1, fds_close2, ended1, opened1, ended2, opened2))
    growth = rss_close2 - rss_close1
    if growth > max(rss_close1 * RSS_MARGIN_PCT / 100.0, RSS_MARGIN_KIB):
        checks.append("RSS grew %s (%.1f%%) from the first close to the second" % (
            mib(growth), 100.0 * growth / rss_close1))
    if rc != 0:
        checks.append("mailfwd exited %s on SIGTERM" % rc)
    print()
    if checks:
        for c in checks:
            print("CHECK: " + c)
    else:
        print("PASS: %d idle sessions cost %.2f%% of one core, %.2f%% after close; RSS %+.1f MiB"
              " from the first close to the second"
              % (opened1, pct(cpu_open_ms, wall_open), pct(cpu_closed_ms, wall_closed), growth / 1024.0))
    return 1 if rc != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
