#include "user_name.hpp"

namespace mailfw::store_sqlite {

bool valid_user_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > max_user_name) return false;
    for (const char c : name) {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x20 || b == 0x7f) return false;
    }
    return true;
}

}  // namespace mailfw::store_sqlite
