#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>

#include "config/server_config.hpp"

using namespace mailfw;

namespace {

const std::string kListener = "[listener.smtp]\nbind = 127.0.0.1:2525\n";

ServerConfig load(std::string_view text) {
    auto f = ConfigFile::parse(text, "test.conf", "/etc/mailfw");
    return load_server_config(f, "/usr/lib/mailfw/plugins");
}

std::string error_of(std::string_view text) {
    try {
        load(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(ServerConfig, DefaultsFromAMinimalFile) {
    auto c = load(kListener);
    char host[HOST_NAME_MAX + 1] = {};
    gethostname(host, sizeof host - 1);
    EXPECT_EQ(c.hostname, host);
    EXPECT_EQ(c.plugin_dirs, (std::vector<std::filesystem::path>{"/usr/lib/mailfw/plugins"}));
    EXPECT_TRUE(c.loads.empty());
    EXPECT_EQ(c.threads, 0u);
    EXPECT_EQ(c.spool_dir, "/etc/mailfw/spool");
    EXPECT_EQ(c.auth_threads, 0u);
    EXPECT_EQ(c.delivery_threads, 0u);
    EXPECT_EQ(c.shutdown_grace_ms, 30000u);
    EXPECT_EQ(c.log_level, "info");
    EXPECT_FALSE(c.tls_certificate);
    EXPECT_FALSE(c.tls_key);
    ASSERT_EQ(c.listeners.size(), 1u);
    const auto& l = c.listeners[0];
    EXPECT_EQ(l.name, "smtp");
    ASSERT_EQ(l.binds.size(), 1u);
    EXPECT_EQ(l.binds[0].address, "127.0.0.1");
    EXPECT_EQ(l.binds[0].port, 2525);
    EXPECT_EQ(l.role, Role::gateway);
    EXPECT_EQ(l.tls, TlsMode::none);
    EXPECT_FALSE(l.auth_required);
    EXPECT_FALSE(l.allow_plaintext_auth);
    EXPECT_EQ(l.relaxed_auth, RelaxedAuth::automatic);
    EXPECT_TRUE(l.remote_ip_ranges.empty());
    EXPECT_EQ(l.idle_backstop_ms, mailfw::backstop::kMaxIdleMs);
    EXPECT_EQ(l.message_size_backstop, mailfw::backstop::kMaxMessageSize);
    EXPECT_EQ(l.improper_pipelining, mailfw::ImproperPipelining::refuse_unauthenticated);
    EXPECT_EQ(l.nul_characters, mailfw::NulCharacters::refuse);
    EXPECT_EQ(l.greet_pause_ms, 0u);
    EXPECT_EQ(c.auth_cache_bytes, 1024u * 1024u);
    EXPECT_EQ(c.auth_cache_ttl_ms, 3600000u);
    EXPECT_EQ(c.auth_cache_negative_ttl_ms, 3600000u);
}

TEST(ServerConfig, HardeningKeys) {
    auto c = load(kListener + "improper_pipelining = allow\nnul_characters = strip\ngreet_pause = 6s\n");
    const auto& l = c.listeners[0];
    EXPECT_EQ(l.improper_pipelining, mailfw::ImproperPipelining::allow);
    EXPECT_EQ(l.nul_characters, mailfw::NulCharacters::strip);
    EXPECT_EQ(l.greet_pause_ms, 6000u);
    EXPECT_EQ(load(kListener + "improper_pipelining = refuse\n").listeners[0].improper_pipelining,
              mailfw::ImproperPipelining::refuse);
    EXPECT_NE(error_of(kListener + "improper_pipelining = yes\n")
                  .find("expected one of: refuse_unauthenticated, refuse, allow"),
              std::string::npos);
    EXPECT_NE(error_of(kListener + "nul_characters = drop\n").find("expected one of: refuse, strip"),
              std::string::npos);
    EXPECT_EQ(error_of(kListener + "greet_pause = 10m\n"),
              "test.conf:3: greet_pause = 600s is longer than a client waits for a greeting (5 minutes, RFC 5321 "
              "§4.5.3.2); use a few seconds, e.g. 6s");
    EXPECT_NE(error_of("[server]\nauth_cache_ttl = soon\n" + kListener).find("'auth_cache_ttl'"), std::string::npos);
}

TEST(ServerConfig, EverythingSet) {
    auto c = load(
        "[server]\n"
        "hostname = mx.example.org\n"
        "plugin_dir = plugins\n"
        "plugin_dir = /opt/mailfw/plugins\n"
        "load = sasl-login\n"
        "load = store-sqlite\n"
        "threads = 4\n"
        "spool = /var/spool/mailfw\n"
        "auth_threads = 3\n"
        "delivery_threads = 5\n"
        "shutdown_grace = 10s\n"
        "log_level = debug\n"
        "[tls]\n"
        "certificate = cert.pem\n"
        "key = key.pem\n"
        "[listener.submission]\n"
        "bind = *:587\n"
        "bind = [::1]:587\n"
        "role = relay\n"
        "tls = starttls\n"
        "auth = required\n"
        "allow_plaintext_auth = yes\n"
        "relaxed_auth = false\n"
        "remote_ip_ranges = 192.0.2.0/24\n"
        "remote_ip_ranges = 2001:db8::/32\n"
        "[listener.smtps]\n"
        "bind = 0.0.0.0:465\n"
        "tls = implicit\n"
        "[store-sqlite]\n"
        "path = users.db\n");
    EXPECT_EQ(c.hostname, "mx.example.org");
    EXPECT_EQ(c.plugin_dirs, (std::vector<std::filesystem::path>{"/etc/mailfw/plugins", "/opt/mailfw/plugins"}));
    ASSERT_EQ(c.loads.size(), 2u);
    EXPECT_EQ(c.loads[0].name, "sasl-login");
    EXPECT_EQ(c.loads[0].line, 5);
    EXPECT_EQ(c.loads[1].name, "store-sqlite");
    EXPECT_EQ(c.loads[1].line, 6);
    EXPECT_EQ(c.threads, 4u);
    EXPECT_EQ(c.spool_dir, "/var/spool/mailfw");
    EXPECT_EQ(c.auth_threads, 3u);
    EXPECT_EQ(c.delivery_threads, 5u);
    EXPECT_EQ(c.shutdown_grace_ms, 10000u);
    EXPECT_EQ(c.log_level, "debug");
    EXPECT_EQ(c.tls_certificate, std::filesystem::path("/etc/mailfw/cert.pem"));
    EXPECT_EQ(c.tls_key, std::filesystem::path("/etc/mailfw/key.pem"));
    ASSERT_EQ(c.listeners.size(), 2u);
    const auto& s = c.listeners[0];
    EXPECT_EQ(s.name, "submission");
    ASSERT_EQ(s.binds.size(), 2u);
    EXPECT_EQ(s.binds[0].address, "0.0.0.0");
    EXPECT_EQ(s.binds[1].address, "::1");
    EXPECT_EQ(s.role, Role::relay);
    EXPECT_EQ(s.tls, TlsMode::starttls);
    EXPECT_TRUE(s.auth_required);
    EXPECT_TRUE(s.allow_plaintext_auth);
    EXPECT_EQ(s.relaxed_auth, RelaxedAuth::never);
    ASSERT_EQ(s.remote_ip_ranges.size(), 2u);
    EXPECT_TRUE(in_range(s.remote_ip_ranges[0], "192.0.2.77"));
    EXPECT_TRUE(in_range(s.remote_ip_ranges[1], "2001:db8::25"));
    EXPECT_EQ(c.listeners[1].tls, TlsMode::implicit);
}

TEST(ServerConfig, EveryKeyHasHelp) {
    for (const auto* schema : {&server_section_schema(), &tls_section_schema(), &listener_section_schema()})
        for (const auto& k : *schema) {
            EXPECT_FALSE(k.help.empty()) << k.name;
            EXPECT_EQ(k.help.find('\n'), std::string::npos) << k.name;
        }
}

TEST(ServerConfig, NoListener) {
    EXPECT_EQ(error_of("[server]\nhostname = x\n"),
              "test.conf: no listener configured; add a [listener.NAME] section with bind = 127.0.0.1:2525");
}

TEST(ServerConfig, ListenerNeedsBindAndAValidOne) {
    EXPECT_EQ(error_of("[listener.smtp]\nrole = relay\n").find("test.conf:1: [listener.smtp] needs 'bind'"), 0u);
    EXPECT_EQ(error_of("[listener.smtp]\n\nbind = localhost:25\n"),
              "test.conf:3: bad value 'localhost:25' for 'bind' in [listener.smtp]: expected address:port like "
              "127.0.0.1:2525, [::1]:2525 or *:25 (port 1-65535)");
    EXPECT_NE(error_of("[listener.smtp]\nbind = 127.0.0.1:0\n").find("test.conf:2: bad value '127.0.0.1:0'"),
              std::string::npos);
    EXPECT_EQ(error_of(kListener + "[listener.other]\nbind = 127.0.0.1:2525\n"),
              "test.conf:4: 127.0.0.1:2525 is already bound by [listener.smtp]; give each listener its own "
              "address:port");
    EXPECT_EQ(error_of("[listener]\nbind = 127.0.0.1:25\n"),
              "test.conf:1: [listener] needs a name; write [listener.NAME], e.g. [listener.smtp]");
}

TEST(ServerConfig, ListenerChoicesAndTypes) {
    EXPECT_EQ(error_of(kListener + "role = edge\n"),
              "test.conf:3: bad value 'edge' for 'role' in [listener.smtp]: expected one of: gateway, relay");
    EXPECT_NE(error_of(kListener + "tls = ssl\n").find("expected one of: none, starttls, implicit"),
              std::string::npos);
    EXPECT_NE(error_of(kListener + "auth = yes\n").find("expected one of: optional, required"), std::string::npos);
    // One owner per limit: the 1.0 listener keys name the plugin that has them now.
    EXPECT_EQ(error_of(kListener + "idle_timeout = 5m\n"),
              "test.conf:3: `idle_timeout` in [listener.smtp] was moved to a limit plugin in mailfw 1.2: load "
              "limit-timers and set inactivity_timeout in [limit-timers]");
    EXPECT_EQ(error_of(kListener + "max_message_size = 10MB\n"),
              "test.conf:3: `max_message_size` in [listener.smtp] was moved to a limit plugin in mailfw 1.2: load "
              "limit-size and set max_message_size in [limit-size]");
    EXPECT_NE(error_of(kListener + "relaxed_auth = maybe\n").find("expected one of: auto, true, false"),
              std::string::npos);
    EXPECT_EQ(error_of(kListener + "remote_ip_ranges = 10.0.0.1/8\n"),
              "test.conf:3: bad value '10.0.0.1/8' for 'remote_ip_ranges' in [listener.smtp]: expected an address or "
              "a network like 192.0.2.0/24 or 2001:db8::/32 (no host bits after the prefix)");
    EXPECT_EQ(error_of("[server]\ndelivery = deliver-maildir\n" + kListener),
              "test.conf:2: `delivery =` was removed in mailfw 1.1: every loaded delivery plugin is asked, in load "
              "order, which recipients it takes; remove the line");
    EXPECT_NE(error_of("[server]\nauth_threads = -1\n" + kListener).find("auth_threads = -1 is out of range"),
              std::string::npos);
    EXPECT_EQ(error_of(kListener + "bnid = 1\n").find("test.conf:3: unknown key 'bnid' in [listener.smtp]; did you "
                                                      "mean 'bind'?"),
              0u);
}

TEST(ServerConfig, TlsListenerNeedsCertificateAndKey) {
    EXPECT_EQ(error_of("[listener.smtp]\nbind = 127.0.0.1:25\n\ntls = starttls\n"),
              "test.conf:4: [listener.smtp] sets tls = starttls but there is no certificate; add a [tls] section "
              "with certificate = and key =");
    EXPECT_NE(error_of("[listener.smtps]\ntls = implicit\nbind = 127.0.0.1:465\n").find("test.conf:2:"),
              std::string::npos);
    EXPECT_EQ(error_of("[tls]\ncertificate = c.pem\n" + kListener),
              "test.conf:2: [tls] has certificate but no key; add `key = /path/to/key.pem` to [tls]");
    EXPECT_EQ(error_of("[tls]\nkey = k.pem\n" + kListener),
              "test.conf:2: [tls] has key but no certificate; add `certificate = /path/to/certificate.pem` to [tls]");
}

TEST(ServerConfig, ServerSectionErrors) {
    EXPECT_EQ(error_of("[server]\nload = a\nload = b\nload = a\n" + kListener + "[a]\n[b]\n"),
              "test.conf:4: plugin 'a' is loaded twice (first at line 2); remove one of the `load = a` lines");
    EXPECT_NE(error_of("[server]\nload = ../evil\n" + kListener).find("test.conf:2: bad plugin name '../evil'"),
              std::string::npos);
    EXPECT_EQ(error_of("[server]\nthreads = -1\n" + kListener),
              "test.conf:2: threads = -1 is out of range; use 0 (half the cores) or 1 to 1024");
    EXPECT_NE(error_of("[server]\nlog_level = verbose\n" + kListener)
                  .find("expected one of: debug, info, warning, error"),
              std::string::npos);
    EXPECT_EQ(error_of("[server]\nloda = x\n" + kListener).find("test.conf:2: unknown key 'loda' in [server]; did you "
                                                                "mean 'load'?"),
              0u);
}

TEST(ServerConfig, SectionsMustBeCoreOrLoadedPlugins) {
    EXPECT_EQ(error_of(kListener + "\n[store-sqlite]\npath = x\n"),
              "test.conf:4: [store-sqlite] is neither a core section nor a loaded plugin; add `load = store-sqlite` "
              "to [server] or remove the section");
    // Plugin sections are left to the plugin host: unknown keys pass here.
    EXPECT_EQ(error_of("[server]\nload = store-sqlite\n" + kListener + "[store-sqlite]\nanything = x\n"),
              "(no error)");
}
