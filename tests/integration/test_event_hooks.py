"""The event pipeline over a real socket, driven by the fixture-events test plugin
(tests/fixtures/events/fixture_events.cpp): every verdict's reply, PENDING answers
from another thread and the host's deadline, the tarpit delay on the REPLY hook,
hop counts at the end of DATA, a session timer that closes the session, and what
session_info, notes and counters show a handler."""

import os
import shutil
import socket
import tempfile
import time
import unittest

from mailfw_harness import (HOSTNAME, PLUGIN_DIR, PLUGINS, REPLY_TIMEOUT, TEST_PLUGIN_DIR,
                            SharedServerTestCase, SmtpClient)

SENDER = "sender@example.test"
PENDING_DEADLINE = 1.0      # kPendingDeadlineMs in the fixture; timeout action DENYSOFT
PENDING_DELAY = 0.3


def events_server(fixture, listeners=None, users=None):
    """MailfwServer kwargs: the bundled plugins plus fixture-events with `fixture` as its section."""
    return dict(listeners=listeners, users=users,
                loads=list(PLUGINS) + ["fixture-events"],
                plugin_dirs=[PLUGIN_DIR, TEST_PLUGIN_DIR],
                extra_sections={"fixture-events": fixture})


class EventServerTestCase(SharedServerTestCase):
    """One mailfwd with fixture-events per class; each test opens its own connections."""

    def session(self, listener=None, helo="client.example.test"):
        c = self.connect(listener=listener)
        self.assertReply(c.ehlo(helo), 250)
        return c

    def timed(self, c, line):
        start = time.monotonic()
        r = c.cmd(line)
        return r, time.monotonic() - start

    def wait_for_log(self, text, timeout=5.0):
        self.wait_until(lambda: text in self.srv.read_log(), timeout, "log line %r" % text)


def received(by, n=1):
    return b"".join(b"Received: from relay%d.example.net by %s with ESMTP id X%d;\r\n"
                    b"\tMon, 1 Jan 2024 00:00:00 +0000\r\n" % (i, by.encode(), i) for i in range(n))


def message(headers=b"", body=b"Hello.\r\n"):
    return headers + b"From: <sender@example.test>\r\nSubject: hops\r\n\r\n" + body


class Verdicts(EventServerTestCase):
    server_kwargs = events_server(
        {"defer_connect_from": "127.0.0.2",
         "disconnect_helo": "bad.helo.test",
         "deny_verb": "VRFY",
         "max_auth_failures": 1,
         "defer_mail_from": "defer@example.test",
         "deny_rcpt": ["deny@example.test", "late-deny@example.test"],
         "drop_rcpt": "drop@example.test",
         "inject_rcpt": "inject@example.test",
         "echo_info_rcpt": "info@example.test",
         "pending_rcpt": ["late@example.test", "late-deny@example.test"],
         "pending_delay": "300ms",
         "pending_late": "too-late@example.test",
         "pending_never": "never@example.test",
         "max_hops": 3,
         "max_local_hops": 1,
         "max_data_bytes": "2KiB"},
        listeners={"inbound": {"role": "gateway"}, "submit": {"role": "relay"}},
        users={"alice": "alice-secret"})

    # -- a message still goes through ------------------------------------------
    def test_normal_message_delivers(self):
        c = self.session()
        body = message(received("relay.example.net"))
        self.assertReply(self.send_message(c, SENDER, ["ok@example.test"], body), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, "ok@example.test", body, SENDER, count=1)

    # -- each verdict's reply --------------------------------------------------
    def test_deny_rcpt(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<deny@example.test>"), 550, "5.7.1",
                         "550 5.7.1 Recipient <deny@example.test> refused by fixture-events")
        self.assertReply(c.cmd("RCPT TO:<deny-neighbour@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: x\r\n\r\nx\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertEqual(len(self.srv.delivered("deny-neighbour@example.test")), 1)
        self.assertEqual(self.srv.delivered("deny@example.test"), [])

    def test_defer_mail_from(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<defer@example.test>"), 451, "4.7.1",
                         "451 4.7.1 Sender <defer@example.test> deferred by fixture-events")
        # No transaction was opened: RCPT needs MAIL, and a new MAIL is not nested.
        self.assertReply(c.cmd("RCPT TO:<ok@example.test>"), 503, "5.5.1")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")

    def test_deny_disconnect_at_helo(self):
        c = self.connect()
        self.assertReply(c.cmd("EHLO bad.helo.test"), 554, "5.7.1",
                         "554 5.7.1 HELO bad.helo.test refused by fixture-events")
        self.assertTrue(c.is_closed(), "DENY_DISCONNECT must close the session")
        self.assertEqual(c.buf, b"")

    def test_deny_at_command_hook(self):
        c = self.session()
        self.assertReply(c.cmd("VRFY someone"), 550, "5.7.1", "550 5.7.1 VRFY refused by fixture-events")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_disconnect_without_reply(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        c.send("RCPT TO:<drop@example.test>\r\n")
        self.assertTrue(c.is_closed(), "DISCONNECT must close the session")
        self.assertEqual(c.buf, b"", "DISCONNECT sends no reply")

    def test_malformed_verdict_is_sanitised(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        # A 2xx code for DENY falls back to the default; CR LF cannot start a second reply.
        r = c.cmd("RCPT TO:<inject@example.test>")
        self.assertEqual(r.code, 550, r)
        self.assertTrue(r.enhanced.startswith("5."), r)
        self.assertEqual(len(r.raw), 1, r)
        self.assertNotIn("\r", r.last)
        self.assertIn("injected", r.last)
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0", msg="no smuggled reply may be queued before NOOP's")

    def test_denysoft_disconnect_at_connect(self):
        # Linux routes all of 127/8 to lo: a second client address without setup.
        try:
            sock = socket.create_connection(("127.0.0.1", self.srv.port), timeout=REPLY_TIMEOUT,
                                            source_address=("127.0.0.2", 0))
        except OSError as e:
            self.skipTest("cannot connect from 127.0.0.2: %s" % e)
        c = SmtpClient.__new__(SmtpClient)
        c.timeout, c.sock, c.buf, c.transcript = REPLY_TIMEOUT, sock, b"", []
        self.addCleanup(c.close)
        self.assertReply(c.read_reply(), 421, "4.3.2",
                         "421 4.3.2 Connections from 127.0.0.2 refused by fixture-events")
        self.assertTrue(c.is_closed())

    def test_failed_logons_close_the_session(self):
        c = self.session()
        self.assertReply(c.auth_plain("alice", "wrong-1"), 535, "5.7.8")
        self.assertReply(c.auth_plain("alice", "wrong-2"), 421, "4.7.0",
                         "421 4.7.0 Too many failed logons (fixture-events)")
        self.assertTrue(c.is_closed())

    # -- PENDING ---------------------------------------------------------------
    def test_pending_answered_from_another_thread(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        r, elapsed = self.timed(c, "RCPT TO:<late@example.test>")
        self.assertReply(r, 250, "2.1.5")
        self.assertGreaterEqual(elapsed, PENDING_DELAY - 0.05)
        r, elapsed = self.timed(c, "RCPT TO:<late-deny@example.test>")
        self.assertReply(r, 550, "5.7.1", "550 5.7.1 Recipient <late-deny@example.test> refused by fixture-events")
        self.assertGreaterEqual(elapsed, PENDING_DELAY - 0.05)
        # The token is one-shot: the fixture's second complete_event got MAILFW_INVALID (5).
        self.wait_for_log("late answer: complete_event returned 0, a second call 5")
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"Subject: late\r\n\r\nlate\r\n.\r\n")
        self.assertReply(c.read_reply(), 250, "2.0.0")
        self.assertEqual(len(self.srv.delivered("late@example.test")), 1)

    def test_pending_never_answered_hits_the_deadline(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        r, elapsed = self.timed(c, "RCPT TO:<never@example.test>")
        # timeout_action DENYSOFT with the host's default reply.
        self.assertReply(r, 450, "4.7.1")
        self.assertGreaterEqual(elapsed, PENDING_DEADLINE - 0.05)
        self.wait_for_log("fixture-events: no answer within 1000 ms")
        self.assertReply(c.cmd("RCPT TO:<ok@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_pending_answer_after_the_deadline_is_refused(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        r, elapsed = self.timed(c, "RCPT TO:<too-late@example.test>")
        self.assertReply(r, 450, "4.7.1")
        self.assertGreaterEqual(elapsed, PENDING_DEADLINE - 0.05)
        # Keep the session open until the late answer was tried: MAILFW_INVALID both times.
        self.wait_for_log("late answer: complete_event returned 5, a second call 5")
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")

    def test_pending_token_dropped_when_the_session_ends(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        c.send("RCPT TO:<late@example.test>\r\n")
        c.close()  # the answer comes after the session is gone; nothing may crash
        time.sleep(PENDING_DELAY + 0.3)
        self.assertIsNone(self.srv.proc.poll())
        c2 = self.session()
        self.assertReply(c2.cmd("NOOP"), 250, "2.0.0")

    # -- hop counts at the end of DATA (MaxHopCount / MaxLocalHopCount) ---------
    def test_too_many_local_hops(self):
        c = self.session()
        body = message(received(HOSTNAME, 2))
        self.assertReply(self.send_message(c, SENDER, ["loop@example.test"], body), 554, "5.4.6",
                         "554 5.4.6 Too many local hops: 2 Received: by this host, limit 1")
        self.assertEqual(self.srv.delivered("loop@example.test"), [])
        # The session stays open and the transaction is over.
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")

    def test_too_many_hops(self):
        c = self.session()
        body = message(received("relay.example.net", 4))
        self.assertReply(self.send_message(c, SENDER, ["far@example.test"], body), 554, "5.4.6",
                         "554 5.4.6 Too many hops: 4 Received: headers, limit 3")
        self.assertEqual(self.srv.delivered("far@example.test"), [])

    def test_too_many_hops_bdat(self):
        c = self.session()
        body = message(received("relay.example.net", 4))
        self.assertReply(self.send_message(c, SENDER, ["far-bdat@example.test"], body, use_bdat=True), 554, "5.4.6")
        self.assertEqual(self.srv.delivered("far-bdat@example.test"), [])

    def test_hops_at_the_limits_deliver(self):
        c = self.session()
        # 3 Received: in all, 1 of them ours; Received lines in the body do not count.
        body = message(received(HOSTNAME, 1) + received("relay.example.net", 2),
                       body=b"Received: from body.example.net by %s\r\n" % HOSTNAME.encode() * 5)
        self.assertReply(self.send_message(c, SENDER, ["near@example.test"], body), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, "near@example.test", body, SENDER, count=1)

    def test_hop_lookalikes_are_not_ours(self):
        c = self.session()
        body = message(received("mail.example.test.evil.net", 1) + received("xmail.example.test", 1) +
                       received("relay.example.net", 1))
        self.assertReply(self.send_message(c, SENDER, ["alike@example.test"], body), 250, "2.0.0")

    def test_data_end_sees_the_message_size(self):
        c = self.session()
        def body(size):
            out = b"Subject: size\r\n\r\n" + b"x" * 98 + b"\r\n"
            while len(out) + 100 <= size:
                out += b"x" * 98 + b"\r\n"
            return out + b"y" * (size - len(out) - 2) + b"\r\n"
        exact = body(2048)
        self.assertEqual(len(exact), 2048)
        self.assertReply(self.send_message(c, SENDER, ["size@example.test"], exact), 250, "2.0.0")
        over = body(2049)
        self.assertEqual(len(over), 2049)
        self.assertReply(self.send_message(c, SENDER, ["size@example.test"], over), 552, "5.3.4",
                         "552 5.3.4 Message of 2049 bytes exceeds fixture-events' limit")
        self.assertEqual(len(self.srv.delivered("size@example.test")), 1)

    # -- what a handler sees -----------------------------------------------------
    def info(self, c):
        r = c.cmd("RCPT TO:<info@example.test>")
        self.assertReply(r, 550, "5.7.1")
        return dict(kv.split("=", 1) for kv in r.last[len("550 5.7.1 "):].split())

    def test_session_info_on_a_gateway(self):
        c = self.session(listener="inbound")
        self.assertReply(c.cmd("MAIL FROM:<%s> SIZE=100" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<one@example.test>"), 250, "2.1.5")
        info = self.info(c)
        local = c.sock.getsockname()
        self.assertEqual(info["listener"], "inbound")
        self.assertEqual(info["role"], "gateway")
        self.assertEqual(info["remote"], "127.0.0.1:%d" % local[1])
        self.assertEqual(info["local"], "127.0.0.1:%d" % self.srv.ports["inbound"])
        self.assertEqual(info["helo"], "client.example.test")
        self.assertEqual(info["tls"], "0")
        self.assertEqual(info["auth"], "-")
        self.assertEqual(info["mech"], "-")
        self.assertEqual(info["host"], HOSTNAME)
        self.assertEqual(info["in_txn"], "1")
        self.assertEqual(info["rcpts"], "1")            # accepted so far
        self.assertEqual(info["rcpt_events"], "2")      # the fixture's transaction state
        self.assertEqual(info["commands"], "4")         # EHLO MAIL RCPT RCPT
        self.assertEqual(info["conn_note"], "client.example.test")
        # A note set by the MAIL hook belongs to the transaction that MAIL opens.
        self.assertEqual(info["note_set_at_mail"], "0")
        self.assertEqual(info["txn_note"], SENDER)
        self.assertGreaterEqual(int(info["from_ip"]), 1)
        # RSET ends the transaction and its notes; the connection's stay.
        self.assertReply(c.cmd("RSET"), 250)
        self.assertReply(c.cmd("MAIL FROM:<other@example.test>"), 250, "2.1.0")
        info = self.info(c)
        self.assertEqual(info["txn_note"], "other@example.test")
        self.assertEqual(info["rcpt_events"], "1")
        self.assertEqual(info["conn_note"], "client.example.test")

    def test_session_info_on_a_relay_after_auth(self):
        c = self.session(listener="submit", helo="laptop.example.test")
        self.assertReply(c.auth_plain("alice", "alice-secret"), 235, "2.7.0")
        self.assertReply(c.cmd("MAIL FROM:<alice@example.test>"), 250, "2.1.0")
        info = self.info(c)
        self.assertEqual(info["listener"], "submit")
        self.assertEqual(info["role"], "relay")
        self.assertEqual(info["auth"], "alice")
        self.assertEqual(info["mech"], "PLAIN")
        self.assertEqual(info["helo"], "laptop.example.test")
        self.assertEqual(info["local"], "127.0.0.1:%d" % self.srv.ports["submit"])

    def test_connection_counter_follows_connect_and_disconnect(self):
        a = self.session()
        self.assertReply(a.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        before = int(self.info(a)["from_ip"])
        b = self.connect()  # its greeting came after its CONNECT hook
        self.assertEqual(int(self.info_after_mail(a)), before + 1)
        b.cmd("QUIT")
        b.close()
        self.wait_until(lambda: int(self.info_after_mail(a)) == before, 5.0,
                        "the DISCONNECT hook to count the connection down")

    def info_after_mail(self, c):
        return self.info(c)["from_ip"]


class Tarpit(EventServerTestCase):
    TARPIT = 1.0
    server_kwargs = events_server({"tarpit": "1s", "deny_rcpt": "deny@example.test"})

    def test_plugin_rejection_is_delayed(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        r, elapsed = self.timed(c, "RCPT TO:<deny@example.test>")
        self.assertReply(r, 550, "5.7.1")
        self.assertGreaterEqual(elapsed, self.TARPIT - 0.05)

    def test_core_rejection_is_delayed(self):
        c = self.session()
        r, elapsed = self.timed(c, "BOGUS")
        self.assertReply(r, 500, "5.5.1")
        self.assertGreaterEqual(elapsed, self.TARPIT - 0.05)

    def test_pipelined_rejection_is_delayed(self):
        c = self.session()
        start = time.monotonic()
        c.send("MAIL FROM:<%s>\r\nRCPT TO:<deny@example.test>\r\nRCPT TO:<ok@example.test>\r\n" % SENDER)
        self.assertReply(c.read_reply(), 250, "2.1.0")
        self.assertReply(c.read_reply(), 550, "5.7.1")
        self.assertGreaterEqual(time.monotonic() - start, self.TARPIT - 0.05)
        self.assertReply(c.read_reply(), 250, "2.1.5")

    def test_message_still_delivers(self):
        c = self.session()
        body = b"Subject: tarpit\r\n\r\nok\r\n"
        self.assertReply(self.send_message(c, SENDER, ["ok@example.test"], body), 250, "2.0.0")
        self.assertDeliveredBody(self.srv, "ok@example.test", body, SENDER, count=1)


class IdleClose(EventServerTestCase):
    IDLE = 1.0
    server_kwargs = events_server({"idle_close": "1s"})
    CLOSE_TEXT = "421 4.4.2 %s Idle for too long (fixture-events), closing connection" % HOSTNAME

    def expect_close(self, c, since):
        r = c.read_reply(timeout=self.IDLE + 5)
        self.assertReply(r, 421, "4.4.2", self.CLOSE_TEXT)
        self.assertGreaterEqual(time.monotonic() - since, self.IDLE - 0.05)
        self.assertTrue(c.is_closed(), "the session must be closed after 421 4.4.2")

    def test_silent_after_greeting(self):
        start = time.monotonic()
        c = self.connect()
        self.expect_close(c, start)

    def test_every_command_rearms_the_timer(self):
        c = self.session()
        for _ in range(5):
            time.sleep(self.IDLE / 2)
            self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        # 2.5 s in all, still open; now silent.
        self.expect_close(c, time.monotonic())

    def test_stalled_in_data(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<stall@example.test>"), 250, "2.1.5")
        self.assertReply(c.cmd("DATA"), 354)
        start = time.monotonic()
        c.send(b"Subject: stalled\r\n\r\n")
        self.expect_close(c, start)
        time.sleep(0.2)
        self.assertEqual(self.srv.delivered("stall@example.test"), [])
        self.assertEqual(self.srv.spool_files(), [])

    def test_stalled_in_bdat(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<stall-bdat@example.test>"), 250, "2.1.5")
        start = time.monotonic()
        c.send(b"BDAT 100 LAST\r\nSubject: stalled\r\n")
        self.expect_close(c, start)
        self.assertEqual(self.srv.delivered("stall-bdat@example.test"), [])


def connect_from(test, port, source):
    """A raw client bound to another loopback address (all of 127/8 is lo on Linux)."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT, source_address=(source, 0))
    except OSError as e:
        test.skipTest("cannot connect from %s: %s" % (source, e))
    c = SmtpClient.__new__(SmtpClient)
    c.timeout, c.sock, c.buf, c.transcript = REPLY_TIMEOUT, sock, b"", []
    test.addCleanup(c.close)
    return c


class ConnectRefusalAndPairing(EventServerTestCase):
    """RFC 5321 §3.1: a refusal at connect that keeps the session answers 554
    in place of 220 and then serves only QUIT; and the DISCONNECT hook fires
    exactly for the sessions that saw CONNECT (a counting plugin must never go
    negative)."""
    hook_log = os.path.join(tempfile.mkdtemp(prefix="mailfw-hooks-"), "hooks.log")
    server_kwargs = events_server({"deny_connect_from": "127.0.0.3", "hook_log": hook_log},
                                  listeners={"plain": {}, "smtps": {"tls": "implicit"}})

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(os.path.dirname(cls.hook_log), ignore_errors=True)

    def hooks(self):
        try:
            with open(self.hook_log) as f:
                return [line.split() for line in f]
        except FileNotFoundError:
            return []

    def assertPaired(self):
        self.wait_until(lambda: sorted(i for h, i in self.hooks() if h == "CONNECT") ==
                        sorted(i for h, i in self.hooks() if h == "DISCONNECT"), 5.0,
                        "every CONNECT to have its DISCONNECT: %r" % self.hooks())

    def test_deny_at_connect_is_the_greeting_and_only_quit_is_served(self):
        c = connect_from(self, self.srv.ports["plain"], "127.0.0.3")
        self.assertReply(c.read_reply(), 554, "5.7.1")
        for cmd in ("EHLO client.example.test", "MAIL FROM:<a@example.test>", "NOOP"):
            self.assertReply(c.cmd(cmd), 503, "5.5.1", msg=cmd)
        self.assertReply(c.cmd("QUIT"), 221, "2.0.0")
        self.assertTrue(c.is_closed())
        self.assertPaired()

    def test_failed_implicit_tls_handshake_fires_neither_hook(self):
        before = len(self.hooks())
        sock = socket.create_connection(("127.0.0.1", self.srv.ports["smtps"]), timeout=REPLY_TIMEOUT)
        sock.sendall(b"EHLO this is not TLS\r\n")
        sock.settimeout(REPLY_TIMEOUT)
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass
        sock.close()
        self.wait_for_log("TLS handshake failed")
        time.sleep(0.2)
        self.assertEqual(self.hooks()[before:], [])
        self.assertPaired()

    def test_normal_sessions_pair(self):
        c = self.session("plain")
        self.assertReply(c.cmd("QUIT"), 221)
        self.assertTrue(c.is_closed())
        self.assertPaired()


class EsmtpExtensionPoints(EventServerTestCase):
    """Handlers extend ESMTP: EHLO lines (one replaces the core's SIZE), MAIL
    and RCPT parameters they declare (others stay 555 5.5.4), header fields
    prepended at the end of DATA, and DATA_HEADERS at the blank line."""
    server_kwargs = events_server({"ehlo_keyword": ["SIZE 1000000", "X-FIXTURE on", "X-FIXTURE twice"],
                                   "stamp": "checked", "max_header_bytes": "1KiB",
                                   "echo_info_rcpt": "info@example.test"})

    def test_ehlo_lines_from_a_handler(self):
        c = self.connect()
        r = c.ehlo()
        self.assertReply(r, 250)
        kw = r.keywords()
        self.assertEqual(kw.get("SIZE"), ["1000000"], r)  # replaced, not doubled
        self.assertEqual([l for l in r.lines if "SIZE" in l.upper()], ["SIZE 1000000"])
        self.assertEqual(kw.get("X-FIXTURE"), ["on"], r)  # the first line for a keyword wins
        self.assertTrue(r.lines[-1].endswith("HELP"), r)

    def test_declared_parameters_reach_the_handler(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<a@example.test> XFIXTURE=bad"), 501, "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test> XUNKNOWN=1"), 555, "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test> xfixture=good SIZE=10"), 250, "2.1.0")
        self.assertReply(c.cmd("RCPT TO:<b@example.test> XOTHER=1"), 555, "5.5.4")
        r = c.cmd("RCPT TO:<info@example.test> XNOTIFY=yes")
        self.assertReply(r, 550)
        self.assertIn("params=XNOTIFY=yes", r.last)
        self.assertReply(c.cmd("RCPT TO:<b@example.test> XNOTIFY=1"), 250, "2.1.5")

    def test_prepended_field_sits_above_our_received(self):
        c = self.session()
        body = message()
        self.assertReply(self.send_message(c, SENDER, ["stamp@example.test"], body), 250, "2.0.0")
        raw = self.srv.delivered("stamp@example.test")[-1]
        lines = raw.split(b"\r\n")
        self.assertTrue(lines[0].startswith(b"Return-Path:"), lines[:3])
        self.assertEqual(lines[1], b"X-Fixture-Stamp: checked")
        self.assertTrue(lines[2].startswith(b"Received: from"), lines[:3])
        self.assertNotIn(b"X-Smuggled", raw)
        self.wait_for_log("header_prepend: malformed 5, good 0")

    def test_data_headers_fires_at_the_blank_line(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250)
        self.assertReply(c.cmd("RCPT TO:<bighead@example.test>"), 250)
        self.assertReply(c.cmd("DATA"), 354)
        c.send(b"".join(b"X-Big-%d: %s\r\n" % (i, b"h" * 500) for i in range(4)) + b"Subject: x\r\n\r\n")
        # The refusal is decided now, before any body arrives ...
        self.wait_for_log("header block refused by fixture-events")
        self.assertTrue(c.nothing_pending(0.3), "the reply must wait for the end of the message")
        c.send(b"body\r\n" * 100 + b".\r\n")
        # ... and answered after the terminator; the session goes on.
        self.assertReply(c.read_reply(), 552, "5.3.4")
        self.assertEqual(self.srv.delivered("bighead@example.test"), [])
        self.assertReply(c.cmd("NOOP"), 250)

    def test_data_headers_refusal_in_bdat(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<%s>" % SENDER), 250)
        self.assertReply(c.cmd("RCPT TO:<bighead-bdat@example.test>"), 250)
        head = b"X-Big: " + b"h" * 2000 + b"\r\n\r\n"
        c.send(b"BDAT %d\r\n" % len(head) + head)
        self.assertReply(c.read_reply(), 250)
        c.send(b"BDAT 6 LAST\r\nbody\r\n")
        self.assertReply(c.read_reply(), 552, "5.3.4")
        self.assertEqual(self.srv.delivered("bighead-bdat@example.test"), [])


class AsyncCounters(EventServerTestCase):
    """A rate limit on the asynchronous counter service: the MAIL hook waits
    (PENDING) for the counter's answer, which comes back on the session's
    strand; beyond the limit 421 4.4.2 and the session closes."""
    server_kwargs = events_server({"mail_rate": 3})

    def test_fourth_mail_in_a_minute_is_421_and_closes(self):
        c = connect_from(self, self.srv.port, "127.0.0.4")
        self.assertReply(c.read_reply(), 220)
        self.assertReply(c.ehlo(), 250)
        for i in range(3):
            self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0", msg="MAIL %d" % i)
            self.assertReply(c.cmd("RSET"), 250)
        r = c.cmd("MAIL FROM:<a@example.test>")
        self.assertReply(r, 421, "4.4.2")
        self.assertIn("limit 3", r.last)
        self.assertTrue(c.is_closed())
        # Another source has its own window.
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250, "2.1.0")


class HelperExample(EventServerTestCase):
    """The limit plugin in plugin.hpp's opening comment, built from
    tests/fixtures/example/example_limit_rcpt.cpp, works as documented."""
    server_kwargs = dict(loads=list(PLUGINS) + ["example-limit-rcpt"],
                         plugin_dirs=[PLUGIN_DIR, TEST_PLUGIN_DIR],
                         extra_sections={"example-limit-rcpt": {"max": 2}})

    def test_comment_and_fixture_are_the_same_code(self):
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        with open(os.path.join(root, "tests", "fixtures", "example", "example_limit_rcpt.cpp")) as f:
            src = f.read()
        code = src[src.index("#include <mailfw/plugin.hpp>"):].rstrip("\n").split("\n")
        with open(os.path.join(root, "sdk", "include", "mailfw", "plugin.hpp")) as f:
            header = f.read()
        self.assertIn("\n".join(("//   " + l).rstrip() for l in code), header)

    def test_third_recipient_gets_452(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250)
        self.assertReply(c.cmd("RCPT TO:<r1@example.test>"), 250)
        self.assertReply(c.cmd("RCPT TO:<r2@example.test>"), 250)
        r = c.cmd("RCPT TO:<r3@example.test>")
        self.assertReply(r, 452, "4.5.3")
        self.assertEqual(r.last, "452 4.5.3 Too many recipients (limit 2)")
        self.wait_for_log("TooManyRecipients")


if __name__ == "__main__":
    unittest.main()
