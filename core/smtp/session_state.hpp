// The SMTP server session as a state machine (RFC 5321 §4.1.4 with RFC 3207
// STARTTLS, RFC 4954 AUTH, RFC 3030 BDAT), after OpenSMTPD's smtp_session.c:
// one Phase, and one table that says in which phases each command is legal
// and what a client gets for it elsewhere. Pure, so it is unit-tested
// without sockets; the Session keeps the phase and dispatches through
// command_refusal().
#pragma once
#include <cstdint>
#include <optional>

#include "smtp/command.hpp"
#include "smtp/reply.hpp"

namespace mailfw::smtp {

enum class Phase : uint8_t {
    greeting,       // connected (or TLS just started): no EHLO/HELO yet
    refused,        // a refusal greeting (RFC 5321 §3.1): only QUIT is served
    ready,          // EHLO/HELO done, no mail transaction
    transaction,    // MAIL FROM accepted: RCPT, DATA or BDAT next
    data,           // a message is arriving (DATA, or a BDAT sequence between its chunks)
    auth,           // inside an AUTH exchange
    tls_handshake,  // STARTTLS accepted, the handshake runs
    closing,        // the last reply is out; nothing more is read
};

const char* phase_name(Phase p);

// What besides the phase decides whether a command may run.
struct SessionFacts {
    bool esmtp = false;          // EHLO (not HELO) was given
    bool authenticated = false;
    bool auth_required = false;  // the listener's auth = required
    bool has_recipients = false;
    bool rcpt_attempted = false;  // some RCPT was sent (RFC 2920 §3.1: 554 when all failed)
};

// nullopt: `verb` may run now. Otherwise the reply refusing it (the session
// then sends it; for BDAT it first reads the chunk, RFC 3030 §2).
std::optional<Reply> command_refusal(Verb verb, Phase phase, const SessionFacts& facts);

}  // namespace mailfw::smtp
