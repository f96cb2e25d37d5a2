"""A throwaway MIT Kerberos realm on loopback for the GSSAPI tests
(../shared/KERBEROS-TESTING.md): its own temporary directory, a free port,
krb5kdc in the foreground as our child, and nothing from /etc/krb5.conf --
everything goes through KRB5_CONFIG / KRB5_KDC_PROFILE. Comes up in well
under a second; stop() kills the KDC and removes the directory.

    realm = Realm(principals={"alice": "alicepw"}, services=["smtp/localhost"])
    realm.kinit("alice")                    # a ticket in realm.ccache
    realm.client_env()                      # env for curl / gsasl
    realm.server_env()                      # env for mailfwd (config, replay cache)
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

from mailfw_harness import stop_process

REALM = "TEST.LOCAL"
TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local", "kinit")


def tools_missing():
    """The Kerberos programs that are not installed (empty when all are)."""
    return [t for t in TOOLS if not shutil.which(t) and not os.path.exists("/usr/sbin/" + t)]


def _tool(name):
    return shutil.which(name) or "/usr/sbin/" + name


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Realm:
    def __init__(self, principals=None, services=("smtp/localhost",)):
        self.dir = tempfile.mkdtemp(prefix="mailfw-krb5-")
        self.port = _free_port()
        self.keytab = os.path.join(self.dir, "smtp.keytab")
        self.ccache = "FILE:" + os.path.join(self.dir, "cc")
        self.conf = os.path.join(self.dir, "krb5.conf")
        self.kdc_conf = os.path.join(self.dir, "kdc.conf")
        self.proc = None
        self.mech_config = os.path.join(self.dir, "gss-mech-none")
        open(self.mech_config, "w").close()
        db = os.path.join(self.dir, "db")
        os.makedirs(db)
        os.makedirs(os.path.join(self.dir, "rcache"))
        open(os.path.join(db, "kadm5.acl"), "w").close()
        with open(self.conf, "w") as f:
            f.write("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n dns_lookup_realm = false\n"
                    " dns_canonicalize_hostname = false\n rdns = false\n udp_preference_limit = 1\n"
                    # 1 s instead of 5 min: an expired ticket is expired at once (the tests' clocks are one).
                    " clockskew = 1\n"
                    "[realms]\n %s = {\n  kdc = 127.0.0.1:%d\n }\n" % (REALM, REALM, self.port))
        with open(self.kdc_conf, "w") as f:
            f.write("[kdcdefaults]\n kdc_listen = 127.0.0.1:%d\n kdc_tcp_listen = 127.0.0.1:%d\n"
                    "[realms]\n %s = {\n  database_name = %s/principal\n  key_stash_file = %s/stash\n"
                    "  acl_file = %s/kadm5.acl\n"
                    "  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n }\n"
                    "[logging]\n kdc = FILE:%s/kdc.log\n" % (self.port, self.port, REALM, db, db, db, self.dir))
        self.passwords = dict(principals or {})
        try:
            self._run(_tool("kdb5_util"), "create", "-s", "-r", REALM, "-P", "master-" + os.urandom(6).hex())
            for name, pw in self.passwords.items():
                self.kadmin("addprinc -pw %s %s@%s" % (pw, name, REALM))
            for spn in services:
                self.kadmin("addprinc -randkey %s@%s" % (spn, REALM))
                self.kadmin("ktadd -k %s %s@%s" % (self.keytab, spn, REALM))
            self._start_kdc()
        except Exception:
            self.stop()
            raise

    def env(self):
        # GSS_MECH_CONFIG: no mechanism modules beyond MIT's own. The GSSAPI
        # tests mean Kerberos (SPNEGO would otherwise also load gss-ntlmssp,
        # whose gss_acquire_cred_with_password leaks 6 KB per call, seen
        # under LeakSanitizer with a 15-line program outside mailfw).
        return {"KRB5_CONFIG": self.conf, "KRB5_KDC_PROFILE": self.kdc_conf, "KRB5CCNAME": self.ccache,
                "GSS_MECH_CONFIG": self.mech_config}

    def client_env(self):
        return dict(os.environ, **self.env())

    def server_env(self):
        """For mailfwd: the realm's config and a replay cache of its own; no ticket cache."""
        return {"KRB5_CONFIG": self.conf, "KRB5RCACHEDIR": os.path.join(self.dir, "rcache"),
                "KRB5CCNAME": "FILE:" + os.path.join(self.dir, "server-cc-unused"), "GSS_MECH_CONFIG": self.mech_config}

    def _run(self, *argv, input=None):
        r = subprocess.run(list(argv), input=input, capture_output=True, text=True, timeout=60,
                           env=self.client_env())
        if r.returncode != 0:
            raise AssertionError("%s failed (%d): %s%s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))
        return r

    def kadmin(self, query):
        return self._run(_tool("kadmin.local"), "-r", REALM, "-q", query)

    def kinit(self, name, ccache=None, lifetime=None):
        env = self.client_env()
        if ccache:
            env["KRB5CCNAME"] = ccache
        extra = ["-l", lifetime] if lifetime else []
        r = subprocess.run([_tool("kinit")] + extra + ["%s@%s" % (name, REALM)], input=self.passwords[name] + "\n",
                           capture_output=True, text=True, timeout=30, env=env)
        return r.returncode == 0

    def _start_kdc(self):
        log = open(os.path.join(self.dir, "kdc.stderr"), "ab")
        # -n: in the foreground, so this Popen is the KDC itself (no daemon to chase).
        self.proc = subprocess.Popen([_tool("krb5kdc"), "-n", "-r", REALM], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=log, env=self.client_env())
        log.close()
        deadline = time.monotonic() + 20
        name = next(iter(self.passwords), None)
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("krb5kdc exited with %s: %s" % (self.proc.returncode, self.kdc_log()))
            if name is None or self.kinit(name):
                return
            if time.monotonic() > deadline:
                raise AssertionError("the KDC did not answer within 20 s: " + self.kdc_log())
            time.sleep(0.05)

    def kdc_log(self):
        out = ""
        for f in ("kdc.stderr", "kdc.log"):
            try:
                with open(os.path.join(self.dir, f), errors="replace") as fh:
                    out += fh.read()[-2000:]
            except OSError:
                pass
        return out

    def stop(self):
        stop_process(self.proc)
        self.proc = None
        if os.environ.get("MAILFW_KEEP_TMP"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
