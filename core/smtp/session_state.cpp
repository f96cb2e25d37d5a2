#include "smtp/session_state.hpp"

namespace mailfw::smtp {

namespace {

constexpr uint16_t bit(Phase p) { return static_cast<uint16_t>(1u << static_cast<unsigned>(p)); }
constexpr uint16_t kConversation = bit(Phase::greeting) | bit(Phase::ready) | bit(Phase::transaction) | bit(Phase::data);

// Where each command is legal. Everything else about a command (its
// arguments, policy, plugins) is the handler's business.
struct Rule {
    Verb verb;
    uint16_t phases;
};
constexpr Rule kRules[] = {
    {Verb::helo, kConversation},
    {Verb::ehlo, kConversation},
    {Verb::mail, bit(Phase::ready)},
    {Verb::rcpt, bit(Phase::transaction)},
    {Verb::data, bit(Phase::transaction)},
    {Verb::bdat, bit(Phase::transaction) | bit(Phase::data)},
    {Verb::auth, bit(Phase::ready)},
    {Verb::starttls, bit(Phase::greeting) | bit(Phase::ready) | bit(Phase::transaction)},
    {Verb::rset, kConversation},
    {Verb::noop, kConversation},
    {Verb::quit, kConversation | bit(Phase::refused)},
    {Verb::vrfy, kConversation},
    {Verb::expn, kConversation},
    {Verb::help, kConversation},
    {Verb::unknown, kConversation},
};

uint16_t phases_of(Verb v) {
    for (const Rule& r : kRules)
        if (r.verb == v) return r.phases;
    return 0;
}

Reply need_auth_or(const SessionFacts& f, const char* text) {
    if (f.auth_required && !f.authenticated) return Reply(530, "5.7.0", "Authentication required");
    return Reply(503, "5.5.1", text);
}

// The reply for a command outside its phases, by command and phase.
Reply out_of_phase(Verb v, Phase p, const SessionFacts& f) {
    if (p == Phase::refused) return Reply(503, "5.5.1", "No service here; send QUIT");
    const bool bdat = p == Phase::data;  // between BDAT chunks
    switch (v) {
        case Verb::mail:
            if (p == Phase::greeting) return Reply(503, "5.5.1", "Send EHLO or HELO first");
            return Reply(503, "5.5.1", bdat ? "MAIL not allowed after BDAT" : "Nested MAIL command");
        case Verb::rcpt:
            if (bdat) return Reply(503, "5.5.1", "RCPT not allowed after BDAT");
            return need_auth_or(f, "Need MAIL before RCPT");
        case Verb::data:
            if (bdat) return Reply(503, "5.5.1", "DATA not allowed after BDAT");
            return need_auth_or(f, "Need MAIL command");
        case Verb::bdat:
            return need_auth_or(f, "Need MAIL command");
        case Verb::auth:
            if (p == Phase::greeting) return Reply(503, "5.5.1", "Send EHLO first");
            return Reply(503, "5.5.1", "AUTH not permitted during a mail transaction");
        case Verb::starttls:
            return Reply(503, "5.5.1", "STARTTLS not permitted now");
        default:
            return Reply(503, "5.5.1", "Bad sequence of commands");
    }
}

}  // namespace

const char* phase_name(Phase p) {
    switch (p) {
        case Phase::greeting: return "greeting";
        case Phase::refused: return "refused";
        case Phase::ready: return "ready";
        case Phase::transaction: return "transaction";
        case Phase::data: return "data";
        case Phase::auth: return "auth";
        case Phase::tls_handshake: return "tls-handshake";
        case Phase::closing: return "closing";
    }
    return "?";
}

std::optional<Reply> command_refusal(Verb verb, Phase phase, const SessionFacts& f) {
    if (!(phases_of(verb) & bit(phase))) return out_of_phase(verb, phase, f);
    // Legal in this phase, but not in this state of it.
    switch (verb) {
        case Verb::mail:
            if (f.auth_required && !f.authenticated) return Reply(530, "5.7.0", "Authentication required");
            break;
        case Verb::auth:
            if (!f.esmtp) return Reply(503, "5.5.1", "Send EHLO first");
            if (f.authenticated) return Reply(503, "5.5.1", "Already authenticated");
            break;
        case Verb::data:
        case Verb::bdat:
            if (phase == Phase::transaction && !f.has_recipients) {
                if (f.rcpt_attempted) return Reply(554, "5.5.1", "No valid recipients");  // RFC 2920 §3.1
                return Reply(503, "5.5.1", verb == Verb::data ? "Need RCPT before DATA" : "Need RCPT before BDAT");
            }
            break;
        default:
            break;
    }
    return std::nullopt;
}

}  // namespace mailfw::smtp
