// Names in a Maildir: which recipient addresses may become a mailbox
// directory, and the unique file names of the Maildir convention
//   <unix seconds>.M<microseconds>P<pid>Q<counter>.<hostname>
#ifndef MAILFW_DELIVER_MAILDIR_MAILDIR_NAME_HPP
#define MAILFW_DELIVER_MAILDIR_MAILDIR_NAME_HPP

#include <cstdint>
#include <string>
#include <string_view>

namespace mailfw::deliver_maildir {

// The address becomes one directory under the root, so it must not be able
// to name anything else: no '/', no NUL or other control characters, no
// leading '.' ("..", hidden files), not empty, at most 255 bytes (NAME_MAX).
bool valid_mailbox(std::string_view address) noexcept;

// A reverse-path that can go into "Return-Path: <...>" without breaking the
// header: no control characters (CR, LF, NUL, ...). Empty is the null path.
bool valid_return_path(std::string_view address) noexcept;

// '/' and ':' are not allowed in a Maildir host part; they become "\057"
// and "\072" as in other Maildir writers.
std::string escape_hostname(std::string_view host);

std::string unique_name(uint64_t seconds, uint32_t microseconds, uint64_t pid, uint64_t counter,
                        std::string_view escaped_host);

// unique_name() with the wall clock, this process's pid and a process-wide
// counter, so two deliveries in the same microsecond still differ.
std::string next_unique_name(std::string_view escaped_host);

// This machine's name, escaped; "localhost" when it cannot be read.
std::string local_hostname();

}  // namespace mailfw::deliver_maildir

#endif
