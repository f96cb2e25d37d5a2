#include "local_domains.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace mailfw::plugin_common {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

LocalDomains::LocalDomains(std::vector<std::string> domains) {
    for (auto& d : domains) {
        if (d == "*")
            any_ = true;
        else
            domains_.push_back(lower(d));
    }
}

bool LocalDomains::is_local(std::string_view domain, std::string_view server_hostname) const {
    if (any_) return true;
    const std::string d = lower(domain);
    if (domains_.empty()) return d == lower(server_hostname) || d == "localhost";
    return std::find(domains_.begin(), domains_.end(), d) != domains_.end();
}

std::vector<std::string> configured_domains(const Host& host, std::string_view plugin) {
    std::vector<std::string> out;
    for (size_t i = 0; i < host.config_count("domains"); ++i) {
        std::string d = host.config_string("domains", i).value_or("");
        if (d.empty() || d.find_first_of(" \t@<>/") != std::string::npos)
            throw std::runtime_error(std::string(plugin) + ": `domains = " + d +
                                     "` is not a domain; write one domain per line (e.g. domains = "
                                     "example.org), or domains = * for every domain");
        out.push_back(std::move(d));
    }
    return out;
}

std::string_view domain_of(std::string_view address) {
    const size_t at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

}  // namespace mailfw::plugin_common
