#include "legacy_crypto.hpp"

#include <openssl/provider.h>

namespace mailfw::plugin_common {

LegacyCrypto::LegacyCrypto() {
    ctx_ = OSSL_LIB_CTX_new();
    if (!ctx_) return;
    legacy_ = OSSL_PROVIDER_load(ctx_, "legacy");
    default_ = OSSL_PROVIDER_load(ctx_, "default");
    if (!legacy_ || !default_) return;
    md4_ = EVP_MD_fetch(ctx_, "MD4", nullptr);
    des_ = EVP_CIPHER_fetch(ctx_, "DES-ECB", nullptr);
}

LegacyCrypto::~LegacyCrypto() {
    EVP_CIPHER_free(des_);
    EVP_MD_free(md4_);
    if (default_) OSSL_PROVIDER_unload(default_);
    if (legacy_) OSSL_PROVIDER_unload(legacy_);
    OSSL_LIB_CTX_free(ctx_);
}

}  // namespace mailfw::plugin_common
