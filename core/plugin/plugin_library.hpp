// One plugin shared library opened and its descriptor read and checked
// against the ABI rules, with every table copied min(struct_size, sizeof)
// into zeroed host-side structs. Shared by PluginHost (which then creates
// the instance) and PluginHost::discover (which only lists it).
#pragma once
#include <mailfw/plugin.h>

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/section_schema.hpp"

namespace mailfw {

// Why a library cannot be used; what() is the reason and the fix, without
// the file name (the caller adds it).
struct PluginRefusal : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct PluginLibrary {
    std::filesystem::path file;
    boost::dll::shared_library library;  // keeps the code mapped
    mailfw_plugin descriptor{};          // copied; pointers inside point into `library`
    std::string name, version, summary;
    std::vector<KeySpec> keys;
    std::vector<mailfw_server_mech> server_mechs;
    std::vector<mailfw_client_mech> client_mechs;
    std::optional<mailfw_store> store;
    std::optional<mailfw_event_handler> events;
    std::vector<std::string> mail_params, rcpt_params;  // upper case, checked
    std::optional<mailfw_delivery> delivery;

    // "server-mech LOGIN", "client-mech PLAIN", "store", "events", "delivery".
    std::vector<std::string> kinds() const;
};

// What is wrong with each file before it may be opened here: a damaged ELF
// structure, or a load that crashes -- rehearsed for all files in one child
// process (a fork per file was half of start-up). nullopt: it may be opened.
std::vector<std::optional<std::string>> check_plugin_files(const std::vector<std::filesystem::path>& files,
                                                           const mailfw_host_api* api);

// Opens `file` (RTLD_NOW | RTLD_LOCAL), calls its entry with `api` and checks
// the descriptor; `damage` is its check_plugin_files() verdict. Throws
// PluginRefusal.
PluginLibrary open_plugin_library(const std::filesystem::path& file, const mailfw_host_api* api,
                                  const std::optional<std::string>& damage);

// True when `name` is 1 to 20 of A-Z 0-9 - _ (RFC 4422 mechanism names as
// MS-OXSMTP echoes them).
bool valid_mechanism_name(std::string_view name);

}  // namespace mailfw
