// The core's own configuration: [server], [tls] and every [listener.NAME].
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/backstops.hpp"
#include "config/config_file.hpp"
#include "config/section_schema.hpp"
#include "config/value_parsers.hpp"
#include "net/ip_range.hpp"

namespace mailfw {

enum class Role { gateway, relay };
enum class TlsMode { none, starttls, implicit };
// When AUTH answers "334 <MECH> supported" (MS-OXSMTP 2.2.1) instead of an
// empty "334 ": never, only for mechanisms that declare it, or always.
enum class RelaxedAuth { never, automatic, always };
// Bytes sent ahead where RFC 2920 says the client must wait (after DATA
// before the 354, after the end of a message before its reply): refused
// for unauthenticated clients (Postfix's smtpd_forbid_unauth_pipelining),
// for everyone, or allowed.
enum class ImproperPipelining { refuse_unauthenticated, refuse, allow };
// NUL in message text (RFC 5322 forbids it): refused, or removed.
enum class NulCharacters { refuse, strip };

struct ListenerConfig {
    std::string name;                  // NAME of [listener.NAME]
    std::vector<Endpoint> binds;       // bind = (may repeat; at least one)
    Role role = Role::gateway;         // role = gateway | relay
    TlsMode tls = TlsMode::none;       // tls = none | starttls | implicit
    bool auth_required = false;        // auth = optional | required
    bool allow_plaintext_auth = false;
    RelaxedAuth relaxed_auth = RelaxedAuth::automatic;
    // remote_ip_ranges = : on a relay listener, clients from these ranges
    // may relay without AUTH. Empty: only authenticated clients may relay.
    std::vector<IpRange> remote_ip_ranges;
    ImproperPipelining improper_pipelining = ImproperPipelining::refuse_unauthenticated;
    NulCharacters nul_characters = NulCharacters::refuse;
    uint64_t greet_pause_ms = 0;  // greet_pause: the 220 held this long; a client talking first is refused
    // The core's backstops (config/backstops.hpp), not config keys: the
    // policy limits are limit-timers' and limit-size's. Tests lower them.
    uint64_t idle_backstop_ms = backstop::kMaxIdleMs;
    uint64_t message_size_backstop = backstop::kMaxMessageSize;
};

struct PluginLoad {
    std::string name;  // load = NAME
    int line = 0;      // where it was named, for messages
};

struct ServerConfig {
    std::string hostname;                          // default: the machine's host name
    std::vector<std::filesystem::path> plugin_dirs; // plugin_dir = (may repeat); default <exe>/../lib/mailfw/plugins
    std::vector<PluginLoad> loads;                 // load = NAME, in order
    unsigned threads = 0;                          // 0 = half the cores, at least 1: network threads
    unsigned auth_threads = 0;                     // 0 = one per core: SASL steps (password hashing)
    unsigned delivery_threads = 0;                 // 0 = 4 per core: blocking deliveries (disk, fsync)
    std::string counters = "local";                // counters = local: the counter backend for limits
    std::filesystem::path spool_dir;               // spool = data/spool (default "spool")
    uint64_t shutdown_grace_ms = 30000;            // shutdown_grace = 30s
    std::string log_level = "info";                // log_level = debug | info | warning | error
    uint64_t auth_cache_bytes = 1024 * 1024;       // auth_cache_size = 1MiB; 0 = no cache
    uint64_t auth_cache_ttl_ms = 3600000;          // auth_cache_ttl = 1h
    uint64_t auth_cache_negative_ttl_ms = 3600000; // auth_cache_negative_ttl = 1h
    std::optional<std::filesystem::path> tls_certificate;  // [tls] certificate
    std::optional<std::filesystem::path> tls_key;          // [tls] key
    std::vector<ListenerConfig> listeners;
};

// The keys of [server], [tls] and [listener.*] with defaults and one-line help.
const std::vector<KeySpec>& server_section_schema();
const std::vector<KeySpec>& tls_section_schema();
const std::vector<KeySpec>& listener_section_schema();

// Reads and validates the core sections. `default_plugin_dir` is used when no
// plugin_dir is given. Throws ConfigError (file:line, and the fix) for bad
// values, no listener, a listener with tls != none but no [tls] files, etc.
// Sections that are neither core nor named by a `load =` line are errors
// ("[foo] is not a core section and no plugin named foo is loaded").
ServerConfig load_server_config(const ConfigFile& file, const std::filesystem::path& default_plugin_dir);

}  // namespace mailfw
