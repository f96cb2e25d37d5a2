"""SMTP smuggling defences, each over a real socket, the way a public
smuggling tool (smtpsmug) probes them: the eight malformed end-of-data forms,
NUL bytes in message text (nul_characters), input pipelined where RFC 2920
says wait (improper_pipelining) and clients that talk before the greeting
(greet_pause). Every refusal keeps nothing."""

import socket
import time

from mailfw_harness import SharedServerTestCase, split_delivered

USER, PASSWORD = "alice", "Smug-Pa55word"
SENDER = "sender@example.test"
HEAD = b"Subject: probe\r\n\r\nhello\r\n"
SMUGGLED = b"MAIL FROM:<evil@example.test>\r\nRCPT TO:<%s>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n"

# The eight malformed endings smtpsmug sends, each followed by a smuggled
# second message and a proper end.
MALFORMED_ENDINGS = (b"\n.\n", b"\r.\r", b"\r.\n", b"\n.\r", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n", b"\r\n.\r")


class Smuggling(SharedServerTestCase):
    server_kwargs = dict(
        listeners={"default": {"allow_plaintext_auth": True},
                   "strip": {"allow_plaintext_auth": True, "nul_characters": "strip"},
                   "lenient": {"improper_pipelining": "allow"},
                   "strict": {"allow_plaintext_auth": True, "improper_pipelining": "refuse"},
                   "pause": {"greet_pause": "1s"}},
        users={USER: PASSWORD})

    def session(self, listener="default"):
        c = self.connect(listener=listener)
        self.assertReply(c.ehlo(), 250)
        return c

    def start_data(self, c, rcpt):
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)

    def assertNothingStored(self, rcpt):
        self.assertEqual(self.srv.delivered(rcpt), [], "nothing may be kept for %s" % rcpt)

    # -- malformed endings (regression) -----------------------------------------
    def test_every_malformed_ending_is_refused_and_closes(self):
        for i, ending in enumerate(MALFORMED_ENDINGS):
            rcpt = "ending%d@example.test" % i
            c = self.session()
            self.start_data(c, rcpt)
            c.send(HEAD + ending + SMUGGLED % rcpt.encode() + b"\r\n.\r\n")
            self.assertReply(c.read_reply(), 554, "5.5.2", msg="ending %r" % ending)
            self.assertTrue(c.is_closed(), "ending %r: the session must close (no resynchronising)" % ending)
            self.assertNothingStored(rcpt)

    # -- NUL ------------------------------------------------------------------------
    def test_nul_endings_and_nul_in_a_header_are_refused(self):
        probes = {"nul-before-dot": HEAD + b"\r\n\x00.\r\n" + b"Subject: smuggled\r\n\r\nevil\r\n.\r\n",
                  "nul-after-dot": HEAD + b"\r\n.\x00\r\n" + b"Subject: smuggled\r\n\r\nevil\r\n.\r\n",
                  "nul-in-header": b"Subject: a\x00b\r\n\r\nbody\r\n.\r\n"}
        for name, wire in probes.items():
            rcpt = name + "@example.test"
            c = self.session()
            self.start_data(c, rcpt)
            c.send(wire)
            self.assertReply(c.read_reply(), 554, "5.6.0", msg=name)
            self.assertNothingStored(rcpt)
            # The session goes on, out of the transaction.
            self.assertReply(c.cmd("NOOP"), 250, "2.0.0", msg=name)
            self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 503, "5.5.1", msg=name)
        self.assertTrue(self.wait_for_log("NUL character in message text"))

    def test_nul_in_a_bdat_chunk_is_refused(self):
        rcpt = "nul-bdat@example.test"
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<%s>" % rcpt), 250, "2.1.5")
        body = b"Subject: x\r\n\r\nbo\x00dy\r\n"
        c.send(b"BDAT %d LAST\r\n" % len(body) + body)
        self.assertReply(c.read_reply(), 554, "5.6.0")
        self.assertNothingStored(rcpt)
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_strip_removes_nul_and_keeps_the_message(self):
        rcpt = "nul-strip@example.test"
        c = self.session("strip")
        self.start_data(c, rcpt)
        c.send(b"Subject: a\x00b\r\n\r\nbo\x00\x00dy\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        files = self.srv.delivered(rcpt)
        self.assertEqual(len(files), 1)
        self.assertEqual(split_delivered(files[0])[2], b"Subject: ab\r\n\r\nbody\r\n")
        self.assertTrue(self.wait_for_log("3 NUL character(s) removed"))

    # -- improper pipelining --------------------------------------------------------
    def probe_after_the_end(self, c, rcpt):
        """smtpsmug's probe: a message, then a second transaction and its text
        in one go, without waiting for the 250 or the 354."""
        self.start_data(c, rcpt)
        c.send(b"Subject: first\r\n\r\n1\r\n.\r\n" + SMUGGLED % rcpt.encode() + b".\r\n")

    def bodies(self, rcpt):
        return sorted(split_delivered(m)[2] for m in self.srv.delivered(rcpt))

    def test_unauthenticated_probe_stores_the_first_message_only(self):
        rcpt = "pipe-unauth@example.test"
        c = self.session()
        self.probe_after_the_end(c, rcpt)
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertReply(c.read_reply(), 554, "5.5.0")
        self.assertTrue(c.is_closed())
        self.assertEqual(self.bodies(rcpt), [b"Subject: first\r\n\r\n1\r\n"])
        self.assertTrue(self.wait_for_log("improper pipelining after the end of a message"))

    def test_text_sent_before_the_354_is_refused(self):
        rcpt = "pipe-early@example.test"
        c = self.session()
        c.send(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\nSubject: early\r\n\r\nx\r\n.\r\n"
               % (SENDER.encode(), rcpt.encode()))
        self.assertReply(c.read_reply(), 250, "2.1.0")
        self.assertReply(c.read_reply(), 250, "2.1.5")
        self.assertReply(c.read_reply(), 554, "5.5.0")
        self.assertTrue(c.is_closed())
        self.assertNothingStored(rcpt)
        self.assertTrue(self.wait_for_log("improper pipelining after DATA, before the 354"))

    def test_authenticated_client_may_pipeline_after_the_end(self):
        rcpt = "pipe-auth@example.test"
        c = self.session()
        self.assertReply(c.auth_plain(USER, PASSWORD), 235)
        self.probe_after_the_end(c, rcpt)
        for code in (250, 250, 250, 354, 250):
            self.assertReply(c.read_reply(), code)
        self.assertEqual(len(self.bodies(rcpt)), 2)

    def test_refuse_applies_to_authenticated_clients_too(self):
        rcpt = "pipe-strict@example.test"
        c = self.session("strict")
        self.assertReply(c.auth_plain(USER, PASSWORD), 235)
        self.probe_after_the_end(c, rcpt)
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertReply(c.read_reply(), 554, "5.5.0")
        self.assertEqual(len(self.bodies(rcpt)), 1)

    def test_allow_keeps_rfc_2920_pipelining(self):
        rcpt = "pipe-allow@example.test"
        c = self.session("lenient")
        self.probe_after_the_end(c, rcpt)
        for code in (250, 250, 250, 354, 250):
            self.assertReply(c.read_reply(), code)
        self.assertEqual(len(self.bodies(rcpt)), 2)

    def test_group_ending_in_data_is_still_fine(self):
        # MAIL, RCPT and DATA in one go is what RFC 2920 allows: only the text waits.
        rcpt = "pipe-group@example.test"
        c = self.session()
        c.send(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (SENDER.encode(), rcpt.encode()))
        for code in (250, 250, 354):
            self.assertReply(c.read_reply(), code)
        c.send(b"Subject: fine\r\n\r\nok\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertReply(c.cmd("QUIT"), 221)
        self.assertEqual(len(self.bodies(rcpt)), 1)

    # -- early talkers ---------------------------------------------------------------
    def test_client_talking_before_the_greeting_is_refused(self):
        s = socket.create_connection(("127.0.0.1", self.srv.ports["pause"]), timeout=10)
        try:
            s.sendall(b"EHLO bot.example.test\r\n")
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.assertTrue(data.startswith(b"554 5.5.0 "), data)
            self.assertNotIn(b"220", data.split(b"\r\n")[0])
        finally:
            s.close()
        self.assertTrue(self.wait_for_log("talked before the greeting"))

    def test_patient_client_gets_the_greeting_after_the_pause(self):
        start = time.monotonic()
        c = self.connect(listener="pause")  # reads the 220
        self.assertGreaterEqual(time.monotonic() - start, 0.9, "the greeting is held greet_pause long")
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("QUIT"), 221)
