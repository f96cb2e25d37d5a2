// store-sqlite: reads [store-sqlite] and binds CredentialStore to the C ABI.
#include "credential_store.hpp"
#include "password_hash.hpp"

#include <mailfw/plugin.hpp>

#include <stdexcept>

namespace {

using mailfw::store_sqlite::CredentialStore;

constexpr int64_t default_iterations = 210000;
// Below this a warning is logged (OWASP's figures have been 310000 and up).
constexpr uint32_t owasp_floor = 100000;

std::string configured_path(const mailfw::Host& host) {
    auto path = host.config_string("path");
    if (!path || path->empty())
        throw std::runtime_error("store-sqlite: `path =` is missing in [store-sqlite]; set it to the "
                                 "user database file, e.g. /var/lib/mailfw/users.db");
    return *path;
}

uint32_t configured_iterations(const mailfw::Host& host) {
    const int64_t n = host.config_number("pbkdf2_iterations").value_or(default_iterations);
    if (n < mailfw::store_sqlite::min_iterations || n > mailfw::store_sqlite::max_iterations)
        throw std::runtime_error("store-sqlite: pbkdf2_iterations = " + std::to_string(n) +
                                 " is out of range; use 1 to 100000000 (default 210000)");
    return static_cast<uint32_t>(n);
}

// Instance is the store itself: the store_table() slots find its members.
struct Instance : mailfw::PluginInstance, CredentialStore {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          CredentialStore(configured_path(this->host()), configured_iterations(this->host()),
                          [this](int level, std::string_view msg) { this->host().log(level, msg); },
                          this->host().config_number("ntlm_hashes").value_or(0) != 0) {
        if (const uint32_t n = configured_iterations(host()); n < owasp_floor)
            host().log(MAILFW_LOG_WARNING,
                       "pbkdf2_iterations = " + std::to_string(n) +
                           " is far below OWASP guidance for PBKDF2-HMAC-SHA256; new passwords "
                           "are easy to brute-force if the file leaks");
    }
};

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("path", MAILFW_KEY_PATH, nullptr,
                       "SQLite file holding users, properties and proxy rights; created (0600) "
                       "with its directory when missing",
                       MAILFW_KEY_REQUIRED),
    mailfw::config_key("pbkdf2_iterations", MAILFW_KEY_INT, "210000",
                       "PBKDF2-HMAC-SHA256 rounds for passwords set from now on (follow current "
                       "OWASP guidance); existing hashes keep their own count"),
    mailfw::config_key("ntlm_hashes", MAILFW_KEY_BOOL, "false",
                       "also keep each password's NT hash (MD4; a password equivalent for NTLM) for sasl-ntlm: "
                       "set with the password, or at the next successful LOGIN/PLAIN login"),
};

constexpr mailfw_store store = mailfw::store_table<Instance>();

constexpr mailfw_plugin make_descriptor() {
    mailfw_plugin p = mailfw::plugin_descriptor<Instance>(
        "store-sqlite", "1.0.0", "credential store in an SQLite file (PBKDF2-SHA256 hashes)", keys,
        sizeof keys / sizeof keys[0]);
    p.store = &store;
    return p;
}

constexpr mailfw_plugin descriptor = make_descriptor();

}  // namespace

MAILFW_PLUGIN(descriptor)
