// Kerberos principal names as the acceptor reports them ("alice@TEST.LOCAL",
// "smtp/mx.example.org@TEST.LOCAL") and how one becomes a mail user name.
// Pure, for unit tests.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailfw::sasl_gssapi {

struct Principal {
    std::string name;   // "alice", "host/client.example.org" (escapes kept)
    std::string realm;  // "TEST.LOCAL"; empty when the name has none
};

// The last unescaped '@' separates the realm (RFC 1964 §2.1.1 display form).
Principal split_principal(std::string_view display);

// Is `realm` one of `accepted` (exact, as Kerberos realms are)? Empty: any.
bool realm_accepted(std::string_view realm, const std::vector<std::string>& accepted);

// An authorization identity the client may give for itself: empty, the user
// name, or the full principal. Others must be allowed by the stores.
bool names_itself(std::string_view authzid, std::string_view user, std::string_view principal);

}  // namespace mailfw::sasl_gssapi
