// Fuzz target for what the NTLM core parses of peer bytes (MS-NLMP 2.2.1):
// NEGOTIATE and AUTHENTICATE (server side), CHALLENGE (client side), whose
// (offset, length) fields the peer controls, the name fields' text, the AV
// pairs inside an NTLMv2 response, and the CHALLENGE built for a client's
// flags. Nothing is read out of bounds; every field parsed lies inside the
// message; UTF-16 decoding never yields more than a UTF-8 expansion of its
// input; the CHALLENGE we build parses back and never grants KEY_EXCH.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "common/ntlm/messages.hpp"

using namespace mailfw::ntlm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view m(reinterpret_cast<const char*>(data), size);
    if (auto n = parse_negotiate(m)) FUZZ_CHECK(size >= 16);
    if (auto a = parse_authenticate(m)) {
        FUZZ_CHECK(size >= 64);
        const size_t total = a->lm_response.size() + a->nt_response.size() + a->domain.size() + a->user.size() +
                             a->workstation.size();
        FUZZ_CHECK(a->user.size() <= size && a->nt_response.size() <= size && total <= 5 * size);
        for (const auto* f : {&a->user, &a->domain, &a->workstation}) {
            if (auto t = field_text(*f, a->unicode())) FUZZ_CHECK(t->size() <= 2 * f->size() + 4);
            FUZZ_CHECK(field_utf16(*f, a->unicode(), true).size() == (a->unicode() ? f->size() : 2 * f->size()));
        }
    }
    if (auto t = field_text(m, true)) FUZZ_CHECK(t->size() <= 2 * size);
    // The client side reads the server's CHALLENGE the same way.
    if (auto c = parse_challenge(m)) FUZZ_CHECK(size >= 48 && c->target_info.size() <= size);
    (void)ntlmv2_av_flags(m);
    if (size >= 4) {
        ChallengeFields f;
        f.client_flags = static_cast<uint32_t>(data[0]) | (static_cast<uint32_t>(data[1]) << 8) |
                         (static_cast<uint32_t>(data[2]) << 16) | (static_cast<uint32_t>(data[3]) << 24);
        f.netbios_domain = std::string(m.substr(4, 15));
        f.dns_domain = std::string(m.substr(4));
        uint32_t granted = 0;
        const auto back = parse_challenge(build_challenge(f, granted));
        FUZZ_CHECK(back && back->flags == granted && !(granted & flag::key_exchange) && !(granted & flag::seal));
    }
    return 0;
}
