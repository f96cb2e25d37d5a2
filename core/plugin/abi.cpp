#include "plugin/abi.hpp"

namespace mailfw {

std::optional<std::string> abi_refusal(uint32_t host_major, uint32_t host_minor, uint32_t plugin_major,
                                       uint32_t plugin_minor) {
    if (plugin_major == host_major && plugin_minor <= host_minor) return std::nullopt;
    std::string msg = "built for plugin ABI " + std::to_string(plugin_major) + "." + std::to_string(plugin_minor) +
                      ", this mailfwd speaks " + std::to_string(host_major) + "." + std::to_string(host_minor) +
                      "; rebuild the plugin against this SDK";
    // A plugin from a newer SDK of the same major also works after upgrading mailfw.
    if (plugin_major == host_major) msg += " or upgrade mailfw";
    return msg;
}

}  // namespace mailfw
