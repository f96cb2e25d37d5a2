// Which GSS-API mechanism a client's first token is for, read from its
// framing (RFC 2743 §3.1: [APPLICATION 0] { OID, mechanism data }). MIT's
// acceptor takes SPNEGO and raw Kerberos alike and reports only the inner
// mechanism, so this is how the server knows what the client speaks: an
// MS-SSEAN client wraps in SPNEGO, an RFC 4752 client (curl, gsasl,
// Thunderbird) sends Kerberos directly. Pure: no GSS-API, fuzzed.
#pragma once
#include <string_view>

namespace mailfw::sasl_gssapi {

enum class TokenKind {
    spnego,    // 1.3.6.1.5.5.2
    kerberos,  // 1.2.840.113554.1.2.2
    other      // anything else, or not an initial context token at all
};

TokenKind initial_token_kind(std::string_view token);
const char* token_kind_name(TokenKind kind);

}  // namespace mailfw::sasl_gssapi
