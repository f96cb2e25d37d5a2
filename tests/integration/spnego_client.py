"""A SPNEGO initiator as a separate process (MIT's GSS-API through
python3-gssapi), so that it may load mechanism modules the test process does
not: with GSS_MECH_CONFIG naming gss-ntlmssp and no Kerberos ticket, SPNEGO
negotiates NTLM with the credentials in NTLM_USER_FILE -- what a Linux
MS-SSEAN client without a ticket does. Speaks SMTP on 127.0.0.1:PORT:
EHLO, AUTH GSSAPI <NegTokenInit>, a token for every 334, an empty line once
the context is complete. Prints the dialogue (C:/S:); exits 0 on 235.

    spnego_client.py PORT
"""

import base64
import socket
import sys

import gssapi

SPNEGO = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")


def main():
    port = int(sys.argv[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rwb")

    def reply():
        lines = []
        while True:
            line = f.readline().decode().rstrip("\r\n")
            print("S: " + line, flush=True)
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines

    def send(line):
        print("C: " + (line if len(line) < 80 else line[:77] + "..."), flush=True)
        f.write(line.encode() + b"\r\n")
        f.flush()

    reply()
    send("EHLO spnego-client.test")
    reply()
    name = gssapi.Name("smtp@localhost", gssapi.NameType.hostbased_service)
    ctx = gssapi.SecurityContext(name=name, mech=SPNEGO, usage="initiate",
                                 flags=gssapi.RequirementFlag.integrity)
    send("AUTH GSSAPI " + base64.b64encode(ctx.step()).decode())
    while True:
        last = reply()[-1]
        if not last.startswith("334"):
            break
        data = base64.b64decode(last[4:]) if len(last) > 4 else b""
        token = ctx.step(data) if not ctx.complete else None
        send(base64.b64encode(token).decode() if token else "")
    print("mechanism: " + ctx.mech.dotted_form, flush=True)
    send("QUIT")
    reply()
    return 0 if last.startswith("235") and ctx.complete else 1


if __name__ == "__main__":
    sys.exit(main())
