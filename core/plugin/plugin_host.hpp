// Loads the plugins named by `load =` lines, in order, from the plugin
// directories (Boost.DLL, RTLD_NOW | RTLD_LOCAL), checks each against the
// ABI rules, validates its config section against the keys it declares,
// creates its instance and indexes what it provides. Any failure is a
// ConfigError with one line naming the file/plugin and the fix.
#pragma once
#include <mailfw/plugin.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_file.hpp"
#include "config/section_schema.hpp"
#include "config/server_config.hpp"
#include "auth/credential_cache.hpp"
#include "plugin/counter_backend.hpp"
#include "spool/group_commit.hpp"

namespace mailfw {

class LoadedPlugin;  // defined in plugin_host.cpp

// What one loaded plugin provides, with tables already copied (min(size)) into
// zeroed host-side structs, so absent newer slots read as NULL.
struct ServerMech {
    std::string name;            // upper case, as declared
    uint32_t flags = 0;          // MAILFW_MECH_*
    size_t max_response = 0;     // decoded bytes; 0 = host default
    mailfw_server_mech table{};
    void* instance = nullptr;
    std::string plugin;
};
struct ClientMech {
    std::string name;
    uint32_t flags = 0;
    mailfw_client_mech table{};
    void* instance = nullptr;
    std::string plugin;
};
struct EventHandler {
    mailfw_event_handler table{};
    void* instance = nullptr;
    std::string plugin;
    std::vector<std::string> mail_params, rcpt_params;  // ESMTP parameters it takes (upper case)
};
struct Delivery {
    mailfw_delivery table{};
    void* instance = nullptr;
    std::string plugin;
    // A relay delivery (MAILFW_DELIVERY_RELAY, or a 1.0 table without
    // claim_rcpt): asked only for clients that may relay.
    bool relay() const { return (table.flags & MAILFW_DELIVERY_RELAY) || !table.claim_rcpt; }
    bool blocking() const { return table.flags & MAILFW_DELIVERY_BLOCKING; }
};
struct Store {
    mailfw_store table{};
    void* instance = nullptr;
    std::string plugin;
};

// For `mailfw-admin plugins` and `mailfwd --help-plugin`: one library found
// on disk, loaded only to read its descriptor (no instance is created).
struct PluginSummary {
    std::filesystem::path file;
    std::string error;           // non-empty: why it cannot load (then only `file` is set)
    std::string name, version, summary;
    uint32_t abi_major = 0, abi_minor = 0;
    std::vector<std::string> kinds;  // "server-mech LOGIN", "store", "events", "delivery", "client-mech PLAIN"
    std::vector<KeySpec> keys;
};

class PluginHost {
public:
    // Loads, checks, validates and creates every plugin of `config.loads`.
    // Throws ConfigError. Refusals include: file not found (naming the
    // directories searched and the option to set), not a shared library, no
    // `mailfw_plugin_entry`, ABI mismatch (both versions), descriptor name
    // different from the load name, two plugins claiming one mechanism name,
    // an unknown/mistyped key or bad value in the plugin's section (file:line),
    // create() failing (its message).
    PluginHost(const ServerConfig& config, const ConfigFile& file);
    ~PluginHost();  // destroys instances in reverse order; never unloads while running
    PluginHost(const PluginHost&) = delete;
    PluginHost& operator=(const PluginHost&) = delete;

    // In load order.
    const std::vector<ServerMech>& server_mechs() const { return server_mechs_; }
    const std::vector<ClientMech>& client_mechs() const { return client_mechs_; }
    const std::vector<EventHandler>& event_handlers() const { return event_handlers_; }
    const std::vector<Store>& stores() const { return stores_; }
    // Every delivery, in load order: at RCPT the first that claims a
    // recipient takes it (plugin.h, "Routing").
    const std::vector<Delivery>& deliveries() const { return deliveries_; }
    // Case-insensitive.
    const ServerMech* find_server_mech(std::string_view name) const;
    // Does a loaded event handler take this MAIL / RCPT parameter (upper case)?
    bool takes_mail_param(std::string_view keyword) const;
    bool takes_rcpt_param(std::string_view keyword) const;

    // The services table every plugin got (for the session to call
    // verify_password etc. the same way plugins do).
    static const mailfw_host_api* api();

    // The PluginHost whose stores answer verify_password, authorize and
    // lookup_property (those services carry no mailfw_host). Set by the
    // constructor, cleared by the destructor: one PluginHost at a time per
    // process. nullptr when none is alive.
    static PluginHost* live();

    // The server as plugins see it (mailfw_server_info): names, the core's
    // backstops, and whether a new session can be served now.
    void fill_server_info(mailfw_server_info& out) const;
    // From the server when it stops accepting: server_info says so.
    void begin_shutdown() { shutting_down_.store(true); }

    // The counter service every plugin's counter calls reach.
    CounterBackend& counters() { return *counters_; }
    // Remembered password checks ([server] auth_cache_*), for verify_password.
    CredentialCache& credential_cache() { return *credential_cache_; }

    // The handle plugin `name` was created with (its name and validated
    // section), nullptr when no such plugin is loaded.
    const mailfw_host* host_handle(std::string_view name) const;

    // Store administration through the first store with admin slots.
    // Return mailfw_status; throw ConfigError when no loaded store supports it.
    int user_set(int mode, std::string_view user, std::string_view password);
    int user_delete(std::string_view user);
    std::vector<std::string> user_list();

    // Every *.so in `dirs` (sorted by name), for listings.
    static std::vector<PluginSummary> discover(const std::vector<std::filesystem::path>& dirs);
    // Human-readable description of one summary (kinds, versions, keys with type/default/help).
    static std::string describe(const PluginSummary& s);

private:
    void load_all(const ServerConfig& config, const ConfigFile& file);
    void destroy_instances() noexcept;

    std::unique_ptr<CounterBackend> counters_;  // outlives the plugins (declared first)
    std::unique_ptr<GroupCommit> group_commit_;  // commit_durable; stopped before instances die
    std::unique_ptr<CredentialCache> credential_cache_;
    std::string hostname_, spool_dir_, listeners_;  // for server_info, set before any create()
    std::atomic<bool> shutting_down_{false};
    std::vector<std::unique_ptr<LoadedPlugin>> plugins_;
    std::vector<ServerMech> server_mechs_;
    std::vector<ClientMech> client_mechs_;
    std::vector<EventHandler> event_handlers_;
    std::vector<Store> stores_;
    std::vector<Delivery> deliveries_;
};

}  // namespace mailfw
