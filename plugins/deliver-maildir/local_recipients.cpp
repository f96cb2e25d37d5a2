#include "local_recipients.hpp"

namespace mailfw::deliver_maildir {
std::string mailbox_for(std::string_view address) {
    const size_t at = address.rfind('@');
    if (at == std::string_view::npos) return std::string(address);
    return std::string(address.substr(0, at + 1)) + plugin_common::lower(address.substr(at + 1));
}

std::vector<std::string> user_candidates(std::string_view mailbox) {
    std::vector<std::string> out{std::string(mailbox)};
    const size_t at = mailbox.rfind('@');
    if (at != std::string_view::npos && at > 0) out.emplace_back(mailbox.substr(0, at));
    return out;
}

}  // namespace mailfw::deliver_maildir
