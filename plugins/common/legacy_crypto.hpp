// The OpenSSL 3 "legacy" algorithms NTLM cannot do without (MD4 for the NT
// hash, single DES for NTLMv1), in a library context of their own so that
// nothing else in the process sees the legacy provider. Owned by a plugin
// instance and freed with it: nothing is left behind when the library is
// unloaded (mailfw-admin unloads its plugins).
#pragma once
#include <openssl/evp.h>

namespace mailfw::plugin_common {

class LegacyCrypto {
public:
    LegacyCrypto();
    ~LegacyCrypto();
    LegacyCrypto(const LegacyCrypto&) = delete;
    LegacyCrypto& operator=(const LegacyCrypto&) = delete;

    // nullptr when the legacy provider is not installed.
    const EVP_MD* md4() const { return md4_; }
    const EVP_CIPHER* des_ecb() const { return des_; }

private:
    OSSL_LIB_CTX* ctx_ = nullptr;
    OSSL_PROVIDER* legacy_ = nullptr;
    OSSL_PROVIDER* default_ = nullptr;
    EVP_MD* md4_ = nullptr;
    EVP_CIPHER* des_ = nullptr;
};

}  // namespace mailfw::plugin_common
