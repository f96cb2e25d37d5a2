"""Shared harness for the mailfw integration tests.

Everything here drives the *built* programs (build/bin/mailfwd,
build/bin/mailfw-admin, build/lib/mailfw/plugins/*.so) as an operator or a
client would: it writes a config file into a fresh temporary directory, creates
users with mailfw-admin (password on stdin), starts mailfwd on a free loopback
port with stderr captured to a file, waits until the port accepts connections
and always stops the server again (SIGTERM, wait, SIGKILL as a fallback).

Only the Python standard library is used. The build directory comes from the
MAILFW_BUILD_DIR environment variable (set by ctest), else ../../build.
"""

import atexit
import base64
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.path.abspath(
    os.environ.get("MAILFW_BUILD_DIR") or os.path.join(HERE, "..", "..", "build"))
MAILFWD = os.path.join(BUILD_DIR, "bin", "mailfwd")
ADMIN = os.path.join(BUILD_DIR, "bin", "mailfw-admin")
PLUGIN_DIR = os.path.join(BUILD_DIR, "lib", "mailfw", "plugins")
TEST_PLUGIN_DIR = os.path.join(BUILD_DIR, "test-plugins")
PLUGINS = ("store-sqlite", "deliver-maildir", "sasl-login", "sasl-plain")

HOSTNAME = "mail.example.test"
START_TIMEOUT = 10.0
REPLY_TIMEOUT = 10.0
# Kept short so that a test that forgets a reply fails fast instead of hanging.
QUIET_TIMEOUT = 0.7


def b64(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(data).decode("ascii")


def free_port():
    """A loopback port that was free a moment ago (bind to 0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_binaries(testcase=None):
    missing = [p for p in (MAILFWD, ADMIN) if not os.access(p, os.X_OK)]
    missing += [os.path.join(PLUGIN_DIR, n + ".so") for n in PLUGINS
                if not os.path.exists(os.path.join(PLUGIN_DIR, n + ".so"))]
    if missing:
        raise AssertionError(
            "the integration tests need a full build first (cmake --build build); missing: "
            + ", ".join(missing))


# --------------------------------------------------------------------------
# Throwaway TLS certificate (one per test process)
# --------------------------------------------------------------------------

_cert_dir = None


def test_certificate():
    """(cert.pem, key.pem) of a self-signed certificate for CN=localhost."""
    global _cert_dir
    if _cert_dir is None:
        _cert_dir = tempfile.mkdtemp(prefix="mailfw-cert-")
        atexit.register(shutil.rmtree, _cert_dir, True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=localhost",
             "-keyout", os.path.join(_cert_dir, "key.pem"),
             "-out", os.path.join(_cert_dir, "cert.pem")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    return os.path.join(_cert_dir, "cert.pem"), os.path.join(_cert_dir, "key.pem")


def client_tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# --------------------------------------------------------------------------
# Replies and the raw-socket client
# --------------------------------------------------------------------------

class Reply:
    """One (possibly multi-line) SMTP reply."""

    def __init__(self, lines):
        self.raw = lines                          # list of str, CRLF removed
        self.code = int(lines[-1][:3])
        self.lines = [l[4:] for l in lines]       # text after "250-" / "250 "
        self.text = "\n".join(self.lines)

    @property
    def enhanced(self):
        m = re.match(r"^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)", self.lines[-1])
        return m.group(1) if m else None

    @property
    def last(self):
        return self.raw[-1]

    def keywords(self):
        """EHLO keywords (upper case) -> list of parameters."""
        out = {}
        for line in self.lines[1:]:
            parts = line.split()
            if parts:
                out[parts[0].upper()] = parts[1:]
        return out

    def __repr__(self):
        return "Reply(%r)" % (self.raw,)


class ConnectionClosed(Exception):
    pass


class SmtpClient:
    """A raw SMTP client over a socket: send exact bytes, read exact replies."""

    def __init__(self, port, host="127.0.0.1", implicit_tls=False, timeout=REPLY_TIMEOUT,
                 read_greeting=True, source=None):
        """source: the local address to connect from (127.0.0.2 and up are
        other loopback clients, for per-source limits)."""
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""
        self.transcript = []
        if implicit_tls:
            self.sock = client_tls_context().wrap_socket(self.sock, server_hostname="localhost")
        self.greeting = self.read_reply() if read_greeting else None

    # -- low level ---------------------------------------------------------
    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.transcript.append((">", data[:300]))
        self.sock.sendall(data)

    def _recv(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("no complete reply within %.1fs; have %r; transcript %r"
                                 % (self.timeout, self.buf, self.transcript[-6:]))
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except ssl.SSLError as e:
            raise ConnectionClosed("TLS error while reading: %s (buffer %r)" % (e, self.buf))
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ConnectionClosed("connection closed by the server (buffer %r, transcript %r)"
                                   % (self.buf, self.transcript[-6:]))
        self.buf += chunk

    def read_line(self, timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while b"\r\n" not in self.buf:
            self._recv(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def read_reply(self, timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        lines = []
        while True:
            line = self.read_line(max(0.01, deadline - time.monotonic()))
            if not re.match(r"^[2-5]\d\d([ -]|$)", line):
                raise AssertionError("malformed reply line %r (so far %r)" % (line, lines))
            lines.append(line)
            if len(line) == 3 or line[3] == " ":
                break
        reply = Reply(lines)
        self.transcript.append(("<", reply.raw))
        return reply

    def cmd(self, line, timeout=None):
        self.send(line + "\r\n" if isinstance(line, str) else line + b"\r\n")
        return self.read_reply(timeout)

    def nothing_pending(self, wait=QUIET_TIMEOUT):
        """True when the server sends nothing (and keeps the line open) for `wait` s."""
        if self.buf:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return True
        except ssl.SSLWantReadError:
            return True
        finally:
            self.sock.settimeout(self.timeout)
        if chunk:
            self.buf += chunk
        return False

    def is_closed(self, wait=5.0):
        """True when the server closes the connection within `wait` seconds
        (any bytes it still sends first are kept in self.buf)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            except ssl.SSLError:
                return True
            if not chunk:
                return True
            self.buf += chunk
        return False

    # -- SMTP helpers ------------------------------------------------------
    def ehlo(self, name="client.example.test"):
        return self.cmd("EHLO " + name)

    def starttls(self):
        r = self.cmd("STARTTLS")
        if r.code != 220:
            raise AssertionError("STARTTLS refused: %r" % (r,))
        self.tls_handshake()
        return r

    def tls_handshake(self):
        self.sock.settimeout(self.timeout)
        self.sock = client_tls_context().wrap_socket(self.sock, server_hostname="localhost")

    def auth_plain(self, user, password, authzid=""):
        return self.cmd("AUTH PLAIN " + b64("%s\0%s\0%s" % (authzid, user, password)))

    def auth_login(self, user, password):
        r = self.cmd("AUTH LOGIN")
        if r.code != 334:
            return r
        r = self.cmd(b64(user))
        if r.code != 334:
            return r
        return self.cmd(b64(password))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------

def _ini_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class MailfwServer:
    """One mailfwd in its own temporary directory.

    listeners: {name: {key: value}}; each listener gets `bind` on a free
    loopback port unless it sets one. Keys with a list value repeat.
    users: {name: password}, created with mailfw-admin before the start.
    """

    def __init__(self, listeners=None, users=None, server=None, store=None, deliver=None,
                 tls=None, extra_sections=None, loads=None, plugin_dirs=None, env=None):
        """env: extra environment for mailfwd and mailfw-admin (e.g. KRB5_CONFIG)."""
        require_binaries()
        self.env = dict(os.environ, **(env or {}))
        self.dir = tempfile.mkdtemp(prefix="mailfw-it-")
        self.config = os.path.join(self.dir, "mailfwd.conf")
        self.log_path = os.path.join(self.dir, "mailfwd.stderr")
        self.stdout_path = os.path.join(self.dir, "mailfwd.stdout")
        self.maildir_root = os.path.join(self.dir, "maildir")
        self.spool_dir = os.path.join(self.dir, "spool")
        self.db_path = os.path.join(self.dir, "users.db")
        self.proc = None
        self.ports = {}
        self._auto_ports = []  # listeners whose port the harness picked (re-picked if taken meanwhile)
        if listeners is None:
            listeners = {"test": {}}
        sections = []
        srv = {"hostname": HOSTNAME, "load": list(loads or PLUGINS),
               "spool": self.spool_dir, "shutdown_grace": "10s"}
        if plugin_dirs:
            srv["plugin_dir"] = list(plugin_dirs)
        srv.update(server or {})
        sections.append(("server", srv))
        need_tls = tls
        for name, opts in listeners.items():
            o = {"role": "gateway", "tls": "none", "auth": "optional",
                 "allow_plaintext_auth": True}
            o.update(opts)
            if "bind" not in o:
                port = free_port()
                o["bind"] = "127.0.0.1:%d" % port
                self._auto_ports.append(name)
            self.ports[name] = int(str(o["bind"]).rsplit(":", 1)[1])
            if o.get("tls") in ("starttls", "implicit") and need_tls is None:
                need_tls = True
            sections.append(("listener." + name, o))
        if need_tls:
            cert, key = test_certificate()
            sections.append(("tls", {"certificate": cert, "key": key}))
        st = {"path": self.db_path, "pbkdf2_iterations": 1000}
        st.update(store or {})
        if "store-sqlite" in srv["load"]:
            sections.append(("store-sqlite", st))
        dl = {"root": self.maildir_root, "domains": ["example.test"]}
        dl.update(deliver or {})
        if "deliver-maildir" in srv["load"]:
            sections.append(("deliver-maildir", dl))
        for name, opts in (extra_sections or {}).items():
            sections.append((name, opts))
        self._sections = sections
        self.write_config(sections)
        self.users = dict(users or {})
        for u, p in self.users.items():
            self.admin("user", "add", u, input=p + "\n", check=True)

    @property
    def port(self):
        return next(iter(self.ports.values()))

    def write_config(self, sections):
        out = ["# written by mailfw_harness.py"]
        for name, opts in sections:
            out.append("")
            out.append("[%s]" % name)
            for k, v in opts.items():
                for item in (v if isinstance(v, (list, tuple)) else [v]):
                    out.append("%s = %s" % (k, _ini_value(item)))
        with open(self.config, "w") as f:
            f.write("\n".join(out) + "\n")

    # -- programs ------------------------------------------------------------
    def admin(self, *args, input=None, check=False, timeout=60):
        r = subprocess.run([ADMIN, "--config", self.config] + list(args), input=input, env=self.env,
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("mailfw-admin %s failed (%d): %s%s"
                                 % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def start(self):
        for attempt in range(5):
            logged = len(self.read_log())
            self._stderr = open(self.log_path, "ab")
            self._stdout = open(self.stdout_path, "ab")
            self.proc = subprocess.Popen([MAILFWD, "--config", self.config], stdin=subprocess.DEVNULL, env=self.env,
                                         stdout=self._stdout, stderr=self._stderr, cwd=self.dir)
            try:
                wait_for_ports(self.proc, list(self.ports.values()), self.read_log)
                return self
            except AssertionError:
                # A port picked free was taken meanwhile by a test running in
                # parallel: pick new ones and start again.
                taken = "Address already in use" in self.read_log()[logged:]
                if not (taken and self._auto_ports and attempt < 4):
                    raise
                self.proc.wait()
                for f in (self._stderr, self._stdout):
                    f.close()
                for name, opts in self._sections:
                    if name.startswith("listener.") and name[len("listener."):] in self._auto_ports:
                        port = free_port()
                        opts["bind"] = "127.0.0.1:%d" % port
                        self.ports[name[len("listener."):]] = port
                self.write_config(self._sections)
        return self

    def restart(self):
        """Start again after a crash (same config, ports, users and data)."""
        for f in (self._stderr, self._stdout):
            f.close()
        self.proc = None
        return self.start()

    def died(self):
        """None while running; else a description of how it ended."""
        if self.proc is None or self.proc.poll() is None:
            return None
        rc = self.proc.returncode
        what = "killed by signal %d" % -rc if rc < 0 else "exit status %d" % rc
        return "%s; its stderr ends:\n%s" % (what, self.read_log()[-4000:])

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def read_stdout(self):
        try:
            with open(self.stdout_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout):
        """Exit status, or None when still running after `timeout`."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=15):
        """SIGTERM, wait, SIGKILL. Returns the exit status."""
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    rc = self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    rc = self.proc.wait(timeout=10)
            else:
                rc = self.proc.returncode
            for f in (self._stderr, self._stdout):
                f.close()
        return rc

    def cleanup(self):
        self.stop()
        if os.environ.get("MAILFW_KEEP_TMP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients -------------------------------------------------------------
    def connect(self, listener=None, **kw):
        port = self.ports[listener] if listener else self.port
        return SmtpClient(port, **kw)

    # -- results -------------------------------------------------------------
    def mailbox(self, rcpt):
        return os.path.join(self.maildir_root, rcpt)

    def delivered(self, rcpt):
        """Contents (bytes) of <root>/<rcpt>/new/*, oldest first."""
        new = os.path.join(self.mailbox(rcpt), "new")
        if not os.path.isdir(new):
            return []
        files = [os.path.join(new, f) for f in os.listdir(new)]
        files.sort(key=lambda p: (os.stat(p).st_mtime_ns, p))
        out = []
        for p in files:
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def all_delivered_files(self):
        out = []
        for root, _dirs, files in os.walk(self.maildir_root):
            for f in files:
                out.append(os.path.join(root, f))
        return sorted(out)

    def spool_files(self):
        """Files in the spool with data in them: messages. (An emptied file
        -- a hole, no data blocks -- is kept for the next message once every
        delivery copied its own.)"""
        out = []
        for root, _dirs, files in os.walk(self.spool_dir):
            for f in files:
                path = os.path.join(root, f)
                try:
                    if os.stat(path).st_blocks > 0:
                        out.append(path)
                except FileNotFoundError:
                    pass
        return sorted(out)

    def maildir_tmp_files(self):
        return [p for p in self.all_delivered_files()
                if os.sep + "tmp" + os.sep in p[len(self.maildir_root):]]


def wait_for_ports(proc, ports, read_log, timeout=START_TIMEOUT):
    deadline = time.monotonic() + timeout
    pending = list(ports)
    while pending:
        if proc.poll() is not None:
            raise AssertionError("mailfwd exited with %s before listening; its stderr:\n%s"
                                 % (proc.returncode, read_log()))
        port = pending[0]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            pending.pop(0)
            continue
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise AssertionError("mailfwd did not accept connections on port %d within %.0fs;"
                                 " its stderr:\n%s" % (port, timeout, read_log()))
        time.sleep(0.05)


def split_delivered(data):
    """Split a delivered maildir file into (return_path_line, received_header, body).

    The file must start with `Return-Path: <...>\\r\\n` followed by exactly one
    `Received:` header (possibly folded) and then the client's bytes."""
    if not data.startswith(b"Return-Path: "):
        raise AssertionError("delivered file does not start with Return-Path: %r" % data[:200])
    rp, rest = data.split(b"\r\n", 1)
    if not rest.startswith(b"Received: "):
        raise AssertionError("no Received: header after Return-Path: %r" % data[:300])
    pos = 0
    while True:
        end = rest.index(b"\r\n", pos)
        pos = end + 2
        if rest[pos:pos + 1] not in (b" ", b"\t"):
            break
    return rp.decode("utf-8", "replace"), rest[:pos].decode("utf-8", "replace"), rest[pos:]


# --------------------------------------------------------------------------
# The test case base
# --------------------------------------------------------------------------

class MailfwTestCase(unittest.TestCase):
    maxDiff = 4000

    def start_server(self, **kw):
        srv = MailfwServer(**kw)
        self.addCleanup(self._stop_checked, srv)
        srv.start()
        self.server = srv
        return srv

    def _stop_checked(self, srv):
        """Cleanup: SIGTERM must make mailfwd exit 0 (no crash, no hang until SIGKILL)."""
        rc = srv.stop()
        log = srv.read_log()
        srv.cleanup()
        if rc not in (0, None):
            self.fail("mailfwd did not exit 0 on SIGTERM (%s); its stderr ends:\n%s"
                      % ("signal %d" % -rc if rc < 0 else "exit %d" % rc, log[-4000:]))

    def make_server(self, **kw):
        """A configured but not started server."""
        srv = MailfwServer(**kw)
        self.addCleanup(srv.cleanup)
        return srv

    def connect(self, srv=None, listener=None, **kw):
        c = (srv or self.server).connect(listener, **kw)
        self.addCleanup(c.close)
        if c.greeting is not None:
            self.assertEqual(c.greeting.code, 220, c.greeting)
        return c

    def assertReply(self, reply, code, enhanced=None, text=None, msg=None):
        ctx = "%r%s" % (reply, (" -- " + msg) if msg else "")
        self.assertEqual(reply.code, code, ctx)
        if enhanced is not None:
            self.assertEqual(reply.enhanced, enhanced, ctx)
        if text is not None:
            self.assertEqual(reply.last, text, ctx)

    def assertLogClean(self, srv, *secrets):
        log = srv.read_log()
        for s in secrets:
            self.assertTrue(s, "empty secret given to assertLogClean")
            self.assertNotIn(s, log, "the log contains a secret %r:\n%s" % (s, log))

    def wait_for_log(self, needle, srv=None, timeout=5.0):
        """True once `needle` is in the server's log (within `timeout` s)."""
        srv = srv or self.server
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in srv.read_log():
                return True
            time.sleep(0.05)
        return False

    def wait_until(self, predicate, timeout=5.0, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        self.fail("timed out after %.1fs waiting for %s" % (timeout, what))

    def send_message(self, c, mail_from, rcpts, body, use_bdat=False):
        """A whole transaction on an open, greeted (EHLO'd) client; returns the final reply."""
        self.assertReply(c.cmd("MAIL FROM:<%s>" % mail_from), 250, "2.1.0")
        for r in rcpts:
            self.assertReply(c.cmd("RCPT TO:<%s>" % r), 250, "2.1.5")
        if use_bdat:
            c.send(b"BDAT %d LAST\r\n" % len(body) + body)
            return c.read_reply()
        self.assertReply(c.cmd("DATA"), 354)
        c.send(dot_stuff(body) + b".\r\n")
        return c.read_reply()

    def assertDeliveredBody(self, srv, rcpt, body, sender, auth_user=None, index=-1, count=None):
        msgs = srv.delivered(rcpt)
        if count is not None:
            self.assertEqual(len(msgs), count, "messages in %s/new" % srv.mailbox(rcpt))
        self.assertTrue(msgs, "nothing delivered to %s (files: %r)"
                        % (srv.mailbox(rcpt), srv.all_delivered_files()))
        rp, received, got = split_delivered(msgs[index])
        self.assertEqual(rp, "Return-Path: <%s>" % sender)
        self.assertIn(" by " + HOSTNAME + " ", re.sub(r"\s+", " ", received), received)
        self.assertTrue(received.startswith("Received: from "), received)
        self.assertRegex(received, r";[^;]*\d{4}", "Received: must end with a date")
        if auth_user:
            self.assertIn(auth_user, received, "Received: must name the authenticated user")
        if got != body:
            self.fail("delivered body differs from what was sent: %d bytes sent, %d delivered;"
                      " first difference at %d" % (len(body), len(got), _first_diff(got, body)))
        return received


class SharedServerTestCase(MailfwTestCase):
    """One server for the whole class (each test opens its own connections).

    A crash is pinned on the test during which it happened: that test fails
    with the server's log and the server is restarted for the next test. The
    server must exit 0 on SIGTERM at the end of the class."""

    server_kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = MailfwServer(**cls.server_kwargs)
        try:
            cls.srv.start()
        except Exception:
            cls.srv.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        log = cls.srv.read_log()
        cls.srv.cleanup()
        if rc != 0:
            raise AssertionError("mailfwd did not exit 0 on SIGTERM (%s); its stderr ends:\n%s"
                                 % ("signal %d" % -rc if rc < 0 else "exit %d" % rc, log[-4000:]))

    def setUp(self):
        self.server = self.srv

    def tearDown(self):
        self.doCleanups()          # close this test's clients first
        time.sleep(0.02)
        died = self.srv.died()
        if died:
            self.srv.restart()
            self.fail("mailfwd died during this test (%s)" % died)


def _first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def stop_process(proc, timeout=10):
    """SIGTERM, wait up to `timeout`, then SIGKILL: a helper process (KDC, smtp-sink) is gone afterwards."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def dot_stuff(body):
    """DATA transparency (RFC 5321 4.5.2): double a leading '.' on every line."""
    if not body.endswith(b"\r\n"):
        raise ValueError("test bodies must end with CRLF")
    lines = body.split(b"\r\n")
    return b"\r\n".join((b"." + l) if l.startswith(b".") else l for l in lines)


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return subprocess.run(args, **kw)


def swaks_path():
    return shutil.which("swaks")


def stderr_lines(text):
    return [l for l in text.splitlines() if l.strip()]
