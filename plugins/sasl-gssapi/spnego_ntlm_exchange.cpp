#include "spnego_ntlm_exchange.hpp"

#include "nt_hash.hpp"

namespace mailfw::sasl_gssapi {

SpnegoNtlmExchange::SpnegoNtlmExchange(const Host& host, mailfw_session* session,
                                       const ntlm::AcceptorSettings& settings)
    : host_(host), session_(session), acceptor_(settings) {}

int SpnegoNtlmExchange::fail(std::string reason, std::string& out) {
    state_ = State::done;
    out = "SPNEGO/NTLM: " + std::move(reason);
    return MAILFW_SASL_FAIL;
}

int SpnegoNtlmExchange::start(const NegTokenInit& init, std::string& out) {
    mech_types_der_ = init.mech_types_der;
    if (init.mech_types.front() == mech_oid::ntlmssp && init.mech_token) return challenge(*init.mech_token, true, out);
    // NTLM is not what the client tried first: counter-propose it; the MIC
    // then proves nobody removed the client's preferred mechanism.
    mic_required_ = true;
    NegTokenResp resp;
    resp.state = NegState::request_mic;
    resp.supported_mech.emplace(mech_oid::ntlmssp);
    out = build_neg_token_resp(resp);
    return MAILFW_SASL_CONTINUE;
}

int SpnegoNtlmExchange::challenge(std::string_view negotiate, bool first_reply, std::string& out) {
    std::string why;
    auto challenge = acceptor_.challenge(negotiate, why);
    if (!challenge) return fail(std::move(why), out);
    NegTokenResp resp;
    resp.state = NegState::accept_incomplete;
    if (first_reply) resp.supported_mech.emplace(mech_oid::ntlmssp);
    resp.response_token = std::move(*challenge);
    out = build_neg_token_resp(resp);
    state_ = State::authenticate;
    return MAILFW_SASL_CONTINUE;
}

int SpnegoNtlmExchange::step(std::string_view token, std::string& out) {
    out.clear();
    if (state_ == State::done) return fail("step after the end of the exchange", out);
    const auto resp = parse_neg_token_resp(token);
    if (!resp) return fail("not a SPNEGO NegTokenResp", out);
    if (resp->state == NegState::reject) return fail("the client rejected the negotiation", out);
    if (!resp->response_token || resp->response_token->empty()) return fail("a NegTokenResp without an NTLM message", out);
    if (state_ == State::negotiate) return challenge(*resp->response_token, false, out);
    return authenticate(*resp, out);
}

int SpnegoNtlmExchange::authenticate(const NegTokenResp& resp, std::string& out) {
    const ntlm::Outcome o = acceptor_.authenticate(*resp.response_token, [this](const std::string& user) {
        return host_.lookup_property(session_, user, plugin_common::kNtHashProperty);
    });
    if (!o.authenticated) return fail(o.reason, out);
    const std::string who = printable(o.user, 100);
    NegTokenResp final_resp;
    final_resp.state = NegState::accept_completed;
    if (mic_required_ || o.message_mic || resp.mech_list_mic) {
        if (!resp.mech_list_mic) return fail(who + ": the mechListMIC is missing (the mechanism list is unprotected)", out);
        if (!o.security || !o.security->can_sign())
            return fail(who + ": a mechListMIC needs NTLMv2 signing with extended session security", out);
        if (!o.security->verify(ntlm::Direction::client_to_server, mech_types_der_, *resp.mech_list_mic))
            return fail(who + ": the mechListMIC does not match (the mechanism list was altered)", out);
        final_resp.mech_list_mic = o.security->sign(ntlm::Direction::server_to_client, mech_types_der_);
    }
    state_ = State::done;
    host_.log(MAILFW_LOG_INFO, "GSSAPI: " + who + " authenticated with NTLM (SPNEGO, " + o.version + ")", session_);
    host_.set_auth_identity(session_, o.user, "NTLM");
    // MS-SSEAN 4.1: the final NegTokenResp in a 334, the client's empty answer, 235.
    out = build_neg_token_resp(final_resp);
    return MAILFW_SASL_OK;
}

}  // namespace mailfw::sasl_gssapi
