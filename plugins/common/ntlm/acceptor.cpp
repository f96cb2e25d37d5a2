#include "ntlm/acceptor.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cctype>

#include <mailfw/plugin.hpp>

#include "ntlm/messages.hpp"

namespace mailfw::ntlm {
namespace {

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

Outcome refused(std::string reason) {
    Outcome o;
    o.reason = std::move(reason);
    return o;
}

}  // namespace

AcceptorSettings names_from_hostname(std::string_view hostname, std::optional<std::string> domain) {
    AcceptorSettings s;
    const std::string host(hostname);
    const size_t dot = host.find('.');
    s.dns_computer = host;
    s.dns_domain = dot == std::string::npos ? host : host.substr(dot + 1);
    s.netbios_computer = upper(host.substr(0, dot)).substr(0, 15);
    const std::string first = s.dns_domain.substr(0, s.dns_domain.find('.'));
    s.netbios_domain = upper(domain.value_or(first)).substr(0, 15);
    return s;
}

Acceptor::Acceptor(const AcceptorSettings& settings) : settings_(settings) {}

Acceptor::~Acceptor() { OPENSSL_cleanse(server_challenge_.data(), server_challenge_.size()); }

std::optional<std::string> Acceptor::challenge(std::string_view negotiate, std::string& why) {
    const auto n = parse_negotiate(negotiate);
    if (!n) {
        why = "not an NTLM NEGOTIATE message";
        return std::nullopt;
    }
    if (RAND_bytes(server_challenge_.data(), static_cast<int>(server_challenge_.size())) != 1) {
        why = "no random server challenge";
        return std::nullopt;
    }
    ChallengeFields f;
    f.client_flags = n->flags;
    f.server_challenge = server_challenge_;
    f.netbios_domain = settings_.netbios_domain;
    f.netbios_computer = settings_.netbios_computer;
    f.dns_domain = settings_.dns_domain;
    f.dns_computer = settings_.dns_computer;
    f.filetime = filetime_now();
    negotiate_.assign(negotiate);
    challenge_ = build_challenge(f, flags_);
    return challenge_;
}

Outcome Acceptor::authenticate(std::string_view message, const HashLookup& lookup) {
    const auto a = parse_authenticate(message);
    if (!a) return refused("not an NTLM AUTHENTICATE message");
    const auto user = field_text(a->user, a->unicode());
    if (!user || user->empty()) return refused("an AUTHENTICATE without a user name (anonymous NTLM is refused)");
    // The NT hash from the stores; a user without one is checked against a
    // random hash, so the answer takes the same time and says nothing.
    NtHash hash{};
    auto hex = lookup(*user);
    const bool known = hex && nt_hash_from_hex(*hex, hash);
    if (hex) OPENSSL_cleanse(hex->data(), hex->size());
    if (!known) RAND_bytes(hash.data(), static_cast<int>(hash.size()));
    Key16 base{};
    const Verdict v = verify_response(hash, server_challenge_, field_utf16(a->user, a->unicode(), true),
                                      field_utf16(a->domain, a->unicode(), false), a->lm_response, a->nt_response,
                                      a->flags, settings_.allow_v1 ? settings_.crypto->des_ecb() : nullptr, &base);
    OPENSSL_cleanse(hash.data(), hash.size());
    const std::string who = printable(*user, 100);
    const std::string version = response_version(a->nt_response);
    switch (v) {
        case Verdict::match: {
            if (!known) break;
            Outcome o;
            o.user = *user;
            o.version = version;
            if (a->nt_response.size() > 24) {  // NTLMv2: session security, and the MIC when there is one
                o.security = std::make_unique<SessionSecurity>(base, flags_ & a->flags);
                OPENSSL_cleanse(base.data(), base.size());
                const auto av_flags = ntlmv2_av_flags(a->nt_response);
                if (!av_flags) return refused(who + ": malformed AV pairs in the NTLMv2 response");
                if (*av_flags & kAvFlagMic) {
                    if (!a->mic_room || !o.security->message_mic_matches(negotiate_, challenge_, message))
                        return refused(who + ": the AUTHENTICATE's MIC does not match (messages altered?)");
                    o.message_mic = true;
                }
            }
            o.authenticated = true;
            return o;
        }
        case Verdict::v1_refused:
            if (settings_.allow_v1) return refused("NTLM crypto unavailable (no DES: OpenSSL legacy provider?)");
            return refused(who + ": NTLMv1 response refused (set allow_ntlmv1 = true in [sasl-ntlm] for such clients)");
        case Verdict::malformed:
            return refused(who + ": malformed NT response");
        case Verdict::unavailable:
            return refused("NTLM crypto unavailable (OpenSSL legacy provider for DES/MD4?)");
        case Verdict::mismatch:
            break;
    }
    OPENSSL_cleanse(base.data(), base.size());
    return refused(who + (known ? ": wrong password" : ": no NT hash in the stores (store-sqlite ntlm_hashes)") + " (" +
                   version + ")");
}

}  // namespace mailfw::ntlm
