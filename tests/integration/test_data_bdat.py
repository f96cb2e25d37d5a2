"""DATA and BDAT framing, and what lands in the maildir (byte for byte)."""

import os
import time
import unittest

from mailfw_harness import SharedServerTestCase, dot_stuff, split_delivered

SENDER = "sender@example.test"
MAX_SIZE = 64 * 1024


class DataBdat(SharedServerTestCase):
    server_kwargs = dict(
        listeners={"big": {"max_message_size": "4MiB"},
                   "small": {"max_message_size": "64KiB"}},
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
                + high + b"\r\n" + ctl + b"\r\n" + b"\x00nul\x00\r\n")
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

    def test_data_message_too_big(self):
        rcpt = self.rcpt()
        c = self.session("small")
        body = b"Subject: too big\r\n\r\n" + (b"z" * 78 + b"\r\n") * (MAX_SIZE // 80 + 100)
        self.assertGreater(len(body), MAX_SIZE)
        self.assertReply(self.send_message(c, SENDER, [rcpt], body), 552, "5.3.4")
        self.assertNothingDelivered(rcpt)
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        # A message under the limit still goes through on the same session.
        small = b"Subject: fits\r\n\r\nsmall\r\n"
        self.assertReply(self.send_message(c, SENDER, [rcpt], small), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, small, SENDER, count=1)
        self.assertNoLeftovers()

    # -- SMTP smuggling defences -------------------------------------------------
    def _smuggle(self, payload):
        rcpt = self.rcpt()
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        try:
            c.send(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = c.read_reply()
        self.assertReply(r, 554, "5.5.2")
        self.assertTrue(c.is_closed(), "the server must close after a bare CR/LF")
        self.assertEqual(c.buf, b"", "no reply may follow 554 5.5.2 (no resync): %r" % c.buf)
        self.assertNothingDelivered(rcpt)
        self.assertNothingDelivered("smuggled@example.test")
        self.assertNoLeftovers()

    def test_bare_lf_in_data(self):
        self._smuggle(b"Subject: bare lf\r\n\r\nline one\nline two\r\n.\r\n")

    def test_bare_cr_in_data(self):
        self._smuggle(b"Subject: bare cr\r\n\r\nline one\rline two\r\n.\r\n")

    def test_lf_dot_lf_does_not_end_data(self):
        # The classic smuggling payload: a "\n.\n" end followed by a second transaction.
        self._smuggle(b"Subject: smuggle\r\n\r\nhello\n.\nMAIL FROM:<evil@example.test>\r\n"
                      b"RCPT TO:<smuggled@example.test>\r\nDATA\r\n"
                      b"Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n")

    def test_crlf_dot_lf_does_not_end_data(self):
        self._smuggle(b"Subject: smuggle\r\n\r\nhello\r\n.\nMAIL FROM:<evil@example.test>\r\n"
                      b"RCPT TO:<smuggled@example.test>\r\nDATA\r\nx\r\n.\r\n")

    def test_lf_dot_crlf_does_not_end_data(self):
        self._smuggle(b"Subject: smuggle\r\n\r\nhello\n.\r\nMAIL FROM:<evil@example.test>\r\n"
                      b"RCPT TO:<smuggled@example.test>\r\nDATA\r\nx\r\n.\r\n")

    # -- a client that disappears -------------------------------------------------
    def test_drop_mid_data_leaves_nothing(self):
        rcpt = self.rcpt()
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: dropped\r\n\r\n" + b"partial line\r\n" * 5000)
        time.sleep(0.3)
        c.close()
        self.assertNoLeftovers()
        self.assertNothingDelivered(rcpt)

    def test_drop_mid_bdat_leaves_nothing(self):
        rcpt = self.rcpt()
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        c.send(b"BDAT 20\r\nSubject: dropped\r\n\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        c.send(b"BDAT 100000 LAST\r\n" + b"x" * 50000)
        time.sleep(0.3)
        c.close()
        self.assertNoLeftovers()
        self.assertNothingDelivered(rcpt)

    # -- BDAT ------------------------------------------------------------------------
    def test_bdat_single_chunk(self):
        rcpt = self.rcpt()
        c = self.session()
        body = b"Subject: bdat\r\n\r\n.no unstuffing in BDAT\r\n..two\r\n.\r\nend\r\n"
        self.assertReply(self.send_message(c, SENDER, [rcpt], body, use_bdat=True), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, body, SENDER, count=1)

    def test_bdat_several_chunks(self):
        rcpt = self.rcpt()
        c = self.session()
        chunks = [b"Subject: chunks\r\n", b"\r\n", b"first part, ", b"no line end yet",
                  b"\r\n.\r\n", b"binary \x00\xff\x80 bytes\r\n"]
        self.assertReply(c.cmd("MAIL FROM:<%s> BODY=8BITMIME" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        for ch in chunks:
            c.send(b"BDAT %d\r\n" % len(ch) + ch)
            self.assertReply(c.read_reply(), 250, "2.0.0")
        # The chunk boundaries are not part of the message.
        self.assertEqual(self.srv.delivered(rcpt), [], "BDAT without LAST must not deliver")
        c.send(b"BDAT 0 LAST\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, b"".join(chunks), SENDER, count=1)

    def test_bdat_last_with_data(self):
        rcpt = self.rcpt()
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        head, tail = b"Subject: last\r\n\r\n", b"the body\r\n"
        c.send(b"BDAT %d\r\n" % len(head) + head)
        self.assertReply(c.read_reply(), 250, "2.0.0")
        c.send(b"BDAT %d LAST\r\n" % len(tail) + tail)
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, head + tail, SENDER, count=1)

    def test_bdat_one_megabyte(self):
        # BDAT carries octets as they are; a big chunk split across many TCP segments.
        rcpt = self.rcpt()
        c = self.session()
        body = b"Subject: big bdat\r\n\r\n" + b"".join(
            (b"%06d " % i) + b"y" * 60 + b"\r\n" for i in range(16000))
        self.assertReply(self.send_message(c, SENDER, [rcpt], body, use_bdat=True), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, rcpt, body, SENDER, count=1)

    def test_bdat_before_rcpt(self):
        c = self.session()
        c.send(b"BDAT 10\r\n0123456789")
        self.assertReply(c.read_reply(), 503, "5.5.1")
        # The chunk's bytes were consumed, not read as a command.
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        c.send(b"BDAT 12 LAST\r\nNOOP\r\nNOOP\r\n")
        self.assertReply(c.read_reply(), 503, "5.5.1")
        self.assertTrue(c.nothing_pending(), "chunk bytes were taken as commands: %r" % c.buf)
        self.assertReply(c.cmd("RCPT TO:<x@example.test>"), 250, "2.1.5")

    def test_data_after_bdat(self):
        rcpt = self.rcpt()
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        c.send(b"BDAT 5\r\nhello")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        self.assertNothingDelivered(rcpt)

    def test_bdat_bad_syntax(self):
        # Without a valid size the server cannot know where the chunk ends: 501,
        # and it may close the connection rather than guess (no resync).
        for bad in ("BDAT", "BDAT abc", "BDAT -5", "BDAT 5 FIRST", "BDAT 5 LAST x"):
            with self.subTest(command=bad):
                c = self.session()
                self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
                self.assertReply(c.cmd("RCPT TO:<x@example.test>"), 250, "2.1.5")
                self.assertReply(c.cmd(bad), 501, "5.5.4")
                c.close()

    def test_bdat_message_too_big(self):
        rcpt = self.rcpt()
        c = self.session("small")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        # Over the limit in total, each chunk within it: refused as soon as
        # the size is known, the chunk still read, the session in step.
        first = b"Subject: big\r\n\r\n" + b"x" * (MAX_SIZE - 100) + b"\r\n"
        c.send(b"BDAT %d\r\n" % len(first) + first)
        self.assertReply(c.read_reply(), 250, "2.0.0")
        second = b"y" * 1000 + b"\r\n"
        c.send(b"BDAT %d LAST\r\n" % len(second) + second)
        self.assertReply(c.read_reply(), 552, "5.3.4")
        self.assertNothingDelivered(rcpt)
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertNoLeftovers()

    def test_bdat_chunk_larger_than_the_limit_closes_at_once(self):
        # BDAT 9223372036854775807 LAST used to be read until the idle
        # timeout; a chunk over the limit by itself cannot be skipped.
        for size in (b"9223372036854775807", b"%d" % (MAX_SIZE + 1)):
            rcpt = self.rcpt()
            c = self.session("small")
            self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
            self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
            started = time.monotonic()
            c.send(b"BDAT " + size + b" LAST\r\nxxxx")
            self.assertReply(c.read_reply(), 552, "5.3.4")
            self.assertLess(time.monotonic() - started, 5)
            self.assertTrue(c.is_closed())
            self.assertNothingDelivered(rcpt)
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
