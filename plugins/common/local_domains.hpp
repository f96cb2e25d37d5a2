// Which domains a local delivery takes (deliver-maildir, deliver-discard),
// decided at RCPT time: the `domains` key, case-insensitive (RFC 5321 §2.4),
// "*" only when written; without it the server's own name and "localhost",
// as Postfix's mydestination default.
#ifndef MAILFW_PLUGIN_COMMON_LOCAL_DOMAINS_HPP
#define MAILFW_PLUGIN_COMMON_LOCAL_DOMAINS_HPP

#include <mailfw/plugin.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace mailfw::plugin_common {

class LocalDomains {
public:
    // Lower-cased; "*" matches every domain.
    explicit LocalDomains(std::vector<std::string> domains);
    // `server_hostname` stands in when no domain was configured.
    bool is_local(std::string_view domain, std::string_view server_hostname) const;

private:
    std::vector<std::string> domains_;
    bool any_ = false;
};

// The `domains` values of the plugin's section, each checked to be a domain
// (throws the start-up line naming `plugin` otherwise).
std::vector<std::string> configured_domains(const Host& host, std::string_view plugin);

// The domain of an address (after the last '@'), empty without one.
std::string_view domain_of(std::string_view address);

// Lower case, ASCII only (domains).
std::string lower(std::string_view s);

}  // namespace mailfw::plugin_common

#endif
