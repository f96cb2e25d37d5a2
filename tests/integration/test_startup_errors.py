"""Operator mistakes stop start-up with exit 1 and exactly one clear line on stderr."""

import os
import random
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import unittest

from mailfw_harness import (ADMIN, MAILFWD, PLUGIN_DIR, TEST_PLUGIN_DIR, free_port, require_binaries,
                            stderr_lines, test_certificate)

# The ABI minor this source tree speaks (sdk/include/mailfw/plugin.h).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "include", "mailfw",
                       "plugin.h")) as _h:
    ABI_MINOR = int(re.search(r"#define MAILFW_ABI_MINOR (\d+)u", _h.read()).group(1))

GOOD = """\
[server]
hostname = mail.example.test
load = store-sqlite
load = deliver-maildir
load = sasl-login
load = sasl-plain

[listener.submission]
bind = 127.0.0.1:{port}
role = gateway
tls = none
auth = optional

[store-sqlite]
path = users.db
pbkdf2_iterations = 300000

[deliver-maildir]
root = maildir
"""


class StartupErrors(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        require_binaries()
        self.dir = tempfile.mkdtemp(prefix="mailfw-startup-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.port = free_port()

    def write(self, text, name="mailfwd.conf"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text.format(port=self.port))
        return path

    def line_of(self, path, needle):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if needle in line:
                    return n
        raise AssertionError("%r not in %s" % (needle, path))

    def run_mailfwd(self, *args, timeout=20):
        p = subprocess.Popen([MAILFWD] + list(args), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=self.dir,
                             text=True)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            self.fail("mailfwd %s did not exit (it should have refused to start);"
                      " stderr:\n%s" % (" ".join(args), err))
        return p.returncode, out, err

    def assertRefused(self, config, *patterns, check_only_too=True):
        """Both --check-config and a real start exit 1 with one 'mailfwd: ' line matching all patterns."""
        modes = [("--check-config",), ()] if check_only_too else [()]
        lines = None
        for extra in modes:
            rc, out, err = self.run_mailfwd("--config", config, *extra)
            lines = stderr_lines(err)
            what = "mailfwd --config %s %s" % (config, " ".join(extra))
            self.assertEqual(rc, 1, "%s: exit %d; stderr:\n%s" % (what, rc, err))
            self.assertEqual(len(lines), 1, "%s: exactly one stderr line wanted, got:\n%s" % (what, err))
            self.assertTrue(lines[0].startswith("mailfwd: "), lines[0])
            self.assertNotIn("configuration OK", out)
            for p in patterns:
                self.assertRegex(lines[0], p)
        # Nothing was left listening.
        with socket.socket() as s:
            self.assertNotEqual(s.connect_ex(("127.0.0.1", self.port)), 0,
                                "a refused start must not leave a listener behind")
        return lines[0]

    # -- the good case first, so that every refusal below is about its one change --------
    def test_good_config_checks(self):
        conf = self.write(GOOD)
        rc, out, err = self.run_mailfwd("--config", conf, "--check-config")
        self.assertEqual(rc, 0, err)
        self.assertIn("configuration OK", out + err)

    def test_version(self):
        rc, out, err = self.run_mailfwd("--version")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"mailfw\S*\s+\d+\.\d+\.\d+")

    def test_help_plugin(self):
        rc, out, err = self.run_mailfwd("--help-plugin", "store-sqlite")
        self.assertEqual(rc, 0, err)
        self.assertIn("path", out)
        self.assertIn("pbkdf2_iterations", out)
        rc, out, err = self.run_mailfwd("--help-plugin", "deliver-maildir")
        self.assertEqual(rc, 0, err)
        self.assertIn("root", out)
        rc, out, err = self.run_mailfwd("--help-plugin", "no-such-plugin")
        self.assertNotEqual(rc, 0)
        self.assertEqual(len(stderr_lines(err)), 1, err)
        self.assertTrue(err.startswith("mailfwd: "), err)

    # -- plugin sections ---------------------------------------------------------------------
    def test_mistyped_plugin_key(self):
        conf = self.write(GOOD.replace("path = users.db", "pth = users.db"))
        line = self.line_of(conf, "pth = ")
        msg = self.assertRefused(conf, re.escape("%s:%d" % (conf, line)), r"did you mean 'path'")
        self.assertIn("pth", msg)

    def test_mistyped_core_key(self):
        conf = self.write(GOOD.replace("role = gateway", "rol = gateway"))
        line = self.line_of(conf, "rol = ")
        self.assertRefused(conf, re.escape("%s:%d" % (conf, line)), r"did you mean 'role'")

    def test_mistyped_server_key(self):
        conf = self.write(GOOD.replace("hostname =", "hostnme ="))
        line = self.line_of(conf, "hostnme")
        self.assertRefused(conf, re.escape("%s:%d" % (conf, line)), r"did you mean 'hostname'")

    def test_bad_value_type(self):
        conf = self.write(GOOD.replace("pbkdf2_iterations = 300000", "pbkdf2_iterations = many"))
        line = self.line_of(conf, "pbkdf2_iterations")
        self.assertRefused(conf, re.escape("%s:%d" % (conf, line)), r"pbkdf2_iterations")

    def test_bad_choice(self):
        conf = self.write(GOOD.replace("tls = none", "tls = sometimes"))
        line = self.line_of(conf, "tls = ")
        self.assertRefused(conf, re.escape("%s:%d" % (conf, line)), r"starttls")

    def test_bad_duration(self):
        conf = self.write(GOOD.replace("[server]\n", "[server]\nshutdown_grace = soon\n"))
        line = self.line_of(conf, "shutdown_grace = soon")
        self.assertRefused(conf, re.escape("%s:%d" % (conf, line)), r"expected a duration")

    def test_listener_limit_keys_moved_to_their_plugins(self):
        # One owner per limit (1.2): the old listener keys name the plugin and key to use.
        for key, plugin, new in (("idle_timeout = 5m", "limit-timers", "inactivity_timeout"),
                                 ("max_message_size = 10MiB", "limit-size", "max_message_size")):
            conf = self.write(GOOD.replace("auth = optional", "auth = optional\n" + key))
            line = self.line_of(conf, key)
            self.assertRefused(conf, re.escape("%s:%d" % (conf, line)), re.escape("load %s" % plugin),
                               re.escape("set %s in [%s]" % (new, plugin)))

    def test_bad_bind(self):
        conf = self.write(GOOD.replace("bind = 127.0.0.1:{port}", "bind = 127.0.0.1"))
        line = self.line_of(conf, "bind = ")
        self.assertRefused(conf, re.escape("%s:%d" % (conf, line)))

    def test_section_of_plugin_not_loaded(self):
        conf = self.write(GOOD + "\n[sasl-gssapi]\nkeytab = /etc/krb5.keytab\n")
        self.assertRefused(conf, re.escape(conf), r"sasl-gssapi")

    def test_no_listener(self):
        text = GOOD[:GOOD.index("[listener.submission]")] + GOOD[GOOD.index("[store-sqlite]"):]
        conf = self.write(text)
        self.assertRefused(conf, re.escape(conf), r"listener")

    def test_missing_config_file(self):
        missing = os.path.join(self.dir, "does-not-exist.conf")
        self.assertRefused(missing, re.escape(missing))

    # -- plugins ---------------------------------------------------------------------------------
    def test_unknown_plugin(self):
        conf = self.write(GOOD.replace("load = sasl-plain", "load = sasl-plian"))
        msg = self.assertRefused(conf, r"sasl-plian")
        # It names where it looked, so the operator can fix plugin_dir.
        self.assertTrue(os.path.realpath(PLUGIN_DIR) in msg or PLUGIN_DIR in msg
                        or "lib/mailfw/plugins" in msg, msg)

    def test_unknown_plugin_in_given_dir(self):
        conf = self.write(GOOD.replace("[server]\n", "[server]\nplugin_dir = %s\nplugin_dir = %s\n"
                                       % (PLUGIN_DIR, self.dir)).replace(
                                           "load = sasl-plain", "load = nope"))
        msg = self.assertRefused(conf, r"\bnope\b")
        self.assertIn(self.dir, msg)

    def test_wrong_abi_major(self):
        so = os.path.join(TEST_PLUGIN_DIR, "wrong-abi-major.so")
        self.assertTrue(os.path.exists(so), "fixture plugin %s is not built" % so)
        conf = self.write(GOOD.replace(
            "[server]\n", "[server]\nplugin_dir = %s\nplugin_dir = %s\n"
            % (PLUGIN_DIR, TEST_PLUGIN_DIR)).replace(
                "load = sasl-plain", "load = sasl-plain\nload = wrong-abi-major"))
        msg = self.assertRefused(conf, r"wrong-abi-major", r"\b2\.%d\b" % ABI_MINOR, r"\b1\.%d\b" % ABI_MINOR)
        self.assertIn("ABI", msg)

    def test_not_a_shared_library(self):
        bogus = os.path.join(self.dir, "plugins")
        os.mkdir(bogus)
        with open(os.path.join(bogus, "bogus.so"), "w") as f:
            f.write("this is not an ELF file\n")
        conf = self.write(GOOD.replace("[server]\n", "[server]\nplugin_dir = %s\nplugin_dir = %s\n"
                                       % (PLUGIN_DIR, bogus)).replace(
                                           "load = sasl-plain", "load = sasl-plain\nload = bogus"))
        self.assertRefused(conf, r"bogus")

    def with_fixture_dir(self, *loads):
        for n in loads:
            so = os.path.join(TEST_PLUGIN_DIR, n + ".so")
            self.assertTrue(os.path.exists(so), "fixture plugin %s is not built" % so)
        extra = "".join("\nload = %s" % n for n in loads)
        return self.write(GOOD.replace(
            "[server]\n", "[server]\nplugin_dir = %s\nplugin_dir = %s\n"
            % (PLUGIN_DIR, TEST_PLUGIN_DIR)).replace("load = sasl-plain", "load = sasl-plain" + extra))

    # -- damaged plugin files: one line, never a crash inside dlopen --------------------------
    def damaged_copy(self, damage):
        """A plugin directory, searched first, holding a damaged copy of sasl-login."""
        d = os.path.join(self.dir, "damaged")
        os.makedirs(d, exist_ok=True)
        so = os.path.join(d, "sasl-login.so")
        shutil.copy(os.path.join(PLUGIN_DIR, "sasl-login.so"), so)
        with open(so, "rb") as f:
            data = bytearray(f.read())
        damage(data)
        with open(so, "wb") as f:
            f.write(data)
        return self.write(GOOD.replace("[server]\n", "[server]\nplugin_dir = %s\nplugin_dir = %s\n" % (d, PLUGIN_DIR))), d

    def test_truncated_plugin_is_refused_with_one_line(self):
        conf, d = self.damaged_copy(lambda b: b.__delitem__(slice(1000, None)))
        msg = self.assertRefused(conf, r"plugin sasl-login", r"is damaged: truncated", r"reinstall")
        self.assertIn(d, msg)
        # mailfw-admin plugins lists it as damaged instead of dying of SIGBUS.
        r = subprocess.run([ADMIN, "--config", conf, "plugins"], capture_output=True, text=True, timeout=30)
        self.assertGreaterEqual(r.returncode, 0, "mailfw-admin died of signal %d" % -r.returncode)
        self.assertIn("is damaged: truncated", r.stdout + r.stderr)

    def test_damaged_dynamic_section_is_refused(self):
        def wreck_dynamic(b):
            phoff = struct.unpack_from("<Q", b, 0x20)[0]
            phnum = struct.unpack_from("<H", b, 0x38)[0]
            for i in range(phnum):
                ptype, _flags, off, _va, _pa, filesz = struct.unpack_from("<IIQQQQ", b, phoff + 56 * i)
                if ptype == 2:  # PT_DYNAMIC
                    b[off:off + filesz] = b"\xff" * filesz
        conf, _ = self.damaged_copy(wreck_dynamic)
        self.assertRefused(conf, r"plugin sasl-login", r"is damaged")

    def test_flipped_bytes_never_crash_start_up(self):
        # 200 bytes flipped anywhere: refused with one line, or harmless
        # (the flips missed anything the loader reads) -- never a signal.
        for seed in range(1, 9):
            def flip(b, seed=seed):
                rnd = random.Random(seed)
                for _ in range(200):
                    k = rnd.randrange(64, len(b))
                    b[k] ^= 0xFF
            conf, _ = self.damaged_copy(flip)
            rc, out, err = self.run_mailfwd("--config", conf, "--check-config")
            self.assertGreaterEqual(rc, 0, "seed %d: mailfwd died of signal %d; stderr:\n%s" % (seed, -rc, err))
            if rc != 0 and "sasl-login" in err and "is damaged" in err:
                self.assertEqual(len(stderr_lines(err)), 1, "seed %d: %s" % (seed, err))

    def test_fixture_not_a_library(self):
        self.assertRefused(self.with_fixture_dir("not-a-library"), r"not-a-library")

    def test_no_entry_symbol(self):
        self.assertRefused(self.with_fixture_dir("no-entry"), r"no-entry", r"mailfw_plugin_entry")

    def test_newer_minor(self):
        self.assertRefused(self.with_fixture_dir("newer-minor"), r"newer-minor", r"\b1\.%d\b" % (ABI_MINOR + 1),
                           r"\b1\.%d\b" % ABI_MINOR)

    def test_two_plugins_one_mechanism(self):
        self.assertRefused(self.with_fixture_dir("dup-mech-a", "dup-mech-b"), r"X-DUP")

    def test_same_plugin_twice(self):
        conf = self.write(GOOD.replace("load = sasl-plain", "load = sasl-plain\nload = sasl-plain"))
        self.assertRefused(conf, r"sasl-plain")

    # -- TLS -------------------------------------------------------------------------------------
    def test_starttls_without_tls_section(self):
        conf = self.write(GOOD.replace("tls = none", "tls = starttls"))
        self.assertRefused(conf, re.escape(conf), r"\[tls\]|certificate")

    def test_tls_certificate_missing_file(self):
        conf = self.write(GOOD.replace("tls = none", "tls = starttls")
                          + "\n[tls]\ncertificate = nothere.pem\nkey = nothere-key.pem\n")
        self.assertRefused(conf, r"nothere")

    def test_tls_good(self):
        cert, key = test_certificate()
        conf = self.write(GOOD.replace("tls = none", "tls = starttls")
                          + "\n[tls]\ncertificate = %s\nkey = %s\n" % (cert, key))
        rc, out, err = self.run_mailfwd("--config", conf, "--check-config")
        self.assertEqual(rc, 0, err)
        self.assertIn("configuration OK", out + err)

    # -- the port ---------------------------------------------------------------------------------
    def test_port_in_use(self):
        with socket.socket() as busy:
            busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            conf = self.write(GOOD.replace("{port}", str(port)))
            rc, out, err = self.run_mailfwd("--config", conf)
            lines = stderr_lines(err)
            self.assertEqual(rc, 1, err)
            self.assertEqual(len(lines), 1, err)
            self.assertTrue(lines[0].startswith("mailfwd: "), lines[0])
            self.assertIn("127.0.0.1:%d" % port, lines[0])


if __name__ == "__main__":
    unittest.main()
