// Fuzz target for what sasl-ntlm parses of peer bytes (MS-NLMP 2.2.1):
// NEGOTIATE and AUTHENTICATE (server side), CHALLENGE (client side), whose (offset, length) fields the client
// controls, and the name fields' text. Nothing is read out of bounds; every
// field parsed lies inside the message; UTF-16 decoding never yields more
// than a UTF-8 expansion of its input.
#include <cstddef>
#include <cstdint>
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
    return 0;
}
