"""mailfw-admin: users (add, passwd, del, list) as the running server sees them, and plugins."""

import os
import re
import unittest

from mailfw_harness import (ADMIN, PLUGIN_DIR, PLUGINS, TEST_PLUGIN_DIR, MailfwServer,
                            MailfwTestCase, run)


class Admin(MailfwTestCase):
    def setUp(self):
        self.srv = self.make_server(users={"alice": "first-password"})
        self.server = self.srv

    def login(self, user, password):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        r = c.auth_plain(user, password)
        c.cmd("QUIT")
        return r.code

    def names(self):
        r = self.srv.admin("user", "list", check=True)
        return [l.strip() for l in r.stdout.splitlines() if l.strip()]

    def test_user_lifecycle(self):
        self.assertEqual(self.names(), ["alice"])
        self.srv.admin("user", "add", "bob", input="bob-password\n", check=True)
        self.srv.admin("user", "add", "carol@example.test", input="carol pass with spaces\n",
                       check=True)
        self.assertEqual(sorted(self.names()), ["alice", "bob", "carol@example.test"])
        self.srv.start()
        self.assertEqual(self.login("alice", "first-password"), 235)
        self.assertEqual(self.login("bob", "bob-password"), 235)
        self.assertEqual(self.login("carol@example.test", "carol pass with spaces"), 235)
        # The trailing newline is not part of the password.
        self.assertEqual(self.login("bob", "bob-password\n"), 535)

        # passwd while the server runs: the new password works at once, the old one no more.
        self.srv.admin("user", "passwd", "alice", input="second-password\n", check=True)
        self.assertEqual(self.login("alice", "second-password"), 235)
        self.assertEqual(self.login("alice", "first-password"), 535)

        # del while the server runs.
        self.srv.admin("user", "del", "bob", check=True)
        self.assertNotIn("bob", self.names())
        self.assertEqual(self.login("bob", "bob-password"), 535)

        # add while the server runs.
        self.srv.admin("user", "add", "dave", input="dave-password\n", check=True)
        self.assertEqual(self.login("dave", "dave-password"), 235)

    def test_add_existing_user_fails(self):
        r = self.srv.admin("user", "add", "alice", input="other\n")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("alice", r.stderr)
        self.srv.start()
        self.assertEqual(self.login("alice", "first-password"), 235)

    def test_passwd_or_del_unknown_user_fails(self):
        r = self.srv.admin("user", "passwd", "nobody", input="x\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nobody", r.stderr)
        r = self.srv.admin("user", "del", "nobody")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("nobody", r.stderr)

    def test_empty_password_refused(self):
        r = self.srv.admin("user", "add", "eve", input="\n")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        r = self.srv.admin("user", "add", "eve", input="")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertNotIn("eve", self.names())

    def test_password_not_stored_in_clear(self):
        self.srv.admin("user", "add", "frank", input="Very-Recognisable-Secret-42\n", check=True)
        with open(self.srv.db_path, "rb") as f:
            data = f.read()
        self.assertNotIn(b"Very-Recognisable-Secret-42", data)
        self.assertNotIn(b"first-password", data)

    def test_password_not_echoed(self):
        r = self.srv.admin("user", "add", "gina", input="Gina-Secret-Pass\n", check=True)
        self.assertNotIn("Gina-Secret-Pass", r.stdout + r.stderr)

    def test_bad_usage(self):
        r = self.srv.admin("user", "frobnicate", "x")
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(r.stderr.strip(), "a usage error must say something on stderr")
        r = run([ADMIN, "--config", os.path.join(self.srv.dir, "missing.conf"), "user", "list"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("missing.conf", r.stderr)

    def test_plugins_listing(self):
        r = self.srv.admin("plugins", check=True)
        out = r.stdout
        for name in PLUGINS:
            self.assertIn(name, out)
        # Kinds, versions, ABI and the keys with their defaults and help.
        self.assertRegex(out, r"LOGIN")
        self.assertRegex(out, r"PLAIN")
        self.assertRegex(out, r"(?i)store")
        self.assertRegex(out, r"(?i)deliver")
        self.assertRegex(out, r"\b1\.0\b")
        self.assertIn("pbkdf2_iterations", out)
        self.assertIn("path", out)
        self.assertIn("root", out)

    def test_plugins_listing_includes_broken_ones(self):
        with open(self.srv.config) as f:
            text = f.read()
        text = text.replace("[server]\n", "[server]\nplugin_dir = %s\nplugin_dir = %s\n"
                            % (PLUGIN_DIR, TEST_PLUGIN_DIR))
        with open(self.srv.config, "w") as f:
            f.write(text)
        self.assertTrue(os.path.exists(os.path.join(TEST_PLUGIN_DIR, "wrong-abi-major.so")))
        r = self.srv.admin("plugins")
        out = r.stdout + r.stderr
        self.assertIn("wrong-abi-major", out)
        self.assertRegex(out, r"\b2\.0\b")
        self.assertIn("sasl-login", out)


if __name__ == "__main__":
    unittest.main()
