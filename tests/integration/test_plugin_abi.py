"""The built plugins as a linker sees them: one dynamic symbol each; plugin.h is strict C99."""

import glob
import os
import shutil
import subprocess
import tempfile
import unittest

from mailfw_harness import HERE, PLUGIN_DIR, PLUGINS, require_binaries

SDK_INCLUDE = os.path.abspath(os.path.join(HERE, "..", "..", "sdk", "include"))


def dynamic_symbols(path):
    r = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise AssertionError("nm -D %s failed: %s" % (path, r.stderr))
    return [l.split()[-1] for l in r.stdout.splitlines() if l.strip()]


@unittest.skipUnless(shutil.which("nm"), "nm (binutils) not installed")
class PluginSymbols(unittest.TestCase):
    def setUp(self):
        require_binaries()

    def test_each_plugin_exports_one_symbol(self):
        found = sorted(glob.glob(os.path.join(PLUGIN_DIR, "*.so")))
        names = [os.path.basename(p)[:-3] for p in found]
        for n in PLUGINS:
            self.assertIn(n, names)
        for p in found:
            with self.subTest(plugin=os.path.basename(p)):
                self.assertEqual(dynamic_symbols(p), ["mailfw_plugin_entry"])

    def test_plugins_need_no_host_symbols(self):
        # Plugins reach the host only through the services table: nothing
        # undefined may point into mailfwd (only libc/libstdc++/libssl/... ).
        for p in sorted(glob.glob(os.path.join(PLUGIN_DIR, "*.so"))):
            r = subprocess.run(["nm", "-D", "--undefined-only", p], capture_output=True,
                               text=True, timeout=30)
            with self.subTest(plugin=os.path.basename(p)):
                bad = [l for l in r.stdout.split() if "mailfw" in l.lower()]
                self.assertEqual(bad, [])


@unittest.skipUnless(shutil.which("cc"), "no C compiler")
class SdkHeader(unittest.TestCase):
    def test_plugin_h_is_strict_c99(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "t.c")
            with open(src, "w") as f:
                f.write('#include <mailfw/plugin.h>\n'
                        'int main(void) { mailfw_plugin p; p.struct_size = sizeof p;'
                        ' return (int)(p.struct_size == 0); }\n')
            r = subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                                "-I", SDK_INCLUDE, "-c", src, "-o", os.path.join(d, "t.o")],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
