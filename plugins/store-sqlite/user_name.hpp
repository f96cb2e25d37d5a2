// Which user names the store accepts. Names are compared exactly (bytes,
// case-sensitive); these rules keep them loggable and bounded.
#ifndef MAILFW_STORE_SQLITE_USER_NAME_HPP
#define MAILFW_STORE_SQLITE_USER_NAME_HPP

#include <cstddef>
#include <string_view>

namespace mailfw::store_sqlite {

inline constexpr size_t max_user_name = 255;

// Non-empty, at most 255 bytes, no control characters (C0 or DEL).
bool valid_user_name(std::string_view name) noexcept;

}  // namespace mailfw::store_sqlite

#endif
