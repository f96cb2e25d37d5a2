"""AUTH PLAIN (RFC 4616) and MS-OXSMTP relaxed AUTH ("334 PLAIN supported")."""

import shutil
import smtplib
import subprocess
import sqlite3
import unittest

from mailfw_harness import SharedServerTestCase, b64

USER, PASSWORD = "alice", "Plain-Pa55word?"


class AuthPlain(SharedServerTestCase):
    server_kwargs = dict(
        listeners={"relaxed": {"allow_plaintext_auth": True, "relaxed_auth": True},
                   "strict": {"allow_plaintext_auth": True, "relaxed_auth": False},
                   "default": {"allow_plaintext_auth": True}},
        users={USER: PASSWORD, "bob": "bob-password", "carol": "carol-password"})

    def session(self, listener="relaxed"):
        c = self.connect(listener=listener)
        r = c.ehlo()
        self.assertReply(r, 250)
        self.assertIn("PLAIN", [m.upper() for m in r.keywords().get("AUTH", [])], r)
        return c

    def test_initial_response(self):
        c = self.session()
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")
        self.assertReply(c.cmd("AUTH PLAIN " + b64("\0%s\0%s" % (USER, PASSWORD))), 503, "5.5.1")

    def test_relaxed_challenge(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH PLAIN"), 334, text="334 PLAIN supported")
        self.assertReply(c.cmd(b64("\0%s\0%s" % (USER, PASSWORD))), 235, "2.7.0")

    def test_relaxed_names_the_mechanism_in_upper_case(self):
        # MS-OXSMTP 2.2.1: the name in the line is 1*20 of A-Z 0-9 - _.
        c = self.session()
        self.assertReply(c.cmd("AUTH plain"), 334, text="334 PLAIN supported")
        self.assertReply(c.cmd(b64("\0%s\0%s" % (USER, PASSWORD))), 235, "2.7.0")
        c = self.session()
        self.assertReply(c.cmd("AUTH Plain"), 334, text="334 PLAIN supported")
        self.assertReply(c.cmd("*"), 501)

    def test_default_auto_gives_plain_an_empty_challenge(self):
        # relaxed_auth = auto: only mechanisms that declare it (GSSAPI, NTLM)
        # get the relaxed line, so stock PLAIN clients can base64-decode "334 ".
        c = self.session("default")
        self.assertReply(c.cmd("AUTH PLAIN"), 334, text="334 ")
        self.assertReply(c.cmd(b64("\0%s\0%s" % (USER, PASSWORD))), 235, "2.7.0")

    def test_smtplib_without_initial_response_against_the_default(self):
        with smtplib.SMTP("127.0.0.1", self.srv.ports["default"], timeout=10) as s:
            s.ehlo("client.example.test")
            s.user, s.password = USER, PASSWORD
            code, _ = s.auth("PLAIN", s.auth_plain, initial_response_ok=False)
            self.assertEqual(code, 235)

    @unittest.skipUnless(shutil.which("gsasl"), "gsasl is not installed")
    def test_gsasl_plain_against_the_default(self):
        r = subprocess.run(["gsasl", "--smtp", "--connect", "127.0.0.1:%d" % self.srv.ports["default"],
                            "-m", "PLAIN", "-a", USER, "-p", PASSWORD, "--no-starttls", "--quiet"],
                           input="", capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_relaxed_auth_off(self):
        c = self.session("strict")
        self.assertReply(c.cmd("AUTH PLAIN"), 334, text="334 ")
        self.assertReply(c.cmd(b64("\0%s\0%s" % (USER, PASSWORD))), 235, "2.7.0")

    def test_relaxed_not_used_with_initial_response(self):
        # With an initial response there is no 334 at all: straight to 235/535.
        c = self.session()
        self.assertReply(c.auth_plain(USER, "wrong"), 535, "5.7.8")
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")

    def test_wrong_password_and_unknown_user(self):
        c = self.session()
        self.assertReply(c.auth_plain(USER, "wrong"), 535, "5.7.8")
        self.assertReply(c.auth_plain("nobody", PASSWORD), 535, "5.7.8")
        self.assertReply(c.auth_plain(USER, PASSWORD.upper()), 535, "5.7.8")
        self.assertReply(c.auth_plain(USER, PASSWORD + "x"), 535, "5.7.8")
        self.assertReply(c.auth_plain(USER, PASSWORD[:-1]), 535, "5.7.8")

    def test_empty_initial_response(self):
        c = self.session()
        self.assertEqual(c.cmd("AUTH PLAIN =").code, 535)
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")

    def test_cancel(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH PLAIN"), 334, text="334 PLAIN supported")
        self.assertEqual(c.cmd("*").code, 501)
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")

    def test_bad_base64(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH PLAIN"), 334, text="334 PLAIN supported")
        self.assertReply(c.cmd("@@@ not base64"), 501, "5.5.2")
        self.assertReply(c.cmd("AUTH PLAIN ***"), 501, "5.5.2")
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")

    def test_authzid_equal_to_authcid(self):
        c = self.session()
        self.assertReply(c.auth_plain(USER, PASSWORD, authzid=USER), 235, "2.7.0")

    def test_authzid_needs_store_permission(self):
        c = self.session()
        self.assertReply(c.auth_plain("bob", "bob-password", authzid="carol"), 535, "5.7.8")
        db = sqlite3.connect(self.srv.db_path, timeout=10)
        try:
            db.execute("INSERT INTO authorizations(authcid, authzid) VALUES (?, ?)", ("bob", "carol"))
            db.commit()
        finally:
            db.close()
        c = self.session()
        self.assertReply(c.auth_plain("bob", "bob-password", authzid="carol"), 235, "2.7.0")
        # The grant is one-way and per pair.
        c = self.session()
        self.assertReply(c.auth_plain("carol", "carol-password", authzid="bob"), 535, "5.7.8")
        c = self.session()
        self.assertReply(c.auth_plain("bob", "bob-password", authzid=USER), 535, "5.7.8")

    def test_malformed_message(self):
        c = self.session()
        # RFC 4616 needs two NULs; anything else is not a valid PLAIN message.
        r = c.cmd("AUTH PLAIN " + b64("%s %s" % (USER, PASSWORD)))
        self.assertIn(r.code, (501, 535), r)
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")

    def test_log_has_no_secrets(self):
        c = self.session()
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")
        c2 = self.session()
        self.assertReply(c2.cmd("AUTH PLAIN"), 334, text="334 PLAIN supported")
        self.assertReply(c2.cmd(b64("\0%s\0Other-Secret-1" % USER)), 535, "5.7.8")
        self.wait_until(lambda: "AUTH PLAIN" in self.srv.read_log(), what="AUTH in the log")
        self.assertLogClean(self.srv, PASSWORD, b64("\0%s\0%s" % (USER, PASSWORD)),
                            "Other-Secret-1", b64("\0%s\0Other-Secret-1" % USER))
        log = self.srv.read_log()
        self.assertTrue(any("AUTH PLAIN" in l and "235" in l for l in log.splitlines()), log)
        self.assertTrue(any("535" in l for l in log.splitlines()), log)

    def test_smtplib_plain(self):
        rcpt = "smtplib-plain@example.test"
        with smtplib.SMTP("127.0.0.1", self.srv.port, timeout=10) as s:
            s.ehlo("client.example.test")
            s.user, s.password = USER, PASSWORD
            code, resp = s.auth("PLAIN", s.auth_plain, initial_response_ok=True)
            self.assertEqual(code, 235, resp)
            msg = "Subject: smtplib PLAIN\r\n\r\nbody one\r\n..two dots\r\n"
            self.assertEqual(s.sendmail("alice@example.test", [rcpt], msg), {})
        self.assertDeliveredBody(self.srv, rcpt, msg.encode(), "alice@example.test",
                                 auth_user=USER, count=1)

    def test_smtplib_login_picks_plain(self):
        # smtplib's own login() prefers PLAIN over LOGIN when both are offered.
        with smtplib.SMTP("127.0.0.1", self.srv.port, timeout=10) as s:
            s.ehlo("client.example.test")
            code, _ = s.login(USER, PASSWORD)
            self.assertEqual(code, 235)


if __name__ == "__main__":
    unittest.main()
