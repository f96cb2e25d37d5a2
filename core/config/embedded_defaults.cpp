#include "config/embedded_defaults.hpp"

#include <system_error>

namespace mailfw {

std::string embedded_defaults_text(const std::filesystem::path& data_dir, const std::string& listen) {
    const std::string d = data_dir.string();
    return "# mailfwd embedded defaults (data directory " + d + ")\n"
           "[server]\n"
           "hostname = localhost\n"
           "load = store-sqlite\n"
           "load = deliver-maildir\n"
           "load = sasl-login\n"
           "load = sasl-plain\n"
           "# The MS-OXSMTP limits, with Exchange's defaults (configuration.md, Limits).\n"
           "load = limit-timers\n"
           "load = limit-connections\n"
           "load = limit-size\n"
           "load = limit-recipients\n"
           "load = limit-hops\n"
           "load = limit-protocol-errors\n"
           "load = tarpit\n"
           "spool = " + d + "/spool\n"
           "\n"
           "# Loopback only, so plain-text AUTH without TLS is acceptable here.\n"
           "[listener.default]\n"
           "bind = " + listen + "\n"
           "role = relay\n"
           "tls = none\n"
           "auth = optional\n"
           "allow_plaintext_auth = true\n"
           "\n"
           "[store-sqlite]\n"
           "path = " + d + "/users.db\n"
           "\n"
           "[deliver-maildir]\n"
           "root = " + d + "/maildir\n"
           "# Recipients in these domains are stored here; any other gets\n"
           "# 554 5.7.1 (relay access denied).\n"
           "domains = example.test\n"
           "domains = localhost\n";
}

ConfigFile embedded_defaults(const std::filesystem::path& data_dir, const std::string& listen) {
    std::error_code ec;
    auto dir = std::filesystem::absolute(data_dir, ec);
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw ConfigError("cannot create data directory " + dir.string() + ": " + ec.message() +
                          "; pass a writable --data-dir");
    return ConfigFile::parse(embedded_defaults_text(dir, listen), "<embedded defaults>", dir);
}

}  // namespace mailfw
