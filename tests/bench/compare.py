#!/usr/bin/env python3
"""Benchmark suite: mailfw against Postfix and smtp-sink on the same machine,
in one run, servers alternated (issue 8's table).

Load: Postfix's smtp-source (`-s 20 -l 4096`: 20 sessions, 4 KiB messages),
a new connection per message unless `-d` (one connection, many messages).
Each measure runs mailfw and its peer `--rounds` times, alternately, and
reports the median msg/s of each and their ratio:

  durable       mailfw (deliver-maildir, fsync before 250, spool and maildir
                on disk) vs Postfix 3.7 smtpd (its queue on disk: cleanup
                fsyncs before 250; the queue manager then hands every message
                to discard(8), so nothing piles up)
  tmpfs         the same mailfw with spool and maildir on /dev/shm (the CPU
                path) vs smtp-sink (stores nothing)
  discard       mailfw with deliver-discard vs smtp-sink, new connection per
                message, and with -d
  100 KB        mailfw deliver-discard, 100 KB messages vs smtp-sink
and absolute figures for mailfw alone:
  idle          KiB per idle session at 10,000 (tests/bench/idle_sessions.py)
  AUTH          successful AUTH PLAIN sessions/s, 20 clients, one user, real
                PBKDF2 cost (cold: every login hashes, auth_cache_size = 0;
                warm: the verified-credential cache answers)
  start-up      mailfwd with every plugin loaded, exec to accepting (median of 5)

Only mailfw's delivery plugin is loaded for the throughput measures (no
limit plugins), as Postfix's smtpd runs with its defaults (no anvil limits).

Peers: postfix (smtp-source, smtp-sink and a private Postfix instance in a
temporary directory -- never the system's, which is not started or touched).
When they are missing the script installs the postfix package itself (apt,
with "No configuration" and a policy-rc.d that keeps the system's instance
from starting), as root; `--no-install` fails instead.

This is a benchmark, not a test: ctest never runs it (timings flake), and it
exits 0 whether or not a goal is met; 1 when something broke (a server would
not start, smtp-source failed, messages went missing). `--smoke` runs every
measure with tiny counts (a few seconds), to check the script itself.

    tests/bench/compare.py                  # about 3 minutes
    tests/bench/compare.py --rounds 5 --messages 10000
    tests/bench/compare.py --smoke

The build directory is MAILFW_BUILD_DIR, else build/ at the top of the
repository. MAILFW_KEEP_TMP=1 keeps the temporary directories.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # leave no __pycache__ in tests/integration
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from mailfw_harness import BUILD_DIR, MAILFWD, MailfwServer, b64, free_port, stop_process  # noqa: E402

DOMAIN = "bench.example.test"
RCPT = "sink@" + DOMAIN
SENDER = "load@source.example.test"
SHM = "/dev/shm"


MEASURES = ("durable", "tmpfs", "discard", "discard-d", "large", "idle", "auth", "startup")


# Directories of finished runs, removed only when the benchmark ends: an
# rm -rf of thousands of files frees as many inodes, and ext4 then scans
# past every inode freed in the last seconds when the next run allocates
# one -- a cost that would fall on whichever server runs next.
LEFT_FOR_LATER = []


def remove_later(path):
    if os.environ.get("MAILFW_KEEP_TMP"):
        print("kept", path)
    else:
        LEFT_FOR_LATER.append(path)


def remove_left():
    for path in LEFT_FOR_LATER:
        shutil.rmtree(path, ignore_errors=True)
    LEFT_FOR_LATER.clear()


class Broken(Exception):
    """Something that makes a figure meaningless: exit 1."""


# --------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------

def have_postfix_tools():
    return all(shutil.which(t) or os.path.exists("/usr/sbin/" + t) for t in ("smtp-source", "smtp-sink", "postfix"))


def install_postfix():
    """apt-get install postfix without configuring or starting the system's instance."""
    if os.geteuid() != 0:
        raise Broken("postfix (smtp-source, smtp-sink) is missing; run as root to let this script install it, "
                     "or apt-get install postfix")
    print("installing postfix (its own instance is never started; a private one runs in a temp dir)")
    subprocess.run(["debconf-set-selections"], input="postfix postfix/main_mailer_type select No configuration\n",
                   text=True, check=True)
    policy = "/usr/sbin/policy-rc.d"
    made_policy = not os.path.exists(policy)
    if made_policy:
        with open(policy, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")  # invoke-rc.d: do not start services
        os.chmod(policy, 0o755)
    try:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = subprocess.run(["apt-get", "install", "-y", "-q", "postfix"], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            r = subprocess.run(["apt-get", "install", "-y", "-q", "postfix"], env=env, capture_output=True,
                               text=True)
        if r.returncode != 0:
            raise Broken("apt-get install postfix failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])
    finally:
        if made_policy:
            os.unlink(policy)


def tool(name):
    return shutil.which(name) or "/usr/sbin/" + name


def wait_port(port, proc=None, timeout=20.0, what="server"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise Broken("%s exited (%s) before listening on %d" % (what, proc.returncode, port))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise Broken("%s not listening on %d after %.0fs" % (what, port, timeout))


# --------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------

class SmtpSink:
    """Postfix's smtp-sink: answers every command, stores nothing."""

    def __init__(self):
        self.port = free_port()
        self.proc = None

    def __enter__(self):
        argv = [tool("smtp-sink")]
        if os.geteuid() == 0:
            argv += ["-u", "postfix"]
        self.proc = subprocess.Popen(argv + ["127.0.0.1:%d" % self.port, "1024"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        wait_port(self.port, self.proc, what="smtp-sink")
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)

    def accepted(self):
        return None  # smtp-sink keeps no count we can read


class PrivatePostfix:
    """A Postfix instance of its own: config, queue and data in a temp dir,
    smtpd on a free loopback port, every message handed to discard(8) once
    it is queued (durably: cleanup fsyncs the queue file before the 250)."""

    SERVICES = """\
{listen} inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000 0 flush
proxymap  unix  - - n -    - proxymap
discard   unix  - - n -    - discard
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mailfw-bench-postfix-", dir="/var/tmp")
        os.chmod(self.dir, 0o755)  # the postfix user's daemons walk into it
        self.port = free_port()
        self.proc = None
        for d in ("queue", "data"):
            os.mkdir(os.path.join(self.dir, d))
        if os.geteuid() == 0:
            shutil.chown(os.path.join(self.dir, "data"), user="postfix")
        with open(os.path.join(self.dir, "main.cf"), "w") as f:
            f.write("\n".join([
                "compatibility_level = 3.6",
                "queue_directory = %s/queue" % self.dir,
                "data_directory = %s/data" % self.dir,
                "mail_owner = postfix",
                "myhostname = " + DOMAIN,
                "mydestination = %s, localhost" % DOMAIN,
                "local_recipient_maps =",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "smtpd_relay_restrictions = permit_mynetworks, reject",
                "local_transport = discard",
                "default_transport = discard",
                "relay_transport = discard",
                "alias_maps =",
                "alias_database =",
                "biff = no",
                "maillog_file = %s/maillog" % self.dir,
                "maillog_file_prefixes = /var/tmp",
                "message_size_limit = 10240000",
                "",
            ]))
        with open(os.path.join(self.dir, "master.cf"), "w") as f:
            f.write(self.SERVICES.format(listen="127.0.0.1:%d" % self.port))

    def __enter__(self):
        self.proc = subprocess.Popen([tool("postfix"), "-c", self.dir, "start-fg"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_port(self.port, self.proc, what="postfix (log: %s/maillog)" % self.dir)
        return self

    def __exit__(self, *exc):
        subprocess.run([tool("postfix"), "-c", self.dir, "stop"], capture_output=True)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        remove_later(self.dir)

    def accepted(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return sum(1 for line in f if "postfix/cleanup" in line and "message-id=" in line)
        except FileNotFoundError:
            return 0


class Mailfw:
    """mailfwd through the integration harness, with one delivery plugin."""

    def __init__(self, delivery, on_tmpfs=False, extra_plugins=(), users=None, store=None, server=None):
        loads = list(extra_plugins) + [delivery]
        self.delivery = delivery
        server = dict(server or {})
        deliver = None
        self.shm = None
        if on_tmpfs:
            self.shm = tempfile.mkdtemp(prefix="mailfw-bench-", dir=SHM)
            server["spool"] = os.path.join(self.shm, "spool")
        sections = {}
        if delivery == "deliver-maildir":
            deliver = {"domains": [DOMAIN]}
            if self.shm:
                deliver["root"] = os.path.join(self.shm, "maildir")
        else:
            sections["deliver-discard"] = {"domains": [DOMAIN], "log": True}
        self.srv = MailfwServer(loads=loads, server=server, deliver=deliver, extra_sections=sections, users=users,
                                store=store, listeners={"bench": {"auth": "optional"}})
        self.port = self.srv.port

    def __enter__(self):
        self.srv.start()
        return self

    def __exit__(self, *exc):
        rc = self.srv.stop()
        log = self.srv.read_log()
        remove_later(self.srv.dir)
        if self.shm:
            shutil.rmtree(self.shm, ignore_errors=True)  # tmpfs: no inodes on disk
        if rc != 0:
            raise Broken("mailfwd did not exit 0 on SIGTERM (%s):\n%s" % (rc, log[-3000:]))

    def accepted(self):
        if self.delivery == "deliver-discard":
            return len(re.findall(r" discarded \(\d+ bytes", self.srv.read_log()))
        root = self.srv.maildir_root if not self.shm else os.path.join(self.shm, "maildir")
        new = os.path.join(root, RCPT, "new")
        return len(os.listdir(new)) if os.path.isdir(new) else 0


# --------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------

def smtp_source(port, messages, sessions, length, reuse):
    """msg/s of one smtp-source run; Broken when it reports an error."""
    argv = [tool("smtp-source"), "-s", str(sessions), "-l", str(length), "-m", str(messages), "-f", SENDER,
            "-t", RCPT, "-M", "source.example.test"]
    if reuse:
        argv.append("-d")
    start = time.monotonic()
    r = subprocess.run(argv + ["127.0.0.1:%d" % port], capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - start
    if r.returncode != 0 or r.stderr.strip():
        raise Broken("smtp-source failed (%d): %s" % (r.returncode, (r.stdout + r.stderr)[-1500:]))
    return messages / elapsed


def throughput(make_server, messages, sessions, length, reuse):
    os.sync()  # every run starts with no dirty pages of the one before
    with make_server() as s:
        rate = smtp_source(s.port, messages, sessions, length, reuse)
        got = s.accepted()
        if got is not None:  # smtp-sink keeps no count
            deadline = time.monotonic() + 10
            while got < messages and time.monotonic() < deadline:
                time.sleep(0.1)
                got = s.accepted()
            if got != messages:
                raise Broken("%s accepted %d of %d messages" % (type(s).__name__, got, messages))
        return rate


def alternate(rounds, ours, peer):
    """Medians of `rounds` alternated runs of ours() and peer()."""
    mine, theirs = [], []
    for _ in range(rounds):
        mine.append(ours())
        theirs.append(peer())
    return statistics.median(mine), statistics.median(theirs), mine, theirs


def auth_sessions_per_s(port, seconds, clients, user, password):
    """Whole sessions (EHLO, AUTH PLAIN, QUIT) per second, `clients` threads."""
    token = b64(b"\0" + user.encode() + b"\0" + password.encode())
    done = [0] * clients
    failed = []
    stop_at = time.monotonic() + seconds

    def reply(f):
        while True:
            line = f.readline()
            if not line:
                raise OSError("connection closed")
            if line[3:4] != b"-":
                return line

    def run(i):
        while time.monotonic() < stop_at:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                    f = s.makefile("rwb")
                    reply(f)
                    f.write(b"EHLO auth.example.test\r\n")
                    f.flush()
                    reply(f)
                    f.write(b"AUTH PLAIN " + token.encode() + b"\r\n")
                    f.flush()
                    r = reply(f)
                    f.write(b"QUIT\r\n")
                    f.flush()
                    reply(f)
                if not r.startswith(b"235"):
                    failed.append(r)
                    return
                done[i] += 1
            except OSError as e:
                failed.append(str(e).encode())
                return

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise Broken("AUTH sessions failed: %r" % failed[:3])
    return sum(done) / (time.monotonic() - start)


def startup_ms(times):
    """mailfwd with every plugin built, exec to accepting connections."""
    plugin_dir = os.path.join(BUILD_DIR, "lib", "mailfw", "plugins")
    plugins = sorted(f[:-3] for f in os.listdir(plugin_dir) if f.endswith(".so"))
    sections = {"sasl-gssapi": {"server": False}, "deliver-discard": {"domains": ["discard.example.test"]}}
    srv = MailfwServer(loads=plugins, extra_sections=sections)
    out = []
    try:
        for _ in range(times):
            start = time.monotonic()
            proc = subprocess.Popen([MAILFWD, "--config", srv.config], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=srv.dir, env=srv.env)
            while True:
                if proc.poll() is not None:
                    raise Broken("mailfwd with every plugin did not start: " + proc.stderr.read().decode()[-2000:])
                try:
                    socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.0005)
            out.append((time.monotonic() - start) * 1000)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
    finally:
        srv.cleanup()
    return statistics.median(out), len(plugins)


def idle_kib(sessions, idle):
    r = subprocess.run([sys.executable, os.path.join(HERE, "idle_sessions.py"), "--sessions", str(sessions),
                        "--idle", str(idle)], capture_output=True, text=True, timeout=900)
    m = re.search(r"KiB per session\s+([\d.]+)", r.stdout)
    if r.returncode != 0 or not m:
        raise Broken("idle_sessions.py failed (%d):\n%s" % (r.returncode, (r.stdout + r.stderr)[-2000:]))
    cpu = re.search(r"PASS: .*", r.stdout)
    return float(m.group(1)), cpu.group(0) if cpu else "CHECK (see idle_sessions.py)"


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="alternated runs per measure (default 3)")
    ap.add_argument("--messages", type=int, default=5000, help="messages per 4 KiB run (default 5000)")
    ap.add_argument("--large-messages", type=int, default=2000, help="messages per 100 KB run (default 2000)")
    ap.add_argument("--sessions", type=int, default=20, help="smtp-source sessions (default 20)")
    ap.add_argument("--idle-sessions", type=int, default=10000, help="idle sessions (default 10000)")
    ap.add_argument("--auth-seconds", type=float, default=10.0, help="seconds per AUTH measure (default 10)")
    ap.add_argument("--smoke", action="store_true", help="tiny counts: checks the script, measures nothing")
    ap.add_argument("--no-install", action="store_true", help="fail instead of installing postfix")
    ap.add_argument("--only", default="", help="comma-separated measures to run (durable, tmpfs, discard, "
                    "discard-d, large, idle, auth, startup); default: all")
    args = ap.parse_args()
    if args.smoke:
        args.rounds, args.messages, args.large_messages, args.idle_sessions, args.auth_seconds = 1, 100, 40, 200, 1.0

    if not have_postfix_tools():
        if args.no_install:
            print("postfix (smtp-source, smtp-sink) is missing: apt-get install postfix")
            return 1
        install_postfix()
    print("mailfwd: %s; load: smtp-source -s %d; %d round(s) per measure, alternated%s"
          % (MAILFWD, args.sessions, args.rounds, " (SMOKE: figures mean nothing)" if args.smoke else ""))

    rows = []
    only = set(filter(None, args.only.split(",")))
    unknown = only - set(MEASURES)
    if unknown:
        print("--only: unknown measure(s) %s; choose from %s" % (", ".join(sorted(unknown)), ", ".join(MEASURES)))
        return 1

    def wanted(key):
        return not only or key in only

    def measure(name, ours, peer_name, peer, goal=None):
        """goal: the least ratio to peer the issue asks for, or None."""
        m, p, mine, theirs = alternate(args.rounds, ours, peer)
        ratio = m / p
        rows.append((name, "%.0f msg/s" % m, peer_name, "%.0f msg/s" % p, "%.2fx" % ratio,
                     ">= %gx" % goal if goal else "", ("PASS" if ratio >= goal else "not yet") if goal else ""))
        print("  %-34s mailfw %s  %s %s" % (name, " ".join("%.0f" % x for x in mine), peer_name,
                                            " ".join("%.0f" % x for x in theirs)))

    n, big, s = args.messages, args.large_messages, args.sessions
    # key, row name, mailfw, peer name, peer, messages, length, reuse (-d), goal
    throughput_rows = (
        ("durable", "durable, new connection per msg", lambda: Mailfw("deliver-maildir"),
         "Postfix smtpd", PrivatePostfix, n, 4096, False, 4.0),
        ("tmpfs", "maildir on tmpfs (CPU path)", lambda: Mailfw("deliver-maildir", on_tmpfs=True),
         "smtp-sink", SmtpSink, n, 4096, False, None),
        ("discard", "discard, new connection per msg", lambda: Mailfw("deliver-discard"),
         "smtp-sink", SmtpSink, n, 4096, False, 0.8),
        ("discard-d", "discard, one connection (-d)", lambda: Mailfw("deliver-discard"),
         "smtp-sink -d", SmtpSink, n, 4096, True, 0.8),
        ("large", "100 KB, discard", lambda: Mailfw("deliver-discard"),
         "smtp-sink", SmtpSink, big, 102400, False, 0.9),
    )
    for key, name, ours, peer_name, peer, count, length, reuse, goal in throughput_rows:
        if wanted(key):
            measure(name, lambda: throughput(ours, count, s, length, reuse),
                    peer_name, lambda: throughput(peer, count, s, length, reuse), goal)

    if wanted("idle"):
        kib, idle_verdict = idle_kib(args.idle_sessions, 3 if args.smoke else 10)
        rows.append(("idle sessions (%d)" % args.idle_sessions, "%.1f KiB each" % kib, "", "", "", "<= 8 KiB",
                     "PASS" if kib <= 8 else "not yet"))

    if wanted("auth"):
        users = {"bench": "Bench-Pa55-word"}

        def auth_rate(cache):
            with Mailfw("deliver-discard", extra_plugins=("store-sqlite", "sasl-plain"), users=users,
                        store={"pbkdf2_iterations": 210000},
                        server=None if cache else {"auth_cache_size": 0}) as m:
                return auth_sessions_per_s(m.port, args.auth_seconds, 20, "bench", users["bench"])
        cold = auth_rate(cache=False)  # every login hashes: auth_cache_size = 0
        warm = auth_rate(cache=True)   # the first login hashes, the rest come from the cache
        rows.append(("AUTH PLAIN sessions/s, cold", "%.0f/s" % cold, "", "", "", "hash-bound", ""))
        rows.append(("AUTH PLAIN sessions/s, warm", "%.0f/s" % warm, "", "", "", ">= 1000/s",
                     "PASS" if warm >= 1000 else "not yet"))

    if wanted("startup"):
        ms, count = startup_ms(3 if args.smoke else 5)
        rows.append(("start-up, %d plugins" % count, "%.1f ms" % ms, "", "", "", "<= 50 ms",
                     "PASS" if ms <= 50 else "not yet"))

    head = ("measure", "mailfw", "peer", "the peer", "ratio", "goal", "met")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print()
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    print("\nmachine: %d CPUs, %s" % (os.cpu_count(), os.uname().release))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Broken as e:
        print("BROKEN: %s" % e)
        sys.exit(1)
    finally:
        remove_left()
