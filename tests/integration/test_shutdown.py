"""SIGTERM: stop accepting, 421 4.3.2 to idle sessions, let DATA in flight finish, exit 0."""

import signal
import socket
import time
import unittest

from mailfw_harness import ConnectionClosed, MailfwTestCase, split_delivered


class Shutdown(MailfwTestCase):
    def assertGets421AndCloses(self, c, what):
        try:
            r = c.read_reply(timeout=10)
        except ConnectionClosed as e:
            self.fail("%s: closed without 421 4.3.2 (%s)" % (what, e))
        self.assertReply(r, 421, "4.3.2", msg=what)
        self.assertTrue(c.is_closed(), "%s: not closed after 421" % what)

    def assertNotAccepting(self, port):
        """A new connection is refused, or at least gets no 220 greeting."""
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=3)
        except ConnectionRefusedError:
            return
        with s:
            s.settimeout(3)
            try:
                data = s.recv(512)
            except (socket.timeout, TimeoutError, ConnectionResetError):
                data = b""
            self.assertFalse(data.startswith(b"220"),
                             "a new connection was greeted during shutdown: %r" % data)

    def test_idle_sessions_get_421(self):
        srv = self.start_server()
        a = self.connect()
        self.assertReply(a.ehlo(), 250)
        b = self.connect()          # greeted, no EHLO yet
        started = time.monotonic()
        srv.signal(signal.SIGTERM)
        self.assertGets421AndCloses(a, "idle session after EHLO")
        self.assertGets421AndCloses(b, "idle session before EHLO")
        rc = srv.wait(10)
        self.assertEqual(rc, 0, "mailfwd must exit 0 on SIGTERM:\n" + srv.read_log())
        self.assertLess(time.monotonic() - started, 5.0, "idle sessions must not wait for the grace")

    def test_session_in_data_finishes(self):
        srv = self.start_server(server={"shutdown_grace": "20s"})
        c = self.connect()
        idle = self.connect()
        self.assertReply(idle.ehlo(), 250)
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("MAIL FROM:<s@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<inflight@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: in flight\r\n\r\nfirst half\r\n")
        srv.signal(signal.SIGTERM)
        self.assertGets421AndCloses(idle, "idle session")
        self.assertIsNone(srv.wait(1.0), "mailfwd exited while a DATA was in flight")
        self.assertNotAccepting(srv.port)
        time.sleep(0.5)
        c.send(b"second half\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        msgs = srv.delivered("inflight@example.test")
        self.assertEqual(len(msgs), 1)
        self.assertEqual(split_delivered(msgs[0])[2],
                         b"Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n")
        # After its transaction the session is told to go away.
        try:
            r = c.cmd("NOOP")
            self.assertReply(r, 421, "4.3.2")
        except (ConnectionClosed, BrokenPipeError, ConnectionResetError):
            pass
        self.assertEqual(srv.wait(10), 0, srv.read_log())

    def test_session_in_data_finishes_after_421_without_next_command(self):
        srv = self.start_server(server={"shutdown_grace": "20s"})
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("MAIL FROM:<s@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<inflight2@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        srv.signal(signal.SIGTERM)
        time.sleep(0.3)
        c.send(b"Subject: x\r\n\r\ny\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        # The server sends 421 (or simply closes) without waiting for another command.
        if not c.is_closed(5):
            self.fail("session still open 5s after its transaction ended during shutdown")
        if c.buf:
            self.assertTrue(c.buf.startswith(b"421 4.3.2"), c.buf)
        self.assertEqual(srv.wait(10), 0, srv.read_log())
        self.assertEqual(len(srv.delivered("inflight2@example.test")), 1)

    def test_grace_period_ends_unfinished_data(self):
        srv = self.start_server(server={"shutdown_grace": "2s"})
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("MAIL FROM:<s@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<unfinished@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: never finished\r\n\r\n" + b"line\r\n" * 1000)
        started = time.monotonic()
        srv.signal(signal.SIGTERM)
        rc = srv.wait(10)
        elapsed = time.monotonic() - started
        self.assertIsNotNone(rc, "mailfwd still running 10 s after SIGTERM with a 2 s grace")
        self.assertEqual(rc, 0, srv.read_log())
        self.assertGreater(elapsed, 1.5, "the grace period was not honoured")
        self.assertLess(elapsed, 5.0, "the grace period was exceeded")
        # The client learns why (421) or at least sees the close; nothing is delivered or left behind.
        closed = c.is_closed(3)
        self.assertTrue(closed)
        if c.buf:
            self.assertTrue(c.buf.startswith(b"421 4.3.2"), c.buf)
        self.assertEqual(srv.delivered("unfinished@example.test"), [])
        self.assertEqual(srv.spool_files(), [])
        self.assertEqual(srv.maildir_tmp_files(), [])

    def test_sigint_like_sigterm(self):
        srv = self.start_server()
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        srv.signal(signal.SIGINT)
        self.assertGets421AndCloses(c, "idle session on SIGINT")
        self.assertEqual(srv.wait(10), 0, srv.read_log())


if __name__ == "__main__":
    unittest.main()
