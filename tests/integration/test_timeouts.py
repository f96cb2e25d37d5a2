"""ConnectionInactivityTimeOut: idle_timeout on a listener gives 421 4.4.2 and closes."""

import time
import unittest

from mailfw_harness import ConnectionClosed, SharedServerTestCase


class IdleTimeout(SharedServerTestCase):
    server_kwargs = dict(
        listeners={"test": {"idle_timeout": "1s"}})

    def expect_timeout(self, c, low, high):
        start = time.monotonic()
        try:
            r = c.read_reply(timeout=high + 2)
        except ConnectionClosed as e:
            self.fail("closed without 421 4.4.2: %s" % e)
        elapsed = time.monotonic() - start
        self.assertReply(r, 421, "4.4.2")
        self.assertTrue(c.is_closed(), "the session must be closed after 421 4.4.2")
        self.assertGreater(elapsed, low, "timed out too early")
        self.assertLess(elapsed, high, "timed out too late")

    def test_silent_after_greeting(self):
        c = self.connect()
        self.expect_timeout(c, 0.5, 3.0)

    def test_silent_after_ehlo(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.expect_timeout(c, 0.5, 3.0)

    def test_reset_by_every_command(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        for _ in range(6):
            time.sleep(0.5)
            self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        # 3 s in total, alive; now silent.
        self.expect_timeout(c, 0.5, 3.0)

    def test_silent_in_data(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("MAIL FROM:<s@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<idle@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: stalled\r\n\r\n")
        self.expect_timeout(c, 0.5, 3.0)
        time.sleep(0.2)
        self.assertEqual(self.srv.delivered("idle@example.test"), [])
        self.assertEqual(self.srv.spool_files(), [])

    def test_partial_line_does_not_keep_alive_forever(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        c.send(b"NOO")
        self.expect_timeout(c, 0.5, 3.0)


if __name__ == "__main__":
    unittest.main()
