"""deliver-discard (Postfix's discard(8)): its recipients get the same 250 as
stored mail, through the same session path, and nothing is kept -- neither a
maildir file nor a spool file. Next to deliver-maildir it takes only its own
domains."""

import os

from mailfw_harness import MailfwTestCase, SharedServerTestCase

DISCARD = ("store-sqlite", "deliver-discard", "deliver-maildir", "sasl-plain")


class Discard(SharedServerTestCase):
    server_kwargs = dict(loads=DISCARD, extra_sections={"deliver-discard": {"domains": ["sink.test"]}})

    def test_accepted_logged_and_not_stored(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        body = b"Subject: gone\r\n\r\n" + b"x" * 900 + b"\r\n" + b"y" * 900 + b"\r\n"
        self.assertReply(self.send_message(c, "a@example.test", ["nobody@sink.test", "other@Sink.TEST"], body),
                         250, "2.0.0")
        self.assertReply(self.send_message(c, "a@example.test", ["bdat@sink.test"], body, use_bdat=True), 250)
        self.assertTrue(self.wait_for_log("recipient(s))"))
        self.assertTrue(self.wait_for_log("discarded ("))
        self.assertEqual(self.srv.all_delivered_files(), [], "no maildir file")
        self.wait_until(lambda: self.srv.spool_files() == [], what="an empty spool")
        # It never reads the spool (MAILFW_DELIVERY_SPOOL_COPIED): one file,
        # emptied, served both messages and waits for the next.
        kept = [os.path.join(r, f) for r, _, files in os.walk(self.srv.spool_dir) for f in files]
        self.assertEqual(len(kept), 1, kept)
        self.assertEqual(os.path.getsize(kept[0]), 0)
        self.assertTrue(self.wait_for_log("messages to its recipients are discarded"))

    def test_other_domains_are_not_its_own(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        # The maildir delivery takes example.test; nobody takes elsewhere.test.
        self.assertReply(self.send_message(c, "a@example.test", ["kept@example.test", "gone@sink.test"],
                                           b"Subject: both\r\n\r\nhi\r\n"), 250)
        self.assertEqual(len(self.srv.delivered("kept@example.test")), 1)
        self.assertEqual(self.srv.delivered("gone@sink.test"), [])
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 250)
        r = c.cmd("RCPT TO:<x@elsewhere.test>")
        self.assertEqual(r.code // 100, 5, r.raw)


class BadDomains(MailfwTestCase):
    def test_a_bad_domain_stops_start_up(self):
        srv = self.make_server(loads=DISCARD, extra_sections={"deliver-discard": {"domains": ["a b"]}})
        r = srv.admin("user", "list")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("deliver-discard: `domains = a b` is not a domain", r.stderr)
