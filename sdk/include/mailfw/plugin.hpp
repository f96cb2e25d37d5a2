// mailfw/plugin.hpp -- header-only C++20 helper over the C ABI in plugin.h.
//
// It turns C++ classes into the C tables of plugin.h: every trampoline is
// noexcept and catches everything, buffers live in the state objects, and
// optional slots stay NULL unless the class provides the member. Nothing of
// this header crosses the ABI: a plugin built with it is an ordinary C-ABI
// plugin. A minimal mechanism:
//
//   struct Instance : mailfw::PluginInstance { using PluginInstance::PluginInstance; };
//   struct Exchange : mailfw::ServerExchange {
//       Exchange(Instance&, mailfw_session*) {}
//       int step(const unsigned char* in, size_t len, std::string& out) override;
//   };
//   static const mailfw_server_mech mechs[] = {
//       mailfw::server_mech<Instance, Exchange>("X-ECHO", 0)};
//   static const mailfw_plugin plugin = mailfw::plugin_descriptor<Instance>(
//       "x-echo", "1.0.0", "echoes", nullptr, 0, mechs, 1);
//   MAILFW_PLUGIN(plugin)
//
// A whole limit plugin (TooManyRecipients, MS-OXSMTP), using only this helper
// (built and tested as tests/fixtures/example/example_limit_rcpt.cpp):
//
//   #include <mailfw/plugin.hpp>
//
//   #include <string>
//
//   namespace {
//   constexpr mailfw_config_key keys[] = {
//       mailfw::config_key("max", MAILFW_KEY_INT, "200", "recipients per message")};
//
//   struct Instance : mailfw::PluginInstance {
//       explicit Instance(mailfw::Host h)
//           : PluginInstance(h), max(h.config_number("max").value_or(200)),
//             text("Too many recipients (limit " + std::to_string(max) + ")") {}
//       struct Connection {  // one per session; its calls never overlap
//           Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {}
//           int on_event(const mailfw_event& e, mailfw_verdict& v, mailfw_completion*) {
//               if (e.count < inst.max) return MAILFW_CONTINUE;  // count: accepted so far
//               inst.host().log(MAILFW_LOG_INFO, "TooManyRecipients: " + inst.text, session);
//               return mailfw::verdict(v, MAILFW_DENYSOFT, 452, "4.5.3", inst.text);
//           }
//           Instance& inst;
//           mailfw_session* session;
//       };
//       const int64_t max;
//       const std::string text;  // outlives on_event, as verdict texts must
//   };
//
//   constexpr mailfw_event_handler events =
//       mailfw::event_handler_table<Instance>(MAILFW_HOOK_BIT(MAILFW_HOOK_RCPT));
//
//   constexpr mailfw_plugin make_descriptor() {
//       mailfw_plugin p = mailfw::plugin_descriptor<Instance>(
//           "example-limit-rcpt", "1.0.0", "TooManyRecipients: 452 4.5.3", keys, 1);
//       p.events = &events;
//       return p;
//   }
//   constexpr mailfw_plugin descriptor = make_descriptor();
//   }  // namespace
//
//   MAILFW_PLUGIN(descriptor)
#ifndef MAILFW_PLUGIN_HPP
#define MAILFW_PLUGIN_HPP

#include <mailfw/plugin.h>

#include <concepts>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mailfw {

inline std::string_view view(mailfw_str s) noexcept {
    return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}
inline mailfw_str str(std::string_view s) noexcept { return {s.data(), s.size()}; }

// Overwrites a buffer that held a secret; the volatile store survives the optimizer.
inline void wipe(void* p, size_t n) noexcept {
    volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
    while (n--) *v++ = 0;
}
inline void wipe(std::string& s) noexcept {
    wipe(s.data(), s.size());
    s.clear();
}

// Reads a struct filled by the other side: min(struct_size, sizeof) into a zeroed copy.
template <class T>
T copy_struct(const T* p) noexcept {
    T out;
    std::memset(&out, 0, sizeof out);
    if (p) std::memcpy(&out, p, p->struct_size < sizeof out ? p->struct_size : sizeof out);
    out.struct_size = sizeof out;
    return out;
}

// The host as a plugin instance sees it.
class Host {
public:
    Host(mailfw_host* host, const mailfw_host_api* api) noexcept
        : host_(host), api_(copy_struct(api)) {}

    mailfw_host* handle() const noexcept { return host_; }
    const mailfw_host_api& api() const noexcept { return api_; }

    void log(int level, std::string_view msg, mailfw_session* s = nullptr) const noexcept {
        if (api_.log) api_.log(host_, s, level, msg.data(), msg.size());
    }
    std::optional<std::string> config_string(const char* key, size_t index = 0) const {
        mailfw_str v{};
        if (!api_.config_string || api_.config_string(host_, key, index, &v) != MAILFW_OK)
            return std::nullopt;
        return std::string(view(v));
    }
    std::optional<int64_t> config_number(const char* key, size_t index = 0) const noexcept {
        int64_t v = 0;
        if (!api_.config_number || api_.config_number(host_, key, index, &v) != MAILFW_OK)
            return std::nullopt;
        return v;
    }
    size_t config_count(const char* key) const noexcept {
        return api_.config_count ? api_.config_count(host_, key) : 0;
    }
    int verify_password(mailfw_session* s, std::string_view user, std::string_view pw) const noexcept {
        if (!api_.verify_password) return MAILFW_UNAVAILABLE;
        return api_.verify_password(s, user.data(), user.size(), pw.data(), pw.size());
    }
    // MAILFW_OK, MAILFW_NOT_FOUND or MAILFW_UNAVAILABLE (also from a 1.0 host).
    int user_exists(mailfw_session* s, std::string_view user) const noexcept {
        if (!MAILFW_HAS_FIELD(&api_, mailfw_host_api, user_exists) || !api_.user_exists) return MAILFW_UNAVAILABLE;
        return api_.user_exists(s, user.data(), user.size());
    }
    // A user's property from the stores (e.g. "ntlm-hash"); nullopt when no
    // store has it (or it could not be read).
    std::optional<std::string> lookup_property(mailfw_session* s, std::string_view user,
                                               std::string_view property) const {
        if (!api_.lookup_property) return std::nullopt;
        std::string buf(256, '\0');
        size_t len = 0;
        int r = api_.lookup_property(s, user.data(), user.size(), property.data(), property.size(), buf.data(),
                                     buf.size(), &len);
        if (r == MAILFW_TOO_SMALL) {
            buf.assign(len, '\0');
            r = api_.lookup_property(s, user.data(), user.size(), property.data(), property.size(), buf.data(),
                                     buf.size(), &len);
        }
        if (r != MAILFW_OK || len > buf.size()) return std::nullopt;
        buf.resize(len);
        return buf;
    }
    int authorize(mailfw_session* s, std::string_view authcid, std::string_view authzid) const noexcept {
        if (!api_.authorize) return authcid == authzid ? MAILFW_OK : MAILFW_DENIED;
        return api_.authorize(s, authcid.data(), authcid.size(), authzid.data(), authzid.size());
    }
    void set_auth_identity(mailfw_session* s, std::string_view user, std::string_view detail = {}) const noexcept {
        if (api_.set_auth_identity) api_.set_auth_identity(s, user.data(), user.size(), detail.data(), detail.size());
    }
    // A header field on top of the message (DATA_HEADERS and DATA_END hooks only).
    int header_prepend(mailfw_session* s, std::string_view field) const noexcept {
        if (!api_.header_prepend) return MAILFW_UNAVAILABLE;
        return api_.header_prepend(s, field.data(), field.size());
    }
    mailfw_session_info session_info(mailfw_session* s) const noexcept {
        mailfw_session_info info;
        std::memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        if (api_.session_info) api_.session_info(s, &info);
        return info;
    }

    // (1.2) The server as a whole; zeroed (accepting = 0, no caps) from an older host.
    mailfw_server_info server_info() const noexcept {
        mailfw_server_info info;
        std::memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        if (MAILFW_HAS_FIELD(&api_, mailfw_host_api, server_info) && api_.server_info) api_.server_info(host_, &info);
        return info;
    }

    // --- session services (plugin.h says from which calls)
    // 0 when it could not be started.
    uint64_t timer_start(mailfw_session* s, uint64_t delay_ms, mailfw_timer_fn fire, void* user_data) const noexcept {
        return api_.timer_start ? api_.timer_start(s, delay_ms, fire, user_data) : 0;
    }
    // (1.2) Restarted by the client's progress (plugin.h); 0 from an older host.
    uint64_t inactivity_timer_start(mailfw_session* s, uint64_t delay_ms, mailfw_timer_fn fire,
                                    void* user_data) const noexcept {
        if (!MAILFW_HAS_FIELD(&api_, mailfw_host_api, inactivity_timer_start) || !api_.inactivity_timer_start)
            return 0;
        return api_.inactivity_timer_start(s, delay_ms, fire, user_data);
    }
    void timer_cancel(mailfw_session* s, uint64_t id) const noexcept {
        if (api_.timer_cancel && id) api_.timer_cancel(s, id);
    }
    // Sends the reply (when it has one) and closes the session; any thread.
    void session_close(mailfw_session* s, uint32_t action, uint32_t code = 0, std::string_view enhanced = {},
                       std::string_view text = {}) const noexcept {
        const mailfw_verdict v = make_verdict(action, code, enhanced, text, 0);
        if (api_.session_close) api_.session_close(s, &v);
    }
    bool note_set(mailfw_session* s, int scope, std::string_view key, std::string_view value) const noexcept {
        return api_.note_set && api_.note_set(s, scope, key.data(), key.size(), value.data(), value.size()) == MAILFW_OK;
    }
    std::optional<std::string> note_get(mailfw_session* s, int scope, std::string_view key) const {
        const void* v = nullptr;
        size_t n = 0;
        if (!api_.note_get || api_.note_get(s, scope, key.data(), key.size(), &v, &n) != MAILFW_OK) return std::nullopt;
        return std::string(static_cast<const char*>(v), n);
    }
    // Answers a PENDING delivery (any thread): QUEUED first when the next
    // hop's answer follows (1.1), then exactly one final status.
    int complete_delivery(mailfw_completion* later, uint32_t status, uint32_t code = 0,
                          std::string_view enhanced = {}, std::string_view text = {},
                          std::string_view receipt = {}) const noexcept {
        mailfw_delivery_result r;
        std::memset(&r, 0, sizeof r);
        r.struct_size = sizeof r;
        r.status = status;
        r.code = code;
        r.enhanced = str(enhanced);
        r.text = str(text);
        r.receipt = str(receipt);
        return api_.complete_delivery ? api_.complete_delivery(later, &r) : MAILFW_INVALID;
    }
    // Answers a PENDING event (any thread); MAILFW_INVALID when too late or twice.
    int complete_event(mailfw_completion* later, uint32_t action, uint32_t code = 0, std::string_view enhanced = {},
                       std::string_view text = {}, uint32_t delay_ms = 0) const noexcept {
        const mailfw_verdict v = make_verdict(action, code, enhanced, text, delay_ms);
        return api_.complete_event ? api_.complete_event(later, &v) : MAILFW_INVALID;
    }

    // --- counters (a key space of this plugin's own; plugin.h)
    // nullopt: the counter backend cannot answer now (fail open or defer).
    std::optional<int64_t> counter_update(std::string_view key, int64_t delta, uint64_t ttl_ms = 0) const noexcept {
        int64_t v = 0;
        if (api_.counter_update)
            return api_.counter_update(host_, key.data(), key.size(), delta, ttl_ms, &v) == MAILFW_OK
                       ? std::optional<int64_t>(v)
                       : std::nullopt;
        if (!api_.counter_add) return std::nullopt;  // a 1.0 host: no status, no expiry
        return api_.counter_add(host_, key.data(), key.size(), delta);
    }
    std::optional<uint64_t> rate_update(std::string_view key, uint64_t window_ms, uint32_t hits) const noexcept {
        uint64_t n = 0;
        if (api_.rate_update)
            return api_.rate_update(host_, key.data(), key.size(), window_ms, hits, &n) == MAILFW_OK
                       ? std::optional<uint64_t>(n)
                       : std::nullopt;
        if (!api_.rate_hit) return std::nullopt;
        return api_.rate_hit(host_, key.data(), key.size(), window_ms, hits);
    }
    // Answered later through done(user_data, status, value) on the session's strand.
    int counter_update_async(mailfw_session* s, std::string_view key, int64_t delta, uint64_t ttl_ms,
                             mailfw_counter_fn done, void* user_data) const noexcept {
        if (!api_.counter_update_async) return MAILFW_INVALID;
        return api_.counter_update_async(host_, s, key.data(), key.size(), delta, ttl_ms, done, user_data);
    }
    int rate_update_async(mailfw_session* s, std::string_view key, uint64_t window_ms, uint32_t hits,
                          mailfw_counter_fn done, void* user_data) const noexcept {
        if (!api_.rate_update_async) return MAILFW_INVALID;
        return api_.rate_update_async(host_, s, key.data(), key.size(), window_ms, hits, done, user_data);
    }

    // --- group commit (1.3)
    bool can_commit_durable() const noexcept {
        return MAILFW_HAS_FIELD(&api_, mailfw_host_api, commit_durable) && api_.commit_durable;
    }
    // done(int error) runs once on the host's commit thread when every
    // descriptor is durable (0) or a sync failed (its errno). False: not
    // taken (an older host, or the server is stopping) and done never runs:
    // fsync yourself.
    template <class Done>
    bool commit_durable(const int* fds, size_t count, Done&& done) const {
        if (!can_commit_durable()) return false;
        using Fn = std::decay_t<Done>;
        auto* fn = new Fn(std::forward<Done>(done));
        auto trampoline = [](void* user_data, int error) noexcept {
            std::unique_ptr<Fn> f(static_cast<Fn*>(user_data));
            try {
                (*f)(error);
            } catch (...) {
            }
        };
        if (api_.commit_durable(host_, fds, count, trampoline, fn) == MAILFW_OK) return true;
        delete fn;
        return false;
    }

private:
    static mailfw_verdict make_verdict(uint32_t action, uint32_t code, std::string_view enhanced,
                                       std::string_view text, uint32_t delay_ms) noexcept {
        mailfw_verdict v;
        std::memset(&v, 0, sizeof v);
        v.struct_size = sizeof v;
        v.action = action;
        v.code = code;
        v.enhanced = str(enhanced);
        v.text = str(text);
        v.delay_ms = delay_ms;
        return v;
    }

    mailfw_host* host_;
    mailfw_host_api api_;
};

// Base for a plugin's instance class: constructed by create(), may throw to
// refuse start-up (the exception text becomes the one-line error).
class PluginInstance {
public:
    explicit PluginInstance(Host host) : host_(host) {}
    virtual ~PluginInstance() = default;
    const Host& host() const noexcept { return host_; }

private:
    Host host_;
};

namespace detail {
inline void copy_error(const char* what, char* err, size_t cap) noexcept {
    if (!err || cap == 0) return;
    size_t n = std::strlen(what);
    if (n >= cap) n = cap - 1;
    std::memcpy(err, what, n);
    err[n] = '\0';
}

template <class Instance>
void* create(mailfw_host* host, const mailfw_host_api* api, char* err, size_t cap) noexcept {
    try {
        return new Instance(Host(host, api));
    } catch (const std::exception& e) {
        copy_error(e.what(), err, cap);
    } catch (...) {
        copy_error("unknown error while creating the plugin instance", err, cap);
    }
    return nullptr;
}
template <class Instance>
void destroy(void* p) noexcept {
    delete static_cast<Instance*>(p);
}
}  // namespace detail

// ---------------------------------------------------------------- SASL -----

// One authentication exchange (server or client side). `out` is the buffer
// the host reads the challenge/response from; it is wiped between steps.
class SaslExchange {
public:
    virtual ~SaslExchange() { wipe(out_); }
    // in == nullptr: the first step without input (see plugin.h).
    virtual int step(const unsigned char* in, size_t len, std::string& out) = 0;
    std::string out_;
};
using ServerExchange = SaslExchange;
using ClientExchange = SaslExchange;

// What a password mechanism needs from the host, as an interface its pure
// exchange logic can take (and its unit tests can fake).
class Credentials {
public:
    virtual ~Credentials() = default;
    // A mailfw_status: OK, NOT_FOUND, DENIED, UNAVAILABLE, INVALID (a name
    // the store refuses).
    virtual int verify(std::string_view user, std::string_view password) = 0;
    // May `authcid` act as `authzid`? MAILFW_OK or another status.
    virtual int authorize(std::string_view authcid, std::string_view authzid) {
        return authcid == authzid ? MAILFW_OK : MAILFW_DENIED;
    }
    // Once, before the step returns MAILFW_SASL_OK, with the identity that acts.
    virtual void authenticated(std::string_view identity) = 0;
};

// Credentials through the host for one session: the stores answer, and the
// identity is reported with `detail` (e.g. the mechanism's name).
class HostCredentials final : public Credentials {
public:
    HostCredentials(const Host& host, mailfw_session* session, std::string detail)
        : host_(host), session_(session), detail_(std::move(detail)) {}
    int verify(std::string_view user, std::string_view password) override {
        return host_.verify_password(session_, user, password);
    }
    int authorize(std::string_view authcid, std::string_view authzid) override {
        return host_.authorize(session_, authcid, authzid);
    }
    void authenticated(std::string_view identity) override { host_.set_auth_identity(session_, identity, detail_); }

private:
    const Host& host_;
    mailfw_session* session_;
    std::string detail_;
};

// The one rule for putting client- or plugin-chosen text on a line (a log
// line, a reply text), used by the host and plugins alike: control
// characters and DEL become `replacement`, and it is cut at `max` octets.
inline std::string printable(std::string_view text, size_t max = 300, char replacement = '?') {
    std::string out(text.substr(0, max));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = replacement;
    return out;
}

// The SASL result for a host verify_password() status, with a reason for
// the log in `reason` (never sent to the client): the mapping every
// password-based mechanism shares.
inline int sasl_result_for_password(int status, std::string& reason) {
    switch (status) {
        case MAILFW_OK:
            reason.clear();
            return MAILFW_SASL_OK;
        case MAILFW_NOT_FOUND:
            reason = "unknown user";
            return MAILFW_SASL_FAIL;
        case MAILFW_DENIED:
            reason = "wrong password";
            return MAILFW_SASL_FAIL;
        case MAILFW_INVALID:
            reason = "user name refused by the credential store";
            return MAILFW_SASL_FAIL;
        default:
            reason = "credential store unavailable";
            return MAILFW_SASL_ERROR;
    }
}

namespace detail {
inline int step(void* state, const unsigned char* in, size_t len, const unsigned char** out,
                size_t* out_len) noexcept {
    auto* ex = static_cast<SaslExchange*>(state);
    *out = nullptr;
    *out_len = 0;
    try {
        wipe(ex->out_);
        int r = ex->step(in, len, ex->out_);
        *out = reinterpret_cast<const unsigned char*>(ex->out_.data());
        *out_len = ex->out_.size();
        return r;
    } catch (...) {
        return MAILFW_SASL_ERROR;
    }
}
inline void finish(void* state) noexcept { delete static_cast<SaslExchange*>(state); }

template <class Instance, class Exchange>
void* server_start(void* inst, mailfw_session* s) noexcept {
    try {
        return static_cast<SaslExchange*>(new Exchange(*static_cast<Instance*>(inst), s));
    } catch (...) {
        return nullptr;
    }
}
template <class Instance, class Exchange>
void* client_start(void* inst, const mailfw_client_params* p) noexcept {
    try {
        return static_cast<SaslExchange*>(new Exchange(*static_cast<Instance*>(inst), copy_struct(p)));
    } catch (...) {
        return nullptr;
    }
}
}  // namespace detail

// Exchange is constructed as Exchange(Instance&, mailfw_session*).
// When Instance has `bool server_available() const` (1.2), the host offers
// the mechanism only while it answers true.
template <class Instance, class Exchange>
constexpr mailfw_server_mech server_mech(const char* name, uint32_t flags, size_t max_response = 0) {
    mailfw_server_mech m{sizeof(mailfw_server_mech), name, flags, max_response,
                         &detail::server_start<Instance, Exchange>, &detail::step, &detail::finish, nullptr};
    if constexpr (requires(const Instance& i) {
                      { i.server_available() } -> std::convertible_to<bool>;
                  })
        m.available = [](void* i) noexcept -> int {
            return static_cast<const Instance*>(i)->server_available() ? MAILFW_OK : MAILFW_UNAVAILABLE;
        };
    return m;
}

// Exchange is constructed as Exchange(Instance&, const mailfw_client_params&).
template <class Instance, class Exchange>
constexpr mailfw_client_mech client_mech(const char* name, uint32_t flags) {
    return mailfw_client_mech{sizeof(mailfw_client_mech), name, flags,
                              &detail::client_start<Instance, Exchange>, &detail::step,
                              &detail::finish};
}

// ------------------------------------------------------------ stores -----

// Instance provides `int verify(std::string_view user, std::string_view pw)`
// and, optionally, lookup / authorize / user_set / user_delete / user_list
// with the signatures used below. Missing members leave the slot NULL.
template <class Instance>
constexpr mailfw_store store_table() {
    mailfw_store t{};
    t.struct_size = sizeof t;
    t.verify = [](void* i, const char* u, size_t ul, const char* p, size_t pl) noexcept -> int {
        try {
            return static_cast<Instance*>(i)->verify({u, ul}, {p, pl});
        } catch (...) {
            return MAILFW_UNAVAILABLE;
        }
    };
    if constexpr (requires(Instance& i, std::string_view s, std::string& out) { i.lookup(s, s, out); }) {
        t.lookup = [](void* i, const char* u, size_t ul, const char* pr, size_t pl, char* buf, size_t cap,
                      size_t* out_len) noexcept -> int {
            try {
                std::string v;
                int r = static_cast<Instance*>(i)->lookup({u, ul}, {pr, pl}, v);
                if (r != MAILFW_OK) return r;
                *out_len = v.size();
                if (v.size() > cap) return MAILFW_TOO_SMALL;
                std::memcpy(buf, v.data(), v.size());
                wipe(v);
                return MAILFW_OK;
            } catch (...) {
                return MAILFW_UNAVAILABLE;
            }
        };
    }
    if constexpr (requires(Instance& i, std::string_view s) { i.authorize(s, s); }) {
        t.authorize = [](void* i, const char* c, size_t cl, const char* z, size_t zl) noexcept -> int {
            try {
                return static_cast<Instance*>(i)->authorize({c, cl}, {z, zl});
            } catch (...) {
                return MAILFW_UNAVAILABLE;
            }
        };
    }
    if constexpr (requires(Instance& i, std::string_view s) {
                      i.user_set(0, s, s);
                      i.user_delete(s);
                  }) {
        t.user_set = [](void* i, int mode, const char* u, size_t ul, const char* p, size_t pl) noexcept -> int {
            try {
                return static_cast<Instance*>(i)->user_set(mode, {u, ul}, {p, pl});
            } catch (...) {
                return MAILFW_UNAVAILABLE;
            }
        };
        t.user_delete = [](void* i, const char* u, size_t ul) noexcept -> int {
            try {
                return static_cast<Instance*>(i)->user_delete({u, ul});
            } catch (...) {
                return MAILFW_UNAVAILABLE;
            }
        };
    }
    if constexpr (requires(Instance& i, std::string_view s) { i.user_exists(s); }) {
        t.user_exists = [](void* i, const char* u, size_t ul) noexcept -> int {
            try {
                return static_cast<Instance*>(i)->user_exists({u, ul});
            } catch (...) {
                return MAILFW_UNAVAILABLE;
            }
        };
    }
    if constexpr (requires(Instance& i, std::string_view s, uint64_t& stamp) { i.credential_stamp(s, stamp); }) {
        t.credential_stamp = [](void* i, const char* u, size_t ul, uint64_t* stamp) noexcept -> int {
            if (!stamp) return MAILFW_INVALID;
            try {
                return static_cast<Instance*>(i)->credential_stamp({u, ul}, *stamp);
            } catch (...) {
                return MAILFW_UNAVAILABLE;
            }
        };
    }
    if constexpr (requires(Instance& i, mailfw_user_fn f, void* ud) { i.user_list(f, ud); }) {
        t.user_list = [](void* i, mailfw_user_fn each, void* ud) noexcept -> int {
            try {
                return static_cast<Instance*>(i)->user_list(each, ud);
            } catch (...) {
                return MAILFW_UNAVAILABLE;
            }
        };
    }
    return t;
}

// ---------------------------------------------------------- delivery -----

// What a delivery written with the helper answers for a message: texts it
// may build at run time, copied by the host (the trampoline hands them over
// through complete_delivery before it returns, as plugin.h allows).
struct DeliveryResult {
    uint32_t code = 0;
    std::string enhanced;
    std::string text;
    std::string receipt;  // for discard(), with DURABLE or ACCEPTED
};

// What it answers for a recipient at RCPT: the decision and, for REFUSE or
// TEMPFAIL, optional code and static texts (literals: the host copies them
// as claim_rcpt returns).
struct RcptAnswer {
    int decision = MAILFW_RCPT_PASS;
    uint32_t code = 0;
    const char* enhanced = nullptr;
    const char* text = nullptr;
};

// Instance provides
//   int deliver(const mailfw_message&, mailfw::DeliveryResult&)
// returning a mailfw_delivery_status (the 1.0 form taking a
// mailfw_delivery_result& still works), or
//   int deliver(const mailfw_message&, mailfw::DeliveryResult&, mailfw_completion* later)
// which may also return MAILFW_PENDING and answer later through
// host().complete_delivery(later, ...); and optionally
//   mailfw::RcptAnswer claim_rcpt(mailfw_session*, std::string_view address)
//   mailfw::RcptAnswer claim_rcpt_inline(mailfw_session*, std::string_view address)
//                      (1.4: on the network thread, must not block; answers
//                       MAILFW_RCPT_UNDECIDED for what needs claim_rcpt)
//   int discard(const mailfw_message&, std::string_view receipt)
//   bool available()   (1.2: false while the target cannot take messages;
//                       called often on network threads: answer from state)
// Missing members leave their slots NULL. An exception is a TEMPFAIL.
namespace detail {
// claim_rcpt and claim_rcpt_inline: the answer's texts are literals (see
// RcptAnswer), so pointing `r` at them outlives the call.
inline int rcpt_answer(mailfw_delivery_result* r, const RcptAnswer& a) noexcept {
    r->code = a.code;
    r->enhanced = str(a.enhanced ? std::string_view(a.enhanced) : std::string_view());
    r->text = str(a.text ? std::string_view(a.text) : std::string_view());
    return a.decision;
}
}  // namespace detail

template <class Instance>
constexpr mailfw_delivery delivery_table(uint32_t flags) {
    mailfw_delivery t{};
    t.struct_size = sizeof t;
    t.flags = flags;
    t.deliver = [](void* i, const mailfw_message* m, mailfw_delivery_result* r,
                   mailfw_completion* later) noexcept -> int {
        auto& self = *static_cast<Instance*>(i);
        constexpr bool with_token = requires(const mailfw_message& msg, DeliveryResult& res, mailfw_completion* c) {
            self.deliver(msg, res, c);
        };
        if constexpr (with_token || requires(const mailfw_message& msg, DeliveryResult& res) { self.deliver(msg, res); }) {
            DeliveryResult res;
            mailfw_delivery_result out{};
            out.struct_size = sizeof out;
            try {
                mailfw_message msg = copy_struct(m);
                int status;
                if constexpr (with_token)
                    status = self.deliver(msg, res, later);
                else
                    status = self.deliver(msg, res);
                if (status == MAILFW_PENDING) return MAILFW_PENDING;  // the instance answers later
                out.status = static_cast<uint32_t>(status);
            } catch (...) {
                out.status = MAILFW_DELIVERY_TEMPFAIL;
                res = DeliveryResult{451, "4.3.0", "Temporary local error in the delivery", {}};
            }
            out.code = res.code;
            out.enhanced = str(res.enhanced);
            out.text = str(res.text);
            out.receipt = str(res.receipt);
            const mailfw_host_api& api = self.host().api();
            if (later && api.complete_delivery && api.complete_delivery(later, &out) == MAILFW_OK)
                return MAILFW_PENDING;  // answered: the host copied the texts during the call
            r->status = out.status;      // a host without completions: static texts only
            r->code = out.code;
            return static_cast<int>(out.status);
        } else {
            try {
                mailfw_message msg = copy_struct(m);
                r->status = static_cast<uint32_t>(self.deliver(msg, *r));
            } catch (...) {
                r->status = MAILFW_DELIVERY_TEMPFAIL;
            }
            return static_cast<int>(r->status);
        }
    };
    if constexpr (requires(Instance& self, mailfw_session* s, std::string_view a) {
                      { self.claim_rcpt(s, a) } -> std::same_as<RcptAnswer>;
                  }) {
        t.claim_rcpt = [](void* i, mailfw_session* s, mailfw_str address,
                          mailfw_delivery_result* r) noexcept -> int {
            try {
                return detail::rcpt_answer(r, static_cast<Instance*>(i)->claim_rcpt(s, view(address)));
            } catch (...) {
                return MAILFW_RCPT_TEMPFAIL;
            }
        };
    }
    if constexpr (requires(Instance& self, mailfw_session* s, std::string_view a) {
                      { self.claim_rcpt_inline(s, a) } -> std::same_as<RcptAnswer>;
                  }) {
        t.claim_rcpt_inline = [](void* i, mailfw_session* s, mailfw_str address,
                                 mailfw_delivery_result* r) noexcept -> int {
            try {
                return detail::rcpt_answer(r, static_cast<Instance*>(i)->claim_rcpt_inline(s, view(address)));
            } catch (...) {
                return MAILFW_RCPT_TEMPFAIL;
            }
        };
    }
    if constexpr (requires(Instance& self) {
                      { self.available() } -> std::convertible_to<bool>;
                  }) {
        t.available = [](void* i) noexcept -> int {
            try {
                return static_cast<Instance*>(i)->available() ? MAILFW_OK : MAILFW_UNAVAILABLE;
            } catch (...) {
                return MAILFW_UNAVAILABLE;
            }
        };
    }
    if constexpr (requires(Instance& self, const mailfw_message& m, std::string_view rc) { self.discard(m, rc); }) {
        t.discard = [](void* i, const mailfw_message* m, mailfw_str receipt) noexcept -> int {
            try {
                return static_cast<Instance*>(i)->discard(copy_struct(m), view(receipt));
            } catch (...) {
                return MAILFW_UNAVAILABLE;
            }
        };
    }
    return t;
}

// ------------------------------------------------------------ events -----

// Fills `v` (the verdict the host handed to on_event) and returns its action,
// so a handler can `return verdict(v, MAILFW_DENY, 550, "5.7.1", text);`.
// `enhanced` and `text` must stay valid until on_event returns (the host
// copies them then): literals, or strings the connection object keeps.
inline int verdict(mailfw_verdict& v, uint32_t action, uint32_t code = 0, std::string_view enhanced = {},
                   std::string_view text = {}, uint32_t delay_ms = 0) noexcept {
    v.action = action;
    v.code = code;
    v.enhanced = str(enhanced);
    v.text = str(text);
    v.delay_ms = delay_ms;
    return static_cast<int>(action);
}

// An event handler in C++. Instance::Connection is made per session as
// Connection(Instance&, mailfw_session*) and destroyed when it ends; it
// answers with
//   int on_event(const mailfw_event&, mailfw_verdict&, mailfw_completion* later)
// filling the verdict and returning its action, or returning MAILFW_PENDING
// and answering later through the host's complete_event (drop `later` in
// ~Connection at the latest). When Instance::Transaction exists it is made
// at MAIL as Transaction(Connection&), and on_event takes a `Transaction*`
// (nullptr outside a transaction) as its first parameter. An exception from
// a constructor leaves that state out (the connection's events then pass);
// an exception from on_event answers DENYSOFT 451 4.3.0. When Connection has
//   const std::vector<std::string>& ehlo_keywords()
// its lines are added to the EHLO reply (the vector must stay as it is
// until the connection's next call). MAIL/RCPT parameters are set on the
// returned table (t.mail_params = ..., t.mail_param_count = ...).
template <class Instance>
constexpr mailfw_event_handler event_handler_table(uint32_t hooks, uint32_t timeout_ms = 0,
                                                   uint32_t timeout_action = MAILFW_CONTINUE) {
    using Connection = typename Instance::Connection;
    constexpr bool has_txn = requires { typename Instance::Transaction; };
    mailfw_event_handler t{};
    t.struct_size = sizeof t;
    t.hooks = hooks;
    t.timeout_ms = timeout_ms;
    t.timeout_action = timeout_action;
    t.connection_open = [](void* i, mailfw_session* s) noexcept -> void* {
        try {
            return new Connection(*static_cast<Instance*>(i), s);
        } catch (...) {
            return nullptr;
        }
    };
    t.connection_close = [](void* c) noexcept { delete static_cast<Connection*>(c); };
    if constexpr (has_txn) {
        using Transaction = typename Instance::Transaction;
        t.transaction_open = [](void* c) noexcept -> void* {
            try {
                return c ? new Transaction(*static_cast<Connection*>(c)) : nullptr;
            } catch (...) {
                return nullptr;
            }
        };
        t.transaction_close = [](void* x) noexcept { delete static_cast<Transaction*>(x); };
    }
    if constexpr (requires(Connection& conn) {
                      { conn.ehlo_keywords() } -> std::convertible_to<const std::vector<std::string>&>;
                  }) {
        t.ehlo_keywords = [](void*, void* c, mailfw_session*, mailfw_str* out, size_t cap) noexcept -> size_t {
            if (!c) return 0;
            try {
                const std::vector<std::string>& lines = static_cast<Connection*>(c)->ehlo_keywords();
                for (size_t i = 0; i < lines.size() && i < cap; ++i) out[i] = str(lines[i]);
                return lines.size();
            } catch (...) {
                return 0;
            }
        };
    }
    t.on_event = [](void*, void* c, void* x, mailfw_session*, const mailfw_event* e, mailfw_verdict* v,
                    mailfw_completion* later) noexcept -> int {
        if (!c || !e || !v) return MAILFW_CONTINUE;
        try {
            mailfw_event ev = copy_struct(e);
            auto& conn = *static_cast<Connection*>(c);
            (void)x;
            if constexpr (has_txn)
                return conn.on_event(static_cast<typename Instance::Transaction*>(x), ev, *v, later);
            else
                return conn.on_event(ev, *v, later);
        } catch (...) {
            return verdict(*v, MAILFW_DENYSOFT, 451, "4.3.0", "Temporary local error in an event handler");
        }
    };
    return t;
}

// -------------------------------------------------------- descriptor -----

constexpr mailfw_config_key config_key(const char* name, mailfw_key_type type, const char* default_value,
                                       const char* help, uint32_t flags = 0) {
    return mailfw_config_key{sizeof(mailfw_config_key), name, static_cast<uint32_t>(type), flags,
                             default_value, help};
}

// Server mechanisms may be given here (as in the example at the top); the
// other kinds are set on the returned struct (p.store = &table, ...).
template <class Instance>
constexpr mailfw_plugin plugin_descriptor(const char* name, const char* version, const char* summary,
                                          const mailfw_config_key* keys, size_t key_count,
                                          const mailfw_server_mech* server_mechs = nullptr,
                                          size_t server_mech_count = 0) {
    mailfw_plugin p{};
    p.struct_size = sizeof p;
    p.abi_major = MAILFW_ABI_MAJOR;
    p.abi_minor = MAILFW_ABI_MINOR;
    p.name = name;
    p.version = version;
    p.summary = summary;
    p.keys = keys;
    p.key_count = key_count;
    p.create = &detail::create<Instance>;
    p.destroy = &detail::destroy<Instance>;
    p.server_mechs = server_mechs;
    p.server_mech_count = server_mech_count;
    return p;
}

// An event-handler plugin's whole descriptor, from its keys and its table
// (both namespace-scope constexpr):
//   constexpr mailfw_plugin descriptor =
//       mailfw::event_plugin<Instance>("limit-hops", "1.0.0", "MaxHopCount", keys, events);
template <class Instance, size_t N>
constexpr mailfw_plugin event_plugin(const char* name, const char* version, const char* summary,
                                     const mailfw_config_key (&keys)[N], const mailfw_event_handler& events) {
    mailfw_plugin p = plugin_descriptor<Instance>(name, version, summary, keys, N);
    p.events = &events;
    return p;
}

}  // namespace mailfw

// Defines the one exported entry symbol, returning `descriptor` (a
// namespace-scope mailfw_plugin).
#define MAILFW_PLUGIN(descriptor)                                                           \
    extern "C" MAILFW_EXPORT const mailfw_plugin* mailfw_plugin_entry(                      \
        uint32_t, uint32_t, const mailfw_host_api*) noexcept {                             \
        return &(descriptor);                                                               \
    }

#endif  // MAILFW_PLUGIN_HPP
