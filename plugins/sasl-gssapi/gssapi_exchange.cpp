#include "gssapi_exchange.hpp"

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#include "gss_buffer.hpp"
#include "gss_status.hpp"
#include "principal_name.hpp"
#include "security_layer.hpp"

namespace mailfw::sasl_gssapi {

GssapiExchange::GssapiExchange(const Host& host, mailfw_session* session, const GssapiSettings& settings)
    : host_(host), session_(session), settings_(settings) {}

GssapiExchange::~GssapiExchange() {
    OM_uint32 minor = 0;
    if (context_ != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &context_, GSS_C_NO_BUFFER);
}

int GssapiExchange::fail(std::string reason, std::string& out) {
    state_ = State::done;
    out = std::move(reason);
    return MAILFW_SASL_FAIL;
}

int GssapiExchange::step(const unsigned char* in, size_t len, std::string& out) {
    out.clear();
    const std::string_view data(reinterpret_cast<const char*>(in), in ? len : 0);
    switch (state_) {
        case State::accepting:
            // No initial response: an empty first challenge (334, or MS-OXSMTP's
            // "334 GSSAPI supported"); the client's token follows.
            if (!in && context_ == GSS_C_NO_CONTEXT && kind_ == TokenKind::other) return MAILFW_SASL_CONTINUE;
            return accept(data, out);
        case State::last_token:
            if (!data.empty()) return fail("expected an empty response after the last token", out);
            return offer_layer(out);
        case State::layer:
            return finish_layer(data, out);
        case State::ntlm: {
            const int r = ntlm_->step(data, out);
            if (r != MAILFW_SASL_CONTINUE) state_ = State::done;
            return r;
        }
        case State::done:
            break;
    }
    return fail("step after the end of the exchange", out);
}

int GssapiExchange::accept(std::string_view token, std::string& out) {
    if (token.empty()) return fail("empty token", out);
    if (context_ == GSS_C_NO_CONTEXT) {
        kind_ = initial_token_kind(token);
        if (kind_ == TokenKind::other) return fail("not a SPNEGO or Kerberos initial token", out);
        if (kind_ == TokenKind::spnego) {
            const int r = negotiate(token, out);
            if (state_ != State::accepting) return r;  // NTLM took it, or it failed
        } else if (!settings_.kerberos) {
            return fail("raw Kerberos refused (mechanisms = ntlm)", out);
        }
    }
    gss_buffer_desc in = gss_input(token);
    GssBuffer reply;
    gss_name_t source = GSS_C_NO_NAME;
    OM_uint32 minor = 0, flags = 0;
    const OM_uint32 major = gss_accept_sec_context(&minor, &context_, settings_.credentials, &in,
                                                   GSS_C_NO_CHANNEL_BINDINGS, &source, &mech_, &reply.b, &flags,
                                                   nullptr, nullptr);
    if (GSS_ERROR(major)) {
        if (source != GSS_C_NO_NAME) gss_release_name(&minor, &source);
        return fail(std::string(token_kind_name(kind_)) + ": " + gss_status_text(major, minor, mech_), out);
    }
    if (major & GSS_S_CONTINUE_NEEDED) {
        out = reply.text();
        return MAILFW_SASL_CONTINUE;
    }
    // Established: who is it?
    const std::string why = identify(source);
    gss_release_name(&minor, &source);
    if (!why.empty()) return fail(why, out);
    if (kind_ == TokenKind::spnego) {
        // MS-SSEAN 4.1: the last NegTokenResp (if any) in a 334, then 235.
        out = reply.text();
        return authenticated("", out);
    }
    // RFC 4752: the acceptor's last token first, when there is one.
    out = reply.text();
    state_ = State::last_token;
    if (!out.empty()) return MAILFW_SASL_CONTINUE;
    return offer_layer(out);
}

int GssapiExchange::negotiate(std::string_view token, std::string& out) {
    const auto init = parse_neg_token_init(token);
    if (!init) return fail("malformed SPNEGO NegTokenInit", out);
    std::string offered;
    for (const std::string& m : init->mech_types) {
        if (m == mech_oid::kerberos || m == mech_oid::ms_kerberos) {
            if (settings_.kerberos) return MAILFW_SASL_CONTINUE;  // MIT's acceptor takes the token
        } else if (m == mech_oid::ntlmssp && settings_.ntlm) {
            ntlm_ = std::make_unique<SpnegoNtlmExchange>(host_, session_, settings_.ntlm_names);
            state_ = State::ntlm;
            const int r = ntlm_->start(*init, out);
            if (r != MAILFW_SASL_CONTINUE) state_ = State::done;
            return r;
        }
        offered += (offered.empty() ? "" : " ") + oid_text(m);
    }
    // Kerberos among them but not allowed, or only mechanisms this server lacks.
    return fail(std::string("SPNEGO: no mechanism in common (the client offers ") + offered + "; mechanisms = " +
                    (settings_.kerberos ? "kerberos" : "") + (settings_.kerberos && settings_.ntlm ? " " : "") +
                    (settings_.ntlm ? "ntlm" : "") + ")",
                out);
}

std::string GssapiExchange::identify(gss_name_t source) {
    GssBuffer display;
    OM_uint32 minor = 0;
    const OM_uint32 major = gss_display_name(&minor, source, &display.b, nullptr);
    if (GSS_ERROR(major)) return "display_name: " + gss_status_text(major, minor);
    principal_ = display.text();
    const Principal p = split_principal(principal_);
    if (!realm_accepted(p.realm, settings_.realms)) return "principal " + printable(principal_, 200) + ": realm not accepted";
    switch (settings_.user_name) {
        case UserName::short_name: user_ = p.name; break;
        case UserName::principal: user_ = principal_; break;
        case UserName::localname: {
            GssBuffer local;
            OM_uint32 local_minor = 0;
            const OM_uint32 local_major = gss_localname(&local_minor, source, mech_, &local.b);
            if (GSS_ERROR(local_major))
                return "principal " + printable(principal_, 200) + " has no local name (auth_to_local): " +
                       gss_status_text(local_major, local_minor, mech_);
            user_ = local.text();
            break;
        }
    }
    return user_.empty() ? "empty principal name" : "";
}

int GssapiExchange::offer_layer(std::string& out) {
    // Wrapped with integrity only: no confidentiality layer is offered.
    const std::string offer = layer_offer();
    gss_buffer_desc clear = gss_input(offer);
    GssBuffer wrapped;
    OM_uint32 minor = 0;
    const OM_uint32 major = gss_wrap(&minor, context_, 0, GSS_C_QOP_DEFAULT, &clear, nullptr, &wrapped.b);
    if (GSS_ERROR(major)) return fail("wrap: " + gss_status_text(major, minor, mech_), out);
    out = wrapped.text();
    state_ = State::layer;
    return MAILFW_SASL_CONTINUE;
}

int GssapiExchange::finish_layer(std::string_view wrapped, std::string& out) {
    gss_buffer_desc in = gss_input(wrapped);
    GssBuffer clear;
    OM_uint32 minor = 0;
    int conf = 0;
    const OM_uint32 major = gss_unwrap(&minor, context_, &in, &clear.b, &conf, nullptr);
    if (GSS_ERROR(major)) return fail("unwrap of the layer answer: " + gss_status_text(major, minor, mech_), out);
    const auto answer = parse_layer_answer(clear.text());
    if (!answer) return fail("bad security-layer answer (only \"no security layer\" is offered)", out);
    return authenticated(answer->authzid, out);
}

int GssapiExchange::authenticated(const std::string& authzid, std::string& out) {
    // The principal may act as itself by any of its names; another identity
    // needs the stores' permission (authorize).
    std::string identity = user_;
    if (!names_itself(authzid, user_, principal_)) {
        if (host_.authorize(session_, user_, authzid) != MAILFW_OK) {
            std::string reason = "principal " + printable(principal_, 200) + " may not act as " + printable(authzid, 200);
            return fail(std::move(reason), out);
        }
        identity = authzid;
    }
    state_ = State::done;
    host_.log(MAILFW_LOG_INFO,
              "GSSAPI: " + printable(principal_, 200) + " authenticated with Kerberos (" + token_kind_name(kind_) + ")" +
                  (identity != user_ ? " as " + printable(identity, 200) : ""),
              session_);
    host_.set_auth_identity(session_, identity, "Kerberos");
    return MAILFW_SASL_OK;
}

}  // namespace mailfw::sasl_gssapi
