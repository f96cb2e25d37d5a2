"""At connect: limit-connections (ConnectionCountPerSource and
ConnectionCountExceeded, 421 4.3.2; NewConnectionNotAvailable, 421 4.4.2) and
limit-resources (OutOfResources, 452 4.3.1). Other loopback addresses
(127.0.0.2 and up) are other sources."""

import os
import tempfile
import unittest

from mailfw_harness import PLUGIN_DIR, PLUGINS, TEST_PLUGIN_DIR, MailfwTestCase, SmtpClient

CONNECTIONS = PLUGINS + ("limit-connections",)


class Connections(MailfwTestCase):
    def open_from(self, srv, source, n):
        out = []
        for _ in range(n):
            c = srv.connect(source=source)
            self.addCleanup(c.close)
            self.assertEqual(c.greeting.code, 220, c.greeting)
            out.append(c)
        return out

    def refused(self, srv, source):
        c = srv.connect(source=source)
        self.addCleanup(c.close)
        return c

    def test_the_21st_connection_from_one_source(self):
        srv = self.start_server(loads=CONNECTIONS)
        held = self.open_from(srv, "127.0.0.1", 20)
        c = self.refused(srv, "127.0.0.1")
        self.assertReply(c.greeting, 421, "4.3.2")
        self.assertIn("Too many connections from 127.0.0.1 (limit 20)", c.greeting.last)
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("ConnectionCountPerSource: 421 4.3.2", srv))
        # Another source is served; and a slot given back is free again.
        self.open_from(srv, "127.0.0.2", 1)
        held[0].cmd("QUIT")
        self.assertTrue(held[0].is_closed())
        self.wait_until(lambda: self.try_greeting(srv, "127.0.0.1") == 220, what="a freed slot")

    def try_greeting(self, srv, source):
        c = srv.connect(source=source)
        self.addCleanup(c.close)
        return c.greeting.code

    def test_the_connection_over_the_global_cap(self):
        srv = self.start_server(loads=CONNECTIONS, extra_sections={"limit-connections": {
            "max_inbound_connections": 5, "exempt": "127.0.9.0/24"}})
        for i in range(5):
            self.open_from(srv, "127.0.0.%d" % (2 + i), 1)
        c = self.refused(srv, "127.0.0.20")
        self.assertReply(c.greeting, 421, "4.3.2")
        self.assertIn("Too many connections (limit 5)", c.greeting.last)
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("ConnectionCountExceeded: 421 4.3.2", srv))
        # Exempt networks are neither counted nor refused.
        self.open_from(srv, "127.0.9.1", 3)

    def test_refused_connections_give_their_count_back(self):
        srv = self.start_server(loads=CONNECTIONS, extra_sections={"limit-connections": {
            "max_connections_per_source": 2}})
        first = self.open_from(srv, "127.0.0.3", 2)
        for _ in range(10):  # refusals must not pile up in the count
            c = self.refused(srv, "127.0.0.3")
            self.assertReply(c.greeting, 421, "4.3.2")
            self.assertTrue(c.is_closed())
        for c in first:
            c.cmd("QUIT")
            self.assertTrue(c.is_closed())
        self.wait_until(lambda: self.try_greeting(srv, "127.0.0.3") == 220, what="the slots given back")
        self.open_from(srv, "127.0.0.3", 1)

    def test_new_connection_not_available_while_the_delivery_is_down(self):
        work = tempfile.mkdtemp(prefix="mailfw-avail-")
        self.addCleanup(lambda: __import__("shutil").rmtree(work, True))
        flag = os.path.join(work, "down")
        srv = self.start_server(loads=CONNECTIONS + ("fixture-deliver",), plugin_dirs=[PLUGIN_DIR, TEST_PLUGIN_DIR],
                                extra_sections={"fixture-deliver": {"dir": work, "domains": "side.test",
                                                                    "unavailable_flag": flag}})
        self.assertEqual(self.try_greeting(srv, "127.0.0.1"), 220)
        open(flag, "w").close()
        c = self.refused(srv, "127.0.0.1")
        self.assertReply(c.greeting, 421, "4.4.2")
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("NewConnectionNotAvailable: 421 4.4.2", srv))
        os.unlink(flag)
        self.assertEqual(self.try_greeting(srv, "127.0.0.1"), 220)


class Resources(MailfwTestCase):
    def test_the_free_disk_threshold(self):
        srv = self.start_server(loads=PLUGINS + ("limit-resources",),
                                extra_sections={"limit-resources": {"min_free_disk": "100%"}})
        c = srv.connect()
        self.addCleanup(c.close)
        self.assertReply(c.greeting, 452, "4.3.1")
        self.assertIn("Insufficient system storage", c.greeting.last)
        self.assertTrue(c.is_closed())
        self.assertTrue(self.wait_for_log("OutOfResources: 452 4.3.1", srv))

    def test_kept_open_when_configured(self):
        srv = self.start_server(loads=PLUGINS + ("limit-resources",),
                                extra_sections={"limit-resources": {"min_free_disk": "100%", "disconnect": False}})
        c = srv.connect()
        self.addCleanup(c.close)
        self.assertReply(c.greeting, 452, "4.3.1")
        self.assertReply(c.cmd("EHLO x.example"), 503, msg="a refused greeting takes only QUIT")
        self.assertReply(c.cmd("QUIT"), 221)

    def test_enough_space_passes(self):
        srv = self.start_server(loads=PLUGINS + ("limit-resources",),
                                extra_sections={"limit-resources": {"min_free_disk": "1MiB", "min_free_memory": "1%"}})
        c = srv.connect()
        self.addCleanup(c.close)
        self.assertReply(c.greeting, 220)

    def test_a_bad_threshold_stops_start_up(self):
        srv = self.make_server(loads=PLUGINS + ("limit-resources",),
                               extra_sections={"limit-resources": {"min_free_disk": "lots"}})
        r = srv.admin("user", "list")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("expected a size like 500MiB or a percentage like 5%", r.stderr)


if __name__ == "__main__":
    unittest.main()
