// NTLM session security, as far as authentication needs it (MS-NLMP 3.4):
// the ExportedSessionKey of an NTLMv2 exchange, the AUTHENTICATE's MIC
// (which binds the three messages, so a relay cannot strip flags), and
// message signatures with extended session security -- SPNEGO's
// mechListMIC is one (RFC 4178 §5, MS-SPNG 3.3.5.1). The server grants
// neither KEY_EXCH nor sealing (messages.cpp), so no RC4 is involved:
// ExportedSessionKey = KeyExchangeKey = SessionBaseKey, checksums are not
// encrypted. Every signature here is sequence number 0: SPNEGO resets the
// NTLM state after its MIC, and nothing else is signed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ntlm/responses.hpp"

namespace mailfw::ntlm {

enum class Direction { client_to_server, server_to_client };

class SessionSecurity {
public:
    // From the SessionBaseKey of a verified NTLMv2 response; `flags`: those
    // both sides agreed (CHALLENGE & AUTHENTICATE).
    SessionSecurity(const Key16& session_base_key, uint32_t flags);
    ~SessionSecurity();

    // MS-NLMP 3.1.5.1.2: HMAC-MD5(ExportedSessionKey, NEGOTIATE | CHALLENGE |
    // AUTHENTICATE with its MIC field zeroed) against the MIC it carries.
    bool message_mic_matches(std::string_view negotiate, std::string_view challenge,
                             std::string_view authenticate) const;

    // A 16-octet NTLMSSP_MESSAGE_SIGNATURE (extended session security) of
    // `message` for sequence number 0; empty when signing was not agreed.
    std::string sign(Direction direction, std::string_view message) const;
    bool verify(Direction direction, std::string_view message, std::string_view signature) const;
    bool can_sign() const;  // SIGN and extended session security were agreed

private:
    Key16 exported_{};
    uint32_t flags_ = 0;
};

}  // namespace mailfw::ntlm
