#include "principal_name.hpp"

#include <algorithm>

namespace mailfw::sasl_gssapi {

Principal split_principal(std::string_view display) {
    for (size_t i = display.size(); i-- > 0;) {
        if (display[i] != '@') continue;
        size_t backslashes = 0;
        for (size_t j = i; j-- > 0 && display[j] == '\\';) ++backslashes;
        if (backslashes % 2) continue;  // "\@" is part of the name
        return {std::string(display.substr(0, i)), std::string(display.substr(i + 1))};
    }
    return {std::string(display), {}};
}

bool realm_accepted(std::string_view realm, const std::vector<std::string>& accepted) {
    return accepted.empty() || std::find(accepted.begin(), accepted.end(), realm) != accepted.end();
}

bool names_itself(std::string_view authzid, std::string_view user, std::string_view principal) {
    return authzid.empty() || authzid == user || authzid == principal;
}

}  // namespace mailfw::sasl_gssapi
