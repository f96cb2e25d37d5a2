// The mailbox name a recipient becomes and the user names a store is asked
// about, decided at RCPT time (which domains are local: local_domains.hpp
// in plugins/common). Pure: no disk, no host.
#ifndef MAILFW_DELIVER_MAILDIR_LOCAL_RECIPIENTS_HPP
#define MAILFW_DELIVER_MAILDIR_LOCAL_RECIPIENTS_HPP

#include <string>
#include <string_view>
#include <vector>

#include "local_domains.hpp"

namespace mailfw::deliver_maildir {

using plugin_common::domain_of;
using plugin_common::LocalDomains;

// "Bob@Example.TEST" -> "Bob@example.test": the domain is case-insensitive,
// the local part is not (RFC 5321 §2.4). An address without '@' (RFC 5321
// §4.5.1 "postmaster") is returned unchanged.
std::string mailbox_for(std::string_view address);

// The names a store may know the recipient by, in the order to ask: the
// normalized address, then its local part.
std::vector<std::string> user_candidates(std::string_view mailbox);

}  // namespace mailfw::deliver_maildir

#endif
