"""Nothing acknowledged is lost when mailfwd is killed (SIGKILL) under load:
every message a client got 250 for is complete in its Maildir's new/, with
deliver-maildir's fsync on. Clients on several threads send without pause
until the kill; what they had not been acknowledged may or may not be there
(the client will retry it), but never half a message in new/. The server
then starts again on the same directories. A guard for the spool and group
commit work of issue 8."""

import os
import re
import signal
import threading
import time

from mailfw_harness import MailfwTestCase, SmtpClient, dot_stuff

CLIENTS = 6
LOAD_SECONDS = 1.5
MESSAGES_EACH = 10


class KilledUnderLoad(MailfwTestCase):
    def test_every_acknowledged_message_survives(self):
        srv = self.start_server(deliver={"fsync": True})
        acked = []        # (thread, n) with a 250 to their DATA
        lock = threading.Lock()
        stop = threading.Event()

        def client(t):
            n = 0
            try:
                c = SmtpClient(srv.port, timeout=10)  # reads the greeting
                c.cmd("EHLO durable%d.example.test" % t)
                while not stop.is_set():
                    n += 1
                    if not c.cmd("MAIL FROM:<load@example.test>").code == 250:
                        return
                    if not c.cmd("RCPT TO:<durable@example.test>").code == 250:
                        return
                    if not c.cmd("DATA").code == 354:
                        return
                    body = b"Subject: m-%d-%d\r\n\r\n" % (t, n) + b"line of text\r\n" * 200 + b"end-%d-%d\r\n" % (t, n)
                    c.send(dot_stuff(body) + b".\r\n")
                    if c.read_reply().code == 250:
                        with lock:
                            acked.append((t, n))
            except Exception:  # noqa: BLE001 -- the kill ends the session, in whatever way the client notices
                return

        threads = [threading.Thread(target=client, args=(t,)) for t in range(CLIENTS)]
        for th in threads:
            th.start()
        time.sleep(LOAD_SECONDS)
        srv.signal(signal.SIGKILL)
        stop.set()
        for th in threads:
            th.join(30)
        srv.wait(10)
        self.assertGreater(len(acked), 20, "the load never got going")

        new = os.path.join(srv.mailbox("durable@example.test"), "new")
        stored = {}
        for name in os.listdir(new):
            with open(os.path.join(new, name), "rb") as f:
                data = f.read()
            m = re.search(rb"Subject: m-(\d+)-(\d+)\r\n", data)
            self.assertTrue(m, "a file in new/ without its header: %s" % name)
            t, n = int(m.group(1)), int(m.group(2))
            self.assertTrue(data.endswith(b"end-%d-%d\r\n" % (t, n)), "a truncated message in new/: %s" % name)
            stored[(t, n)] = True
        lost = [k for k in acked if k not in stored]
        self.assertEqual(lost, [], "acknowledged but not in new/ (of %d acknowledged, %d stored)"
                         % (len(acked), len(stored)))

        # And it starts again on the same spool and Maildirs.
        srv.restart()
        c = self.connect(srv)
        self.assertReply(c.ehlo(), 250)


class GroupCommit(MailfwTestCase):
    """Every 250 of deliver-maildir waits for the host's group commit, and
    the server says at its stop how many it made durable in how many syncs."""

    def test_every_message_goes_through_the_commit(self):
        srv = self.start_server(deliver={"fsync": True})
        failures = []

        def client(t):
            try:
                c = SmtpClient(srv.port, timeout=10)
                c.cmd("EHLO commit%d.example.test" % t)
                for n in range(MESSAGES_EACH):
                    for line, want in (("MAIL FROM:<load@example.test>", 250), ("RCPT TO:<commit@example.test>", 250),
                                       ("DATA", 354)):
                        got = c.cmd(line).code
                        if got != want:
                            failures.append((t, n, line, got))
                            return
                    c.send(b"Subject: c-%d-%d\r\n\r\nbody\r\n.\r\n" % (t, n))
                    got = c.read_reply().code
                    if got != 250:
                        failures.append((t, n, "end of DATA", got))
                c.cmd("QUIT")
            except Exception as e:  # noqa: BLE001
                failures.append((t, repr(e)))

        threads = [threading.Thread(target=client, args=(t,)) for t in range(CLIENTS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        self.assertEqual(failures, [])
        new = os.path.join(srv.mailbox("commit@example.test"), "new")
        self.assertEqual(len(os.listdir(new)), CLIENTS * MESSAGES_EACH)
        self.assertEqual(srv.stop(), 0)
        m = re.search(r"group commit: (\d+) request\(s\) made durable in (\d+) batch\(es\)", srv.read_log())
        self.assertTrue(m, srv.read_log()[-2000:])
        requests, batches = int(m.group(1)), int(m.group(2))
        self.assertEqual(requests, CLIENTS * MESSAGES_EACH)
        self.assertGreaterEqual(batches, 1)
        self.assertLessEqual(batches, requests)
