"""The plugin example in README.md compiles against the SDK, loads, and works."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from mailfw_harness import HERE, PLUGIN_DIR, MailfwServer, MailfwTestCase, run, stderr_lines, MAILFWD

README = os.path.abspath(os.path.join(HERE, "..", "..", "README.md"))
SDK_INCLUDE = os.path.abspath(os.path.join(HERE, "..", "..", "sdk", "include"))
VERSION_SCRIPT = os.path.abspath(os.path.join(HERE, "..", "..", "sdk", "cmake", "plugin-exports.map"))


def example_source():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"<!-- example-plugin:begin -->\s*```cpp\n(.*?)```\s*<!-- example-plugin:end -->",
                  text, re.S)
    if not m:
        raise AssertionError("README.md has no example-plugin block")
    return m.group(1)


@unittest.skipUnless(shutil.which("g++"), "g++ not installed")
class ReadmePlugin(MailfwTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mailfw-readme-plugin-")
        src = os.path.join(cls.dir, "plugin.cpp")
        with open(src, "w") as f:
            f.write(example_source())
        cls.so = os.path.join(cls.dir, "store-static.so")
        # The command line the README gives.
        r = subprocess.run(["g++", "-std=c++20", "-O2", "-fPIC", "-shared", "-fvisibility=hidden",
                            "-fvisibility-inlines-hidden", "-Wl,--version-script=" + VERSION_SCRIPT,
                            "-Wall", "-Wextra", "-Werror", "-I", SDK_INCLUDE, "-o", cls.so, src,
                            "-lcrypto"], capture_output=True, text=True, timeout=180)
        cls.build_error = None if r.returncode == 0 else r.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    def setUp(self):
        self.assertIsNone(self.build_error, "the README example does not compile:\n%s"
                          % self.build_error)

    def test_exports_one_symbol(self):
        r = run(["nm", "-D", "--defined-only", self.so])
        self.assertEqual([l.split()[-1] for l in r.stdout.splitlines() if l.strip()],
                         ["mailfw_plugin_entry"])

    def test_loads_and_authenticates(self):
        srv = self.start_server(
            loads=["store-static", "deliver-maildir", "sasl-plain"],
            plugin_dirs=[PLUGIN_DIR, self.dir],
            extra_sections={"store-static": {"user": "static", "password": "Static-Pass-1"}})
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.auth_plain("static", "wrong-password"), 535, "5.7.8")
        self.assertReply(c.auth_plain("someone", "Static-Pass-1"), 535, "5.7.8")
        self.assertReply(c.auth_plain("static", "Static-Pass-1"), 235, "2.7.0")
        r = srv.admin("plugins", check=True)
        self.assertIn("store-static", r.stdout)

    def test_refusals(self):
        srv = self.make_server(
            loads=["store-static", "deliver-maildir", "sasl-plain"],
            plugin_dirs=[PLUGIN_DIR, self.dir],
            extra_sections={"store-static": {"user": "static", "pasword": "Static-Pass-1"}})
        r = run([MAILFWD, "--config", srv.config, "--check-config"])
        lines = stderr_lines(r.stderr)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("did you mean 'password'", lines[0])

        srv = self.make_server(
            loads=["store-static", "deliver-maildir", "sasl-plain"],
            plugin_dirs=[PLUGIN_DIR, self.dir],
            extra_sections={"store-static": {"user": "static", "password": "short"}})
        r = run([MAILFWD, "--config", srv.config, "--check-config"])
        lines = stderr_lines(r.stderr)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("password needs 8 characters", lines[0])


if __name__ == "__main__":
    unittest.main()
