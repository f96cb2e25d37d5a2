// Handling of secrets: wiping buffers and comparing without timing leaks.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include <mailfw/plugin.hpp>  // mailfw::wipe, the one the plugins use too
#include <openssl/crypto.h>

namespace mailfw {

// Constant time for equal lengths; lengths are not secret here.
inline bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// A std::string that wipes itself when it dies.
class SecretString {
public:
    SecretString() = default;
    explicit SecretString(std::string s) : s_(std::move(s)) {}
    SecretString(const SecretString&) = delete;
    SecretString& operator=(const SecretString&) = delete;
    ~SecretString() { wipe(s_); }
    std::string& str() { return s_; }
    const std::string& str() const { return s_; }

private:
    std::string s_;
};

}  // namespace mailfw
