#include "ntlm/session_security.hpp"

#include <openssl/crypto.h>

#include "ntlm/digest.hpp"
#include "ntlm/messages.hpp"

namespace mailfw::ntlm {
namespace {

// MS-NLMP 3.4.5.2 SIGNKEY; the magic constants include their NUL (sizeof).
constexpr char kClientSign[] = "session key to client-to-server signing key magic constant";
constexpr char kServerSign[] = "session key to server-to-client signing key magic constant";

}  // namespace

SessionSecurity::SessionSecurity(const Key16& session_base_key, uint32_t flags)
    : exported_(session_base_key), flags_(flags) {}

SessionSecurity::~SessionSecurity() { OPENSSL_cleanse(exported_.data(), exported_.size()); }

bool SessionSecurity::message_mic_matches(std::string_view negotiate, std::string_view challenge,
                                          std::string_view authenticate) const {
    if (authenticate.size() < kMicOffset + kMicSize) return false;
    std::string zeroed(authenticate);
    const std::string_view mic = authenticate.substr(kMicOffset, kMicSize);
    zeroed.replace(kMicOffset, kMicSize, kMicSize, '\0');
    const std::string key(reinterpret_cast<const char*>(exported_.data()), exported_.size());
    const std::string expect = hmac_md5(key, std::string(negotiate) + std::string(challenge) + zeroed);
    return expect.size() == kMicSize && CRYPTO_memcmp(expect.data(), mic.data(), kMicSize) == 0;
}

bool SessionSecurity::can_sign() const {
    return (flags_ & flag::sign) && (flags_ & flag::extended_session_security);
}

std::string SessionSecurity::sign(Direction direction, std::string_view message) const {
    if (!can_sign()) return {};
    std::string key_input(reinterpret_cast<const char*>(exported_.data()), exported_.size());
    if (direction == Direction::client_to_server)
        key_input.append(kClientSign, sizeof kClientSign);
    else
        key_input.append(kServerSign, sizeof kServerSign);
    const std::string sign_key = md5(key_input);
    OPENSSL_cleanse(key_input.data(), key_input.size());
    const std::string seq(4, '\0');  // sequence number 0
    const std::string checksum = hmac_md5(sign_key, seq + std::string(message));
    if (checksum.size() != 16) return {};
    // Version 1, the first 8 octets of the HMAC (not RC4-sealed: no KEY_EXCH), SeqNum.
    return std::string("\x01\x00\x00\x00", 4) + checksum.substr(0, 8) + seq;
}

bool SessionSecurity::verify(Direction direction, std::string_view message, std::string_view signature) const {
    const std::string expect = sign(direction, message);
    return !expect.empty() && signature.size() == expect.size() &&
           CRYPTO_memcmp(expect.data(), signature.data(), expect.size()) == 0;
}

}  // namespace mailfw::ntlm
