"""AUTH LOGIN (MS-XLOGIN) over raw sockets, smtplib, swaks and curl."""

import os
import shutil
import smtplib
import subprocess
import tempfile
import unittest

from mailfw_harness import SharedServerTestCase, b64, run, split_delivered

USER, PASSWORD = "alice", "Login-Pa55word!"


class AuthLogin(SharedServerTestCase):
    server_kwargs = dict(
        listeners={"plain": {"allow_plaintext_auth": True}},
        users={USER: PASSWORD, "bob": "bob-password"})

    def session(self):
        c = self.connect()
        r = c.ehlo()
        self.assertReply(r, 250)
        self.assertIn("LOGIN", [m.upper() for m in r.keywords().get("AUTH", [])], r)
        return c

    # -- raw exchanges -----------------------------------------------------------
    def test_challenges_exact(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH LOGIN"), 334, text="334 VXNlcm5hbWU6")
        self.assertReply(c.cmd(b64(USER)), 334, text="334 UGFzc3dvcmQ6")
        self.assertReply(c.cmd(b64(PASSWORD)), 235, "2.7.0")
        # Authenticated: a transaction works and a second AUTH is refused.
        self.assertReply(c.cmd("AUTH LOGIN"), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<alice@example.test>"), 250, "2.1.0")

    def test_username_as_initial_response(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH LOGIN " + b64(USER)), 334, text="334 UGFzc3dvcmQ6")
        self.assertReply(c.cmd(b64(PASSWORD)), 235, "2.7.0")

    def test_lower_case_mechanism(self):
        c = self.session()
        self.assertReply(c.cmd("auth login"), 334, text="334 VXNlcm5hbWU6")
        self.assertReply(c.cmd(b64(USER)), 334, text="334 UGFzc3dvcmQ6")
        self.assertReply(c.cmd(b64(PASSWORD)), 235, "2.7.0")

    def test_wrong_password(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH LOGIN"), 334, text="334 VXNlcm5hbWU6")
        self.assertReply(c.cmd(b64(USER)), 334, text="334 UGFzc3dvcmQ6")
        self.assertReply(c.cmd(b64("not the password")), 535, "5.7.8")
        # Not authenticated; a new attempt is allowed and can succeed.
        self.assertReply(c.cmd("AUTH LOGIN " + b64(USER)), 334, text="334 UGFzc3dvcmQ6")
        self.assertReply(c.cmd(b64(PASSWORD)), 235, "2.7.0")

    def test_unknown_user(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH LOGIN"), 334, text="334 VXNlcm5hbWU6")
        self.assertReply(c.cmd(b64("nobody")), 334, text="334 UGFzc3dvcmQ6",
                         msg="an unknown user must not be revealed before the password")
        self.assertReply(c.cmd(b64(PASSWORD)), 535, "5.7.8")

    def test_other_users_password(self):
        c = self.session()
        self.assertEqual(c.auth_login("bob", PASSWORD).code, 535)
        self.assertReply(c.auth_login("bob", "bob-password"), 235, "2.7.0")

    def test_cancel_at_username(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH LOGIN"), 334, text="334 VXNlcm5hbWU6")
        r = c.cmd("*")
        self.assertEqual(r.code, 501, r)
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_cancel_at_password(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH LOGIN " + b64(USER)), 334, text="334 UGFzc3dvcmQ6")
        r = c.cmd("*")
        self.assertEqual(r.code, 501, r)
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_bad_base64(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH LOGIN"), 334, text="334 VXNlcm5hbWU6")
        self.assertReply(c.cmd("not base64 !!!"), 501, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.cmd("AUTH LOGIN %%%%"), 501, "5.5.2")

    def test_log_has_no_secrets(self):
        c = self.session()
        local_port = c.sock.getsockname()[1]
        self.assertReply(c.auth_login(USER, PASSWORD), 235, "2.7.0")
        self.assertEqual(c.auth_login(USER, "Wrong-Pa55word").code, 503)
        c2 = self.session()
        self.assertReply(c2.cmd("AUTH LOGIN " + b64(USER)), 334, text="334 UGFzc3dvcmQ6")
        self.assertReply(c2.cmd(b64("Wrong-Pa55word")), 535, "5.7.8")
        self.assertReply(c.cmd("QUIT"), 221, "2.0.0")
        c.is_closed()
        self.wait_until(lambda: "AUTH LOGIN" in self.srv.read_log(), what="AUTH in the log")
        self.assertLogClean(self.srv, PASSWORD, b64(PASSWORD), "Wrong-Pa55word",
                            b64("Wrong-Pa55word"), b64(USER))
        lines = [l for l in self.srv.read_log().splitlines() if ":%d]" % local_port in l]
        self.assertTrue(any("AUTH LOGIN" in l and "235" in l for l in lines),
                        "one log line with AUTH LOGIN and its 235:\n" + "\n".join(lines))

    # -- real clients ------------------------------------------------------------------
    def test_smtplib_login(self):
        rcpt = "smtplib-login@example.test"
        with smtplib.SMTP("127.0.0.1", self.srv.port, timeout=10) as s:
            s.ehlo("client.example.test")
            s.user, s.password = USER, PASSWORD
            code, resp = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
            self.assertEqual(code, 235, resp)
            msg = ("From: alice@example.test\nTo: %s\nSubject: smtplib LOGIN\n\n"
                   "line one\n.line with a dot\nline three\n" % rcpt)
            refused = s.sendmail("alice@example.test", [rcpt], msg)
            self.assertEqual(refused, {})
        # smtplib sends CRLF line ends and dot-stuffs; the store gets the unstuffed CRLF text.
        self.assertDeliveredBody(self.srv, rcpt, msg.replace("\n", "\r\n").encode(),
                                 "alice@example.test", auth_user=USER, count=1)

    def test_smtplib_login_initial_response(self):
        with smtplib.SMTP("127.0.0.1", self.srv.port, timeout=10) as s:
            s.ehlo("client.example.test")
            s.user, s.password = USER, PASSWORD
            code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=True)
            self.assertEqual(code, 235)

    def test_smtplib_wrong_password(self):
        with smtplib.SMTP("127.0.0.1", self.srv.port, timeout=10) as s:
            s.ehlo("client.example.test")
            s.user, s.password = USER, "wrong"
            with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                s.auth("LOGIN", s.auth_login, initial_response_ok=False)
            self.assertEqual(cm.exception.smtp_code, 535)

    def test_swaks_login(self):
        swaks = shutil.which("swaks")
        self.assertTrue(swaks, "swaks is required (apt-get install swaks)")
        rcpt = "swaks-login@example.test"
        r = run([swaks, "--server", "127.0.0.1:%d" % self.srv.port, "-a", "LOGIN",
                 "-au", USER, "-ap", PASSWORD, "--to", rcpt, "--from", "alice@example.test",
                 "--helo", "swaks.example.test", "--header", "Subject: swaks LOGIN"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = r.stdout
        # LOGIN without initial response: both challenges, exactly.
        self.assertRegex(out, r"(?m)^ -> AUTH LOGIN\s*$")
        self.assertRegex(out, r"<-\s+334 VXNlcm5hbWU6")
        self.assertRegex(out, r"<-\s+334 UGFzc3dvcmQ6")
        self.assertRegex(out, r"<-\s+235 2\.7\.0")
        msgs = self.srv.delivered(rcpt)
        self.assertEqual(len(msgs), 1, out)
        _rp, received, body = split_delivered(msgs[0])
        self.assertIn(USER, received)
        self.assertIn(b"Subject: swaks LOGIN", body)

    def test_swaks_wrong_password(self):
        swaks = shutil.which("swaks")
        self.assertTrue(swaks, "swaks is required (apt-get install swaks)")
        rcpt = "swaks-wrong@example.test"
        r = run([swaks, "--server", "127.0.0.1:%d" % self.srv.port, "-a", "LOGIN",
                 "-au", USER, "-ap", "wrong-password", "--to", rcpt,
                 "--from", "alice@example.test"])
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stdout, r"<~?\*+\s+535 5\.7\.8")
        self.assertEqual(self.srv.delivered(rcpt), [])

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_curl_login(self):
        rcpt = "curl-login@example.test"
        body = b"From: alice@example.test\r\nTo: %s\r\nSubject: curl\r\n\r\nsent by curl\r\n" % rcpt.encode()
        with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as f:
            f.write(body)
        self.addCleanup(os.unlink, f.name)
        r = run(["curl", "--silent", "--show-error", "--max-time", "20",
                 "smtp://127.0.0.1:%d/client.example.test" % self.srv.port,
                 "--mail-from", "alice@example.test", "--mail-rcpt", rcpt,
                 "--user", "%s:%s" % (USER, PASSWORD), "--login-options", "AUTH=LOGIN",
                 "-T", f.name])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertDeliveredBody(self.srv, rcpt, body, "alice@example.test", auth_user=USER,
                                 count=1)

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_curl_wrong_password(self):
        rcpt = "curl-wrong@example.test"
        with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as f:
            f.write(b"Subject: x\r\n\r\nx\r\n")
        self.addCleanup(os.unlink, f.name)
        r = run(["curl", "--silent", "--max-time", "20",
                 "smtp://127.0.0.1:%d" % self.srv.port, "--mail-from", "alice@example.test",
                 "--mail-rcpt", rcpt, "--user", USER + ":wrong", "--login-options",
                 "AUTH=LOGIN", "-T", f.name])
        self.assertEqual(r.returncode, 67, "curl exit 67 = login denied: %r" % (r,))
        self.assertEqual(self.srv.delivered(rcpt), [])


if __name__ == "__main__":
    unittest.main()
