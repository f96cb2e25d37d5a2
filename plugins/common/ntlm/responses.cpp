#include "ntlm/responses.hpp"

#include <openssl/crypto.h>

#include <chrono>
#include <openssl/evp.h>

#include "ntlm/digest.hpp"
#include "ntlm/messages.hpp"

namespace mailfw::ntlm {
namespace {

// DES of 8 octets with a 7-octet key spread over 8 (parity bits unused).
bool des7(const EVP_CIPHER* c, const uint8_t* key7, const uint8_t* in, uint8_t* out) {
    uint8_t key[8] = {key7[0],
                      static_cast<uint8_t>((key7[0] << 7) | (key7[1] >> 1)),
                      static_cast<uint8_t>((key7[1] << 6) | (key7[2] >> 2)),
                      static_cast<uint8_t>((key7[2] << 5) | (key7[3] >> 3)),
                      static_cast<uint8_t>((key7[3] << 4) | (key7[4] >> 4)),
                      static_cast<uint8_t>((key7[4] << 3) | (key7[5] >> 5)),
                      static_cast<uint8_t>((key7[5] << 2) | (key7[6] >> 6)),
                      static_cast<uint8_t>(key7[6] << 1)};
    if (!c) return false;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    const bool ok = ctx && EVP_EncryptInit_ex(ctx, c, nullptr, key, nullptr) == 1 &&
                    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 && EVP_EncryptUpdate(ctx, out, &n, in, 8) == 1 &&
                    EVP_EncryptFinal_ex(ctx, out + n, &m) == 1 && n + m == 8;
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(key, sizeof key);
    return ok;
}

// DESL (MS-NLMP 6): the 16-octet hash padded to 21, three DES blocks.
bool desl(const EVP_CIPHER* c, const NtHash& hash, const uint8_t* data8, uint8_t out[24]) {
    uint8_t k[21] = {};
    std::copy(hash.begin(), hash.end(), k);
    const bool ok = des7(c, k, data8, out) && des7(c, k + 7, data8, out + 8) && des7(c, k + 14, data8, out + 16);
    OPENSSL_cleanse(k, sizeof k);
    return ok;
}

std::string_view as_view(const NtHash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }

bool equal(std::string_view a, const uint8_t* b, size_t n) {
    return a.size() == n && CRYPTO_memcmp(a.data(), b, n) == 0;
}

}  // namespace

std::string ntlmv2_response(const NtHash& hash, const Challenge& server_challenge, std::string_view user16_upper,
                            std::string_view domain16, std::string_view target_info, const Challenge& client_challenge,
                            uint64_t filetime) {
    std::string blob("\x01\x01\x00\x00\x00\x00\x00\x00", 8);  // RespType, HiRespType, reserved
    for (int i = 0; i < 8; ++i) blob.push_back(static_cast<char>((filetime >> (8 * i)) & 0xff));
    blob.append(reinterpret_cast<const char*>(client_challenge.data()), 8);
    blob.append(4, '\0');
    blob.append(target_info);
    blob.append(4, '\0');
    const std::string key = hmac_md5(as_view(hash), std::string(user16_upper) + std::string(domain16));
    if (key.empty()) return {};
    const std::string proof =
        hmac_md5(key, std::string(reinterpret_cast<const char*>(server_challenge.data()), 8) + blob);
    return proof.empty() ? std::string() : proof + blob;
}

bool nt_hash_from_hex(std::string_view hex, NtHash& out) {
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

uint64_t filetime_now() {
    using namespace std::chrono;
    const auto unix_100ns = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count() / 100;
    return static_cast<uint64_t>(unix_100ns) + 116444736000000000ull;
}

const char* response_version(std::string_view nt) {
    if (nt.size() == 24) return "NTLMv1";
    if (nt.size() > 24) return "NTLMv2";
    return "malformed";
}

Verdict verify_response(const NtHash& hash, const Challenge& server_challenge, std::string_view user16_upper,
                        std::string_view domain16, std::string_view lm, std::string_view nt, uint32_t flags,
                        const EVP_CIPHER* v1_crypto, Key16* session_base_key) {
    const std::string_view challenge(reinterpret_cast<const char*>(server_challenge.data()), 8);
    if (nt.size() > 24) {  // NTLMv2: NTProofStr (16) + the client's blob
        const std::string key = hmac_md5(as_view(hash), std::string(user16_upper) + std::string(domain16));
        if (key.empty()) return Verdict::unavailable;
        const std::string blob(nt.substr(16));
        const std::string proof = hmac_md5(key, std::string(challenge) + blob);
        if (proof.empty()) return Verdict::unavailable;
        if (!equal(nt.substr(0, 16), reinterpret_cast<const uint8_t*>(proof.data()), 16)) return Verdict::mismatch;
        if (session_base_key) {
            const std::string base = hmac_md5(key, proof);
            if (base.size() != 16) return Verdict::unavailable;
            std::copy(base.begin(), base.end(), session_base_key->begin());
        }
        return Verdict::match;
    }
    if (nt.size() != 24) return Verdict::malformed;
    if (!v1_crypto) return Verdict::v1_refused;
    uint8_t data[8];
    if ((flags & flag::extended_session_security) && lm.size() == 24) {
        // NTLM2 session response: the first 8 octets of MD5(server + client challenge).
        const std::string md = md5(std::string(challenge) + std::string(lm.substr(0, 8)));
        if (md.empty()) return Verdict::unavailable;
        std::copy(md.begin(), md.begin() + 8, data);
    } else {
        std::copy(server_challenge.begin(), server_challenge.end(), data);
    }
    uint8_t expect[24];
    if (!desl(v1_crypto, hash, data, expect)) return Verdict::unavailable;
    const bool ok = equal(nt, expect, 24);
    OPENSSL_cleanse(expect, sizeof expect);
    return ok ? Verdict::match : Verdict::mismatch;
}

}  // namespace mailfw::ntlm
