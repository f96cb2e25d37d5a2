"""The verified-credential cache ([server] auth_cache_*): a login repeated
with the same password is answered from the cache, and a password change or
a deletion with mailfw-admin (another process, writing the store) takes
effect at the very next login, with no restart and no TTL to wait out."""

import re

from mailfw_harness import MAILFWD, MailfwServer, MailfwTestCase, run, stderr_lines

USER, PASSWORD = "alice", "Cache-Pa55word"
LISTENERS = {"default": {"allow_plaintext_auth": True}}


class AuthCache(MailfwTestCase):
    def login(self, srv, user, password):
        c = self.connect(srv)
        self.assertReply(c.ehlo(), 250)
        code = c.auth_plain(user, password).code
        c.cmd("QUIT")
        return code

    def cache_hits(self, srv):
        self.assertEqual(srv.stop(), 0)
        m = re.search(r"credential cache: (\d+) password check\(s\) answered from the cache", srv.read_log())
        return int(m.group(1)) if m else 0

    def test_repeated_logins_come_from_the_cache(self):
        srv = self.start_server(users={USER: PASSWORD}, listeners=LISTENERS)
        for _ in range(4):
            self.assertEqual(self.login(srv, USER, PASSWORD), 235)
        self.assertEqual(self.cache_hits(srv), 3)

    def test_failures_are_remembered_too_and_stay_failures(self):
        srv = self.start_server(users={USER: PASSWORD}, listeners=LISTENERS)
        for _ in range(3):
            self.assertEqual(self.login(srv, USER, "wrong-one"), 535)
            self.assertEqual(self.login(srv, "ghost", "wrong-one"), 535)
        self.assertEqual(self.login(srv, USER, PASSWORD), 235)
        self.assertEqual(self.cache_hits(srv), 4)  # the second and third of each failure

    def test_password_change_and_deletion_take_effect_at_once(self):
        srv = self.start_server(users={USER: PASSWORD}, listeners=LISTENERS)
        self.assertEqual(self.login(srv, USER, PASSWORD), 235)
        self.assertEqual(self.login(srv, USER, PASSWORD), 235)  # now cached
        self.assertEqual(self.login(srv, USER, "Second-Pa55word"), 535)  # a cached failure
        srv.admin("user", "passwd", USER, input="Second-Pa55word\n", check=True)
        self.assertEqual(self.login(srv, USER, PASSWORD), 535, "the old password must stop working at once")
        self.assertEqual(self.login(srv, USER, "Second-Pa55word"), 235, "the new one must work at once")
        self.assertEqual(self.login(srv, USER, "Second-Pa55word"), 235)
        srv.admin("user", "del", USER, check=True)
        self.assertEqual(self.login(srv, USER, "Second-Pa55word"), 535, "a deleted user must not log in")
        srv.admin("user", "add", USER, input=PASSWORD + "\n", check=True)
        self.assertEqual(self.login(srv, USER, "Second-Pa55word"), 535, "nor the password before re-creation")
        self.assertEqual(self.login(srv, USER, PASSWORD), 235)

    def test_off_switch(self):
        srv = self.start_server(users={USER: PASSWORD}, listeners=LISTENERS, server={"auth_cache_size": 0})
        for _ in range(3):
            self.assertEqual(self.login(srv, USER, PASSWORD), 235)
        self.assertEqual(self.cache_hits(srv), 0)

    def test_bad_value_stops_start_up_with_the_key(self):
        srv = MailfwServer(listeners=LISTENERS, server={"auth_cache_ttl": "forever"})
        self.addCleanup(srv.cleanup)
        r = run([MAILFWD, "--config", srv.config, "--check-config"])
        lines = stderr_lines(r.stderr)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("auth_cache_ttl", lines[0])
