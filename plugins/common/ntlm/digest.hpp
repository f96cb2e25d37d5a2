// MD5 and HMAC-MD5, the two digests NTLM is built from (default provider,
// not legacy). Empty results mean OpenSSL failed.
#pragma once
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>

namespace mailfw::ntlm {

inline std::string hmac_md5(std::string_view key, std::string_view data) {
    unsigned char out[16];
    unsigned int len = 0;
    if (!HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
              data.size(), out, &len) ||
        len != 16)
        return {};
    return std::string(reinterpret_cast<char*>(out), 16);
}

inline std::string md5(std::string_view data) {
    unsigned char out[16];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr) != 1 || len != 16) return {};
    return std::string(reinterpret_cast<char*>(out), 16);
}

}  // namespace mailfw::ntlm
