// Which recipients this Maildir delivery takes, decided at RCPT time: the
// local domains (case-insensitive, RFC 5321 §2.4; "*" only when written),
// the mailbox name an address becomes, and the user names a store is asked
// about. Pure: no disk, no host.
#ifndef MAILFW_DELIVER_MAILDIR_LOCAL_RECIPIENTS_HPP
#define MAILFW_DELIVER_MAILDIR_LOCAL_RECIPIENTS_HPP

#include <string>
#include <string_view>
#include <vector>

namespace mailfw::deliver_maildir {

class LocalDomains {
public:
    // Lower-cased; "*" matches every domain. Empty: the server's own name
    // and "localhost", as Postfix's mydestination default.
    explicit LocalDomains(std::vector<std::string> domains);
    // `server_hostname` stands in when no domain was configured.
    bool is_local(std::string_view domain, std::string_view server_hostname) const;

private:
    std::vector<std::string> domains_;
    bool any_ = false;
};

// "Bob@Example.TEST" -> "Bob@example.test": the domain is case-insensitive,
// the local part is not (RFC 5321 §2.4). An address without '@' (RFC 5321
// §4.5.1 "postmaster") is returned unchanged.
std::string mailbox_for(std::string_view address);

// The domain of an address (after the last '@'), empty without one.
std::string_view domain_of(std::string_view address);

// The names a store may know the recipient by, in the order to ask: the
// normalized address, then its local part.
std::vector<std::string> user_candidates(std::string_view mailbox);

}  // namespace mailfw::deliver_maildir

#endif
