"""PIPELINING (RFC 2920): pipelined groups get their replies in order; swaks --pipeline."""

import shutil
import unittest

from mailfw_harness import SharedServerTestCase, run, split_delivered

USER, PASSWORD = "alice", "Pipe-Pa55word"


class Pipelining(SharedServerTestCase):
    server_kwargs = dict(
        listeners={"test": {"allow_plaintext_auth": True}},
        users={USER: PASSWORD})

    def session(self):
        c = self.connect()
        r = c.ehlo()
        self.assertReply(r, 250)
        self.assertIn("PIPELINING", r.keywords(), r)
        return c

    def test_mail_rcpt_rcpt_data_group(self):
        c = self.session()
        c.send(b"MAIL FROM:<s@example.test>\r\nRCPT TO:<pipe1@example.test>\r\n"
               b"RCPT TO:<pipe2@example.test>\r\nDATA\r\n")
        self.assertReply(c.read_reply(), 250, "2.1.0")
        self.assertReply(c.read_reply(), 250, "2.1.5")
        self.assertReply(c.read_reply(), 250, "2.1.5")
        self.assertReply(c.read_reply(), 354)
        self.assertTrue(c.nothing_pending(0.3), "extra reply: %r" % c.buf)
        body = b"Subject: pipelined\r\n\r\nbody\r\n"
        c.send(body + b".\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        for r in ("pipe1@example.test", "pipe2@example.test"):
            self.assertDeliveredBody(self.srv, r, body, "s@example.test", count=1)

    def test_group_with_errors_keeps_order(self):
        c = self.session()
        c.send(b"MAIL FROM:<s@example.test>\r\nRCPT TO:<>\r\nRCPT TO:bad\r\n"
               b"RCPT TO:<pipe-ok@example.test>\r\nFROB\r\nDATA\r\n")
        self.assertReply(c.read_reply(), 250, "2.1.0")
        self.assertReply(c.read_reply(), 501, "5.5.4")
        self.assertReply(c.read_reply(), 501, "5.5.4")
        self.assertReply(c.read_reply(), 250, "2.1.5")
        self.assertReply(c.read_reply(), 500, "5.5.1")
        self.assertReply(c.read_reply(), 354)
        c.send(b"x\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")

    def test_data_refused_in_group_without_recipients(self):
        c = self.session()
        c.send(b"MAIL FROM:<s@example.test>\r\nRCPT TO:<>\r\nDATA\r\n"
               b"Subject: must not be read as commands\r\n")
        self.assertReply(c.read_reply(), 250, "2.1.0")
        self.assertReply(c.read_reply(), 501, "5.5.4")
        # RFC 5321 3.3 / RFC 2920 3.1: 503 or 554 "no valid recipients".
        r = c.read_reply()
        self.assertIn((r.code, r.enhanced), ((503, "5.5.1"), (554, "5.5.1")), r)
        # The would-be body lines are now commands: unknown command replies, in order.
        self.assertReply(c.read_reply(), 500, "5.5.1")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_many_commands_one_packet(self):
        c = self.session()
        c.send(b"NOOP\r\n" * 50 + b"RSET\r\nVRFY x\r\nHELP\r\n")
        for _ in range(50):
            self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertReply(c.read_reply(), 252, "2.5.0")
        self.assertEqual(c.read_reply().code, 214)
        self.assertTrue(c.nothing_pending(0.3))

    def test_a_group_ending_exactly_at_a_read_boundary(self):
        # Commands of 8 octets end exactly where the server's reads end (512
        # octets for commands, 64 of these; 16 KiB before the change to
        # small command reads), so its buffer is empty while many more wait
        # in the kernel: the read that follows must still find them.
        # (Whether they were queued before that read began depends on
        # timing, so an edge-triggered wait that misses them would fail here
        # only sometimes.)
        c = self.session()
        c.send(b"NOOP x\r\n" * 2148)
        for i in range(2148):
            self.assertReply(c.read_reply(), 250, msg="reply %d" % i)
        self.assertTrue(c.nothing_pending(0.2))

    def test_commands_in_one_byte_segments(self):
        c = self.session()
        for b in b"NOOP\r\nMAIL FROM:<s@example.test>\r\n":
            c.send(bytes([b]))
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertReply(c.read_reply(), 250, "2.1.0")

    def test_whole_transactions_back_to_back(self):
        # After the 354 the client may send the body, the next transaction and
        # QUIT at once (RFC 2920: the text may start a group) -- an
        # authenticated one: the default improper_pipelining refuses this from
        # others (test_smuggling.py).
        c = self.session()
        self.assertReply(c.auth_plain(USER, PASSWORD), 235)
        c.send(b"MAIL FROM:<s@example.test>\r\nRCPT TO:<b2b@example.test>\r\nDATA\r\n")
        self.assertReply(c.read_reply(), 250, "2.1.0")
        self.assertReply(c.read_reply(), 250, "2.1.5")
        self.assertReply(c.read_reply(), 354)
        c.send(b"Subject: one\r\n\r\n1\r\n.\r\nMAIL FROM:<s@example.test>\r\n"
               b"RCPT TO:<b2b@example.test>\r\nBDAT 19 LAST\r\nSubject: two\r\n\r\n2\r\nQUIT\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertReply(c.read_reply(), 250, "2.1.0")
        self.assertReply(c.read_reply(), 250, "2.1.5")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertReply(c.read_reply(), 221, "2.0.0")
        self.assertTrue(c.is_closed())
        bodies = sorted(split_delivered(m)[2] for m in self.srv.delivered("b2b@example.test"))
        self.assertEqual(bodies, [b"Subject: one\r\n\r\n1\r\n", b"Subject: two\r\n\r\n2\r\n"])

    def test_swaks_pipeline(self):
        swaks = shutil.which("swaks")
        self.assertTrue(swaks, "swaks is required (apt-get install swaks)")
        rcpt = "swaks-pipe@example.test"
        r = run([swaks, "--server", "127.0.0.1:%d" % self.srv.port, "--pipeline",
                 "-a", "LOGIN", "-au", USER, "-ap", PASSWORD,
                 "--to", rcpt, "--from", "alice@example.test", "--helo", "swaks.example.test",
                 "--header", "Subject: swaks pipeline"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("does not support PIPELINING", r.stdout)
        self.assertRegex(r.stdout, r"<-\s+354")
        msgs = self.srv.delivered(rcpt)
        self.assertEqual(len(msgs), 1, r.stdout)
        _rp, received, body = split_delivered(msgs[0])
        self.assertIn(USER, received)
        self.assertIn(b"Subject: swaks pipeline", body)


if __name__ == "__main__":
    unittest.main()
