// The server's TLS context (RFC 3207 STARTTLS and implicit TLS), from the
// [tls] certificate chain and key. TLS 1.2 or newer only.
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>

namespace mailfw {

// Throws ConfigError naming the file, the reason and the fix.
std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const std::filesystem::path& certificate,
                                                                    const std::filesystem::path& key);

}  // namespace mailfw
