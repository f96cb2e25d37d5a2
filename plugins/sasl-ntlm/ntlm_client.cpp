#include "ntlm_client.hpp"

#include <openssl/rand.h>

#include "nt_hash.hpp"
#include "ntlm/messages.hpp"
#include "ntlm/responses.hpp"

namespace mailfw::sasl_ntlm {
using namespace ntlm;

NtlmClient::NtlmClient(const mailfw_client_params& params, const plugin_common::LegacyCrypto& crypto)
    : password_(view(params.password)), crypto_(crypto) {
    const std::string who(view(params.user));
    const size_t slash = who.find('\\');
    user_ = slash == std::string::npos ? who : who.substr(slash + 1);
    domain_ = slash == std::string::npos ? "" : who.substr(0, slash);
}

NtlmClient::~NtlmClient() { wipe(password_); }

int NtlmClient::fail(std::string reason, std::string& out) {
    state_ = State::done;
    wipe(password_);
    out = std::move(reason);
    return MAILFW_SASL_FAIL;
}

int NtlmClient::step(const unsigned char* in, size_t len, std::string& out) {
    out.clear();
    if (state_ == State::negotiate) {
        state_ = State::challenge;
        out = build_negotiate();  // the initial response
        return MAILFW_SASL_CONTINUE;
    }
    if (state_ != State::challenge) return fail("step after the end of the exchange", out);
    const std::string_view data(reinterpret_cast<const char*>(in), in ? len : 0);
    if (data.empty()) {  // "334 NTLM supported" to an AUTH without our NEGOTIATE: send it now
        out = build_negotiate();
        return MAILFW_SASL_CONTINUE;
    }
    const auto c = parse_challenge(data);
    if (!c) return fail("not an NTLM CHALLENGE message", out);
    if (!(c->flags & flag::unicode)) return fail("the server does not speak Unicode NTLM", out);
    auto hex = plugin_common::nt_hash_hex(crypto_, password_);
    NtHash hash{};
    if (!hex || !nt_hash_from_hex(*hex, hash)) return fail("no NT hash of the password (not UTF-8, or MD4 missing)", out);
    wipe(*hex);
    Challenge client{};
    if (RAND_bytes(client.data(), static_cast<int>(client.size())) != 1) return fail("no random client challenge", out);
    const auto user16 = plugin_common::utf8_to_utf16le(user_), domain16 = plugin_common::utf8_to_utf16le(domain_);
    if (!user16 || !domain16) return fail("the user name is not UTF-8", out);
    // NTOWFv2 takes the user upper-cased: ASCII letters here (as the server does).
    const std::string nt = ntlmv2_response(hash, c->server_challenge, field_utf16(*user16, true, true), *domain16,
                                           c->target_info, client, c->has_timestamp ? c->timestamp : filetime_now());
    wipe(hash.data(), hash.size());
    if (nt.empty()) return fail("NTLM crypto unavailable", out);
    // With MsvAvTimestamp the LM response is all zeros (MS-NLMP 3.1.5.1.2).
    const std::string lm(24, '\0');
    const uint32_t flags = c->flags & (flag::unicode | flag::ntlm | flag::always_sign |
                                       flag::extended_session_security | flag::target_info | flag::n128);
    out = build_authenticate(flags, lm, nt, *domain16, *user16, {});  // no workstation name
    state_ = State::done;
    wipe(password_);
    return MAILFW_SASL_OK;
}

}  // namespace mailfw::sasl_ntlm
