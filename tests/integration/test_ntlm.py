"""sasl-ntlm (AUTH NTLM, MS-SMTPNTLM) with the NT hashes store-sqlite keeps
(ntlm_hashes = true), against the stock clients: curl (NTLMv2, its 32-byte
NEGOTIATE), swaks (Authen::NTLM: NTLMv1 only, refused unless allowed) and
gsasl (libntlm: NTLMv1, and it base64-decodes "334 NTLM supported")."""

import os
import shutil
import subprocess
import unittest

from mailfw_harness import BUILD_DIR, PLUGINS, MailfwTestCase, SharedServerTestCase

SASL_CLIENT = os.path.join(BUILD_DIR, "tests", "mailfw-test-sasl-client")

NTLM = PLUGINS + ("sasl-ntlm", "limit-protocol-errors")
# swaks needs Authen::NTLM (swaks and libauthen-ntlm-perl are installed by the
# test command; in CI a missing one fails instead of skipping).
HAVE_SWAKS_NTLM = (os.path.exists("/usr/share/perl5/Authen/NTLM.pm") and shutil.which("swaks") is not None) or \
    bool(os.environ.get("CI"))


class Ntlm(SharedServerTestCase):
    server_kwargs = dict(loads=NTLM, users={"alice": "Alice-Pa55"}, store={"ntlm_hashes": True})

    def curl(self, password, rcpt="ntlm@example.test"):
        body = os.path.join(self.srv.dir, "ntlm-message.txt")
        with open(body, "wb") as f:
            f.write(b"Subject: ntlm\r\n\r\nvia NTLM\r\n")
        return subprocess.run(["curl", "-sS", "smtp://127.0.0.1:%d/client.test" % self.srv.port,
                               "--login-options", "AUTH=NTLM", "-u", "alice:" + password,
                               "--mail-from", "alice@example.test", "--mail-rcpt", rcpt, "-T", body],
                              capture_output=True, text=True, timeout=60)

    def test_relaxed_challenge(self):
        c = self.connect()
        r = c.ehlo()
        self.assertIn("NTLM", r.keywords().get("AUTH", []))
        self.assertEqual(c.cmd("AUTH NTLM").last, "334 NTLM supported", "MS-OXSMTP 4: Exchange's line")
        self.assertReply(c.cmd("*"), 501, "5.0.0")

    def test_curl_ntlmv2(self):
        r = self.curl("Alice-Pa55")
        self.assertEqual(r.returncode, 0, r.stderr + self.srv.read_log()[-2000:])
        self.assertEqual(len(self.srv.delivered("ntlm@example.test")), 1)
        self.assertTrue(self.wait_for_log("NTLM: alice authenticated (NTLMv2)"))
        self.assertTrue(self.wait_for_log("authenticated as alice with NTLM"))

    def test_curl_wrong_password(self):
        r = self.curl("wrong", rcpt="never@example.test")
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(self.wait_for_log("authentication failed with NTLM: alice: wrong password (NTLMv2)"))
        self.assertEqual(self.srv.delivered("never@example.test"), [])

    def test_garbage_is_535_and_the_session_stays(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("AUTH NTLM"), 334)
        self.assertReply(c.cmd("bm90IG50bG0="), 535, "5.7.8")
        self.assertReply(c.cmd("AUTH NTLM TlRMTVNTUAADAAAA"), 535, "5.7.8", msg="a truncated AUTHENTICATE")
        self.assertReply(c.cmd("NOOP"), 250)

    @unittest.skipUnless(HAVE_SWAKS_NTLM, "swaks with Authen::NTLM")
    def test_swaks_sends_ntlmv1_which_is_refused_by_default(self):
        r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % self.srv.port, "-a", "NTLM", "-au", "alice",
                            "-ap", "Alice-Pa55", "--to", "swaks@example.test", "--quit-after", "AUTH"],
                           capture_output=True, text=True, timeout=60)
        self.assertIn("535 5.7.8", r.stdout, r.stdout)
        self.assertTrue(self.wait_for_log("NTLMv1 response refused"))


class OurClientMechanism(SharedServerTestCase):
    """sasl-ntlm's client side (NTLMv2 only), through the C ABI, against its server side."""
    server_kwargs = dict(loads=NTLM, users={"alice": "Alice-Pa55", "jörg": "Jörgs-Pa55"}, store={"ntlm_hashes": True})

    def client(self, user, password):
        return subprocess.run([SASL_CLIENT, "--plugin", "sasl-ntlm", "--mech", "NTLM", "--host", "127.0.0.1",
                               "--port", str(self.srv.port), "--user", user, "--password", password],
                              capture_output=True, text=True, timeout=60)

    def test_ntlmv2_with_and_without_a_domain(self):
        for user in ("alice", "EXAMPLE\\alice"):
            r = self.client(user, "Alice-Pa55")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.srv.read_log()[-1500:])
            self.assertIn("S: 235 2.7.0", r.stdout)
        self.assertTrue(self.wait_for_log("NTLM: alice authenticated (NTLMv2)"))

    def test_a_name_and_password_beyond_ascii(self):
        r = self.client("jörg", "Jörgs-Pa55")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.srv.read_log()[-1500:])
        self.assertTrue(self.wait_for_log("NTLM: jörg authenticated (NTLMv2)"))

    def test_a_wrong_password(self):
        r = self.client("alice", "wrong")
        self.assertEqual(r.returncode, 1)
        self.assertIn("S: 535 5.7.8", r.stdout)


class NtlmV1Allowed(SharedServerTestCase):
    server_kwargs = dict(loads=NTLM, users={"alice": "Alice-Pa55"}, store={"ntlm_hashes": True},
                         extra_sections={"sasl-ntlm": {"allow_ntlmv1": True}})

    @unittest.skipUnless(HAVE_SWAKS_NTLM, "swaks with Authen::NTLM")
    def test_swaks(self):
        for password, expect in (("Alice-Pa55", "235 2.7.0"), ("wrong", "535 5.7.8")):
            r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % self.srv.port, "-a", "NTLM", "-au", "alice",
                                "-ap", password, "--to", "swaks@example.test"],
                               capture_output=True, text=True, timeout=60)
            self.assertIn(expect, r.stdout, r.stdout + self.srv.read_log()[-2000:])
        self.assertEqual(len(self.srv.delivered("swaks@example.test")), 1)
        self.assertTrue(self.wait_for_log("NTLM: alice authenticated (NTLMv1)"))


HAVE_GSASL = shutil.which("gsasl") is not None or bool(os.environ.get("CI"))


@unittest.skipUnless(HAVE_GSASL, "gsasl")
class GsaslNtlm(SharedServerTestCase):
    """gsasl needs an empty first challenge (relaxed_auth = false) and NTLMv1."""
    server_kwargs = dict(loads=NTLM, users={"alice": "Alice-Pa55"}, store={"ntlm_hashes": True},
                         extra_sections={"sasl-ntlm": {"allow_ntlmv1": True}},
                         listeners={"test": {"relaxed_auth": False}, "relaxed": {}})

    def gsasl(self, listener, password="Alice-Pa55"):
        return subprocess.run(["gsasl", "--smtp", "--connect", "127.0.0.1:%d" % self.srv.ports[listener], "-m", "NTLM",
                               "--no-starttls", "-a", "alice", "-p", password, "--quiet"],
                              input="", capture_output=True, text=True, timeout=60)

    def test_with_an_empty_first_challenge(self):
        r = self.gsasl("test")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.srv.read_log()[-2000:])
        self.assertTrue(self.wait_for_log("NTLM: alice authenticated (NTLMv1)"))
        self.assertNotEqual(self.gsasl("test", password="wrong").returncode, 0)
        self.assertTrue(self.wait_for_log("alice: wrong password (NTLMv1)"))

    def test_exchanges_334_ntlm_supported_defeats_it(self):
        # Measured, not wished: gsasl base64-decodes MS-OXSMTP's relaxed line.
        r = self.gsasl("relaxed")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Base 64 coding error", r.stderr)


class WithoutNtHashes(SharedServerTestCase):
    """A store that keeps no NT hashes: NTLM cannot succeed, and says why."""
    server_kwargs = dict(loads=NTLM, users={"alice": "Alice-Pa55"})

    def test_refused_with_the_reason(self):
        body = os.path.join(self.srv.dir, "m.txt")
        with open(body, "wb") as f:
            f.write(b"Subject: x\r\n\r\nx\r\n")
        r = subprocess.run(["curl", "-sS", "smtp://127.0.0.1:%d/client.test" % self.srv.port, "--login-options",
                            "AUTH=NTLM", "-u", "alice:Alice-Pa55", "--mail-from", "a@example.test",
                            "--mail-rcpt", "b@example.test", "-T", body], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(self.wait_for_log("alice: no NT hash in the stores (store-sqlite ntlm_hashes)"))


if __name__ == "__main__":
    unittest.main()
