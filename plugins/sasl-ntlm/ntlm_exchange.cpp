#include "ntlm_exchange.hpp"

#include <openssl/rand.h>

#include <chrono>

#include "ntlm_messages.hpp"

namespace mailfw::sasl_ntlm {
namespace {

// 100 ns ticks since 1601-01-01 (a FILETIME), for MsvAvTimestamp.
uint64_t filetime_now() {
    using namespace std::chrono;
    const auto unix_100ns = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count() / 100;
    return static_cast<uint64_t>(unix_100ns) + 116444736000000000ull;
}

bool from_hex(std::string_view hex, NtHash& out) {
    if (hex.size() != 32) return false;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < 16; ++i) {
        const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<uint8_t>(hi * 16 + lo);
    }
    return true;
}

}  // namespace

NtlmExchange::NtlmExchange(const Host& host, mailfw_session* session, const NtlmSettings& settings)
    : host_(host), session_(session), settings_(settings) {}

NtlmExchange::~NtlmExchange() { wipe(server_challenge_.data(), server_challenge_.size()); }

int NtlmExchange::fail(std::string reason, std::string& out) {
    state_ = State::done;
    out = std::move(reason);
    return MAILFW_SASL_FAIL;
}

int NtlmExchange::step(const unsigned char* in, size_t len, std::string& out) {
    out.clear();
    const std::string_view data(reinterpret_cast<const char*>(in), in ? len : 0);
    switch (state_) {
        case State::negotiate:
            if (!in) return MAILFW_SASL_CONTINUE;  // "334 NTLM supported" (relaxed) or "334 "
            return challenge(data, out);
        case State::authenticate:
            return authenticate(data, out);
        case State::done:
            break;
    }
    return fail("step after the end of the exchange", out);
}

int NtlmExchange::challenge(std::string_view negotiate, std::string& out) {
    const auto n = parse_negotiate(negotiate);
    if (!n) return fail("not an NTLM NEGOTIATE message", out);
    if (RAND_bytes(server_challenge_.data(), static_cast<int>(server_challenge_.size())) != 1)
        return fail("no random server challenge", out);
    ChallengeFields f;
    f.client_flags = n->flags;
    f.server_challenge = server_challenge_;
    f.netbios_domain = settings_.netbios_domain;
    f.netbios_computer = settings_.netbios_computer;
    f.dns_domain = settings_.dns_domain;
    f.dns_computer = settings_.dns_computer;
    f.filetime = filetime_now();
    out = build_challenge(f, flags_);
    state_ = State::authenticate;
    return MAILFW_SASL_CONTINUE;
}

int NtlmExchange::authenticate(std::string_view message, std::string& out) {
    const auto a = parse_authenticate(message);
    if (!a) return fail("not an NTLM AUTHENTICATE message", out);
    const auto user = field_text(a->user, a->unicode());
    if (!user || user->empty()) return fail("an AUTHENTICATE without a user name (anonymous NTLM is refused)", out);
    // The NT hash from the stores; a user without one is checked against a
    // random hash, so the answer takes the same time and says nothing.
    NtHash hash{};
    auto hex = host_.lookup_property(session_, *user, "ntlm-hash");
    const bool known = hex && from_hex(*hex, hash);
    if (hex) wipe(*hex);
    if (!known) RAND_bytes(hash.data(), static_cast<int>(hash.size()));
    const Verdict v = verify_response(hash, server_challenge_, field_utf16(a->user, a->unicode(), true),
                                      field_utf16(a->domain, a->unicode(), false), a->lm_response, a->nt_response,
                                      a->flags, settings_.allow_v1 ? settings_.crypto->des_ecb() : nullptr);
    wipe(hash.data(), hash.size());
    const std::string who = printable(*user, 100);
    switch (v) {
        case Verdict::match:
            if (!known) break;
            state_ = State::done;
            host_.log(MAILFW_LOG_INFO,
                      "NTLM: " + who + " authenticated (" + response_version(a->nt_response) + ")", session_);
            host_.set_auth_identity(session_, *user, "NTLM");
            return MAILFW_SASL_OK;
        case Verdict::v1_refused:
            if (settings_.allow_v1) return fail("NTLM crypto unavailable (no DES: OpenSSL legacy provider?)", out);
            return fail(who + ": NTLMv1 response refused (set allow_ntlmv1 = true in [sasl-ntlm] for such clients)",
                        out);
        case Verdict::malformed:
            return fail(who + ": malformed NT response", out);
        case Verdict::unavailable:
            return fail("NTLM crypto unavailable (OpenSSL legacy provider for DES/MD4?)", out);
        case Verdict::mismatch:
            break;
    }
    return fail(who + (known ? ": wrong password" : ": no NT hash in the stores (store-sqlite ntlm_hashes)") + " (" +
                    response_version(a->nt_response) + ")",
                out);
}

}  // namespace mailfw::sasl_ntlm
