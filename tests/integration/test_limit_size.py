"""limit-size: MessageSizeExceeded and HeaderSizeExceeded (MS-OXSMTP 3.2.7)
answer 552 5.3.4 and keep the session; EHLO SIZE is the plugin's. Without
the plugin the core's 1 GiB backstop is all there is."""

import time
import unittest

from mailfw_harness import PLUGINS, SharedServerTestCase

SENDER = "sender@example.test"
LIMIT = 1024 * 1024  # max_message_size = 1MiB; max_header_size keeps its 256 KiB default
BACKSTOP = 1024 * 1024 * 1024


def message_of(size, subject=b"sized"):
    """A message of exactly `size` octets (as counted: unstuffed, CRLF line ends)."""
    head = b"Subject: " + subject + b"\r\n\r\n"
    out = [head]
    left = size - len(head)
    while left > 0:
        n = min(left, 1000)
        if n < 3:  # a line is at least "x\r\n": lengthen the one before instead
            out[-1] = out[-1][:-2] + b"x" * n + b"\r\n"
            break
        out.append(b"a" * (n - 2) + b"\r\n")
        left -= n
    body = b"".join(out)
    assert len(body) == size, (len(body), size)
    return body


class SizeLimits(SharedServerTestCase):
    server_kwargs = dict(loads=PLUGINS + ("limit-size",),
                         extra_sections={"limit-size": {"max_message_size": "1MiB"}})
    counter = 0

    def rcpt(self):
        type(self).counter += 1
        return "size-%d@example.test" % self.counter

    def session(self):
        c = self.connect()
        r = c.ehlo()
        self.assertReply(r, 250)
        return c, r

    def assertStaysUsable(self, c):
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        rcpt = self.rcpt()
        small = message_of(200)
        self.assertReply(self.send_message(c, SENDER, [rcpt], small), 250, "2.0.0")

    def test_ehlo_advertises_the_plugins_size(self):
        _c, r = self.session()
        sizes = [l for l in r.lines if l.upper().startswith("SIZE")]
        self.assertEqual(sizes, ["SIZE %d" % LIMIT])

    def test_size_parameter_over_the_limit_at_mail_from(self):
        c, _ = self.session()
        r = c.cmd("MAIL FROM:<%s> SIZE=%d" % (SENDER, LIMIT + 1))
        self.assertReply(r, 552, "5.3.4")
        self.assertIn("(limit %d octets)" % LIMIT, r.last)
        self.assertReply(c.cmd("MAIL FROM:<%s> SIZE=%d" % (SENDER, LIMIT)), 250, "2.1.0")
        self.assertTrue(self.wait_for_log("MessageSizeExceeded: 552 5.3.4"))

    def test_one_byte_over_via_data(self):
        c, _ = self.session()
        rcpt = self.rcpt()
        r = self.send_message(c, SENDER, [rcpt], message_of(LIMIT + 1))
        self.assertReply(r, 552, "5.3.4")
        self.assertIn("(limit %d octets)" % LIMIT, r.last)
        self.assertEqual(self.srv.delivered(rcpt), [])
        self.assertStaysUsable(c)
        rcpt = self.rcpt()
        self.assertReply(self.send_message(c, SENDER, [rcpt], message_of(LIMIT)), 250, "2.0.0", msg=
                         "exactly at the limit is accepted")

    def test_one_byte_over_via_bdat(self):
        c, _ = self.session()
        rcpt = self.rcpt()
        r = self.send_message(c, SENDER, [rcpt], message_of(LIMIT + 1), use_bdat=True)
        self.assertReply(r, 552, "5.3.4")
        self.assertEqual(self.srv.delivered(rcpt), [])
        self.assertStaysUsable(c)

    def test_bdat_chunks_that_add_up_to_over_the_limit(self):
        c, _ = self.session()
        rcpt = self.rcpt()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        first = message_of(LIMIT - 100)
        c.send(b"BDAT %d\r\n" % len(first) + first)
        self.assertReply(c.read_reply(), 250, "2.0.0")
        second = b"y" * 998 + b"\r\n"
        c.send(b"BDAT %d\r\n" % len(second) + second)  # not LAST: the message ends here anyway
        self.assertReply(c.read_reply(), 552, "5.3.4")
        self.assertEqual(self.srv.delivered(rcpt), [])
        c.send(b"BDAT 4 LAST\r\nxx\r\n")
        self.assertReply(c.read_reply(), 503, "5.5.1", msg="the transaction is over")
        self.assertStaysUsable(c)

    def test_a_chunk_over_the_core_cap_closes_at_once(self):
        c, _ = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % self.rcpt()), 250, "2.1.5")
        started = time.monotonic()
        c.send(b"BDAT 9223372036854775807 LAST\r\nxxxx")
        self.assertReply(c.read_reply(), 552, "5.3.4")
        self.assertLess(time.monotonic() - started, 5)
        self.assertTrue(c.is_closed())

    def test_a_300_kib_header(self):
        c, _ = self.session()
        rcpt = self.rcpt()
        header = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"h" * 900) for i in range(340))
        self.assertGreater(len(header), 300 * 1024)
        r = self.send_message(c, SENDER, [rcpt], header + b"Subject: big head\r\n\r\nbody\r\n")
        self.assertReply(r, 552, "5.3.4")
        self.assertIn("Header size exceeds the limit (limit %d octets)" % (256 * 1024), r.last)
        self.assertEqual(self.srv.delivered(rcpt), [])
        self.assertTrue(self.wait_for_log("HeaderSizeExceeded: 552 5.3.4"))
        self.assertStaysUsable(c)


class WithoutThePlugin(SharedServerTestCase):
    """The core's backstop: SIZE 1 GiB, and what limit-size would refuse passes."""

    def test_ehlo_size_is_the_backstop(self):
        c = self.connect()
        r = c.ehlo()
        self.assertEqual([l for l in r.lines if l.upper().startswith("SIZE")], ["SIZE %d" % BACKSTOP])
        self.assertReply(c.cmd("MAIL FROM:<%s> SIZE=%d" % (SENDER, BACKSTOP + 1)), 552, "5.3.4")
        self.assertReply(c.cmd("MAIL FROM:<%s> SIZE=%d" % (SENDER, LIMIT + 1)), 250, "2.1.0")

    def test_a_large_header_passes(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        header = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"h" * 900) for i in range(340))
        body = header + b"Subject: big head\r\n\r\nbody\r\n"
        self.assertReply(self.send_message(c, SENDER, ["nolimit@example.test"], body), 250, "2.0.0")


if __name__ == "__main__":
    unittest.main()
