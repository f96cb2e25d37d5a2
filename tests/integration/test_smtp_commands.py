"""RFC 5321 commands, their exact replies and the session state machine, over raw sockets."""

import re
import unittest

from mailfw_harness import HOSTNAME, PLUGINS, SharedServerTestCase


class SmtpCommands(SharedServerTestCase):
    server_kwargs = dict(
        loads=PLUGINS + ("limit-size",),
        extra_sections={"limit-size": {"max_message_size": "10MiB"}},
        users={"alice": "alice-secret"})

    def session(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        return c

    # -- greeting, EHLO, HELO ---------------------------------------------
    def test_greeting(self):
        c = self.connect()
        self.assertEqual(c.greeting.code, 220)
        self.assertEqual(len(c.greeting.raw), 1, c.greeting)
        self.assertTrue(c.greeting.last.startswith("220 %s ESMTP mailfw" % HOSTNAME), c.greeting)

    def test_ehlo_keywords(self):
        c = self.connect()
        r = c.ehlo("client.example.test")
        self.assertEqual(r.code, 250)
        self.assertGreater(len(r.raw), 1, "EHLO must answer with a multi-line 250")
        for line in r.raw[:-1]:
            self.assertTrue(line.startswith("250-"), r)
        self.assertTrue(r.raw[-1].startswith("250 "), r)
        self.assertTrue(r.lines[0].startswith(HOSTNAME), r)
        kw = r.keywords()
        for k in ("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING", "HELP", "SIZE"):
            self.assertIn(k, kw, r)
        self.assertEqual(kw["SIZE"], [str(10 * 1024 * 1024)], r)
        self.assertNotIn("STARTTLS", kw, "tls = none must not offer STARTTLS: %r" % r)
        # allow_plaintext_auth = true on this listener: both mechanisms offered.
        self.assertIn("AUTH", kw, r)
        self.assertEqual(sorted(m.upper() for m in kw["AUTH"]), ["LOGIN", "PLAIN"], r)

    def test_helo_single_line(self):
        c = self.connect()
        r = c.cmd("HELO client.example.test")
        self.assertReply(r, 250)
        self.assertEqual(len(r.raw), 1, r)
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")

    def test_ehlo_without_argument(self):
        c = self.connect()
        self.assertReply(c.cmd("EHLO"), 501, "5.5.4")
        self.assertReply(c.cmd("HELO"), 501, "5.5.4")

    def test_commands_are_case_insensitive(self):
        c = self.connect()
        self.assertReply(c.cmd("ehlo client.example.test"), 250)
        self.assertReply(c.cmd("mail from:<a@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("rcpt to:<b@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("rset"), 250, "2.0.0")

    def test_second_ehlo_resets_transaction(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")
        self.assertReply(c.ehlo(), 250)
        # The transaction is gone: MAIL is allowed again, RCPT first is not.
        self.assertReply(c.cmd("RCPT TO:<b@example.test>"), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")

    # -- simple commands ---------------------------------------------------
    def test_noop_rset_quit(self):
        c = self.session()
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("QUIT"), 221, "2.0.0")
        self.assertTrue(c.is_closed(), "the server must close the connection after 221")

    def test_quit_before_ehlo(self):
        c = self.connect()
        self.assertReply(c.cmd("QUIT"), 221, "2.0.0")
        self.assertTrue(c.is_closed())

    def test_vrfy(self):
        c = self.session()
        self.assertReply(c.cmd("VRFY alice"), 252, "2.5.0")
        self.assertReply(c.cmd("VRFY nobody@example.test"), 252, "2.5.0")
        self.assertReply(c.cmd("VRFY"), 501, "5.5.4")

    def test_help_and_expn(self):
        c = self.session()
        r = c.cmd("HELP")
        self.assertEqual(r.code, 214, r)
        self.assertReply(c.cmd("EXPN staff"), 502, "5.5.1")

    def test_unknown_command(self):
        c = self.session()
        self.assertReply(c.cmd("FROB nicate"), 500, "5.5.1")
        self.assertReply(c.cmd("XYZZY"), 500, "5.5.1")
        # The session goes on.
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    # -- transaction ------------------------------------------------------
    def test_transaction_codes(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<sender@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<rcpt@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: codes\r\n\r\nhello\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        # A second transaction on the same session.
        self.assertReply(c.cmd("MAIL FROM:<>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<rcpt@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")

    def test_mail_parameters(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<a@example.test> BODY=8BITMIME"), 250, "2.1.0")
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test> SIZE=1000"), 250, "2.1.0")
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test> BODY=7BIT SIZE=10"), 250, "2.1.0")
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test> FOO=BAR"), 555, "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<b@example.test> NOTIFY=NEVER"), 555, "5.5.4")

    def test_size_above_limit(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<a@example.test> SIZE=%d" % (10 * 1024 * 1024 + 1)),
                         552, "5.3.4")
        # Not in a transaction after the refusal.
        self.assertReply(c.cmd("RCPT TO:<b@example.test>"), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test> SIZE=%d" % (10 * 1024 * 1024)),
                         250, "2.1.0")

    # -- bad sequence ----------------------------------------------------
    def test_mail_before_ehlo(self):
        c = self.connect()
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 503, "5.5.1")

    def test_mail_twice(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 503, "5.5.1")

    def test_rcpt_before_mail(self):
        c = self.session()
        self.assertReply(c.cmd("RCPT TO:<b@example.test>"), 503, "5.5.1")

    def test_data_before_rcpt(self):
        c = self.session()
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        # Still in the transaction: a recipient can follow.
        self.assertReply(c.cmd("RCPT TO:<b@example.test>"), 250, "2.1.5")

    # -- bad syntax --------------------------------------------------------
    def test_bad_syntax(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:bob@example.test"), 501, "5.5.4")
        self.assertReply(c.cmd("MAIL TO:<bob@example.test>"), 501, "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<bob@example.test"), 501, "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<>"), 501, "5.5.4")
        self.assertReply(c.cmd("RCPT TO:bob@example.test"), 501, "5.5.4")
        self.assertReply(c.cmd("RCPT FROM:<bob@example.test>"), 501, "5.5.4")

    # -- line limits -------------------------------------------------------
    def test_command_line_limit(self):
        c = self.session()
        # 512 octets including CRLF is the longest legal command line.
        line = "VRFY " + "x" * (512 - 2 - 5)
        self.assertEqual(len(line) + 2, 512)
        self.assertReply(c.cmd(line), 252, "2.5.0")
        self.assertReply(c.cmd(line + "x"), 500, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0", msg="the session goes on after 500 5.5.2")
        self.assertReply(c.cmd("MAIL FROM:<%s@example.test>" % ("a" * 600)), 500, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_very_long_line_is_not_buffered_whole(self):
        c = self.session()
        c.send(b"NOOP " + b"y" * 200000 + b"\r\n")
        self.assertReply(c.read_reply(), 500, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    # -- logging ---------------------------------------------------------------
    def test_log_line_per_command(self):
        c = self.session()
        local_port = c.sock.getsockname()[1]
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.cmd("VRFY someone"), 252, "2.5.0")
        self.assertReply(c.cmd("QUIT"), 221, "2.0.0")
        c.is_closed()
        tag = re.compile(r"\[c\d+ 127\.0\.0\.1:%d\]" % local_port)
        self.wait_until(lambda: any(tag.search(l) and "QUIT" in l
                                    for l in self.srv.read_log().splitlines()),
                        what="a log line for QUIT")
        lines = [l for l in self.srv.read_log().splitlines() if tag.search(l)]
        self.assertTrue(any("EHLO client.example.test" in l and "250" in l for l in lines), lines)
        self.assertTrue(any("VRFY someone" in l and "252" in l for l in lines), lines)
        self.assertTrue(any("NOOP" in l and "250" in l for l in lines), lines)
        self.assertTrue(any("QUIT" in l and "221" in l for l in lines), lines)


if __name__ == "__main__":
    unittest.main()
