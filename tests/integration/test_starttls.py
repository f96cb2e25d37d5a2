"""STARTTLS (RFC 3207) and implicit TLS: session reset, discarded pipelined bytes, AUTH after TLS."""

import smtplib
import socket
import unittest

from mailfw_harness import (HOSTNAME, SharedServerTestCase, b64,
                            client_tls_context)

USER, PASSWORD = "alice", "Tls-Pa55word"


class StartTls(SharedServerTestCase):
    server_kwargs = dict(
        listeners={"starttls": {"tls": "starttls", "allow_plaintext_auth": False},
                   "implicit": {"tls": "implicit", "allow_plaintext_auth": False},
                   "clear": {"tls": "none", "allow_plaintext_auth": True}},
        users={USER: PASSWORD})

    def session(self):
        c = self.connect(listener="starttls")
        self.assertReply(c.ehlo(), 250)
        return c

    def test_ehlo_before_tls(self):
        c = self.connect(listener="starttls")
        r = c.ehlo()
        kw = r.keywords()
        self.assertIn("STARTTLS", kw, r)
        self.assertNotIn("AUTH", kw, "LOGIN/PLAIN need TLS on this listener: %r" % r)

    def test_login_before_tls_is_538(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH LOGIN"), 538, "5.7.11")
        self.assertReply(c.cmd("AUTH PLAIN"), 538, "5.7.11")

    def test_starttls_then_auth(self):
        c = self.session()
        r = c.starttls()
        self.assertReply(r, 220, "2.0.0")
        self.assertEqual(c.sock.version()[:3], "TLS")
        # The session restarted: EHLO is needed again.
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 503, "5.5.1")
        r = c.ehlo()
        self.assertReply(r, 250)
        kw = r.keywords()
        self.assertNotIn("STARTTLS", kw, r)
        self.assertEqual(sorted(m.upper() for m in kw.get("AUTH", [])), ["LOGIN", "PLAIN"], r)
        self.assertReply(c.cmd("AUTH LOGIN"), 334, text="334 VXNlcm5hbWU6")
        self.assertReply(c.cmd(b64(USER)), 334, text="334 UGFzc3dvcmQ6")
        self.assertReply(c.cmd(b64(PASSWORD)), 235, "2.7.0")
        rcpt = "tls-raw@example.test"
        body = b"Subject: over tls\r\n\r\nsecret stuff\r\n"
        self.assertReply(self.send_message(c, "alice@example.test", [rcpt], body), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, body, "alice@example.test", auth_user=USER,
                                 count=1)

    def test_plain_after_tls(self):
        c = self.session()
        c.starttls()
        self.assertReply(c.ehlo(), 250)
        # relaxed_auth = auto: PLAIN gets the plain empty challenge.
        self.assertReply(c.cmd("AUTH PLAIN"), 334, text="334 ")
        self.assertReply(c.cmd(b64("\0%s\0%s" % (USER, PASSWORD))), 235, "2.7.0")

    def test_transaction_dropped_by_starttls(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")
        r = c.cmd("STARTTLS")
        if r.code == 220:
            # Allowed: then the transaction must be gone after the handshake.
            c.tls_handshake()
            self.assertReply(c.ehlo(), 250)
            self.assertReply(c.cmd("RCPT TO:<b@example.test>"), 503, "5.5.1")
        else:
            self.assertEqual(r.code, 503, r)

    def test_bytes_after_starttls_are_discarded(self):
        c = self.session()
        # Injected in the same packet as STARTTLS (CVE-2011-0411 class).
        c.send(b"STARTTLS\r\nNOOP\r\nMAIL FROM:<evil@example.test>\r\n")
        r = c.read_reply()
        self.assertReply(r, 220, "2.0.0")
        self.assertEqual(c.buf, b"", "plain-text bytes after the 220: %r" % c.buf)
        c.tls_handshake()
        self.assertTrue(c.nothing_pending(1.0),
                        "the server answered commands sent before the handshake: %r" % c.buf)
        # The session is reset and the injected MAIL was not executed.
        self.assertReply(c.cmd("RCPT TO:<b@example.test>"), 503, "5.5.1")
        r = c.ehlo()
        self.assertReply(r, 250)
        self.assertTrue(r.lines[0].startswith(HOSTNAME), r)
        self.assertReply(c.cmd("RCPT TO:<b@example.test>"), 503, "5.5.1")

    def test_second_starttls(self):
        c = self.session()
        c.starttls()
        self.assertReply(c.cmd("STARTTLS"), 503, "5.5.1")
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("STARTTLS"), 503, "5.5.1")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_starttls_not_offered(self):
        c = self.connect(listener="clear")
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("STARTTLS"), 502, "5.5.1")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_starttls_with_argument(self):
        c = self.session()
        self.assertReply(c.cmd("STARTTLS now"), 501, "5.5.4")

    def test_failed_handshake_does_not_kill_server(self):
        c = self.session()
        self.assertReply(c.cmd("STARTTLS"), 220, "2.0.0")
        c.send(b"this is not a TLS client hello\r\n" * 4)
        self.assertTrue(c.is_closed(), "garbage instead of a handshake must end the session")
        c2 = self.session()
        self.assertReply(c2.cmd("NOOP"), 250, "2.0.0")

    # -- real client -------------------------------------------------------------------------
    def test_smtplib_starttls_login(self):
        rcpt = "smtplib-tls-login@example.test"
        with smtplib.SMTP("127.0.0.1", self.srv.ports["starttls"], timeout=10) as s:
            s.ehlo("client.example.test")
            self.assertTrue(s.has_extn("starttls"))
            self.assertFalse(s.has_extn("auth"))
            code, _ = s.starttls(context=client_tls_context())
            self.assertEqual(code, 220)
            s.ehlo("client.example.test")
            self.assertFalse(s.has_extn("starttls"))
            s.user, s.password = USER, PASSWORD
            code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
            self.assertEqual(code, 235)
            msg = "Subject: smtplib STARTTLS\r\n\r\nline\r\n.dot line\r\n"
            self.assertEqual(s.sendmail("alice@example.test", [rcpt], msg), {})
        self.assertDeliveredBody(self.srv, rcpt, msg.encode(), "alice@example.test",
                                 auth_user=USER, count=1)

    def test_smtplib_starttls_plain(self):
        rcpt = "smtplib-tls-plain@example.test"
        with smtplib.SMTP("127.0.0.1", self.srv.ports["starttls"], timeout=10) as s:
            s.starttls(context=client_tls_context())
            # login() picks PLAIN (with an initial response) when it is offered.
            code, _ = s.login(USER, PASSWORD)
            self.assertEqual(code, 235)
            self.assertEqual(s.sendmail("alice@example.test", [rcpt], "Subject: p\r\n\r\nx\r\n"), {})
        self.assertDeliveredBody(self.srv, rcpt, b"Subject: p\r\n\r\nx\r\n", "alice@example.test",
                                 auth_user=USER, count=1)

    def test_smtplib_starttls_wrong_password(self):
        with smtplib.SMTP("127.0.0.1", self.srv.ports["starttls"], timeout=10) as s:
            s.starttls(context=client_tls_context())
            with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                s.login(USER, "wrong")
            self.assertEqual(cm.exception.smtp_code, 535)

    # -- implicit TLS --------------------------------------------------------------------------
    def test_implicit_tls(self):
        c = self.connect(listener="implicit", implicit_tls=True)
        self.assertTrue(c.greeting.last.startswith("220 " + HOSTNAME), c.greeting)
        r = c.ehlo()
        kw = r.keywords()
        self.assertNotIn("STARTTLS", kw, r)
        self.assertEqual(sorted(m.upper() for m in kw.get("AUTH", [])), ["LOGIN", "PLAIN"], r)
        self.assertReply(c.cmd("STARTTLS"), 503, "5.5.1")
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")

    def test_implicit_tls_refuses_plain_text(self):
        s = socket.create_connection(("127.0.0.1", self.srv.ports["implicit"]), timeout=5)
        self.addCleanup(s.close)
        s.settimeout(1.0)
        try:
            data = s.recv(100)
        except (socket.timeout, TimeoutError):
            data = b""
        self.assertFalse(data.startswith(b"220"), "no clear-text greeting on an implicit-TLS port")

    def test_smtplib_smtp_ssl(self):
        rcpt = "smtplib-ssl@example.test"
        with smtplib.SMTP_SSL("127.0.0.1", self.srv.ports["implicit"], timeout=10,
                              context=client_tls_context()) as s:
            code, _ = s.login(USER, PASSWORD)
            self.assertEqual(code, 235)
            msg = "Subject: implicit\r\n\r\nhi\r\n"
            self.assertEqual(s.sendmail("alice@example.test", [rcpt], msg), {})
        self.assertDeliveredBody(self.srv, rcpt, msg.encode(), "alice@example.test",
                                 auth_user=USER, count=1)


if __name__ == "__main__":
    unittest.main()
