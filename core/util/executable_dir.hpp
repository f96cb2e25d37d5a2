// Where the running binary lives, so an uninstalled build tree finds its
// plugins at <bin>/../lib/mailfw/plugins just like an install does.
#pragma once
#include <filesystem>

namespace mailfw {

std::filesystem::path executable_dir();
// <executable_dir>/../lib/mailfw/plugins, normalized.
std::filesystem::path default_plugin_dir();

}  // namespace mailfw
