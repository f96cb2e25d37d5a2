"""limit-protocol-errors: ProtocolViolationCount (MS-OXSMTP 3.2.7). The bad
command after max_protocol_errors is answered, then 421 4.7.0 closes the
session; the failed logon after max_logon_failures gets 421 4.7.0 in place
of its 535."""

import unittest

from mailfw_harness import PLUGINS, SharedServerTestCase, b64


class ProtocolErrors(SharedServerTestCase):
    server_kwargs = dict(loads=PLUGINS + ("limit-protocol-errors",), users={"alice": "alice-pw"})

    def session(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        return c

    def test_the_6th_bad_command(self):
        c = self.session()
        bad = ["FOO", "MAIL FROM:nobrackets", "RCPT TO:<a@example.test>", "EXPN x", "VRFY"]
        for line in bad:
            self.assertIn(c.cmd(line).code, (500, 501, 502, 503, 504))
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0", msg="five errors: still usable")
        self.assertReply(c.cmd("BAR"), 500, "5.5.1", msg="the sixth is answered first")
        r = c.read_reply()
        self.assertReply(r, 421, "4.7.0")
        self.assertIn("Too many protocol errors (limit 5)", r.last)
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("ProtocolViolationCount: 421 4.7.0"))

    def test_pipelined_bad_commands_close_after_the_6th(self):
        c = self.session()
        c.send(b"X1\r\nX2\r\nX3\r\nX4\r\nX5\r\nX6\r\nNOOP\r\n")
        for _ in range(6):
            self.assertReply(c.read_reply(), 500, "5.5.1")
        self.assertReply(c.read_reply(), 421, "4.7.0")
        self.assertTrue(c.is_closed())
        self.assertNotIn(b"250", c.buf, "nothing after the limit is answered")

    def test_protocol_status_refusals_count_too(self):
        # 554 5.5.2 (a bare LF in a BDAT chunk: framed, so the session stays
        # open) is a protocol error by its 5.5.x status, as 554 5.5.0 is.
        c = self.session()
        body = b"Subject: x\n\r\nbody\r\n"
        for i in range(6):
            self.assertReply(c.cmd("MAIL FROM:<s@example.test>"), 250)
            self.assertReply(c.cmd("RCPT TO:<bdat%d@example.test>" % i), 250)
            c.send(b"BDAT %d LAST\r\n" % len(body) + body)
            self.assertReply(c.read_reply(), 554, "5.5.2")
        self.assertReply(c.read_reply(), 421, "4.7.0")
        self.assertTrue(c.is_closed())

    def test_other_refusals_are_not_protocol_errors(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<s@example.test>"), 250)
        for i in range(8):  # relay refusals are policy, not protocol
            self.assertReply(c.cmd("RCPT TO:<x%d@elsewhere.example>" % i), 554, "5.7.1")
        self.assertReply(c.cmd("NOOP"), 250)

    def test_the_4th_failed_auth(self):
        c = self.session()
        for i in range(3):
            self.assertReply(c.auth_plain("alice", "wrong-%d" % i), 535, "5.7.8")
        r = c.auth_plain("alice", "wrong-3")
        self.assertReply(r, 421, "4.7.0")
        self.assertIn("Too many failed logons (limit 3)", r.last)
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("ProtocolViolationCount (logon failures): 421 4.7.0"))

    def test_failures_count_across_mechanisms_and_success_still_works(self):
        c = self.session()
        self.assertReply(c.auth_plain("alice", "bad"), 535)
        self.assertReply(c.cmd("AUTH LOGIN " + b64("alice")), 334)
        self.assertReply(c.cmd(b64("also-bad")), 535)
        self.assertReply(c.auth_plain("alice", "alice-pw"), 235, "2.7.0", msg="two failures: still allowed")

    def test_a_new_session_starts_from_zero(self):
        c = self.session()
        for i in range(3):
            self.assertReply(c.auth_plain("alice", "wrong-%d" % i), 535)
        c.close()
        c = self.session()
        self.assertReply(c.auth_plain("alice", "wrong"), 535, "5.7.8")


if __name__ == "__main__":
    unittest.main()
