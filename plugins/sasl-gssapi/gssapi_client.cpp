#include "gssapi_client.hpp"

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#include <cstring>

#include "gss_buffer.hpp"
#include "gss_status.hpp"
#include "security_layer.hpp"

namespace mailfw::sasl_gssapi {
namespace {

gss_OID_desc kSpnegoOid{6, const_cast<char*>("\x2b\x06\x01\x05\x05\x02")};
gss_OID_desc kNtlmOid{10, const_cast<char*>("\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a")};

bool is_ntlm(gss_const_OID mech) {
    return mech && mech->length == kNtlmOid.length && std::memcmp(mech->elements, kNtlmOid.elements, kNtlmOid.length) == 0;
}

}  // namespace

GssapiClient::GssapiClient(const Host& host, const mailfw_client_params& params, bool spnego, bool kerberos,
                           bool ntlm)
    : host_(host),
      spnego_(spnego),
      kerberos_(kerberos),
      ntlm_(ntlm),
      user_(view(params.user)),
      password_(view(params.password)),
      authzid_(view(params.authzid)),
      target_(std::string(params.service.len ? view(params.service) : std::string_view("smtp")) + "@" +
              std::string(view(params.hostname))) {}

GssapiClient::~GssapiClient() {
    OM_uint32 minor = 0;
    if (context_ != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &context_, GSS_C_NO_BUFFER);
    if (cred_ != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &cred_);
    if (target_name_ != GSS_C_NO_NAME) gss_release_name(&minor, &target_name_);
    wipe(password_);
}

int GssapiClient::fail(std::string reason, std::string& out) {
    state_ = State::done;
    out = std::move(reason);
    return MAILFW_SASL_FAIL;
}

int GssapiClient::step(const unsigned char* in, size_t len, std::string& out) {
    out.clear();
    const std::string_view data(reinterpret_cast<const char*>(in), in ? len : 0);
    switch (state_) {
        case State::initiating:
            if (!in) return start(out);
            return initiate(data, out);
        case State::established:
            // SPNEGO: nothing is left to say (the server's 235 follows); raw
            // Kerberos: this is the wrapped security-layer offer.
            if (spnego_) return fail("a challenge after the SPNEGO context was established", out);
            return answer_offer(data, out);
        case State::done:
            break;
    }
    return fail("step after the end of the exchange", out);
}

int GssapiClient::start(std::string& out) {
    OM_uint32 minor = 0;
    gss_buffer_desc name = gss_input(target_);
    OM_uint32 major = gss_import_name(&minor, &name, GSS_C_NT_HOSTBASED_SERVICE, &target_name_);
    if (GSS_ERROR(major)) return fail("target " + target_ + ": " + gss_status_text(major, minor), out);
    if (!password_.empty()) {
        gss_name_t user = GSS_C_NO_NAME;
        gss_buffer_desc user_text = gss_input(user_);
        major = gss_import_name(&minor, &user_text, GSS_C_NT_USER_NAME, &user);
        if (GSS_ERROR(major)) return fail("user name: " + gss_status_text(major, minor), out);
        gss_OID_set_desc mechs{1, spnego_ ? &kSpnegoOid : gss_mech_krb5};
        gss_buffer_desc pw = gss_input(password_);
        OM_uint32 cred_minor = 0;
        major = gss_acquire_cred_with_password(&cred_minor, user, &pw, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
                                               &cred_, nullptr, nullptr);
        OM_uint32 release_minor = 0;
        gss_release_name(&release_minor, &user);
        wipe(password_);
        if (GSS_ERROR(major)) return fail("credentials for " + printable(user_, 200) + ": " +
                                          gss_status_text(major, cred_minor, gss_mech_krb5), out);
    }
    if (spnego_) {
        const int r = restrict_spnego(out);
        if (r != MAILFW_SASL_CONTINUE) return r;
    }
    return initiate({}, out);
}

int GssapiClient::restrict_spnego(std::string& out) {
    OM_uint32 minor = 0, major = 0;
    if (cred_ == GSS_C_NO_CREDENTIAL) {  // the ticket cache (or NTLM's user file)
        gss_OID_set_desc spnego{1, &kSpnegoOid};
        major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &spnego, GSS_C_INITIATE, &cred_, nullptr,
                                 nullptr);
        if (GSS_ERROR(major)) return fail("no credentials (kinit?): " + gss_status_text(major, minor), out);
    }
    gss_OID_desc allowed[2];
    size_t n = 0;
    if (kerberos_) allowed[n++] = *gss_mech_krb5;
    if (ntlm_) allowed[n++] = kNtlmOid;
    gss_OID_set_desc set{n, allowed};
    OM_uint32 neg_minor = 0;
    major = gss_set_neg_mechs(&neg_minor, cred_, &set);
    if (GSS_ERROR(major)) return fail("restricting SPNEGO to 'mechanisms': " + gss_status_text(major, neg_minor), out);
    return MAILFW_SASL_CONTINUE;
}

int GssapiClient::initiate(std::string_view token, std::string& out) {
    gss_buffer_desc in = gss_input(token);
    GssBuffer reply;
    OM_uint32 minor = 0, flags = 0;
    const gss_OID mech = spnego_ ? &kSpnegoOid : gss_mech_krb5;
    gss_OID actual = GSS_C_NO_OID;
    const OM_uint32 major =
        gss_init_sec_context(&minor, cred_, &context_, target_name_, mech, GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG, 0,
                             GSS_C_NO_CHANNEL_BINDINGS, token.empty() ? GSS_C_NO_BUFFER : &in, &actual, &reply.b,
                             &flags, nullptr);
    if (GSS_ERROR(major)) return fail(target_ + ": " + gss_status_text(major, minor, mech), out);
    out = reply.text();
    if (major & GSS_S_CONTINUE_NEEDED) return MAILFW_SASL_CONTINUE;
    const bool over_ntlm = ntlm_ && is_ntlm(actual);  // no mutual authentication in NTLM
    if (!(flags & GSS_C_MUTUAL_FLAG) && !over_ntlm)
        return fail("the server was not authenticated (no mutual authentication)", out);
    host_.log(MAILFW_LOG_INFO, std::string("GSSAPI client: context established over ") +
                                   (over_ntlm ? "NTLM" : "Kerberos") + (spnego_ ? " (SPNEGO)" : ""));
    state_ = State::established;
    // SPNEGO: satisfied; the token (if any) and then the 235. Raw Kerberos:
    // an empty answer, then the layer offer.
    return spnego_ ? MAILFW_SASL_OK : MAILFW_SASL_CONTINUE;
}

int GssapiClient::answer_offer(std::string_view wrapped, std::string& out) {
    gss_buffer_desc in = gss_input(wrapped);
    GssBuffer offer;
    OM_uint32 minor = 0;
    OM_uint32 major = gss_unwrap(&minor, context_, &in, &offer.b, nullptr, nullptr);
    if (GSS_ERROR(major)) return fail("unwrap of the layer offer: " + gss_status_text(major, minor), out);
    const std::string o = offer.text();
    if (o.size() != 4 || !(static_cast<unsigned char>(o[0]) & kNoSecurityLayer))
        return fail("the server does not offer \"no security layer\"", out);
    const std::string answer = layer_offer() + authzid_;  // 01 00 00 00 [authzid]: no layer, no buffer
    gss_buffer_desc clear = gss_input(answer);
    GssBuffer reply;
    major = gss_wrap(&minor, context_, 0, GSS_C_QOP_DEFAULT, &clear, nullptr, &reply.b);
    if (GSS_ERROR(major)) return fail("wrap of the layer answer: " + gss_status_text(major, minor), out);
    out = reply.text();
    state_ = State::done;
    return MAILFW_SASL_OK;
}

}  // namespace mailfw::sasl_gssapi
