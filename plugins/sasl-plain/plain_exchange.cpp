#include "plain_exchange.hpp"

#include "plain_message.hpp"

#include <mailfw/plugin.hpp>

namespace mailfw::sasl_plain {

int PlainExchange::step(const unsigned char* in, size_t len, std::string& out) {
    out.clear();
    switch (state_) {
        case State::Start:
            // No initial response: an empty challenge, which the host sends
            // as "334 " or "334 PLAIN supported" (MS-OXSMTP 2.2.1).
            if (!in) {
                state_ = State::AwaitingMessage;
                return MAILFW_SASL_CONTINUE;
            }
            [[fallthrough]];
        case State::AwaitingMessage:
            state_ = State::Done;
            return check(in ? std::string_view(reinterpret_cast<const char*>(in), len)
                            : std::string_view(),
                         out);
        case State::Done:
            break;
    }
    out = "PLAIN exchange already finished";
    return MAILFW_SASL_FAIL;
}

int PlainExchange::check(std::string_view message, std::string& out) {
    const auto m = parse_plain_message(message);
    if (!m) {
        out = "malformed PLAIN message";
        return MAILFW_SASL_FAIL;
    }
    const int verified = mailfw::sasl_result_for_password(checker_.verify(m->authcid, m->passwd), out);
    if (verified != MAILFW_SASL_OK) return verified;
    const bool proxy = !m->authzid.empty() && m->authzid != m->authcid;
    if (proxy) {
        const int r = checker_.authorize(m->authcid, m->authzid);
        if (r == MAILFW_UNAVAILABLE) {
            out = "credential store unavailable";
            return MAILFW_SASL_ERROR;
        }
        if (r != MAILFW_OK) {
            out = "not authorized to act as " + mailfw::printable(m->authzid, max_field);
            return MAILFW_SASL_FAIL;
        }
    }
    checker_.authenticated(proxy ? m->authzid : m->authcid);
    return MAILFW_SASL_OK;
}

}  // namespace mailfw::sasl_plain
