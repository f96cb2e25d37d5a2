"""AUTH in the core (RFC 4954): advertising, 538, 530, 504, 503, line limits."""

import unittest

from mailfw_harness import PLUGIN_DIR, PLUGINS, TEST_PLUGIN_DIR, SharedServerTestCase, b64

USER, PASSWORD = "alice", "Core-Auth-Pa55"


class AuthCore(SharedServerTestCase):
    server_kwargs = dict(
        listeners={"open": {"allow_plaintext_auth": True},
                   "noplain": {"allow_plaintext_auth": False},
                   "required": {"allow_plaintext_auth": True, "auth": "required"}},
        users={USER: PASSWORD})

    def session(self, listener="open"):
        c = self.connect(listener=listener)
        self.assertReply(c.ehlo(), 250)
        return c

    # -- plaintext mechanisms without TLS --------------------------------------------
    def test_not_advertised_without_tls(self):
        c = self.connect(listener="noplain")
        r = c.ehlo()
        self.assertReply(r, 250)
        kw = r.keywords()
        self.assertNotIn("AUTH", kw, "no mechanism may be offered in clear text: %r" % r)
        self.assertNotIn("STARTTLS", kw, r)

    def test_538_for_login_without_tls(self):
        c = self.session("noplain")
        self.assertReply(c.cmd("AUTH LOGIN"), 538, "5.7.11")
        self.assertReply(c.cmd("AUTH LOGIN " + b64(USER)), 538, "5.7.11")
        self.assertReply(c.cmd("AUTH PLAIN"), 538, "5.7.11")
        # A password sent anyway as an initial response is refused too and never checked.
        self.assertReply(c.cmd("AUTH PLAIN " + b64("\0%s\0%s" % (USER, PASSWORD))), 538, "5.7.11")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    # -- errors common to every mechanism -----------------------------------------------
    def test_unknown_mechanism(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH X-UNKNOWN"), 504, "5.5.4")
        self.assertReply(c.cmd("AUTH CRAM-MD5"), 504, "5.5.4")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_auth_without_mechanism(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH"), 501, "5.5.4")

    def test_auth_before_ehlo(self):
        c = self.connect(listener="open")
        self.assertReply(c.cmd("AUTH PLAIN " + b64("\0%s\0%s" % (USER, PASSWORD))), 503, "5.5.1")

    def test_second_auth(self):
        c = self.session()
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")
        self.assertReply(c.cmd("AUTH LOGIN"), 503, "5.5.1")
        self.assertReply(c.cmd("AUTH PLAIN " + b64("\0%s\0%s" % (USER, PASSWORD))), 503, "5.5.1")

    def test_auth_during_transaction(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("AUTH PLAIN " + b64("\0%s\0%s" % (USER, PASSWORD))), 503, "5.5.1")
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")

    def test_auth_line_limit(self):
        c = self.session()
        # Lines up to 12288 octets are allowed for AUTH (Kerberos tickets) ...
        big = "QUFB" * 2996
        self.assertReply(c.cmd("AUTH X-UNKNOWN " + big), 504, "5.5.4")
        # ... longer ones are refused with 500 5.5.6 and the session goes on.
        self.assertReply(c.cmd("AUTH PLAIN " + "A" * 13000), 500, "5.5.6")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_auth_response_line_limit(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH LOGIN"), 334, text="334 VXNlcm5hbWU6")
        self.assertReply(c.cmd("QUFB" * 3300), 500, "5.5.6")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_long_initial_response_within_limit(self):
        # 9000 octets of base64 on the AUTH line: far over 512, under the AUTH limit.
        c = self.session()
        r = c.auth_plain(USER, "x" * 6700)
        self.assertReply(r, 535, "5.7.8")
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")

    # -- auth = required ---------------------------------------------------------------------
    def test_auth_required(self):
        c = self.session("required")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 530, "5.7.0")
        self.assertIn(c.cmd("RCPT TO:<b@example.test>").code, (503, 530))
        self.assertReply(c.auth_plain(USER, "wrong"), 535, "5.7.8")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 530, "5.7.0")
        self.assertReply(c.auth_plain(USER, PASSWORD), 235, "2.7.0")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<required@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: required\r\n\r\nok\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, "required@example.test", b"Subject: required\r\n\r\nok\r\n",
                                 "a@example.test", auth_user=USER, count=1)

    def test_auth_required_still_allows_session_commands(self):
        c = self.session("required")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("VRFY x"), 252, "2.5.0")
        self.assertReply(c.cmd("QUIT"), 221, "2.0.0")

    def test_unauthenticated_delivery_on_optional_listener(self):
        c = self.session()
        self.assertReply(self.send_message(c, "anon@example.test", ["anon-rcpt@example.test"],
                                           b"Subject: anon\r\n\r\nx\r\n"), 250, "2.0.0")
        received = self.assertDeliveredBody(self.srv, "anon-rcpt@example.test",
                                            b"Subject: anon\r\n\r\nx\r\n", "anon@example.test",
                                            count=1)
        self.assertNotIn(USER, received)


class AuthFramingFromMechanisms(SharedServerTestCase):
    """What a mechanism declares shapes the framing: its max_response sizes the
    AUTH line (fixture-mechs' X-TOKEN declares 64 KiB, as a Kerberos ticket
    with a large PAC needs), its flag selects the relaxed line under
    relaxed_auth = auto, and the inner mechanism it reports reaches plugins."""
    server_kwargs = dict(
        loads=list(PLUGINS) + ["fixture-mechs", "fixture-events"],
        plugin_dirs=[PLUGIN_DIR, TEST_PLUGIN_DIR],
        extra_sections={"fixture-events": {"echo_info_rcpt": "info@example.test"}},
        listeners={"auto": {"allow_plaintext_auth": True},
                   "never": {"allow_plaintext_auth": True, "relaxed_auth": False}},
        users={USER: PASSWORD})

    def session(self, listener="auto"):
        c = self.connect(listener=listener)
        r = c.ehlo()
        self.assertReply(r, 250)
        self.assertIn("X-TOKEN", r.keywords().get("AUTH", []), r)
        return c

    def test_40_kb_initial_response_reaches_a_64_kib_mechanism(self):
        c = self.session()
        token = "T" * 40000
        self.assertReply(c.cmd("AUTH X-TOKEN " + b64(token)), 235, "2.7.0")
        self.assertTrue(self.wait_for_log("authenticated as token-user with X-TOKEN"), self.srv.read_log()[-2000:])

    def test_the_same_token_as_a_continuation_passes_too(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH X-TOKEN"), 334, text="334 ")
        self.assertReply(c.cmd(b64("T" * 40000)), 235, "2.7.0")

    def test_over_the_declared_size_is_500_5_5_6(self):
        c = self.session()
        self.assertReply(c.cmd("AUTH X-TOKEN " + b64("T" * 70000)), 500, "5.5.6")
        self.assertReply(c.cmd("NOOP"), 250)

    def test_other_mechanisms_keep_their_own_limit(self):
        # The line is read with X-TOKEN's limit, but PLAIN declares none (12 KiB).
        c = self.session()
        self.assertReply(c.cmd("AUTH PLAIN " + b64("\0%s\0%s" % (USER, "p" * 13000))), 500, "5.5.6")
        self.assertReply(c.cmd("NOOP"), 250)

    def test_relaxed_line_for_a_mechanism_that_declares_it(self):
        c = self.session("auto")
        self.assertReply(c.cmd("AUTH x-relaxed"), 334, text="334 X-RELAXED supported")
        self.assertReply(c.cmd(b64("ok")), 235, "2.7.0")
        # The inner mechanism the mechanism named reaches plugins (session_info.auth_detail).
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250)
        r = c.cmd("RCPT TO:<info@example.test>")
        self.assertIn("auth=relaxed-user", r.last)
        self.assertIn("detail=Kerberos", r.last)
        self.assertIn("may_relay=1", r.last)
        c = self.session("never")
        self.assertReply(c.cmd("AUTH X-RELAXED"), 334, text="334 ")
        # ... while PLAIN gets the plain empty challenge under auto.
        c = self.session("auto")
        self.assertReply(c.cmd("AUTH PLAIN"), 334, text="334 ")


if __name__ == "__main__":
    unittest.main()
