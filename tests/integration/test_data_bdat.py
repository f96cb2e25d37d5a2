"""DATA and BDAT framing, and what lands in the maildir (byte for byte)."""

import os
import time
import unittest

from mailfw_harness import PLUGINS, SharedServerTestCase, dot_stuff, split_delivered

SENDER = "sender@example.test"


class DataBdat(SharedServerTestCase):
    # Size limits themselves are test_limit_size.py's.
    server_kwargs = dict(
        listeners={"big": {}},
        loads=PLUGINS + ("limit-size",),
        extra_sections={"limit-size": {"max_message_size": "4MiB"}},
        users={"alice": "alice-secret"})
    counter = 0

    def rcpt(self):
        """A fresh recipient per test, so mailboxes never mix."""
        type(self).counter += 1
        return "%s-%d@example.test" % (self._testMethodName.replace("_", "-"), self.counter)

    def session(self, listener="big"):
        c = self.connect(listener=listener)
        self.assertReply(c.ehlo(), 250)
        return c

    def assertNothingDelivered(self, rcpt):
        self.assertEqual(self.srv.delivered(rcpt), [], "nothing may be delivered to " + rcpt)
        box = self.srv.mailbox(rcpt)
        for sub in ("tmp", "new", "cur"):
            p = os.path.join(box, sub)
            if os.path.isdir(p):
                self.assertEqual(os.listdir(p), [], "%s must be empty" % p)

    def assertNoLeftovers(self, timeout=5.0):
        """No spool files and nothing in any maildir tmp/ (waits for the server to notice)."""
        def clean():
            return not self.srv.spool_files() and not self.srv.maildir_tmp_files()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not clean():
            time.sleep(0.05)
        self.assertEqual(self.srv.spool_files(), [], "spool files left behind")
        self.assertEqual(self.srv.maildir_tmp_files(), [], "maildir tmp/ files left behind")

    # -- DATA ------------------------------------------------------------------
    def test_data_simple(self):
        rcpt = self.rcpt()
        c = self.session()
        body = (b"From: Sender <sender@example.test>\r\nTo: <%s>\r\nSubject: simple\r\n\r\n"
                b"Hello,\r\nthis is a test.\r\n" % rcpt.encode())
        self.assertReply(self.send_message(c, SENDER, [rcpt], body), 250, "2.0.0")
        # 250 comes only after the message is durable: it is there right now.
        received = self.assertDeliveredBody(self.srv, rcpt, body, SENDER, count=1)
        self.assertIn("client.example.test", received, "Received: names the EHLO name")
        self.assertIn("127.0.0.1", received, "Received: names the client address")

    def test_data_null_sender(self):
        rcpt = self.rcpt()
        c = self.session()
        body = b"Subject: bounce\r\n\r\nbounced\r\n"
        self.assertReply(self.send_message(c, "", [rcpt], body), 250, "2.0.0")
        msgs = self.srv.delivered(rcpt)
        self.assertEqual(len(msgs), 1)
        rp, _recv, got = split_delivered(msgs[0])
        self.assertEqual(rp, "Return-Path: <>")
        self.assertEqual(got, body)

    def test_data_dot_unstuffing(self):
        rcpt = self.rcpt()
        c = self.session()
        body = (b".starts with a dot\r\nSubject: dots\r\n\r\n.\r\n..\r\n...three\r\n"
                b"middle . dot\r\n. space\r\n.\r\nend\r\n")
        self.assertReply(self.send_message(c, SENDER, [rcpt], body), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, body, SENDER, count=1)

    def test_data_raw_dot_stuffed_bytes(self):
        # The same, spelled out on the wire without the helper.
        rcpt = self.rcpt()
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: x\r\n\r\n..\r\n...a\r\n.b\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, b"Subject: x\r\n\r\n.\r\n..a\r\nb\r\n", SENDER)

    def test_data_8bit(self):
        rcpt = self.rcpt()
        c = self.session()
        high = bytes(range(0x80, 0x100))
        ctl = bytes(b for b in range(0x01, 0x20) if b not in (0x0a, 0x0d))
        body = (b"Subject: =?utf-8?q?8bit?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Content-Transfer-Encoding: 8bit\r\n\r\n"
                + "gr\u00fc\u00dfe \u2013 \u65e5\u672c".encode("utf-8") + b"\r\n"
                + high + b"\r\n" + ctl + b"\r\n")  # NUL is refused: test_smuggling.py
        self.assertReply(c.cmd("MAIL FROM:<%s> BODY=8BITMIME" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(dot_stuff(body) + b".\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, body, SENDER, count=1)

    def test_data_one_megabyte(self):
        rcpt = self.rcpt()
        c = self.session()
        lines = [b"Subject: big\r\n", b"\r\n"]
        i = 0
        size = 0
        while size < 1024 * 1024:
            line = (b"%07d " % i) + bytes((33 + (i * 7 + k) % 94) for k in range(70)) + b"\r\n"
            lines.append(line)
            size += len(line)
            i += 1
        body = b"".join(lines)
        self.assertGreaterEqual(len(body), 1024 * 1024)
        self.assertReply(self.send_message(c, SENDER, [rcpt], body), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, body, SENDER, count=1)

    def test_data_several_recipients(self):
        r1, r2, r3 = self.rcpt(), self.rcpt(), self.rcpt()
        c = self.session()
        body = b"Subject: three\r\n\r\nfor three\r\n"
        self.assertReply(self.send_message(c, SENDER, [r1, r2, r3], body), 250, "2.0.0")
        for r in (r1, r2, r3):
            self.assertDeliveredBody(self.srv, r, body, SENDER, count=1)

    def test_data_two_messages_one_session(self):
        rcpt = self.rcpt()
        c = self.session()
        b1 = b"Subject: one\r\n\r\nfirst\r\n"
        b2 = b"Subject: two\r\n\r\nsecond\r\n"
        self.assertReply(self.send_message(c, SENDER, [rcpt], b1), 250, "2.0.0")
        self.assertReply(self.send_message(c, SENDER, [rcpt], b2), 250, "2.0.0")
        bodies = sorted(split_delivered(m)[2] for m in self.srv.delivered(rcpt))
        self.assertEqual(bodies, sorted([b1, b2]))

    def test_data_line_limit(self):
        rcpt = self.rcpt()
        c = self.session()
        ok_line = b"a" * 998 + b"\r\n"               # 1000 octets with CRLF: legal
        body = b"Subject: limit\r\n\r\n" + ok_line
        self.assertReply(self.send_message(c, SENDER, [rcpt], body), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, body, SENDER, count=1)

        rcpt2 = self.rcpt()
        long_body = b"Subject: limit\r\n\r\n" + b"b" * 999 + b"\r\nafter\r\n"
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt2), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(long_body)
        # Nothing is answered before the terminator.
        self.assertTrue(c.nothing_pending(), "the server answered before the end of DATA: %r" % c.buf)
        c.send(b".\r\n")
        self.assertReply(c.read_reply(), 500, "5.5.2")
        self.assertNothingDelivered(rcpt2)
        # The session continues and is out of the transaction.
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt2), 503, "5.5.1")
        self.assertNoLeftovers()

    def test_bdat_bare_lf_and_cr_are_refused_like_data(self):
        for body in (b"Subject: x\n\r\nbody\r\n", b"Subject: x\r\n\r\nbo\rdy\r\n"):
            rcpt = self.rcpt()
            c = self.session()
            self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
            self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
            c.send(b"BDAT %d LAST\r\n" % len(body) + body)
            self.assertReply(c.read_reply(), 554, "5.5.2")
            self.assertNothingDelivered(rcpt)
            # Framed by counts, so the session stays in step and open.
            self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        # A CR at the end of one chunk with its LF at the start of the next is fine.
        rcpt = self.rcpt()
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        c.send(b"BDAT 13\r\nSubject: x\r\n\r")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        c.send(b"BDAT 7 LAST\r\n\nbody\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertNoLeftovers()


if __name__ == "__main__":
    unittest.main()
