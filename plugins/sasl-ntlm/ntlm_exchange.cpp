#include "ntlm_exchange.hpp"

#include "nt_hash.hpp"

namespace mailfw::sasl_ntlm {

NtlmExchange::NtlmExchange(const Host& host, mailfw_session* session, const ntlm::AcceptorSettings& settings)
    : host_(host), session_(session), acceptor_(settings) {}

int NtlmExchange::fail(std::string reason, std::string& out) {
    state_ = State::done;
    out = std::move(reason);
    return MAILFW_SASL_FAIL;
}

int NtlmExchange::step(const unsigned char* in, size_t len, std::string& out) {
    out.clear();
    const std::string_view data(reinterpret_cast<const char*>(in), in ? len : 0);
    switch (state_) {
        case State::negotiate: {
            if (!in) return MAILFW_SASL_CONTINUE;  // "334 NTLM supported" (relaxed) or "334 "
            std::string why;
            auto challenge = acceptor_.challenge(data, why);
            if (!challenge) return fail(std::move(why), out);
            out = std::move(*challenge);
            state_ = State::authenticate;
            return MAILFW_SASL_CONTINUE;
        }
        case State::authenticate: {
            const ntlm::Outcome o = acceptor_.authenticate(data, [this](const std::string& user) {
                return host_.lookup_property(session_, user, plugin_common::kNtHashProperty);
            });
            if (!o.authenticated) return fail(o.reason, out);
            state_ = State::done;
            host_.log(MAILFW_LOG_INFO, "NTLM: " + printable(o.user, 100) + " authenticated (" + o.version + ")",
                      session_);
            host_.set_auth_identity(session_, o.user, "NTLM");
            return MAILFW_SASL_OK;
        }
        case State::done:
            break;
    }
    return fail("step after the end of the exchange", out);
}

}  // namespace mailfw::sasl_ntlm
