#include "util/executable_dir.hpp"

#include <system_error>

namespace mailfw {

std::filesystem::path executable_dir() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return std::filesystem::current_path();
    return exe.parent_path();
}

std::filesystem::path default_plugin_dir() {
    return (executable_dir() / ".." / MAILFW_PLUGIN_RELDIR).lexically_normal();
}

}  // namespace mailfw
