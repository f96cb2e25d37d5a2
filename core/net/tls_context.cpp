#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "config/config_file.hpp"

namespace mailfw {

namespace ssl = boost::asio::ssl;

namespace {
std::string openssl_reason() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}
}  // namespace

std::unique_ptr<ssl::context> make_server_tls_context(const std::filesystem::path& certificate,
                                                       const std::filesystem::path& key) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                     ssl::context::single_dh_use);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(native, certificate.c_str()) != 1)
        throw ConfigError("[tls] certificate = " + certificate.string() + ": cannot load (" + openssl_reason() +
                          "); point it at a readable PEM certificate chain");
    if (SSL_CTX_use_PrivateKey_file(native, key.c_str(), SSL_FILETYPE_PEM) != 1)
        throw ConfigError("[tls] key = " + key.string() + ": cannot load (" + openssl_reason() +
                          "); point it at a readable, unencrypted PEM private key");
    if (SSL_CTX_check_private_key(native) != 1)
        throw ConfigError("[tls] key = " + key.string() + " does not match certificate " + certificate.string() +
                          "; use the key the certificate was issued for");
    return ctx;
}

}  // namespace mailfw
