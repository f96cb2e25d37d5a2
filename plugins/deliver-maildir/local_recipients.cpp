#include "local_recipients.hpp"

#include <algorithm>
#include <cctype>

namespace mailfw::deliver_maildir {
namespace {
std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}
}  // namespace

LocalDomains::LocalDomains(std::vector<std::string> domains) {
    for (auto& d : domains) {
        if (d == "*") any_ = true;
        else domains_.push_back(lower(d));
    }
}

bool LocalDomains::is_local(std::string_view domain, std::string_view server_hostname) const {
    if (any_) return true;
    const std::string d = lower(domain);
    if (domains_.empty()) return d == lower(server_hostname) || d == "localhost";
    return std::find(domains_.begin(), domains_.end(), d) != domains_.end();
}

std::string_view domain_of(std::string_view address) {
    const size_t at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

std::string mailbox_for(std::string_view address) {
    const size_t at = address.rfind('@');
    if (at == std::string_view::npos) return std::string(address);
    return std::string(address.substr(0, at + 1)) + lower(address.substr(at + 1));
}

std::vector<std::string> user_candidates(std::string_view mailbox) {
    std::vector<std::string> out{std::string(mailbox)};
    const size_t at = mailbox.rfind('@');
    if (at != std::string_view::npos && at > 0) out.emplace_back(mailbox.substr(0, at));
    return out;
}

}  // namespace mailfw::deliver_maildir
