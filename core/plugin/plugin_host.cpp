#include "plugin/plugin_host.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <map>

#include <mailfw/plugin.hpp>

#include "plugin/crash_guard.hpp"
#include "plugin/host_handle.hpp"
#include "plugin/plugin_library.hpp"
#include "util/log.hpp"

namespace mailfw {

// A plugin loaded for serving: its library (kept mapped until the host
// dies), the handle it was created with, and its instance.
class LoadedPlugin {
public:
    explicit LoadedPlugin(PluginLibrary l) : lib(std::move(l)) {}
    PluginLibrary lib;
    std::unique_ptr<mailfw_host> host;
    void* instance = nullptr;
    int line = 0;  // of its `load =`
};

namespace {

std::atomic<PluginHost*> g_live{nullptr};

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool iequals(std::string_view a, std::string_view b) { return upper(a) == upper(b); }

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

std::optional<std::filesystem::path> find_plugin_file(const std::string& name,
                                                      const std::vector<std::filesystem::path>& dirs) {
    for (const auto& dir : dirs) {
        std::error_code ec;
        auto candidate = dir / (name + ".so");
        if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
    }
    return std::nullopt;
}

// A plugin's error text as one printable line.
std::string one_line(const char* text, size_t cap) {
    const std::string_view all(text, strnlen(text, cap));
    return mailfw::printable(all.substr(0, all.find_first_of("\r\n")), std::string_view::npos);
}

std::string key_description(const KeySpec& k) {
    std::string d = k.name + " (" + key_type_name(k.type);
    if (k.flags & MAILFW_KEY_REQUIRED) d += ", required";
    if (k.flags & MAILFW_KEY_MULTI) d += ", repeatable";
    if (k.default_value) d += ", default " + (k.default_value->empty() ? std::string("\"\"") : *k.default_value);
    return d + "): " + k.help;
}

}  // namespace

PluginHost::PluginHost(const ServerConfig& config, const ConfigFile& file)
    : counters_(make_counter_backend(config.counters)),
      group_commit_(std::make_unique<GroupCommit>()),
      credential_cache_(std::make_unique<CredentialCache>(CredentialCache::Settings{
          config.auth_cache_bytes / CredentialCache::kBytesPerEntry, std::chrono::milliseconds(config.auth_cache_ttl_ms),
          std::chrono::milliseconds(config.auth_cache_negative_ttl_ms)})),
      hostname_(config.hostname),
      spool_dir_(config.spool_dir.string()) {
    for (const auto& l : config.listeners) listeners_ += (listeners_.empty() ? "" : " ") + l.name;
    if (!counters_)  // the schema's choices make this a programming error
        throw ConfigError("[server] counters = " + config.counters + " is not a counter backend; use local");
    g_live.store(this);
    try {
        load_all(config, file);
    } catch (...) {
        destroy_instances();
        PluginHost* self = this;
        g_live.compare_exchange_strong(self, nullptr);
        throw;
    }
}

PluginHost::~PluginHost() {
    destroy_instances();
    PluginHost* self = this;
    g_live.compare_exchange_strong(self, nullptr);
    // plugins_ dies after this body: libraries are unmapped only once no instance is left.
}

PluginHost* PluginHost::live() { return g_live.load(); }

const mailfw_host_api* PluginHost::api() { return host_api_table(); }

void PluginHost::fill_server_info(mailfw_server_info& out) const {
    std::memset(&out, 0, sizeof out);
    out.struct_size = sizeof out;
    out.hostname = mailfw::str(hostname_);
    out.spool_dir = mailfw::str(spool_dir_);
    bool accepting = !shutting_down_.load();
    for (const Delivery& d : deliveries_)
        if (accepting && d.table.available) accepting = d.table.available(d.instance) == MAILFW_OK;
    out.accepting = accepting ? 1u : 0u;
    out.max_message_size = backstop::kMaxMessageSize;
    out.max_recipients = backstop::kMaxRecipients;
    out.max_idle_ms = backstop::kMaxIdleMs;
    out.listeners = mailfw::str(listeners_);
}

void PluginHost::destroy_instances() noexcept {
    // Commits still out answer into plugin code: let them finish first.
    group_commit_->stop();
    if (const uint64_t n = group_commit_->requests())
        log::info("group commit: " + std::to_string(n) + " request(s) made durable in " +
                  std::to_string(group_commit_->batches()) + " batch(es)");
    if (const uint64_t n = credential_cache_->hits())
        log::info("credential cache: " + std::to_string(n) + " password check(s) answered from the cache");
    server_mechs_.clear();
    client_mechs_.clear();
    event_handlers_.clear();
    stores_.clear();
    deliveries_.clear();
    for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) {
        LoadedPlugin& p = **it;
        if (p.instance && p.lib.descriptor.destroy) {
            try {
                p.lib.descriptor.destroy(p.instance);
            } catch (...) {
            }
        }
        p.instance = nullptr;
    }
}

void PluginHost::load_all(const ServerConfig& config, const ConfigFile& file) {
    const std::string& origin = file.origin();
    // Phase 1: load and check every library and its section, so no plugin is
    // created (opening files, sockets) when a later one is refused.
    std::map<std::string, std::string> server_mech_owner, client_mech_owner;  // upper name -> plugin
    std::vector<std::filesystem::path> paths;
    for (const PluginLoad& load : config.loads) {
        auto path = find_plugin_file(load.name, config.plugin_dirs);
        if (!path) {
            std::vector<std::string> dirs;
            for (const auto& d : config.plugin_dirs) dirs.push_back(d.string());
            throw ConfigError(origin + ":" + std::to_string(load.line) + ": plugin " + load.name + " not found: no " +
                              load.name + ".so in " + (dirs.empty() ? std::string("(no directory)") : join(dirs)) +
                              "; set `plugin_dir =` in [server] to the directory that holds it, or fix the name");
        }
        paths.push_back(*path);
    }
    const auto damage = check_plugin_files(paths, api());
    for (size_t index = 0; index < config.loads.size(); ++index) {
        const PluginLoad& load = config.loads[index];
        const std::filesystem::path* path = &paths[index];
        const std::string at = origin + ":" + std::to_string(load.line) + ": plugin " + load.name;
        std::unique_ptr<LoadedPlugin> p;
        try {
            p = std::make_unique<LoadedPlugin>(open_plugin_library(*path, api(), damage[index]));
        } catch (const PluginRefusal& r) {
            throw ConfigError(at + " (" + path->string() + "): " + r.what());
        }
        p->line = load.line;
        const PluginLibrary& lib = p->lib;
        if (lib.name != load.name)
            throw ConfigError(at + " (" + path->string() + "): the library calls itself '" + lib.name +
                              "'; rename the file to " + lib.name + ".so and write `load = " + lib.name + "`");

        auto claim = [&](std::map<std::string, std::string>& owners, const char* name, const char* side) {
            auto [it, fresh] = owners.emplace(upper(name), load.name);
            if (!fresh)
                throw ConfigError(at + ": " + side + " mechanism " + name + " is also provided by plugin " +
                                  it->second + "; load only one of " + it->second + " and " + load.name);
        };
        for (const auto& m : lib.server_mechs) claim(server_mech_owner, m.name, "server");
        for (const auto& m : lib.client_mechs) claim(client_mech_owner, m.name, "client");

        p->host = std::make_unique<mailfw_host>();
        p->host->plugin = load.name;
        p->host->counters = counters_.get();
        p->host->group_commit = group_commit_.get();
        p->host->owner = this;
        p->host->config = validate_section(file, load.name, lib.keys, "plugin " + load.name);
        plugins_.push_back(std::move(p));
    }

    // Phase 2: create the instances in load order.
    for (auto& p : plugins_) {
        const std::string& name = p->lib.name;
        int line = file.section_line(name) ? file.section_line(name) : p->line;
        const std::string at = origin + ":" + std::to_string(line) + ": plugin " + name;
        char err[1024] = {};
        void* instance = nullptr;
        try {
            CrashGuard guard("plugin " + name + " (" + p->lib.file.string() + ")");
            instance = p->lib.descriptor.create(p->host.get(), api(), err, sizeof err);
        } catch (...) {
            throw ConfigError(at + ": create() threw an exception; plugins must not let exceptions cross the ABI, "
                                   "fix the plugin");
        }
        if (!instance) {
            std::string why = one_line(err, sizeof err);
            if (why.empty()) why = "could not start and gave no reason; check its log lines above";
            throw ConfigError(at + ": " + why);
        }
        p->instance = instance;
    }

    // Index what each plugin provides, in load order.
    for (const auto& p : plugins_) {
        const PluginLibrary& lib = p->lib;
        for (const auto& m : lib.server_mechs)
            server_mechs_.push_back({m.name, m.flags, m.max_response, m, p->instance, lib.name});
        for (const auto& m : lib.client_mechs) client_mechs_.push_back({m.name, m.flags, m, p->instance, lib.name});
        if (lib.events) event_handlers_.push_back({*lib.events, p->instance, lib.name, lib.mail_params, lib.rcpt_params});
        if (lib.store) stores_.push_back({*lib.store, p->instance, lib.name});
        if (lib.delivery) deliveries_.push_back({*lib.delivery, p->instance, lib.name});
    }
}

const ServerMech* PluginHost::find_server_mech(std::string_view name) const {
    for (const auto& m : server_mechs_)
        if (iequals(m.name, name)) return &m;
    return nullptr;
}

bool PluginHost::takes_mail_param(std::string_view keyword) const {
    for (const auto& h : event_handlers_)
        if (std::find(h.mail_params.begin(), h.mail_params.end(), keyword) != h.mail_params.end()) return true;
    return false;
}

bool PluginHost::takes_rcpt_param(std::string_view keyword) const {
    for (const auto& h : event_handlers_)
        if (std::find(h.rcpt_params.begin(), h.rcpt_params.end(), keyword) != h.rcpt_params.end()) return true;
    return false;
}

const mailfw_host* PluginHost::host_handle(std::string_view name) const {
    for (const auto& p : plugins_)
        if (p->lib.name == name) return p->host.get();
    return nullptr;
}

int PluginHost::user_set(int mode, std::string_view user, std::string_view password) {
    for (const auto& s : stores_)
        if (s.table.user_set)
            return s.table.user_set(s.instance, mode, user.data(), user.size(), password.data(), password.size());
    throw ConfigError("no loaded plugin can manage users; load a store plugin such as store-sqlite");
}

int PluginHost::user_delete(std::string_view user) {
    for (const auto& s : stores_)
        if (s.table.user_delete) return s.table.user_delete(s.instance, user.data(), user.size());
    throw ConfigError("no loaded plugin can manage users; load a store plugin such as store-sqlite");
}

std::vector<std::string> PluginHost::user_list() {
    struct Collected {
        std::vector<std::string> users;
        bool failed = false;
    };
    // Called by the plugin: a C boundary.
    mailfw_user_fn each = [](void* data, const char* user, size_t len) noexcept {
        auto* c = static_cast<Collected*>(data);
        try {
            c->users.emplace_back(user ? std::string(user, len) : std::string());
        } catch (...) {
            c->failed = true;
        }
    };
    for (const auto& s : stores_) {
        if (!s.table.user_list) continue;
        Collected c;
        int r = s.table.user_list(s.instance, each, &c);
        if (r != MAILFW_OK || c.failed)
            throw ConfigError("plugin " + s.plugin + " could not list its users (status " + std::to_string(r) +
                              "); check its log lines and its database");
        return std::move(c.users);
    }
    throw ConfigError("no loaded plugin can manage users; load a store plugin such as store-sqlite");
}

std::vector<PluginSummary> PluginHost::discover(const std::vector<std::filesystem::path>& dirs) {
    std::vector<PluginSummary> out;
    for (const auto& dir : dirs) {
        std::vector<std::filesystem::path> files;
        std::error_code ec;
        for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            std::error_code type_ec;
            if (it->path().extension() == ".so" && it->is_regular_file(type_ec)) files.push_back(it->path());
        }
        std::sort(files.begin(), files.end());
        const auto damage = check_plugin_files(files, api());
        for (size_t index = 0; index < files.size(); ++index) {
            const auto& f = files[index];
            PluginSummary s;
            s.file = f;
            try {
                PluginLibrary lib = open_plugin_library(f, api(), damage[index]);
                if (lib.name != f.stem().string())
                    throw PluginRefusal("the library calls itself '" + lib.name + "'; rename the file to " +
                                        lib.name + ".so");
                s.name = lib.name;
                s.version = lib.version;
                s.summary = lib.summary;
                s.abi_major = lib.descriptor.abi_major;
                s.abi_minor = lib.descriptor.abi_minor;
                s.kinds = lib.kinds();
                s.keys = lib.keys;
            } catch (const std::exception& e) {
                PluginSummary failed;
                failed.file = f;
                failed.error = e.what();
                s = std::move(failed);
            }
            out.push_back(std::move(s));
        }
    }
    return out;
}

std::string PluginHost::describe(const PluginSummary& s) {
    if (!s.error.empty()) return s.file.string() + ": " + s.error + "\n";
    std::string out = s.name + " " + s.version + " (plugin ABI " + std::to_string(s.abi_major) + "." +
                      std::to_string(s.abi_minor) + ") " + s.file.string() + "\n";
    if (!s.summary.empty()) out += s.summary + "\n";
    out += "provides: " + (s.kinds.empty() ? std::string("nothing") : join(s.kinds)) + "\n";
    if (s.keys.empty()) {
        out += "keys in [" + s.name + "]: none\n";
    } else {
        out += "keys in [" + s.name + "]:\n";
        for (const auto& k : s.keys) out += "  " + key_description(k) + "\n";
    }
    return out;
}

}  // namespace mailfw
