"""access-ip (IPAddressNotAllowed, 550 5.7.1) and access-binding
(BindingNotConfigured, 421 4.3.2): who may connect, and who may
authenticate, on which listener."""

import unittest

from mailfw_harness import PLUGINS, MailfwTestCase, SharedServerTestCase


class AccessIp(SharedServerTestCase):
    server_kwargs = dict(loads=PLUGINS + ("access-ip",), extra_sections={"access-ip": {
        "deny": ["127.0.0.0/24", "127.0.5.0/24"], "allow": "127.0.0.7, 127.0.5.0/24"}})

    def greet(self, source):
        c = self.srv.connect(source=source)
        self.addCleanup(c.close)
        return c

    def test_a_denied_ip(self):
        c = self.greet("127.0.0.2")
        self.assertReply(c.greeting, 550, "5.7.1")
        self.assertIn("127.0.0.2 is not allowed", c.greeting.last)
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("IPAddressNotAllowed: 550 5.7.1"))

    def test_the_most_specific_match_wins(self):
        self.assertEqual(self.greet("127.0.0.7").greeting.code, 220, "a /32 allow inside a /24 deny")
        self.assertEqual(self.greet("127.0.5.9").greeting.code, 550, "a tie is a deny")
        self.assertEqual(self.greet("127.0.1.1").greeting.code, 220, "no match: allowed")


class AccessIpKeepsTheSession(MailfwTestCase):
    def test_disconnect_false_makes_it_the_greeting(self):
        srv = self.start_server(loads=PLUGINS + ("access-ip",),
                                extra_sections={"access-ip": {"deny": "127.0.0.0/8", "disconnect": False}})
        c = srv.connect()
        self.addCleanup(c.close)
        self.assertReply(c.greeting, 550, "5.7.1")
        self.assertReply(c.cmd("MAIL FROM:<a@example.test>"), 503)
        self.assertReply(c.cmd("QUIT"), 221)

    def test_a_bad_network_stops_start_up(self):
        srv = self.make_server(loads=PLUGINS + ("access-ip",), extra_sections={"access-ip": {"deny": "10.0.0.1/8"}})
        r = srv.admin("user", "list")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bad value '10.0.0.1/8' for 'deny' in [access-ip]", r.stderr)


class AccessBindingConfig(MailfwTestCase):
    def test_a_listener_that_does_not_exist_stops_start_up(self):
        srv = self.make_server(loads=PLUGINS + ("access-binding",), listeners={"smtp": {}},
                               extra_sections={"access-binding": {"permitted_users": "submision alice"}})
        r = srv.admin("user", "list")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("permitted_users in [access-binding] names listener 'submision', but there is no "
                      "[listener.submision]; use one of: smtp", r.stderr)


class AccessBinding(SharedServerTestCase):
    server_kwargs = dict(
        loads=PLUGINS + ("access-binding",),
        listeners={"inside": {}, "submission": {}, "open": {}},
        users={"alice": "alice-pw", "bob": "bob-pw"},
        extra_sections={"access-binding": {
            "remote_ip_ranges": "inside 127.0.0.2/32 127.0.3.0/24",
            "permitted_users": ["submission alice", "submission carol"]}})

    def test_a_listener_that_does_not_serve_the_clients_range(self):
        c = self.srv.connect("inside", source="127.0.0.1")
        self.addCleanup(c.close)
        self.assertReply(c.greeting, 421, "4.3.2")
        self.assertIn("No binding for 127.0.0.1", c.greeting.last)
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("BindingNotConfigured: 421 4.3.2"))
        for source in ("127.0.0.2", "127.0.3.4"):
            ok = self.srv.connect("inside", source=source)
            self.addCleanup(ok.close)
            self.assertEqual(ok.greeting.code, 220)

    def test_an_authenticated_user_not_permitted_on_the_listener(self):
        c = self.connect(listener="submission")
        self.assertReply(c.ehlo(), 250)
        r = c.auth_plain("bob", "bob-pw")
        self.assertReply(r, 421, "4.3.2")
        self.assertIn("User bob is not permitted on this listener (submission)", r.last)
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("BindingNotConfigured: 421 4.3.2 User bob"))

    def test_a_permitted_user_and_an_open_listener(self):
        c = self.connect(listener="submission")
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.auth_plain("alice", "alice-pw"), 235)
        o = self.connect(listener="open")
        self.assertReply(o.ehlo(), 250)
        self.assertReply(o.auth_plain("bob", "bob-pw"), 235, msg="a listener not named is not restricted")

    def test_a_failed_logon_is_not_a_binding_matter(self):
        c = self.connect(listener="submission")
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.auth_plain("bob", "wrong"), 535, "5.7.8")


if __name__ == "__main__":
    unittest.main()
