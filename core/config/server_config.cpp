#include "config/server_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <map>

namespace mailfw {
namespace {

constexpr std::string_view kListenerPrefix = "listener.";

KeySpec key(std::string name, mailfw_key_type type, std::optional<std::string> def, std::string help,
            uint32_t flags = 0, std::vector<std::string> choices = {}) {
    KeySpec k;
    k.name = std::move(name);
    k.type = type;
    k.flags = flags;
    k.default_value = std::move(def);
    k.help = std::move(help);
    k.choices = std::move(choices);
    return k;
}

std::string machine_hostname() {
    char buf[HOST_NAME_MAX + 1] = {};
    if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
    return buf;
}

// Plugin names become file names: nothing that could leave the plugin directory.
bool valid_plugin_name(std::string_view s) {
    return !s.empty() && s.front() != '-' && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
}

std::string at(const ConfigFile& file, const ConfigEntry* e, std::string_view section) {
    if (e) return file.where(*e);
    int line = file.section_line(section);
    return line ? file.origin() + ":" + std::to_string(line) : file.origin();
}

ListenerConfig read_listener(const ConfigFile& file, const std::string& section,
                             std::map<std::string, std::string>& bound) {
    // Moved to the limit plugins in 1.2 (one owner per limit); a precise line beats "unknown key".
    static constexpr std::pair<const char*, const char*> kMoved[] = {
        {"idle_timeout", "load limit-timers and set inactivity_timeout in [limit-timers]"},
        {"max_message_size", "load limit-size and set max_message_size in [limit-size]"},
    };
    for (const ConfigEntry* e : file.entries(section))
        for (const auto& [key, fix] : kMoved)
            if (e->key == key)
                throw ConfigError(file.where(*e) + ": `" + key + "` in [" + section +
                                  "] was moved to a limit plugin in mailfw 1.2: " + fix);
    SectionValues v = validate_section(file, section, listener_section_schema());
    ListenerConfig l;
    l.name = section.substr(kListenerPrefix.size());
    for (size_t i = 0; i < v.count("bind"); ++i) {
        const ConfigEntry* e = v.entry("bind", i);
        std::string text = *v.string("bind", i);
        auto ep = parse_endpoint(text);
        if (!ep)
            throw ConfigError(at(file, e, section) + ": bad value '" + text + "' for 'bind' in [" + section +
                              "]: expected address:port like 127.0.0.1:2525, [::1]:2525 or *:25 (port 1-65535)");
        std::string id = ep->address + "|" + std::to_string(ep->port);
        auto [it, fresh] = bound.emplace(id, section);
        if (!fresh)
            throw ConfigError(at(file, e, section) + ": " + text + " is already bound by [" + it->second +
                              "]; give each listener its own address:port");
        l.binds.push_back(*ep);
    }
    l.role = *v.string("role") == "relay" ? Role::relay : Role::gateway;
    const std::string tls = *v.string("tls");
    l.tls = tls == "starttls" ? TlsMode::starttls : tls == "implicit" ? TlsMode::implicit : TlsMode::none;
    l.auth_required = *v.string("auth") == "required";
    l.allow_plaintext_auth = *v.number("allow_plaintext_auth") != 0;
    const std::string pipelining = *v.string("improper_pipelining");
    l.improper_pipelining = pipelining == "allow"    ? ImproperPipelining::allow
                            : pipelining == "refuse" ? ImproperPipelining::refuse
                                                     : ImproperPipelining::refuse_unauthenticated;
    l.nul_characters = *v.string("nul_characters") == "strip" ? NulCharacters::strip : NulCharacters::refuse;
    l.greet_pause_ms = static_cast<uint64_t>(*v.number("greet_pause"));
    if (l.greet_pause_ms > 300000)
        throw ConfigError(at(file, v.entry("greet_pause"), section) + ": greet_pause = " +
                          std::to_string(l.greet_pause_ms / 1000) +
                          "s is longer than a client waits for a greeting (5 minutes, RFC 5321 §4.5.3.2); use a few "
                          "seconds, e.g. 6s");
    const std::string relaxed = *v.string("relaxed_auth");
    l.relaxed_auth = relaxed == "auto"   ? RelaxedAuth::automatic
                     : relaxed == "true" ? RelaxedAuth::always
                                         : RelaxedAuth::never;
    for (size_t i = 0; i < v.count("remote_ip_ranges"); ++i) {
        const std::string text = *v.string("remote_ip_ranges", i);
        auto range = parse_ip_range(text);
        if (!range)
            throw ConfigError(at(file, v.entry("remote_ip_ranges", i), section) + ": bad value '" + text +
                              "' for 'remote_ip_ranges' in [" + section +
                              "]: expected an address or a network like 192.0.2.0/24 or 2001:db8::/32 "
                              "(no host bits after the prefix)");
        l.remote_ip_ranges.push_back(*range);
    }
    return l;
}

}  // namespace

const std::vector<KeySpec>& server_section_schema() {
    static const std::vector<KeySpec> schema = {
        key("hostname", MAILFW_KEY_STRING, std::nullopt,
            "name this server gives in its greeting and Received: lines (default: the machine's host name)"),
        key("load", MAILFW_KEY_STRING, std::nullopt,
            "a plugin to load, by name (NAME.so in a plugin_dir); repeat for each plugin, in order",
            MAILFW_KEY_MULTI),
        key("plugin_dir", MAILFW_KEY_PATH, std::nullopt,
            "a directory searched for plugins, in order (default: lib/mailfw/plugins next to the binary)",
            MAILFW_KEY_MULTI),
        key("threads", MAILFW_KEY_INT, "0", "network threads (sessions, TLS); 0 = half the CPU cores, at least 1"),
        key("spool", MAILFW_KEY_PATH, "spool", "directory where accepted messages are written before delivery"),
        key("auth_threads", MAILFW_KEY_INT, "0",
            "threads that run SASL steps (password hashing, Kerberos); 0 = one per CPU core"),
        key("delivery_threads", MAILFW_KEY_INT, "0",
            "threads that run blocking deliveries (disk writes, fsync); 0 = four per CPU core"),
        key("counters", MAILFW_KEY_STRING, "local",
            "where limit plugins keep their counters: local (this process; a shared backend comes later)", 0,
            {"local"}),
        key("shutdown_grace", MAILFW_KEY_DURATION, "30s",
            "how long open sessions may finish after a stop request before they get 421"),
        key("log_level", MAILFW_KEY_STRING, "info", "least severe log level written",
            0, {"debug", "info", "warning", "error"}),
        key("auth_cache_size", MAILFW_KEY_SIZE, "1MiB",
            "memory for remembered password checks (Dovecot's auth_cache_size; about 128 bytes each, keyed by "
            "a salted hash of user and password, never the password); 0 turns the cache off"),
        key("auth_cache_ttl", MAILFW_KEY_DURATION, "1h",
            "how long a successful password check is remembered; a password change or deletion in the store "
            "forgets it at once"),
        key("auth_cache_negative_ttl", MAILFW_KEY_DURATION, "1h",
            "how long a failed check (wrong password, unknown user) is remembered; 0 = not at all"),
    };
    return schema;
}

const std::vector<KeySpec>& tls_section_schema() {
    static const std::vector<KeySpec> schema = {
        key("certificate", MAILFW_KEY_PATH, std::nullopt, "PEM certificate chain for STARTTLS and implicit TLS"),
        key("key", MAILFW_KEY_PATH, std::nullopt, "PEM private key of the certificate"),
    };
    return schema;
}

const std::vector<KeySpec>& listener_section_schema() {
    static const std::vector<KeySpec> schema = {
        key("bind", MAILFW_KEY_STRING, std::nullopt,
            "address:port to listen on, e.g. 127.0.0.1:2525, [::1]:2525 or *:25; may repeat",
            MAILFW_KEY_MULTI | MAILFW_KEY_REQUIRED),
        key("role", MAILFW_KEY_STRING, "gateway",
            "gateway (mail from the internet) or relay (our own clients: remote_ip_ranges may relay; plugins see it)",
            0, {"gateway", "relay"}),
        key("tls", MAILFW_KEY_STRING, "none",
            "none, starttls (offer STARTTLS) or implicit (TLS from the first byte, as on port 465)",
            0, {"none", "starttls", "implicit"}),
        key("auth", MAILFW_KEY_STRING, "optional", "required: MAIL FROM only after AUTH",
            0, {"optional", "required"}),
        key("allow_plaintext_auth", MAILFW_KEY_BOOL, "false",
            "offer password mechanisms (PLAIN, LOGIN) without TLS"),
        key("relaxed_auth", MAILFW_KEY_STRING, "auto",
            "`334 <MECH> supported` for an empty first challenge (MS-OXSMTP 2.2.1): auto (only mechanisms "
            "that declare it, as Exchange: GSSAPI, NTLM), true (every mechanism) or false (never)",
            0, {"auto", "true", "false"}),
        key("remote_ip_ranges", MAILFW_KEY_STRING, std::nullopt,
            "on a relay listener, clients from this address or network (CIDR) may relay without AUTH; may repeat",
            MAILFW_KEY_MULTI),
        key("improper_pipelining", MAILFW_KEY_STRING, "refuse_unauthenticated",
            "input sent ahead after DATA (before the 354) or after a message (before its reply), where RFC 2920 "
            "says wait: refuse_unauthenticated (554 5.5.0 and close, as Postfix's smtpd_forbid_unauth_pipelining), "
            "refuse (authenticated clients too) or allow",
            0, {"refuse_unauthenticated", "refuse", "allow"}),
        key("nul_characters", MAILFW_KEY_STRING, "refuse",
            "NUL bytes in a message (RFC 5322 forbids them; a next hop that drops them may see a smuggled end of "
            "data): refuse (554 5.6.0, nothing kept) or strip (removed, as Postfix's message_strip_characters = \\0)",
            0, {"refuse", "strip"}),
        key("greet_pause", MAILFW_KEY_DURATION, "0s",
            "hold the 220 greeting this long and refuse a client that talks first with 554 5.5.0 (postscreen's "
            "pregreet test); 0s: off"),
    };
    return schema;
}

ServerConfig load_server_config(const ConfigFile& file, const std::filesystem::path& default_plugin_dir) {
    ServerConfig cfg;
    // Removed in 1.1; a precise line beats "unknown key".
    for (const ConfigEntry* e : file.entries("server"))
        if (e->key == "delivery")
            throw ConfigError(file.where(*e) +
                              ": `delivery =` was removed in mailfw 1.1: every loaded delivery plugin is asked, in "
                              "load order, which recipients it takes; remove the line");
    SectionValues server = validate_section(file, "server", server_section_schema());

    cfg.hostname = server.string("hostname").value_or("");
    if (cfg.hostname.empty()) cfg.hostname = machine_hostname();
    for (const auto& d : server.strings("plugin_dir")) cfg.plugin_dirs.emplace_back(d);
    if (cfg.plugin_dirs.empty()) cfg.plugin_dirs.push_back(default_plugin_dir);

    for (size_t i = 0; i < server.count("load"); ++i) {
        const ConfigEntry* e = server.entry("load", i);
        std::string name = *server.string("load", i);
        if (!valid_plugin_name(name))
            throw ConfigError(at(file, e, "server") + ": bad plugin name '" + name +
                              "' in `load =`; a plugin name is its file name without .so, e.g. load = sasl-login");
        auto dup = std::find_if(cfg.loads.begin(), cfg.loads.end(), [&](const PluginLoad& p) { return p.name == name; });
        if (dup != cfg.loads.end())
            throw ConfigError(at(file, e, "server") + ": plugin '" + name + "' is loaded twice (first at line " +
                              std::to_string(dup->line) + "); remove one of the `load = " + name + "` lines");
        cfg.loads.push_back({name, e ? e->line : 0});
    }

    int64_t threads = *server.number("threads");
    if (threads < 0 || threads > 1024)
        throw ConfigError(at(file, server.entry("threads"), "server") + ": threads = " + std::to_string(threads) +
                          " is out of range; use 0 (half the cores) or 1 to 1024");
    cfg.threads = static_cast<unsigned>(threads);
    cfg.spool_dir = *server.string("spool");
    for (const char* k : {"auth_threads", "delivery_threads"}) {
        const int64_t n = *server.number(k);
        if (n < 0 || n > 1024)
            throw ConfigError(at(file, server.entry(k), "server") + ": " + k + " = " + std::to_string(n) +
                              " is out of range; use 0 (the default) or 1 to 1024");
    }
    cfg.auth_threads = static_cast<unsigned>(*server.number("auth_threads"));
    cfg.delivery_threads = static_cast<unsigned>(*server.number("delivery_threads"));
    cfg.counters = *server.string("counters");
    cfg.shutdown_grace_ms = static_cast<uint64_t>(*server.number("shutdown_grace"));
    cfg.log_level = *server.string("log_level");
    cfg.auth_cache_bytes = static_cast<uint64_t>(*server.number("auth_cache_size"));
    cfg.auth_cache_ttl_ms = static_cast<uint64_t>(*server.number("auth_cache_ttl"));
    cfg.auth_cache_negative_ttl_ms = static_cast<uint64_t>(*server.number("auth_cache_negative_ttl"));

    // Every section must belong to the core or to a loaded plugin.
    for (const auto& section : file.sections()) {
        if (section == "server" || section == "tls") continue;
        if (section.starts_with(kListenerPrefix)) continue;
        int line = file.section_line(section);
        std::string where = file.origin() + ":" + std::to_string(line);
        if (section == "listener")
            throw ConfigError(where + ": [listener] needs a name; write [listener.NAME], e.g. [listener.smtp]");
        bool loaded = std::any_of(cfg.loads.begin(), cfg.loads.end(),
                                  [&](const PluginLoad& p) { return p.name == section; });
        if (!loaded)
            throw ConfigError(where + ": [" + section + "] is neither a core section nor a loaded plugin; add `load = " +
                              section + "` to [server] or remove the section");
    }

    SectionValues tls = validate_section(file, "tls", tls_section_schema());
    if (auto c = tls.string("certificate")) cfg.tls_certificate = *c;
    if (auto k = tls.string("key")) cfg.tls_key = *k;
    if (cfg.tls_certificate.has_value() != cfg.tls_key.has_value()) {
        const char* missing = cfg.tls_key ? "certificate" : "key";
        const ConfigEntry* given = cfg.tls_key ? tls.entry("key") : tls.entry("certificate");
        throw ConfigError(at(file, given, "tls") + ": [tls] has " + (cfg.tls_key ? "key" : "certificate") +
                          " but no " + missing + "; add `" + missing + " = /path/to/" + missing + ".pem` to [tls]");
    }

    std::map<std::string, std::string> bound;
    for (const auto& section : file.sections()) {
        if (!section.starts_with(kListenerPrefix)) continue;
        ListenerConfig l = read_listener(file, section, bound);
        if (l.tls != TlsMode::none && !cfg.tls_certificate) {
            SectionValues v = validate_section(file, section, listener_section_schema());
            throw ConfigError(at(file, v.entry("tls"), section) + ": [" + section + "] sets tls = " +
                              *v.string("tls") +
                              " but there is no certificate; add a [tls] section with certificate = and key =");
        }
        cfg.listeners.push_back(std::move(l));
    }
    if (cfg.listeners.empty())
        throw ConfigError(file.origin() +
                          ": no listener configured; add a [listener.NAME] section with bind = 127.0.0.1:2525");
    return cfg;
}

}  // namespace mailfw
