// The C++ side of the opaque `mailfw_host` handle of plugin.h: one per
// plugin instance, created by PluginHost before create() and alive until
// after destroy(). The host API functions (host_api.cpp) read the plugin's
// name and config section from it.
#pragma once
#include <mailfw/plugin.h>

#include <string>
#include <string_view>

#include "config/section_schema.hpp"

namespace mailfw {
class CounterBackend;
class GroupCommit;
class PluginHost;
// The static services table handed to every plugin (host_api.cpp).
const mailfw_host_api* host_api_table() noexcept;
}  // namespace mailfw

struct mailfw_host {
    std::string plugin;               // the plugin's name, also its config section
    mailfw::SectionValues config;     // its validated section, defaults applied
    mailfw::CounterBackend* counters = nullptr;  // the server's counter service; null: unavailable
    mailfw::GroupCommit* group_commit = nullptr;  // commit_durable; null: unavailable
    const mailfw::PluginHost* owner = nullptr;   // for server_info
    // This plugin's key space: "<plugin>:<key>" (plugin names have no ':').
    std::string counter_key(std::string_view key) const { return plugin + ":" + std::string(key); }
};
