"""limit-timers: ConnectionInactivityTimeOut and ConnectionTimeOut (MS-OXSMTP
3.2.6) give 421 4.4.2 and close; without the plugin, neither exists."""

import time
import unittest

from mailfw_harness import PLUGINS, ConnectionClosed, MailfwTestCase, SharedServerTestCase

TIMERS = PLUGINS + ("limit-timers",)


class IdleTimeout(SharedServerTestCase):
    # connection_timeout well beyond every test here: only inactivity acts.
    server_kwargs = dict(
        loads=TIMERS,
        extra_sections={"limit-timers": {"inactivity_timeout": "1s", "connection_timeout": "1h"}})

    def expect_timeout(self, c, low, high):
        start = time.monotonic()
        try:
            r = c.read_reply(timeout=high + 2)
        except ConnectionClosed as e:
            self.fail("closed without 421 4.4.2: %s" % e)
        elapsed = time.monotonic() - start
        self.assertReply(r, 421, "4.4.2")
        self.assertIn("(limit 1s)", r.lines[-1], "the reply names the limit")
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

    def trickle(self, c, data, every=0.4, limit=6.0):
        """Send `data` a byte every `every` s until the server closes; the
        seconds it took (bounded by `limit`: the loop stops by itself)."""
        start = time.monotonic()
        for i in range(int(limit / every)):
            try:
                c.send(data[i % len(data):i % len(data) + 1])
            except (BrokenPipeError, ConnectionResetError):
                break
            if c.is_closed(wait=every):
                break
        return time.monotonic() - start

    def test_a_byte_now_and_then_does_not_keep_a_command_alive(self):
        # Slowloris: bytes arrive faster than idle_timeout, but no command
        # ever completes; the timer runs from the last complete command.
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        elapsed = self.trickle(c, b"NOOP NOOP NOOP NOOP")
        self.assertLess(elapsed, 3.0, "a trickle of bytes kept the session past idle_timeout")
        self.assertIn(b"421 4.4.2", c.buf)

    def test_a_byte_now_and_then_does_not_keep_data_alive(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("MAIL FROM:<s@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<trickle@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        elapsed = self.trickle(c, b"x" * 100)  # one endless line: never progress
        self.assertLess(elapsed, 3.0, "a trickle inside a line kept DATA past idle_timeout")
        self.assertIn(b"421 4.4.2", c.buf)
        self.assertEqual(self.srv.delivered("trickle@example.test"), [])

    def test_a_byte_now_and_then_does_not_keep_a_bdat_chunk_alive(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("MAIL FROM:<s@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<trickle-bdat@example.test>"), 250, "2.1.5")
        c.send(b"BDAT 100000 LAST\r\n")
        elapsed = self.trickle(c, b"y" * 100)
        self.assertLess(elapsed, 3.0, "a trickle inside a chunk kept BDAT past inactivity_timeout")
        self.assertIn(b"421 4.4.2", c.buf)

    def test_a_steady_bdat_chunk_is_progress(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("MAIL FROM:<s@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<steady-bdat@example.test>"), 250, "2.1.5")
        body = b"Subject: steady\r\n\r\n" + b"z" * 4978 + b"\r\n"
        c.send(b"BDAT %d LAST\r\n" % len(body))
        for i in range(0, len(body), 1000):  # 2.5 s in all, 1000 octets each 0.5 s
            time.sleep(0.5)
            c.send(body[i:i + 1000])
        self.assertReply(c.read_reply(), 250, "2.0.0")

    def test_complete_lines_in_data_are_progress(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("MAIL FROM:<s@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<slow-lines@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: slow\r\n\r\n")
        for _ in range(5):  # 2.5 s of lines, each well within the 1 s limit
            time.sleep(0.5)
            c.send(b"line\r\n")
        c.send(b".\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")

    def test_the_hit_is_logged_with_the_event_and_the_user(self):
        c = self.connect()
        self.expect_timeout(c, 0.5, 3.0)
        self.assertTrue(self.wait_for_log("ConnectionInactivityTimeOut: 421 4.4.2"), self.srv.read_log()[-2000:])
        self.assertTrue(self.wait_for_log("not authenticated"), self.srv.read_log()[-2000:])

    def test_auth_response_trickle_times_out(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("AUTH LOGIN"), 334)
        elapsed = self.trickle(c, b"YWxpY2U")
        self.assertLess(elapsed, 3.0)
        self.assertIn(b"421 4.4.2", c.buf)


class ConnectionTimeout(SharedServerTestCase):
    """The ConnectionTimer runs from connect, whatever the client does."""
    server_kwargs = dict(
        loads=TIMERS,
        listeners={"gw": {}, "relay": {"role": "relay"}},
        extra_sections={"limit-timers": {"connection_timeout": "2s", "inactivity_timeout": "1h"}})

    def test_a_busy_session_is_closed_at_the_limit(self):
        c = self.connect(listener="gw")
        self.assertReply(c.ehlo(), 250)
        start = time.monotonic()
        reply = None
        while time.monotonic() - start < 6:
            try:
                reply = c.cmd("NOOP", timeout=3)
            except ConnectionClosed:
                break
            if reply.code != 250:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - start
        self.assertIsNotNone(reply)
        self.assertReply(reply, 421, "4.4.2")
        self.assertIn("Connection timeout (limit 2s)", reply.lines[-1])
        self.assertTrue(c.is_closed())
        self.assertGreater(elapsed, 1.5)
        self.assertLess(elapsed, 4.0)
        self.assertTrue(self.wait_for_log("ConnectionTimeOut: 421 4.4.2"))

    def test_the_same_key_holds_on_a_relay_listener(self):
        c = self.connect(listener="relay")
        start = time.monotonic()
        r = c.read_reply(timeout=6)
        self.assertReply(r, 421, "4.4.2")
        self.assertGreater(time.monotonic() - start, 1.5)
        self.assertTrue(c.is_closed())


class RoleDefaults(MailfwTestCase):
    """Without connection_timeout: 5 min on a gateway, 10 min on a relay listener."""

    def test_each_role_gets_its_default(self):
        srv = self.start_server(loads=TIMERS, listeners={"gw": {}, "relay": {"role": "relay"}},
                                server={"log_level": "debug"})
        for name, limit in (("gw", "5m"), ("relay", "10m")):
            c = self.connect(srv, name)
            self.assertReply(c.cmd("QUIT"), 221)
            self.assertTrue(self.wait_for_log("ConnectionTimer %s, ConnectionInactivityTimer 5m" % limit, srv),
                            srv.read_log()[-2000:])


class WithoutThePlugin(SharedServerTestCase):
    """No limit-timers: only the core's one-hour backstop, nothing at 1 s."""

    def test_an_idle_session_stays(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        time.sleep(1.5)
        self.assertReply(c.cmd("NOOP"), 250)

if __name__ == "__main__":
    unittest.main()
