// verify_password as plugins get it: the loaded stores in order (the first
// that knows the user answers), through the verified-credential cache.
#pragma once
#include <string_view>

namespace mailfw {

class PluginHost;

// MAILFW_OK, MAILFW_DENIED, MAILFW_NOT_FOUND or MAILFW_UNAVAILABLE. May
// block on the stores (a password hash, a database): worker threads only.
int check_password(PluginHost& host, std::string_view user, std::string_view password);

}  // namespace mailfw
