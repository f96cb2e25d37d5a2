"""sasl-gssapi (MS-SSEAN) against a real MIT realm started for this test:
raw RFC 4752 Kerberos from curl and gsasl, the exact replies and log lines,
the failures (535, the session stays usable, limit-protocol-errors counts
them), and the start-up refusals of a bad keytab."""

import base64
import os
import subprocess
import time
import unittest

try:  # the scripted clients below (python3-gssapi, installed by the test command)
    import gssapi
except ImportError:
    gssapi = None

from krb5_realm import REALM, Realm, tools_missing
from mailfw_harness import BUILD_DIR, PLUGINS, MailfwServer, MailfwTestCase, b64

SASL_CLIENT = os.path.join(BUILD_DIR, "tests", "mailfw-test-sasl-client")

GSSAPI = PLUGINS + ("sasl-gssapi", "limit-protocol-errors")

# Outside CI a machine without the Kerberos tools skips these; in CI (CI=true,
# where the test command installs them) a missing tool fails instead of
# passing silently.
_IN_CI = bool(os.environ.get("CI"))
MISSING = bool(tools_missing()) and not _IN_CI
MISSING_FOR_SCRIPTS = (bool(tools_missing()) or gssapi is None) and not _IN_CI
MISSING_WHY = "Kerberos tools or python3-gssapi missing (the test command installs them)"


class RealmAndServer(MailfwTestCase):
    """A realm with alice holding a ticket and, unless `server_kwargs` is
    None, one mailfwd with sasl-gssapi for the whole class."""
    principals = {"alice": "alice-krb-pw"}
    initiator_env = False  # this process is a GSS-API client too (python3-gssapi)
    server_kwargs = {}
    gssapi_section = {}  # more keys for [sasl-gssapi]

    @classmethod
    def setUpClass(cls):
        cls.realm = Realm(principals=cls.principals)
        if cls.initiator_env:
            os.environ.update(cls.realm.env())
        cls.srv = None
        try:
            if not cls.realm.kinit("alice"):
                raise AssertionError("kinit alice failed: " + cls.realm.kdc_log())
            if cls.server_kwargs is not None:
                kw = dict(cls.server_kwargs)
                kw.setdefault("loads", GSSAPI)
                kw["extra_sections"] = {"sasl-gssapi": dict({"keytab": cls.realm.keytab, "hostname": "localhost"},
                                                            **cls.gssapi_section)}
                cls.srv = MailfwServer(env=cls.realm.server_env(), **kw)
                cls.srv.start()
        except Exception:
            if cls.srv:
                cls.srv.cleanup()
            cls.realm.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        rc = 0
        log = ""
        if cls.srv:
            rc = cls.srv.stop()
            log = cls.srv.read_log()
            cls.srv.cleanup()
        cls.realm.stop()
        if rc != 0:
            raise AssertionError("mailfwd did not exit 0 on SIGTERM: %s\n%s" % (rc, log[-3000:]))

    def setUp(self):
        if self.srv:
            self.server = self.srv


@unittest.skipIf(MISSING, MISSING_WHY)
class Gssapi(RealmAndServer):
    principals = {"alice": "alice-krb-pw", "bob": "bob-krb-pw"}
    server_kwargs = dict(listeners={"test": {}, "relaxed": {"relaxed_auth": True}})

    def session(self):
        c = self.connect()
        r = c.ehlo()
        self.assertReply(r, 250)
        return c, r

    def test_advertised(self):
        _c, r = self.session()
        self.assertIn("GSSAPI", r.keywords().get("AUTH", []))

    def test_empty_challenge_without_initial_response_by_default(self):
        # Not "334 GSSAPI supported" by default: gsasl base64-decodes it (below).
        c, _ = self.session()
        r = c.cmd("AUTH GSSAPI")
        self.assertEqual(r.raw, ["334 "])
        self.assertReply(c.cmd("*"), 501, "5.0.0")
        self.assertReply(c.cmd("NOOP"), 250)

    def test_relaxed_listener_and_curl(self):
        c = self.connect(listener="relaxed")
        self.assertReply(c.ehlo(), 250)
        self.assertEqual(c.cmd("AUTH GSSAPI").last, "334 GSSAPI supported", "MS-OXSMTP 2.2.1 on relaxed_auth = true")
        self.assertReply(c.cmd("*"), 501, "5.0.0")
        self.assertEqual(self.curl_send("relaxed", "relaxed-gssapi@example.test").returncode, 0,
                         "curl ignores the text of the first 334")
        self.assertEqual(len(self.srv.delivered("relaxed-gssapi@example.test")), 1)

    def curl_send(self, listener, rcpt):
        body = os.path.join(self.srv.dir, "curl-message.txt")
        with open(body, "wb") as f:
            f.write(b"Subject: kerberos\r\n\r\nsent with a ticket\r\n")
        return subprocess.run(["curl", "-sS", "smtp://localhost:%d/client.test" % self.srv.ports[listener],
                               "--login-options", "AUTH=GSSAPI", "-u", ":", "--mail-from", "alice@example.test",
                               "--mail-rcpt", rcpt, "-T", body],
                              capture_output=True, text=True, timeout=60, env=self.realm.client_env())

    def test_curl_raw_kerberos_delivers(self):
        r = self.curl_send("test", "gssapi@example.test")
        self.assertEqual(r.returncode, 0, "curl: %s%s\nserver log:\n%s" % (r.stdout, r.stderr, self.srv.read_log()[-3000:]))
        self.assertEqual(len(self.srv.delivered("gssapi@example.test")), 1)
        self.assertTrue(self.wait_for_log("GSSAPI: alice@%s authenticated with Kerberos (Kerberos (RFC 4752))" % REALM),
                        self.srv.read_log()[-3000:])
        self.assertTrue(self.wait_for_log("authenticated as alice with GSSAPI"))

    def test_gsasl_raw_kerberos_with_mutual_authentication(self):
        r = subprocess.run(["gsasl", "--smtp", "--connect", "127.0.0.1:%d" % self.srv.port, "--hostname", "localhost",
                            "-m", "GSSAPI", "--no-starttls", "-a", "alice", "--quiet"],
                           input="", capture_output=True, text=True, timeout=60, env=self.realm.client_env())
        self.assertEqual(r.returncode, 0, "gsasl: %s%s\nserver log:\n%s" % (r.stdout, r.stderr, self.srv.read_log()[-3000:]))
        self.assertTrue(self.wait_for_log("GSSAPI -> 235 2.7.0"), self.srv.read_log()[-3000:])

    def test_garbage_token_is_535_and_the_session_stays_usable(self):
        c, _ = self.session()
        r = c.cmd("AUTH GSSAPI " + b64(b"\x60\x0b\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"))
        self.assertReply(r, 535, "5.7.8")
        self.assertReply(c.cmd("AUTH GSSAPI " + b64(b"not a token at all")), 535, "5.7.8")
        self.assertReply(c.cmd("NOOP"), 250)
        self.assertTrue(self.wait_for_log("authentication failed with GSSAPI: Kerberos (RFC 4752): "))
        self.assertTrue(self.wait_for_log("authentication failed with GSSAPI: not a SPNEGO or Kerberos initial token"))

    def test_bad_base64_is_501(self):
        c, _ = self.session()
        self.assertReply(c.cmd("AUTH GSSAPI"), 334)
        self.assertReply(c.cmd("%%%"), 501, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250)

    def test_failed_logons_count_for_limit_protocol_errors(self):
        c, _ = self.session()
        token = b64(b"\x60\x0b\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02")
        for _ in range(3):
            self.assertReply(c.cmd("AUTH GSSAPI " + token), 535, "5.7.8")
        self.assertReply(c.cmd("AUTH gssapi " + token), 421, "4.7.0", msg="the 4th failure, mechanism in lower case")
        self.assertTrue(c.is_closed())


SPNEGO = "1.3.6.1.5.5.2"
KERBEROS = "1.2.840.113554.1.2.2"


class ScriptedClient:
    """A GSS-API initiator driven by hand, so a test sends exactly the byte
    shapes real clients send (from their source: .NET SmtpClient, Thunderbird,
    curl, gsasl)."""

    def __init__(self, mech, target="smtp@localhost"):
        name = gssapi.Name(target, gssapi.NameType.hostbased_service)
        self.ctx = gssapi.SecurityContext(name=name, mech=gssapi.OID.from_int_seq(mech), usage="initiate",
                                          flags=gssapi.RequirementFlag.mutual_authentication)

    def first(self):
        return b64(self.ctx.step())

    def answer(self, reply):
        """The client's line for a 334: its next token, or empty when done."""
        data = base64.b64decode(reply.last[4:]) if len(reply.last) > 4 else b""
        token = self.ctx.step(data) if not self.ctx.complete else None
        return b64(token) if token else ""

    def layer_answer(self, reply, authzid=b"", echo_mask=False, nul=False):
        offer = self.ctx.unwrap(base64.b64decode(reply.last[4:])).message
        assert offer[0] & 1, offer
        choice = offer[:4] if echo_mask else b"\x01\x00\x00\x00"  # curl echoes the whole offer
        return b64(self.ctx.wrap(choice + authzid + (b"\x00" if nul else b""), False).message)


@unittest.skipIf(MISSING_FOR_SCRIPTS, MISSING_WHY)
class ClientShapes(RealmAndServer):
    """The byte shapes of real clients, over a real socket, with real tickets."""
    initiator_env = True
    server_kwargs = dict(users={"carol": "carol-pw"})

    def session(self):
        c = self.connect()
        self.assertReply(c.ehlo(), 250)
        return c

    def test_dotnet_spnego_lower_case_with_initial_response(self):
        c = self.session()
        g = ScriptedClient(SPNEGO)
        r = c.cmd("AUTH gssapi " + g.first())
        self.assertReply(r, 334, msg="the final NegTokenResp (MS-SSEAN 4.1)")
        self.assertEqual(g.answer(r), "", "SPNEGO + Kerberos completes in one round")
        self.assertTrue(g.ctx.complete, "the client verified the server (mutual authentication)")
        self.assertReply(c.cmd(""), 235, "2.7.0", msg=".NET's empty response")
        self.assertTrue(self.wait_for_log("GSSAPI: alice@%s authenticated with Kerberos (SPNEGO)" % REALM))
        # .NET goes on with a stray AUTH after a 235: refused, the session usable.
        self.assertReply(c.cmd("AUTH login"), 503, "5.5.1")
        self.assertReply(self.send_message(c, "alice@example.test", ["spnego@example.test"],
                                           b"Subject: spnego\r\n\r\nhi\r\n"), 250, "2.0.0")

    def raw_kerberos_until_the_offer(self, c, initial_response):
        g = ScriptedClient(KERBEROS)
        if initial_response:
            r = c.cmd("AUTH GSSAPI " + g.first())
        else:
            self.assertEqual(c.cmd("AUTH GSSAPI").raw, ["334 "])
            r = c.cmd(g.first())
        self.assertReply(r, 334, msg="the acceptor's last token (mutual authentication)")
        self.assertEqual(g.answer(r), "")
        self.assertTrue(g.ctx.complete)
        offer = c.cmd("")  # the empty answer to the last token
        self.assertReply(offer, 334, msg="the wrapped security-layer offer")
        return g, offer

    def test_thunderbird_raw_kerberos_authzid_is_the_user(self):
        c = self.session()
        g, offer = self.raw_kerberos_until_the_offer(c, initial_response=False)
        self.assertReply(c.cmd(g.layer_answer(offer, b"alice")), 235, "2.7.0")

    def test_curl_echoes_the_mask_and_appends_a_nul(self):
        c = self.session()
        g, offer = self.raw_kerberos_until_the_offer(c, initial_response=True)
        self.assertReply(c.cmd(g.layer_answer(offer, b"alice", echo_mask=True, nul=True)), 235, "2.7.0")

    def test_dotnet_layer_step_without_authzid_and_the_full_principal(self):
        for authzid in (b"", ("alice@" + REALM).encode()):
            c = self.session()
            g, offer = self.raw_kerberos_until_the_offer(c, initial_response=True)
            self.assertReply(c.cmd(g.layer_answer(offer, authzid)), 235, "2.7.0", msg=repr(authzid))

    def test_another_authzid_needs_the_stores_permission(self):
        c = self.session()
        g, offer = self.raw_kerberos_until_the_offer(c, initial_response=True)
        self.assertReply(c.cmd(g.layer_answer(offer, b"carol")), 535, "5.7.8")
        self.assertTrue(self.wait_for_log("may not act as carol"))
        self.assertReply(c.cmd("NOOP"), 250)

    def test_a_replayed_token_is_refused(self):
        g = ScriptedClient(KERBEROS)
        token = g.first()
        first = self.session()
        self.assertReply(first.cmd("AUTH GSSAPI " + token), 334)
        again = self.session()
        self.assertReply(again.cmd("AUTH GSSAPI " + token), 535, "5.7.8")
        self.assertTrue(self.wait_for_log("replay"), self.srv.read_log()[-2000:])
        self.assertReply(again.cmd("NOOP"), 250)

    def test_a_cancel_in_the_middle_then_a_fresh_attempt(self):
        c = self.session()
        g = ScriptedClient(KERBEROS)
        self.assertReply(c.cmd("AUTH GSSAPI " + g.first()), 334)
        self.assertReply(c.cmd("*"), 501, "5.0.0")
        # Nothing of the cancelled attempt is left (CVE-2011-1720 class).
        g2 = ScriptedClient(SPNEGO)
        r = c.cmd("AUTH GSSAPI " + g2.first())
        self.assertReply(r, 334)
        g2.answer(r)
        self.assertReply(c.cmd(""), 235, "2.7.0")

    def test_an_expired_ticket_is_refused(self):
        short = "FILE:" + os.path.join(self.realm.dir, "short-cc")
        self.assertTrue(self.realm.kinit("alice", ccache=short, lifetime="2s"))
        os.environ["KRB5CCNAME"] = short
        try:
            token = ScriptedClient(KERBEROS).first()  # made while the ticket is valid
        finally:
            os.environ["KRB5CCNAME"] = self.realm.ccache
        time.sleep(3.5)  # the realm's clockskew is 1 s
        c = self.session()
        self.assertReply(c.cmd("AUTH GSSAPI " + token), 535, "5.7.8")
        # MIT reports whichever check it makes first: the ticket's end, or the
        # authenticator's age against the skew.
        self.wait_until(lambda: "Ticket expired" in self.srv.read_log() or "Clock skew too great" in self.srv.read_log(),
                        what="the GSS status of a stale token in the log")
        self.assertReply(c.cmd("NOOP"), 250)

    def test_a_ticket_for_another_service_is_refused(self):
        self.realm.kadmin("addprinc -randkey imap/localhost@%s" % REALM)
        g = ScriptedClient(KERBEROS, target="imap@localhost")
        c = self.session()
        self.assertReply(c.cmd("AUTH GSSAPI " + g.first()), 535, "5.7.8")
        self.assertReply(c.cmd("NOOP"), 250)


@unittest.skipIf(MISSING, MISSING_WHY)
class OurClientMechanism(RealmAndServer):
    """sasl-gssapi's client side (through the C ABI, mailfw-test-sasl-client)
    against its server side: SPNEGO as MS-SSEAN 3.1.5.1 says, and raw Kerberos."""

    def client(self, *extra, env=None):
        return subprocess.run([SASL_CLIENT, "--plugin", "sasl-gssapi", "--mech", "GSSAPI", "--host", "localhost",
                               "--port", str(self.srv.port), "--set", "server=false"] + list(extra),
                              capture_output=True, text=True, timeout=60, env=env or self.realm.client_env())

    def test_spnego_with_the_ticket_cache(self):
        r = self.client()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("S: 235 2.7.0", r.stdout)
        self.assertTrue(self.wait_for_log("GSSAPI: alice@%s authenticated with Kerberos (SPNEGO)" % REALM))

    def test_raw_kerberos_with_the_layer_step(self):
        r = self.client("--set", "client_mechanism=kerberos", "--authzid", "alice")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count("S: 334"), 2, "the server's token, then the layer offer:\n" + r.stdout)
        self.assertTrue(self.wait_for_log("GSSAPI: alice@%s authenticated with Kerberos (Kerberos (RFC 4752))" % REALM))

    def test_with_a_password_and_no_ticket(self):
        env = self.realm.client_env()
        env["KRB5CCNAME"] = "MEMORY:no-ticket"
        r = self.client("--user", "alice", "--password", "alice-krb-pw", env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # A wrong password: SPNEGO finds no usable mechanism (the server refuses
        # its empty offer); raw Kerberos says why before sending anything.
        r = self.client("--user", "alice", "--password", "wrong", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("S: 235", r.stdout, "a client without credentials never authenticates")
        r = self.client("--user", "alice", "--password", "wrong", "--set", "client_mechanism=kerberos", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("mechanism: ", r.stderr)
        self.assertNotIn("C: AUTH", r.stdout)

    def test_a_server_side_turned_off_is_not_offered(self):
        srv = self.start_server(loads=GSSAPI, env=self.realm.server_env(),
                                extra_sections={"sasl-gssapi": {"server": False}})
        c = self.connect(srv)
        r = c.ehlo()
        self.assertNotIn("GSSAPI", r.keywords().get("AUTH", []))
        self.assertReply(c.cmd("AUTH GSSAPI"), 504, "5.5.4")

    def test_server_side_without_a_keytab_stops_start_up(self):
        srv = self.make_server(loads=GSSAPI, env=self.realm.server_env(), extra_sections={"sasl-gssapi": {}})
        r = srv.admin("user", "list")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("[sasl-gssapi] needs keytab = (the service key) to offer Kerberos; set mechanisms = ntlm for "
                      "NTLM only, or server = false", r.stderr)


SPNEGO_CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spnego_client.py")
NTLM_MECH_LINE = "gssntlmssp_v1 1.3.6.1.4.1.311.2.2.10 /usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so\n"


@unittest.skipIf(MISSING_FOR_SCRIPTS, MISSING_WHY)
class SpnegoNtlm(RealmAndServer):
    """NTLM inside SPNEGO (mechanisms = kerberos ntlm): a client with no
    Kerberos ticket negotiates NTLM -- gss-ntlmssp on the client side, the
    stores' NT hashes (store-sqlite ntlm_hashes) on the server's."""
    server_kwargs = dict(users={"dave": "Dave-Pa55"}, store={"ntlm_hashes": True})
    gssapi_section = {"mechanisms": "kerberos ntlm"}

    def ntlm_env(self, password="Dave-Pa55", user="dave", ticket=False):
        """gss-ntlmssp loaded, its credentials in NTLM_USER_FILE; no ticket
        unless asked for."""
        mech_conf = os.path.join(self.realm.dir, "mech-ntlmssp.conf")
        with open(mech_conf, "w") as f:
            f.write(NTLM_MECH_LINE)
        users = os.path.join(self.realm.dir, "ntlm-user-%s-%s" % (user, password))
        with open(users, "w") as f:
            f.write("TEST:%s:%s\n" % (user, password))
        env = dict(self.realm.client_env(), GSS_MECH_CONFIG=mech_conf, NTLM_USER_FILE=users)
        if not ticket:
            env["KRB5CCNAME"] = "MEMORY:no-ticket"
        return env

    def ntlm_client(self, password="Dave-Pa55", port=None, ticket=False):
        """The gss-ntlmssp initiator (python3-gssapi) in its own process."""
        return subprocess.run(["/usr/bin/python3", SPNEGO_CLIENT, str(port or self.srv.port)],
                              capture_output=True, text=True, timeout=60, env=self.ntlm_env(password, ticket=ticket))

    def test_no_ticket_negotiates_ntlm(self):
        r = self.ntlm_client()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.srv.read_log()[-3000:])
        self.assertIn("mechanism: 1.3.6.1.4.1.311.2.2.10", r.stdout, "the client asserts NTLM")
        self.assertEqual(r.stdout.count("S: 334"), 2, "the CHALLENGE, then the final NegTokenResp with its MIC:\n" + r.stdout)
        self.assertTrue(self.wait_for_log("GSSAPI: dave authenticated with NTLM (SPNEGO, NTLMv2)"),
                        self.srv.read_log()[-3000:])
        self.assertTrue(self.wait_for_log("authenticated as dave with GSSAPI (NTLM)"), self.srv.read_log()[-3000:])

    def test_a_wrong_password_is_535(self):
        r = self.ntlm_client(password="wrong")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("S: 535 5.7.8", r.stdout)
        self.assertTrue(self.wait_for_log("SPNEGO/NTLM: dave: wrong password (NTLMv2)"))

    def test_kerberos_still_wins_with_a_ticket(self):
        r = subprocess.run([SASL_CLIENT, "--plugin", "sasl-gssapi", "--mech", "GSSAPI", "--host", "localhost",
                            "--port", str(self.srv.port), "--set", "server=false"],
                           capture_output=True, text=True, timeout=60, env=self.realm.client_env())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(self.wait_for_log("GSSAPI: alice@%s authenticated with Kerberos (SPNEGO)" % REALM))

    def test_ntlm_only_counter_proposes_ntlm_to_a_client_preferring_kerberos(self):
        # With a ticket the client lists Kerberos first (its optimistic token);
        # a server with mechanisms = ntlm (no keytab needed) answers
        # request-mic + NTLM, and the mechListMICs protect the switch.
        srv = self.start_server(loads=GSSAPI, env=self.realm.server_env(), users={"dave": "Dave-Pa55"},
                                store={"ntlm_hashes": True}, extra_sections={"sasl-gssapi": {"mechanisms": "ntlm"}})
        r = self.ntlm_client(port=srv.port, ticket=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + srv.read_log()[-3000:])
        self.assertIn("mechanism: 1.3.6.1.4.1.311.2.2.10", r.stdout)
        self.assertEqual(r.stdout.count("S: 334"), 3, "request-mic, the CHALLENGE, the final MIC:\n" + r.stdout)
        self.assertTrue(self.wait_for_log("GSSAPI with NTLM inside SPNEGO only (mechanisms = ntlm)", srv))
        self.assertTrue(self.wait_for_log("authenticated as dave with GSSAPI (NTLM)", srv))
        # Raw Kerberos is Kerberos: refused there.
        c = self.connect(srv)
        self.assertReply(c.ehlo(), 250)
        self.assertReply(c.cmd("AUTH GSSAPI " + b64(b"\x60\x0b\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02")),
                         535, "5.7.8")
        self.assertTrue(self.wait_for_log("raw Kerberos refused (mechanisms = ntlm)", srv))

    def test_our_client_falls_back_to_ntlm_only_when_allowed(self):
        # dave has no principal: Kerberos cannot get a ticket with his
        # password, gss-ntlmssp can make NTLM credentials from it.
        def client(*extra):
            env = self.ntlm_env()
            env["ASAN_OPTIONS"] = "detect_leaks=0"  # gss-ntlmssp's acquire_cred_with_password leaks (krb5_realm.py)
            return subprocess.run([SASL_CLIENT, "--plugin", "sasl-gssapi", "--mech", "GSSAPI", "--host", "localhost",
                                   "--port", str(self.srv.port), "--set", "server=false", "--user", "dave",
                                   "--password", "Dave-Pa55"] + list(extra),
                                  capture_output=True, text=True, timeout=60, env=env)
        r = client("--set", "mechanisms=kerberos ntlm")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.srv.read_log()[-2000:])
        self.assertIn("context established over NTLM (SPNEGO)", r.stdout + r.stderr)
        self.assertTrue(self.wait_for_log("GSSAPI: dave authenticated with NTLM (SPNEGO, NTLMv2)"))
        r = client()  # mechanisms = kerberos: no silent fall-back to NTLM
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertNotIn("S: 235", r.stdout)

    def test_a_bad_mechanisms_value_stops_start_up(self):
        srv = self.make_server(loads=GSSAPI, env=self.realm.server_env(), extra_sections={"sasl-gssapi": {
            "keytab": self.realm.keytab, "hostname": "localhost", "mechanisms": "kerberos negoex"}})
        r = srv.admin("user", "list")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bad value 'negoex' in 'mechanisms' of [sasl-gssapi]: expected kerberos, ntlm, or both", r.stderr)

    def test_ntlm_not_allowed_by_default(self):
        srv = self.start_server(loads=GSSAPI, env=self.realm.server_env(), users={"dave": "Dave-Pa55"},
                                store={"ntlm_hashes": True},
                                extra_sections={"sasl-gssapi": {"keytab": self.realm.keytab, "hostname": "localhost"}})
        r = self.ntlm_client(port=srv.port)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("S: 535 5.7.8", r.stdout)
        self.assertTrue(self.wait_for_log("SPNEGO: no mechanism in common (the client offers 1.3.6.1.4.1.311.2.2.10; "
                                          "mechanisms = kerberos)", srv), srv.read_log()[-2000:])


@unittest.skipIf(MISSING_FOR_SCRIPTS, MISSING_WHY)
class PrincipalToUser(RealmAndServer):
    """realms and user_name: who a principal is once it has authenticated."""
    initiator_env = True
    server_kwargs = None  # each test starts its own

    def login(self, **section):
        section.update({"keytab": self.realm.keytab, "hostname": "localhost"})
        srv = self.start_server(loads=GSSAPI, env=self.realm.server_env(), extra_sections={"sasl-gssapi": section})
        c = self.connect(srv)
        self.assertReply(c.ehlo(), 250)
        g = ScriptedClient(SPNEGO)
        r = c.cmd("AUTH GSSAPI " + g.first())
        if r.code == 334:
            g.answer(r)
            r = c.cmd("")
        return srv, r

    def test_a_realm_not_accepted(self):
        srv, r = self.login(realms="EXAMPLE.ORG OTHER.ORG")
        self.assertReply(r, 535, "5.7.8")
        self.assertTrue(self.wait_for_log("principal alice@%s: realm not accepted" % REALM, srv))

    def test_an_accepted_realm(self):
        srv, r = self.login(realms="EXAMPLE.ORG, " + REALM)
        self.assertReply(r, 235, "2.7.0")

    def test_user_name_principal_and_localname(self):
        srv, r = self.login(user_name="principal")
        self.assertReply(r, 235)
        self.assertTrue(self.wait_for_log("authenticated as alice@%s with GSSAPI" % REALM, srv))
        srv, r = self.login(user_name="localname")  # the default auth_to_local: the default realm's first component
        self.assertReply(r, 235)
        self.assertTrue(self.wait_for_log("authenticated as alice with GSSAPI", srv))

    def test_a_bad_user_name_choice_stops_start_up(self):
        srv = self.make_server(loads=GSSAPI, env=self.realm.server_env(), extra_sections={"sasl-gssapi": {
            "keytab": self.realm.keytab, "hostname": "localhost", "user_name": "upn"}})
        r = srv.admin("user", "list")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bad value 'upn' for 'user_name' in [sasl-gssapi]: expected short, principal or localname",
                      r.stderr)


@unittest.skipIf(MISSING, MISSING_WHY)
class KeytabAtStartUp(MailfwTestCase):
    @classmethod
    def setUpClass(cls):
        cls.realm = Realm(principals={}, services=["imap/localhost"])

    @classmethod
    def tearDownClass(cls):
        cls.realm.stop()

    def refused(self, section):
        srv = self.make_server(loads=GSSAPI, env=self.realm.server_env(), extra_sections={"sasl-gssapi": section})
        r = srv.admin("user", "list")
        self.assertNotEqual(r.returncode, 0)
        # One error line (a store plugin's warning about the test's low hash cost may come first).
        lines = [l for l in r.stderr.splitlines() if l.startswith("mailfw-admin: ")]
        self.assertEqual(len(lines), 1, r.stderr)
        return lines[0]

    def test_a_missing_keytab(self):
        line = self.refused({"keytab": "/nonexistent/smtp.keytab", "hostname": "localhost"})
        self.assertIn("keytab /nonexistent/smtp.keytab in [sasl-gssapi] cannot be read: No such file or directory",
                      line)

    def test_a_keytab_without_the_service_principal(self):
        line = self.refused({"keytab": self.realm.keytab, "hostname": "localhost"})
        self.assertIn("has no key for smtp/localhost (it holds: imap/localhost@%s)" % REALM, line)
        self.assertIn("ktadd -k", line)

    def test_a_file_that_is_not_a_keytab(self):
        bogus = os.path.join(self.realm.dir, "bogus.keytab")
        with open(bogus, "w") as f:
            f.write("not a keytab\n")
        line = self.refused({"keytab": bogus, "hostname": "localhost"})
        self.assertIn("cannot be read as a keytab", line)


if __name__ == "__main__":
    unittest.main()
