"""The threading contract under load (plugin.h): plugins use the session
services (timers, notes) from calls that run on the worker pools -- a SASL
step (fixture-mechs' X-TOKEN) and a blocking delivery with its RCPT-time
claim (fixture-deliver) -- while timers fall due on the session's strand.
Many sessions at once must all succeed, and the server must stay up and
stop cleanly. Run under a sanitizer build (ASan/TSan) this is the race test."""

import os
import shutil
import tempfile
import threading
import unittest

from mailfw_harness import PLUGIN_DIR, PLUGINS, TEST_PLUGIN_DIR, SharedServerTestCase, b64

SESSIONS, PER_SESSION = 16, 4


class SessionServicesFromWorkerThreads(SharedServerTestCase):
    side = tempfile.mkdtemp(prefix="mailfw-threads-")
    server_kwargs = dict(
        loads=list(PLUGINS) + ["fixture-mechs", "fixture-deliver"],
        plugin_dirs=[PLUGIN_DIR, TEST_PLUGIN_DIR],
        extra_sections={"fixture-deliver": {"dir": side, "domains": "side.test"}},
        # Two network threads too (the default is half the cores): sessions
        # on both event loops at once, each deferring its log lines.
        server={"threads": 2, "auth_threads": 2, "delivery_threads": 2, "log_level": "info"})

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.side, ignore_errors=True)

    def one_client(self, n, errors):
        try:
            for i in range(PER_SESSION):
                c = self.srv.connect()
                try:
                    if c.ehlo().code != 250:
                        raise AssertionError("EHLO")
                    # A continuation: two steps, each setting a note and a timer.
                    r = c.cmd("AUTH X-TOKEN")
                    if r.code != 334:
                        raise AssertionError("AUTH: %r" % (r,))
                    r = c.cmd(b64("T" * (100 + n)))
                    if r.code != 235:
                        raise AssertionError("token: %r" % (r,))
                    for cmd, want in (("MAIL FROM:<s@example.test>", 250), ("RCPT TO:<u%d-%d@side.test>" % (n, i), 250),
                                      ("RCPT TO:<v%d-%d@side.test>" % (n, i), 250), ("DATA", 354)):
                        r = c.cmd(cmd)
                        if r.code != want:
                            raise AssertionError("%s: %r" % (cmd, r))
                    c.send(b"Subject: load\r\n\r\nbody\r\n.\r\n")
                    r = c.read_reply()
                    if r.code != 250:
                        raise AssertionError("end of data: %r" % (r,))
                    c.cmd("QUIT")
                finally:
                    c.close()
        except Exception as e:  # reported by the main thread
            errors.append("client %d: %s" % (n, e))

    def test_many_sessions_use_timers_and_notes_from_worker_calls(self):
        errors = []
        threads = [threading.Thread(target=self.one_client, args=(n, errors)) for n in range(SESSIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads), "clients hung")
        self.assertEqual(errors, [])
        stored = [f for f in os.listdir(self.side) if f != "discards"]
        self.assertEqual(len(stored), SESSIONS * PER_SESSION)
        # The step's timer read the step's note on the strand, after the step returned.
        self.wait_until(lambda: "X-TOKEN timer saw note" in self.srv.read_log(), 5.0, "a timer fired after a step")
        self.assertIsNone(self.srv.died())


if __name__ == "__main__":
    unittest.main()
