"""tarpit (MS-OXSMTP Tarpit): error replies to unauthenticated clients are
held back `interval`; authenticated clients never wait; a client that got
an error waits that long again for the greeting of its next connection."""

import time
import unittest

from mailfw_harness import PLUGINS, MailfwTestCase, SharedServerTestCase

INTERVAL = 1.0


class Tarpit(SharedServerTestCase):
    server_kwargs = dict(loads=PLUGINS + ("tarpit", "limit-protocol-errors"), users={"alice": "alice-pw"},
                         extra_sections={"tarpit": {"interval": "1s", "remember": "10m"}})

    def timed(self, c, line):
        start = time.monotonic()
        r = c.cmd(line)
        return r, time.monotonic() - start

    def session(self, source):
        c = self.srv.connect(source=source)
        self.addCleanup(c.close)
        self.assertEqual(c.greeting.code, 220)
        self.assertReply(c.ehlo(), 250)
        return c

    def test_an_error_to_an_unauthenticated_client_is_held(self):
        c = self.session("127.0.1.1")
        r, took = self.timed(c, "FOO")
        self.assertReply(r, 500, "5.5.1")
        self.assertGreaterEqual(took, INTERVAL * 0.95)
        r, took = self.timed(c, "NOOP")
        self.assertReply(r, 250)
        self.assertLess(took, INTERVAL / 2, "a 250 is never held")
        self.assertTrue(self.wait_for_log("Tarpit: 500 held 1s"))

    def test_a_failed_logon_is_held(self):
        c = self.session("127.0.1.2")
        r, took = self.timed(c, "AUTH PLAIN AGFsaWNlAHdyb25n")  # \0alice\0wrong
        self.assertReply(r, 535, "5.7.8")
        self.assertGreaterEqual(took, INTERVAL * 0.95)

    def test_an_authenticated_client_is_not_held(self):
        c = self.session("127.0.1.3")
        self.assertReply(c.auth_plain("alice", "alice-pw"), 235)
        r, took = self.timed(c, "FOO")
        self.assertReply(r, 500, "5.5.1")
        self.assertLess(took, INTERVAL / 2)

    def test_the_next_connection_of_a_client_that_got_an_error_is_held(self):
        c = self.session("127.0.1.4")
        self.assertReply(c.cmd("FOO"), 500)
        c.cmd("QUIT")
        start = time.monotonic()
        again = self.srv.connect(source="127.0.1.4")
        self.addCleanup(again.close)
        self.assertEqual(again.greeting.code, 220)
        self.assertGreaterEqual(time.monotonic() - start, INTERVAL * 0.95, "the greeting is held")
        self.assertTrue(self.wait_for_log("Tarpit: greeting held 1s"))
        start = time.monotonic()
        other = self.srv.connect(source="127.0.1.5")
        self.addCleanup(other.close)
        self.assertLess(time.monotonic() - start, INTERVAL / 2, "other clients are greeted at once")

    def test_a_closing_421_is_not_held(self):
        c = self.srv.connect(source="127.0.1.6")
        self.addCleanup(c.close)
        self.assertReply(c.ehlo(), 250)
        c.send(b"".join(b"X%d\r\n" % i for i in range(6)))
        start = time.monotonic()
        for _ in range(6):
            self.assertReply(c.read_reply(timeout=15), 500)
        held = time.monotonic() - start
        self.assertReply(c.read_reply(), 421, "4.7.0")
        self.assertLess(time.monotonic() - start - held, INTERVAL / 2, "the 421 goes out at once")
        self.assertTrue(c.is_closed())


class TarpitAndStop(MailfwTestCase):
    def test_a_stop_cuts_a_hold_short(self):
        srv = self.start_server(loads=PLUGINS + ("tarpit",), extra_sections={"tarpit": {"interval": "30s"}})
        c = self.connect(srv)
        self.assertReply(c.ehlo(), 250)
        c.send(b"FOO\r\n")
        self.assertTrue(c.nothing_pending(0.5), "the 500 is held")
        start = time.monotonic()
        self.assertEqual(srv.stop(), 0)
        self.assertLess(time.monotonic() - start, 10, "a 30 s hold must not delay the stop")
        self.assertReply(c.read_reply(), 500, "5.5.1")
        self.assertReply(c.read_reply(), 421, "4.3.2")


if __name__ == "__main__":
    unittest.main()
