#include "token_kind.hpp"

#include <cstddef>
#include <cstdint>

namespace mailfw::sasl_gssapi {
namespace {

constexpr unsigned char kSpnego[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
constexpr unsigned char kKerberos[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};

bool oid_is(std::string_view oid, const unsigned char* want, size_t n) {
    if (oid.size() != n) return false;
    for (size_t i = 0; i < n; ++i)
        if (static_cast<unsigned char>(oid[i]) != want[i]) return false;
    return true;
}

}  // namespace

TokenKind initial_token_kind(std::string_view t) {
    // 0x60, a DER length covering the rest, 0x06, the OID's length, the OID.
    if (t.size() < 2 || static_cast<unsigned char>(t[0]) != 0x60) return TokenKind::other;
    size_t pos = 1;
    const auto first = static_cast<unsigned char>(t[pos++]);
    size_t length = 0;
    if (first < 0x80) {
        length = first;
    } else {
        const size_t octets = first & 0x7f;
        if (octets == 0 || octets > 4 || t.size() < pos + octets) return TokenKind::other;
        for (size_t i = 0; i < octets; ++i) length = (length << 8) | static_cast<unsigned char>(t[pos++]);
    }
    if (length != t.size() - pos) return TokenKind::other;  // exactly the rest: no trailing bytes
    if (t.size() < pos + 2 || static_cast<unsigned char>(t[pos]) != 0x06) return TokenKind::other;
    const size_t oid_length = static_cast<unsigned char>(t[pos + 1]);
    pos += 2;
    if (oid_length >= 0x80 || t.size() < pos + oid_length) return TokenKind::other;
    const std::string_view oid = t.substr(pos, oid_length);
    if (oid_is(oid, kSpnego, sizeof kSpnego)) return TokenKind::spnego;
    if (oid_is(oid, kKerberos, sizeof kKerberos)) return TokenKind::kerberos;
    return TokenKind::other;
}

const char* token_kind_name(TokenKind kind) {
    switch (kind) {
        case TokenKind::spnego: return "SPNEGO";
        case TokenKind::kerberos: return "Kerberos (RFC 4752)";
        case TokenKind::other: break;
    }
    return "unknown";
}

}  // namespace mailfw::sasl_gssapi
