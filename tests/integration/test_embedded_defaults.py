"""`mailfwd` without --config: embedded defaults, a data directory and the sample user."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from mailfw_harness import (ADMIN, MAILFWD, MailfwTestCase, SmtpClient, b64, free_port,
                            require_binaries, run, split_delivered, wait_for_ports)

SAMPLE = re.compile(r"^sample user: demo  password: (\S+)\s*$", re.M)


class EmbeddedServer:
    def __init__(self, cwd, args):
        self.cwd = cwd
        n = len([f for f in os.listdir(cwd) if f.startswith("stdout-")])
        self.out_path = os.path.join(cwd, "stdout-%d.txt" % n)
        self.err_path = os.path.join(cwd, "stderr-%d.txt" % n)
        self._out = open(self.out_path, "ab")
        self._err = open(self.err_path, "ab")
        self.proc = subprocess.Popen([MAILFWD] + args, cwd=cwd, stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err)

    def stdout(self):
        with open(self.out_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.err_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        self._err.close()
        return self.proc.returncode


class EmbeddedDefaults(MailfwTestCase):
    def setUp(self):
        require_binaries()
        self.dir = tempfile.mkdtemp(prefix="mailfw-embedded-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def start(self, args):
        args = list(args)
        for attempt in range(5):
            srv = EmbeddedServer(self.dir, args)
            self.addCleanup(srv.stop)
            port = int(args[args.index("--listen") + 1].rsplit(":", 1)[1])
            deadline = time.monotonic() + 10
            while not SAMPLE.search(srv.stdout()) and srv.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            # A port picked free may be taken meanwhile by a test running in
            # parallel (it then even accepts connections): pick another.
            if srv.proc.poll() is not None and "Address already in use" in srv.stderr() and attempt < 4:
                args[args.index("--listen") + 1] = "127.0.0.1:%d" % free_port()
                continue
            break
        wait_for_ports(srv.proc, [port], srv.stderr)
        m = SAMPLE.search(srv.stdout())
        self.assertTrue(m, "no 'sample user: demo  password: ...' line on stdout:\n%s\nstderr:\n%s"
                        % (srv.stdout(), srv.stderr()))
        return srv, port, m.group(1)

    def test_data_dir_and_sample_user(self):
        data = os.path.join(self.dir, "data")
        port = free_port()
        srv, port, password = self.start(["--data-dir", data, "--listen", "127.0.0.1:%d" % port])
        self.assertGreaterEqual(len(password), 8, "the sample password is too weak: %r" % password)
        self.assertTrue(os.path.exists(os.path.join(data, "users.db")))
        # The password is printed, never logged.
        self.assertNotIn(password, srv.stderr())

        c = SmtpClient(port)
        self.addCleanup(c.close)
        self.assertEqual(c.greeting.code, 220)
        r = c.ehlo()
        self.assertEqual(r.code, 250)
        kw = r.keywords()
        self.assertNotIn("STARTTLS", kw)
        # The limit plugins are loaded with Exchange's defaults: limit-size's SIZE.
        self.assertEqual(kw.get("SIZE"), [str(36 * 1024 * 1024)], r)
        # allow_plaintext_auth = true on loopback.
        self.assertEqual(sorted(m.upper() for m in kw.get("AUTH", [])), ["LOGIN", "PLAIN"], r)
        self.assertEqual(c.cmd("AUTH LOGIN").last, "334 VXNlcm5hbWU6")
        self.assertEqual(c.cmd(b64("demo")).last, "334 UGFzc3dvcmQ6")
        r = c.cmd(b64(password))
        self.assertEqual((r.code, r.enhanced), (235, "2.7.0"), r)
        self.assertReply(self.send_message(c, "demo@example.test", ["someone@example.test"],
                                           b"Subject: embedded\r\n\r\nhello\r\n"), 250, "2.0.0")
        new = os.path.join(data, "maildir", "someone@example.test", "new")
        files = os.listdir(new)
        self.assertEqual(len(files), 1)
        with open(os.path.join(new, files[0]), "rb") as f:
            _rp, received, body = split_delivered(f.read())
        self.assertEqual(body, b"Subject: embedded\r\n\r\nhello\r\n")
        self.assertIn("demo", received)
        c.cmd("QUIT")
        self.assertEqual(srv.stop(), 0, srv.stderr())
        self.assertTrue(os.path.isdir(os.path.join(data, "spool")))

        # A restart gives demo a fresh password; the old one stops working.
        srv2, port2, password2 = self.start(["--data-dir", data, "--listen",
                                             "127.0.0.1:%d" % free_port()])
        self.assertNotEqual(password, password2)
        c = SmtpClient(port2)
        self.addCleanup(c.close)
        c.ehlo()
        self.assertEqual(c.auth_plain("demo", password).code, 535)
        self.assertEqual(c.auth_plain("demo", password2).code, 235)
        # The earlier message is still there.
        self.assertEqual(len(os.listdir(new)), 1)

    def test_default_data_dir_is_relative_to_cwd(self):
        port = free_port()
        srv, port, password = self.start(["--listen", "127.0.0.1:%d" % port])
        self.assertTrue(os.path.exists(os.path.join(self.dir, "mailfw-data", "users.db")),
                        os.listdir(self.dir))

    def test_admin_data_dir(self):
        data = os.path.join(self.dir, "data")
        srv, port, _password = self.start(["--data-dir", data, "--listen",
                                           "127.0.0.1:%d" % free_port()])
        r = run([ADMIN, "--data-dir", data, "user", "add", "bob"], input="Bob-Pa55word\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run([ADMIN, "--data-dir", data, "user", "list"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(l.strip() for l in r.stdout.splitlines() if l.strip()),
                         ["bob", "demo"])
        c = SmtpClient(port)
        self.addCleanup(c.close)
        c.ehlo()
        self.assertEqual(c.auth_plain("bob", "Bob-Pa55word").code, 235)

    def test_print_defaults_is_a_valid_config(self):
        r = run([MAILFWD, "--print-defaults"], cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[server]", r.stdout)
        self.assertRegex(r.stdout, r"allow_plaintext_auth\s*=\s*true")
        self.assertRegex(r.stdout, r"bind\s*=\s*127\.0\.0\.1:2525")
        for plugin in ("limit-timers", "limit-connections", "limit-size", "limit-recipients", "limit-hops",
                       "limit-protocol-errors", "tarpit"):
            self.assertRegex(r.stdout, r"load\s*=\s*%s\n" % plugin)
        conf = os.path.join(self.dir, "defaults.conf")
        with open(conf, "w") as f:
            f.write(r.stdout)
        r = run([MAILFWD, "--config", conf, "--check-config"], cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout + r.stderr)

    def test_swaks_against_embedded_defaults(self):
        swaks = shutil.which("swaks")
        self.assertTrue(swaks, "swaks is required (apt-get install swaks)")
        data = os.path.join(self.dir, "data")
        srv, port, password = self.start(["--data-dir", data, "--listen",
                                          "127.0.0.1:%d" % free_port()])
        r = run([swaks, "--server", "127.0.0.1:%d" % port, "-a", "LOGIN", "-au", "demo",
                 "-ap", password, "--to", "you@example.test", "--from", "demo@example.test"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(os.listdir(os.path.join(data, "maildir", "you@example.test", "new"))), 1)
        r = run([swaks, "--server", "127.0.0.1:%d" % port, "-a", "LOGIN", "-au", "demo",
                 "-ap", password + "x", "--to", "you@example.test", "--from", "demo@example.test"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("535 5.7.8", r.stdout)
        self.assertNotIn(password, srv.stderr())


if __name__ == "__main__":
    unittest.main()
