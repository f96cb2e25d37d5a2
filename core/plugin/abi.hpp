// ABI version negotiation between the host and a plugin (pure, unit-tested).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace mailfw {

// nullopt when the plugin may load (same major, plugin minor <= host minor);
// otherwise the reason, naming both versions:
// "built for plugin ABI 2.0, this mailfwd speaks 1.0; rebuild the plugin against this SDK".
std::optional<std::string> abi_refusal(uint32_t host_major, uint32_t host_minor, uint32_t plugin_major,
                                       uint32_t plugin_minor);

}  // namespace mailfw
