"""Recipients are decided at RCPT, never assumed (ABI 1.1 routing), over real
sockets: relaying refused with 554 5.7.1 unless the client may relay and a
relay delivery is loaded; deliver-maildir's local domains, require_known_user
and names it cannot hold (550 5.1.1 / 5.1.3 at RCPT, nothing created on disk);
two deliveries side by side each getting their own recipients, all or nothing;
and a plugin built against the 1.0 header still loading and working."""

import os
import shutil
import time
import subprocess
import tempfile
import unittest

from mailfw_harness import (ADMIN, PLUGIN_DIR, PLUGINS, TEST_PLUGIN_DIR, MailfwTestCase, SharedServerTestCase,
                            b64)

SENDER = "sender@example.test"
BODY = b"Subject: routing\r\n\r\nHello.\r\n"


def fixture_dir(name):
    d = tempfile.mkdtemp(prefix="mailfw-%s-" % name)
    return d


class RoutingTestCase(SharedServerTestCase):
    def session(self, listener=None):
        c = self.connect(listener=listener)
        self.assertReply(c.ehlo(), 250)
        return c

    def rcpt_reply(self, c, rcpt):
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        r = c.cmd("RCPT TO:<%s>" % rcpt)
        self.assertReply(c.cmd("RSET"), 250)
        return r

    def assertNothingOnDisk(self, *refused):
        """No mailbox for the refused names, nothing half-written anywhere."""
        boxes = os.listdir(self.srv.maildir_root) if os.path.isdir(self.srv.maildir_root) else []
        for r in refused:
            self.assertNotIn(r.lower(), [b.lower() for b in boxes])
        self.assertEqual(self.srv.maildir_tmp_files(), [])
        self.assertEqual(self.srv.spool_files(), [])


class LocalDomainsAndRelaying(RoutingTestCase):
    server_kwargs = dict(
        listeners={"gateway": {"role": "gateway"},
                   "relay_open": {"role": "relay", "remote_ip_ranges": "127.0.0.0/8"},
                   "relay_closed": {"role": "relay", "remote_ip_ranges": "192.0.2.0/24"}},
        deliver={"domains": ["example.test", "Local.TEST"], "require_known_user": True},
        users={"bob": "bob-pw", "carol@local.test": "carol-pw"})

    def test_unauthenticated_relay_is_554_and_creates_nothing(self):
        for listener in ("gateway", "relay_closed", "relay_open"):
            c = self.session(listener)
            # relay_open may relay, but no relay delivery is loaded.
            self.assertReply(self.rcpt_reply(c, "nobody@not-local.example"), 554, "5.7.1")
        self.assertTrue(self.wait_for_log("relay access denied"), self.srv.read_log()[-2000:])
        self.assertNothingOnDisk("nobody@not-local.example")

    def test_authenticated_client_still_needs_a_relay_delivery(self):
        c = self.session("gateway")
        self.assertReply(c.auth_plain("bob", "bob-pw"), 235)
        r = self.rcpt_reply(c, "nobody@not-local.example")
        self.assertReply(r, 554, "5.7.1")
        self.assertIn("Relay access denied", r.last)

    def test_unknown_user_is_550_511_at_rcpt(self):
        c = self.session("gateway")
        self.assertReply(self.rcpt_reply(c, "ghost@local.test"), 550, "5.1.1")
        self.assertReply(self.rcpt_reply(c, "ghost@Example.TEST"), 550, "5.1.1")
        self.assertNothingOnDisk("ghost@local.test", "ghost@example.test")

    def test_name_the_maildir_cannot_hold_is_550_513_at_rcpt(self):
        c = self.session("gateway")
        for rcpt in ("a/b@example.test", '"../x"@example.test'):
            self.assertReply(self.rcpt_reply(c, rcpt), 550, "5.1.3", msg=rcpt)
        self.assertNothingOnDisk("a", '"..')

    def test_known_users_by_local_part_or_address_and_domain_case(self):
        c = self.session("gateway")
        self.assertReply(self.send_message(c, SENDER, ["bob@EXAMPLE.test", "carol@LOCAL.test"], BODY), 250, "2.0.0")
        # One mailbox per address whatever the domain's case (RFC 5321 §2.4).
        self.assertDeliveredBody(self.srv, "bob@example.test", BODY, SENDER, count=1)
        self.assertDeliveredBody(self.srv, "carol@local.test", BODY, SENDER, count=1)
        self.assertFalse(os.path.exists(self.srv.mailbox("bob@EXAMPLE.test")))

    def test_some_recipients_refused_the_rest_delivered(self):
        c = self.session("gateway")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250)
        self.assertReply(c.cmd("RCPT TO:<bob@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("RCPT TO:<outside@else.example>"), 554, "5.7.1")
        self.assertReply(c.cmd("RCPT TO:<ghost@example.test>"), 550, "5.1.1")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(BODY + b".\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertNothingOnDisk("outside@else.example", "ghost@example.test")


def routed_server(extra_sections, loads, **kw):
    return dict(loads=loads, plugin_dirs=[PLUGIN_DIR, TEST_PLUGIN_DIR], extra_sections=extra_sections, **kw)


class TwoDeliveries(RoutingTestCase):
    side = fixture_dir("side")
    relayed = fixture_dir("relayed")
    server_kwargs = routed_server(
        {"fixture-deliver": {"dir": side, "domains": "side.test", "fail": "broken@side.test",
                             "refuse": "nope@side.test", "inline": "quick.test"},
         "fixture-relay": {"dir": relayed}},
        list(PLUGINS) + ["fixture-deliver", "fixture-relay"],
        listeners={"gateway": {"role": "gateway"},
                   "relay": {"role": "relay", "remote_ip_ranges": ["10.0.0.0/8", "127.0.0.1"]}},
        users={"bob": "bob-pw"})

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.side, ignore_errors=True)
        shutil.rmtree(cls.relayed, ignore_errors=True)

    def files(self, d):
        return {f: open(os.path.join(d, f)).read() for f in os.listdir(d) if f != "discards"}

    def queue_id(self, reply):
        return reply.last.rsplit(" ", 1)[-1]

    def test_each_delivery_gets_its_own_recipients(self):
        c = self.session("gateway")
        r = self.send_message(c, SENDER, ["alice@example.test", "x@side.test", "y@SIDE.test"], BODY)
        self.assertReply(r, 250, "2.0.0")
        qid = self.queue_id(r)
        self.assertEqual(self.files(self.side).get(qid), "x@side.test\ny@SIDE.test\n")
        self.assertDeliveredBody(self.srv, "alice@example.test", BODY, SENDER, count=1)
        self.assertNotIn(qid, self.files(self.relayed))

    def test_refusal_from_the_second_delivery_at_rcpt(self):
        c = self.session("gateway")
        r = self.rcpt_reply(c, "nope@side.test")
        self.assertReply(r, 550, "5.1.1")
        self.assertIn("fixture-deliver", r.last)

    def test_decided_on_the_network_thread_or_else_on_the_pool(self):
        # quick.test is claimed by claim_rcpt_inline; claim_rcpt would refuse
        # it. side.test is UNDECIDED inline, then claimed or refused by claim_rcpt.
        c = self.session("gateway")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250)
        self.assertReply(c.cmd("RCPT TO:<x@quick.test>"), 250)
        self.assertReply(c.cmd("RCPT TO:<x@side.test>"), 250)
        r = c.cmd("RCPT TO:<nope@side.test>")
        self.assertReply(r, 550, "5.1.1")
        self.assertIn("Refused by fixture-deliver", r.last)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(BODY + b".\r\n")
        r = c.read_reply()
        self.assertReply(r, 250, "2.0.0")
        self.assertEqual(self.files(self.side).get(self.queue_id(r)), "x@quick.test\nx@side.test\n")

    def test_relay_delivery_only_for_clients_that_may_relay(self):
        c = self.session("gateway")
        self.assertReply(self.rcpt_reply(c, "far@remote.example"), 554, "5.7.1")
        # A relay listener whose ranges hold 127.0.0.1.
        c = self.session("relay")
        r = self.send_message(c, SENDER, ["far@remote.example"], BODY)
        self.assertReply(r, 250, "2.0.0")
        self.assertEqual(self.files(self.relayed).get(self.queue_id(r)), "far@remote.example\n")
        # Or an authenticated client anywhere.
        c = self.session("gateway")
        self.assertReply(c.auth_plain("bob", "bob-pw"), 235)
        r = self.send_message(c, SENDER, ["far2@remote.example", "bob@example.test"], BODY)
        self.assertReply(r, 250, "2.0.0")
        self.assertEqual(self.files(self.relayed).get(self.queue_id(r)), "far2@remote.example\n")

    def test_one_delivery_failing_keeps_nothing(self):
        c = self.session("gateway")
        before = self.srv.delivered("carol@example.test")
        r = self.send_message(c, SENDER, ["carol@example.test", "broken@side.test"], BODY)
        self.assertReply(r, 451, "4.3.0")
        self.assertIn("cannot take <broken@side.test>", r.last)
        # deliver-maildir had made its copy durable first: it was taken back.
        self.assertEqual(self.srv.delivered("carol@example.test"), before)
        self.assertTrue(self.wait_for_log("taken back"), self.srv.read_log()[-2000:])
        self.assertReply(c.cmd("NOOP"), 250)


class AcknowledgementDelay(RoutingTestCase):
    """A delivery that queues the message and then waits for its next hop
    (MAILFW_DELIVERY_QUEUED, MS-OXSMTP AcknowledgementDelay): the 250 waits
    for the next hop at most the delivery's ack_timeout_ms (500 ms here)."""
    relayed = fixture_dir("queued")
    server_kwargs = routed_server(
        {"fixture-relay": {"dir": relayed, "queued": "hop.test"}}, list(PLUGINS) + ["fixture-relay"],
        listeners={"relay": {"role": "relay", "remote_ip_ranges": "127.0.0.0/8"}})

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.relayed, ignore_errors=True)

    files = TwoDeliveries.files
    queue_id = TwoDeliveries.queue_id

    def relay_session(self):
        return self.session("relay")

    def timed_send(self, rcpt):
        c = self.relay_session()
        start = time.monotonic()
        r = self.send_message(c, SENDER, [rcpt], BODY)
        return r, time.monotonic() - start

    def test_next_hop_accepts(self):
        r, took = self.timed_send("accept-1@hop.test")
        self.assertReply(r, 250, "2.0.0")
        self.assertLess(took, 0.45, "waited for the next hop, not for the ack timeout")
        self.assertIn(self.queue_id(r), self.files(self.relayed))

    def test_next_hop_defers_is_still_250(self):
        r, _ = self.timed_send("defer-1@hop.test")
        self.assertReply(r, 250, "2.0.0")  # queued here: the relay retries
        self.assertIn(self.queue_id(r), self.files(self.relayed))

    def test_next_hop_refuses_and_nothing_is_kept(self):
        c = self.relay_session()
        r = self.send_message(c, SENDER, ["reject-1@hop.test"], BODY)
        self.assertReply(r, 550, "5.1.1")
        self.assertIn("next hop refused", r.last)
        self.wait_until(lambda: not any(f for f in self.files(self.relayed)
                                        if "reject-1@hop.test" in self.files(self.relayed)[f]), 5.0,
                        "the queued copy to be discarded")

    def test_silent_next_hop_gets_250_after_the_ack_timeout(self):
        r, took = self.timed_send("silent-1@hop.test")
        self.assertReply(r, 250, "2.0.0")
        self.assertGreaterEqual(took, 0.45)
        self.assertLess(took, 5.0)
        self.assertTrue(self.wait_for_log("acknowledged anyway"), self.srv.read_log()[-2000:])
        # The next hop's late answer is refused (MAILFW_INVALID = 5), and frees the token.
        self.wait_until(lambda: "next-hop answer for silent-1: complete_delivery returned 5" in self.srv.read_log(),
                        5.0, "the late answer")


class LateAnswerAfterTheServerStopped(MailfwTestCase):
    """A delivery's token lives until its final answer, even when that
    answer comes while the server is already stopping: no crash, exit 0."""

    def test_next_hop_answers_while_the_server_stops(self):
        relayed = fixture_dir("late-stop")
        self.addCleanup(shutil.rmtree, relayed, True)
        srv = self.make_server(**routed_server(
            {"fixture-relay": {"dir": relayed, "queued": "hop.test"}}, list(PLUGINS) + ["fixture-relay"],
            listeners={"relay": {"role": "relay", "remote_ip_ranges": "127.0.0.0/8"}}))
        srv.start()
        c = self.connect(srv)
        self.assertReply(c.ehlo(), 250)
        r = self.send_message(c, SENDER, ["silent-9@hop.test"], BODY)
        self.assertReply(r, 250, "2.0.0")  # after the ack timeout; the hop answers ~0.5 s later
        c.cmd("QUIT")
        self.assertEqual(srv.stop(), 0, srv.read_log()[-3000:])
        self.assertIn("next-hop answer for silent-9: complete_delivery returned 5", srv.read_log())


class Abi10PluginStillWorks(RoutingTestCase):
    out = fixture_dir("abi10")
    server_kwargs = routed_server({"fixture-abi10": {"dir": out}}, list(PLUGINS) + ["fixture-abi10"],
                                  listeners={"gateway": {"role": "gateway"}})

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.out, ignore_errors=True)

    def test_listed_as_abi_1_0(self):
        r = subprocess.run([ADMIN, "--config", self.srv.config, "plugins"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"fixture-abi10 1\.0\.0 \(plugin ABI 1\.0\)")

    def test_its_store_and_catch_all_delivery_work_in_a_1_1_host(self):
        c = self.session("gateway")
        # A 1.0 delivery cannot decide recipients: it is a relay delivery,
        # so anonymous clients cannot reach it ...
        self.assertReply(self.rcpt_reply(c, "far@remote.example"), 554, "5.7.1")
        # ... local domains still go to deliver-maildir (loaded first) ...
        self.assertReply(self.send_message(c, SENDER, ["dave@example.test"], BODY), 250)
        self.assertDeliveredBody(self.srv, "dave@example.test", BODY, SENDER, count=1)
        # ... and a user of its 1.0 store may relay through it.
        c = self.session("gateway")
        self.assertReply(c.auth_plain("old", "old-pw"), 235, "2.7.0")
        r = self.send_message(c, SENDER, ["far@remote.example"], BODY)
        self.assertReply(r, 250, "2.0.0")
        qid = r.last.rsplit(" ", 1)[-1]
        with open(os.path.join(self.out, qid)) as f:
            self.assertEqual(f.read(), "far@remote.example\n")


if __name__ == "__main__":
    unittest.main()
