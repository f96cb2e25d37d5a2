"""The limits on one message: limit-recipients (TooManyRecipients, 452 4.5.3
at that RCPT), limit-hops (MaxHopCount / MaxLocalHopCount, 554 5.4.6 at the
end of the message) and limit-message-rate (MessageRateLimitExceeded, 421
4.4.2 at MAIL FROM, closed). Each reply names its limit; each hit is logged."""

import unittest

from mailfw_harness import HOSTNAME, PLUGINS, ConnectionClosed, MailfwTestCase, SharedServerTestCase

SENDER = "sender@example.test"


def received(by, n):
    return b"".join(b"Received: from relay%d.example.org by %s with ESMTP id X%d;\r\n"
                    b" Tue, 1 Dec 2026 10:00:00 +0000\r\n" % (i, by.encode(), i) for i in range(n))


class RecipientsAndHops(SharedServerTestCase):
    server_kwargs = dict(loads=PLUGINS + ("limit-recipients", "limit-hops"))

    def session(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        return c

    def test_the_201st_recipient(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        # Pipelined, as real clients send a long envelope.
        c.send("".join("RCPT TO:<r%d@example.test>\r\n" % i for i in range(201)))
        replies = [c.read_reply() for _ in range(201)]
        for r in replies[:200]:
            self.assertReply(r, 250, "2.1.5")
        self.assertReply(replies[200], 452, "4.5.3")
        self.assertIn("Too many recipients (limit 200)", replies[200].last)
        # Still usable, as the table says: the 200 get the message.
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: many\r\n\r\nhello\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertEqual(len(self.srv.delivered("r199@example.test")), 1)
        self.assertEqual(self.srv.delivered("r200@example.test"), [])
        self.assertTrue(self.wait_for_log("TooManyRecipients: 452 4.5.3 Too many recipients (limit 200); "
                                          "not authenticated"))

    def test_31_received_headers(self):
        c = self.session()
        body = received("mx.example.org", 31) + b"Subject: loop\r\n\r\nround and round\r\n"
        r = self.send_message(c, SENDER, ["hops@example.test"], body)
        self.assertReply(r, 554, "5.4.6")
        self.assertIn("Too many hops (limit 30)", r.last)
        self.assertEqual(self.srv.delivered("hops@example.test"), [])
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        body = received("mx.example.org", 30) + b"Subject: far\r\n\r\nbut fine\r\n"
        self.assertReply(self.send_message(c, SENDER, ["hops@example.test"], body), 250, "2.0.0")
        self.assertTrue(self.wait_for_log("MaxHopCount: 554 5.4.6"))

    def test_9_of_our_own_received_headers(self):
        c = self.session()
        body = received(HOSTNAME, 9) + b"Subject: ours\r\n\r\nlooping here\r\n"
        r = self.send_message(c, SENDER, ["local-hops@example.test"], body, use_bdat=True)
        self.assertReply(r, 554, "5.4.6")
        self.assertIn("Too many local hops (limit 8)", r.last)
        self.assertEqual(self.srv.delivered("local-hops@example.test"), [])
        body = received(HOSTNAME, 8) + b"Subject: ours\r\n\r\nstill fine\r\n"
        self.assertReply(self.send_message(c, SENDER, ["local-hops@example.test"], body), 250, "2.0.0")
        self.assertTrue(self.wait_for_log("MaxLocalHopCount: 554 5.4.6"))


class MessageRate(MailfwTestCase):
    """Five messages a minute; the sixth MAIL FROM from the same source gets 421 4.4.2."""

    def mail_from(self, c):
        r = c.cmd("MAIL FROM:<%s>" % SENDER)
        if r.code == 250:
            self.assertReply(c.cmd("RSET"), 250)
        return r

    def test_the_6th_message_in_a_minute_from_one_ip(self):
        srv = self.start_server(loads=PLUGINS + ("limit-message-rate",),
                                extra_sections={"limit-message-rate": {"messages_per_minute": 5}})
        # Three sessions of two: the source is the address, not the session.
        for i in range(2):
            c = self.connect(srv)
            self.assertReply(c.ehlo(), 250)
            for _ in range(2):
                self.assertReply(self.mail_from(c), 250, "2.1.0")
            c.cmd("QUIT")
        c = self.connect(srv)
        self.assertReply(c.ehlo(), 250)
        self.assertReply(self.mail_from(c), 250, "2.1.0")
        r = self.mail_from(c)
        self.assertReply(r, 421, "4.4.2")
        self.assertIn("(limit 5 per minute)", r.last)
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("MessageRateLimitExceeded: 421 4.4.2", srv))
        # Another source is not affected.
        other = srv.connect(source="127.0.0.2")
        self.addCleanup(other.close)
        self.assertReply(other.ehlo(), 250)
        self.assertReply(self.mail_from(other), 250, "2.1.0")

    def test_the_6th_message_in_a_minute_from_one_user(self):
        srv = self.start_server(loads=PLUGINS + ("limit-message-rate",), users={"alice": "alice-pw", "bob": "bob-pw"},
                                extra_sections={"limit-message-rate": {"messages_per_minute": 5, "source": "user"}})
        # Five messages from alice, from five different addresses.
        for i in range(5):
            c = srv.connect(source="127.0.0.%d" % (10 + i))
            self.addCleanup(c.close)
            self.assertReply(c.ehlo(), 250)
            self.assertReply(c.auth_plain("alice", "alice-pw"), 235)
            self.assertReply(self.mail_from(c), 250, "2.1.0")
        c = srv.connect(source="127.0.0.20")
        self.addCleanup(c.close)
        self.assertReply(c.ehlo(), 250)
        # Unauthenticated: no user, not counted.
        self.assertReply(self.mail_from(c), 250, "2.1.0")
        self.assertReply(c.auth_plain("alice", "alice-pw"), 235)
        r = self.mail_from(c)
        self.assertReply(r, 421, "4.4.2")
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("MessageRateLimitExceeded: 421 4.4.2 Message rate limit exceeded "
                                          "(limit 5 per minute), closing connection; user alice", srv))
        # bob, from the same address, is a source of his own.
        b = srv.connect(source="127.0.0.20")
        self.addCleanup(b.close)
        self.assertReply(b.ehlo(), 250)
        self.assertReply(b.auth_plain("bob", "bob-pw"), 235)
        self.assertReply(self.mail_from(b), 250, "2.1.0")

    def test_unlimited_by_default(self):
        srv = self.start_server(loads=PLUGINS + ("limit-message-rate",))
        c = self.connect(srv)
        self.assertReply(c.ehlo(), 250)
        for _ in range(20):
            self.assertReply(self.mail_from(c), 250, "2.1.0")


class NoLimitPluginLoaded(SharedServerTestCase):
    """A limit whose plugin is not named is not enforced (only the core's backstops hold)."""
    server_kwargs = dict(users={"alice": "alice-pw"})

    def session(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        return c

    def test_recipients_hops_and_rates_pass(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250)
        c.send("".join("RCPT TO:<n%d@example.test>\r\n" % i for i in range(201)))
        self.assertEqual([c.read_reply().code for _ in range(201)], [250] * 201)
        self.assertReply(c.cmd("RSET"), 250)
        body = received(HOSTNAME, 31) + b"Subject: many hops\r\n\r\nx\r\n"
        self.assertReply(self.send_message(c, SENDER, ["nohops@example.test"], body), 250, "2.0.0")
        for _ in range(6):
            self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250)
            self.assertReply(c.cmd("RSET"), 250)

    def test_errors_and_failed_logons_do_not_close(self):
        c = self.session()
        for i in range(8):
            self.assertReply(c.cmd("X%d" % i), 500)
        for i in range(5):
            self.assertReply(c.auth_plain("alice", "wrong-%d" % i), 535)
        self.assertReply(c.auth_plain("alice", "alice-pw"), 235)


if __name__ == "__main__":
    unittest.main()
