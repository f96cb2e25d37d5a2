#include "plugin/plugin_library.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <cstddef>
#include <cstring>

#include "plugin/abi.hpp"
#include "plugin/elf_check.hpp"

namespace mailfw {
namespace {

// Sizes of the structs as plugin ABI 1.0 defined them. A peer of any 1.x
// fills at least this much; later minors only append.
constexpr size_t kVersionsEnd = offsetof(mailfw_plugin, abi_minor) + sizeof(uint32_t);
constexpr size_t kPlugin10 = offsetof(mailfw_plugin, delivery) + sizeof(void*);
constexpr size_t kKey10 = offsetof(mailfw_config_key, help) + sizeof(void*);
constexpr size_t kServerMech10 = offsetof(mailfw_server_mech, finish) + sizeof(void*);
constexpr size_t kClientMech10 = offsetof(mailfw_client_mech, finish) + sizeof(void*);
// More entries than any real plugin declares: a count beyond this is garbage.
constexpr size_t kMaxTableEntries = 1024;

const std::string kRebuild = "rebuild it against this SDK";

std::string abi_text() { return std::to_string(MAILFW_ABI_MAJOR) + "." + std::to_string(MAILFW_ABI_MINOR); }

// min(struct_size, sizeof) of `*p` into a zeroed T.
template <class T>
T copy_zeroed(const void* p, size_t size) {
    T out;
    std::memset(&out, 0, sizeof out);
    std::memcpy(&out, p, std::min(size, sizeof out));
    out.struct_size = sizeof out;
    return out;
}

// Walks an array with the stride of its first element's struct_size.
template <class T>
std::vector<T> copy_array(const T* first, size_t count, size_t min_size, const char* what) {
    std::vector<T> out;
    if (count == 0) return out;
    if (!first) throw PluginRefusal(std::string("declares ") + std::to_string(count) + " " + what +
                                    " but no table; fix the plugin");
    if (count > kMaxTableEntries)
        throw PluginRefusal(std::string("declares ") + std::to_string(count) + " " + what +
                            ", more than the limit of " + std::to_string(kMaxTableEntries) + "; fix the plugin");
    size_t stride = first->struct_size;
    if (stride < min_size)
        throw PluginRefusal(std::string("its ") + what + " entries are " + std::to_string(stride) +
                            " bytes, fewer than the " + std::to_string(min_size) + " of plugin ABI 1.0; " + kRebuild);
    const auto* base = reinterpret_cast<const unsigned char*>(first);
    for (size_t i = 0; i < count; ++i) out.push_back(copy_zeroed<T>(base + i * stride, stride));
    return out;
}

template <class T>
std::optional<T> copy_table(const T* p) {
    if (!p) return std::nullopt;
    return copy_zeroed<T>(p, p->struct_size);
}

std::string text_or_empty(const char* s) { return s ? std::string(s) : std::string(); }

KeySpec to_key_spec(const mailfw_config_key& k) {
    if (!k.name || !*k.name) throw PluginRefusal("declares a config key without a name; fix the plugin");
    if (k.type < MAILFW_KEY_STRING || k.type > MAILFW_KEY_PATH)
        throw PluginRefusal(std::string("declares key '") + k.name + "' with unknown type " + std::to_string(k.type) +
                            "; " + kRebuild);
    KeySpec spec;
    spec.name = k.name;
    spec.type = static_cast<mailfw_key_type>(k.type);
    spec.flags = k.flags & (MAILFW_KEY_MULTI | MAILFW_KEY_REQUIRED);
    if (k.default_value) spec.default_value = std::string(k.default_value);
    spec.help = text_or_empty(k.help);
    return spec;
}

template <class Mech>
void check_mechs(const std::vector<Mech>& mechs, const char* side) {
    for (size_t i = 0; i < mechs.size(); ++i) {
        const Mech& m = mechs[i];
        std::string name = text_or_empty(m.name);
        if (!valid_mechanism_name(name))
            throw PluginRefusal(std::string("declares ") + side + " mechanism '" + name +
                                "'; mechanism names are 1 to 20 of A-Z 0-9 - _, fix the plugin");
        if (!m.start || !m.step || !m.finish)
            throw PluginRefusal(std::string(side) + " mechanism " + name +
                                " lacks its start, step or finish function; fix the plugin");
        for (size_t j = 0; j < i; ++j)
            if (text_or_empty(mechs[j].name) == name)
                throw PluginRefusal(std::string("declares ") + side + " mechanism " + name + " twice; fix the plugin");
    }
}

// The MAIL/RCPT parameters an event handler declares: RFC 5321 esmtp-keywords,
// none the core handles itself, upper-cased.
std::vector<std::string> esmtp_params(const char* const* names, size_t count, const char* verb) {
    static const std::set<std::string> core = {"SIZE", "BODY", "AUTH"};
    std::vector<std::string> out;
    if (count && !names) throw PluginRefusal(std::string("its ") + verb + " parameter list is NULL; fix the plugin");
    for (size_t i = 0; i < count; ++i) {
        const char* n = names[i];
        std::string k = n ? n : "";
        const bool ok = !k.empty() && k.size() <= 64 && std::isalnum(static_cast<unsigned char>(k[0])) &&
                        std::all_of(k.begin(), k.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
                        });
        if (!ok)
            throw PluginRefusal(std::string("it declares the ") + verb + " parameter '" + k +
                                "', which is not an ESMTP keyword (letters, digits, '-'); fix the plugin");
        for (auto& c : k) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (std::string(verb) == "MAIL" && core.count(k))
            throw PluginRefusal("it declares the MAIL parameter " + k + ", which the core handles; fix the plugin");
        out.push_back(k);
    }
    return out;
}

// dlopen's own reason when Boost kept it, else Boost's error text.
std::string load_error(const std::error_code& ec) {
    const char* why = dlerror();
    if (why && *why) return why;
    return ec.message();
}

}  // namespace

bool valid_mechanism_name(std::string_view name) {
    if (name.empty() || name.size() > 20) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

std::vector<std::string> PluginLibrary::kinds() const {
    std::vector<std::string> out;
    for (const auto& m : server_mechs) out.push_back(std::string("server-mech ") + m.name);
    for (const auto& m : client_mechs) out.push_back(std::string("client-mech ") + m.name);
    if (store) out.push_back("store");
    if (events) out.push_back("events");
    if (delivery) out.push_back("delivery");
    return out;
}

namespace {
PluginLibrary load_checked(const std::filesystem::path& file, const mailfw_host_api* api);
}

std::vector<std::optional<std::string>> check_plugin_files(const std::vector<std::filesystem::path>& files,
                                                           const mailfw_host_api* api) {
    // A damaged file must be refused with a line, not kill us inside dlopen
    // or while its descriptor is read: the structure first, then the whole
    // load below rehearsed in a child process for the files that passed.
    std::vector<std::optional<std::string>> damage(files.size());
    std::vector<size_t> sound;
    for (size_t i = 0; i < files.size(); ++i) {
        damage[i] = elf_file_problem(files[i]);
        if (!damage[i]) sound.push_back(i);
    }
    const auto probed = probe_loads(sound.size(), [&](size_t k) { load_checked(files[sound[k]], api); });
    for (size_t k = 0; k < sound.size(); ++k) damage[sound[k]] = probed[k];
    return damage;
}

PluginLibrary open_plugin_library(const std::filesystem::path& file, const mailfw_host_api* api,
                                  const std::optional<std::string>& damage) {
    if (damage)
        throw PluginRefusal("is damaged: " + *damage + "; reinstall the plugin (or rebuild it) or remove the file "
                            "from the plugin directory");
    return load_checked(file, api);
}

namespace {
PluginLibrary load_checked(const std::filesystem::path& file, const mailfw_host_api* api) {
    PluginLibrary p;
    p.file = file;
    std::error_code ec;
    dlerror();  // clear a stale message so the one we report is this load's
    p.library.load(file, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec || !p.library.is_loaded())
        throw PluginRefusal("cannot be loaded as a shared library (" + load_error(ec) +
                            "); reinstall the plugin or remove the file from the plugin directory");
    if (!p.library.has(MAILFW_ENTRY_SYMBOL))
        throw PluginRefusal(std::string("does not export ") + MAILFW_ENTRY_SYMBOL +
                            ", so it is not a mailfw plugin; build it with the mailfw SDK (MAILFW_PLUGIN) "
                            "or remove it from the plugin directory");
    auto entry = p.library.get<std::remove_pointer_t<mailfw_plugin_entry_fn>>(MAILFW_ENTRY_SYMBOL);

    const mailfw_plugin* d = nullptr;
    try {
        d = entry(MAILFW_ABI_MAJOR, MAILFW_ABI_MINOR, api);
    } catch (...) {
        throw PluginRefusal(std::string(MAILFW_ENTRY_SYMBOL) +
                            " threw an exception; plugins must not let exceptions cross the ABI, fix the plugin");
    }
    if (!d)
        throw PluginRefusal(std::string(MAILFW_ENTRY_SYMBOL) + " returned no descriptor: the plugin cannot work with "
                            "this mailfw (plugin ABI " + abi_text() + "); " + kRebuild);
    if (d->struct_size < kVersionsEnd)
        throw PluginRefusal("its descriptor is " + std::to_string(d->struct_size) +
                            " bytes, too small to hold even the ABI version; " + kRebuild);
    if (auto why = abi_refusal(MAILFW_ABI_MAJOR, MAILFW_ABI_MINOR, d->abi_major, d->abi_minor))
        throw PluginRefusal(*why);
    if (d->struct_size < kPlugin10)
        throw PluginRefusal("its descriptor is " + std::to_string(d->struct_size) + " bytes, smaller than the " +
                            std::to_string(kPlugin10) + " of plugin ABI 1.0; " + kRebuild);

    p.descriptor = copy_zeroed<mailfw_plugin>(d, d->struct_size);
    const mailfw_plugin& desc = p.descriptor;
    if (!desc.name || !*desc.name) throw PluginRefusal("its descriptor has no name; fix the plugin");
    p.name = desc.name;
    p.version = text_or_empty(desc.version);
    p.summary = text_or_empty(desc.summary);
    if (!desc.create) throw PluginRefusal("its descriptor has no create function; fix the plugin");

    for (const auto& k : copy_array(desc.keys, desc.key_count, kKey10, "config key")) {
        KeySpec spec = to_key_spec(k);
        for (const auto& seen : p.keys)
            if (seen.name == spec.name)
                throw PluginRefusal("declares config key '" + spec.name + "' twice; fix the plugin");
        p.keys.push_back(std::move(spec));
    }
    p.server_mechs = copy_array(desc.server_mechs, desc.server_mech_count, kServerMech10, "server mechanism");
    p.client_mechs = copy_array(desc.client_mechs, desc.client_mech_count, kClientMech10, "client mechanism");
    check_mechs(p.server_mechs, "server");
    check_mechs(p.client_mechs, "client");

    p.store = copy_table(desc.store);
    if (p.store && !p.store->verify) throw PluginRefusal("its store has no verify function; fix the plugin");
    p.events = copy_table(desc.events);
    if (p.events && !p.events->on_event)
        throw PluginRefusal("its event handler has no on_event function; fix the plugin");
    if (p.events) {
        p.mail_params = esmtp_params(p.events->mail_params, p.events->mail_param_count, "MAIL");
        p.rcpt_params = esmtp_params(p.events->rcpt_params, p.events->rcpt_param_count, "RCPT");
    }
    p.delivery = copy_table(desc.delivery);
    if (p.delivery && !p.delivery->deliver)
        throw PluginRefusal("its delivery has no deliver function; fix the plugin");
    if (p.delivery && p.delivery->claim_rcpt_inline && !p.delivery->claim_rcpt)
        throw PluginRefusal("its delivery has claim_rcpt_inline but no claim_rcpt to ask when that is "
                            "undecided; fix the plugin");
    return p;
}
}  // namespace

}  // namespace mailfw
