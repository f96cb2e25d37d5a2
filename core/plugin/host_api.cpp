// The services table every plugin gets (mailfw_host_api). Each function is
// a C boundary: noexcept, catches everything, checks its pointers.
//
// Host-scoped services read the plugin's name, section and the counter
// service from the mailfw_host handle. Session-scoped credential services
// (verify_password, authorize, lookup_property, user_exists) reach the stores
// of the session's own plugin host; called without a session (as plugin.h
// allows, e.g. from an administration path) they fall back to
// PluginHost::live(), the one PluginHost alive in this process.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "auth/password_check.hpp"
#include "plugin/counter_backend.hpp"
#include "plugin/host_handle.hpp"
#include "plugin/plugin_host.hpp"
#include "plugin/session_handle.hpp"
#include "spool/group_commit.hpp"
#include "util/log.hpp"

namespace mailfw {
namespace {

// A (pointer, length) pair from a plugin; NULL with any length reads as empty.
std::string_view sv(const char* p, size_t n) { return p ? std::string_view(p, n) : std::string_view(); }

bool bad_buffer(const void* p, size_t n) { return p == nullptr && n != 0; }

PluginHost* stores_for(mailfw_session* session) {
    return session ? session->plugin_host() : PluginHost::live();
}

log::Level to_level(int level) {
    if (level <= MAILFW_LOG_DEBUG) return log::Level::debug;
    if (level == MAILFW_LOG_INFO) return log::Level::info;
    if (level == MAILFW_LOG_WARNING) return log::Level::warning;
    return log::Level::error;
}

void api_log(mailfw_host* host, mailfw_session* session, int level, const char* msg, size_t len) noexcept {
    try {
        log::Level l = to_level(level);
        if (!log::enabled(l)) return;
        std::string line;
        if (host) line = host->plugin + ": ";
        line += sv(msg, len);
        uint64_t conn = 0;
        std::string client;
        if (session) {
            mailfw_session_info info;
            std::memset(&info, 0, sizeof info);
            info.struct_size = sizeof info;
            session->fill_info(info);
            conn = info.connection_id;
            std::string_view addr = sv(info.remote_address.ptr, info.remote_address.len);
            if (!addr.empty()) {
                bool v6 = addr.find(':') != std::string_view::npos;
                client = v6 ? "[" + std::string(addr) + "]" : std::string(addr);
                client += ":" + std::to_string(info.remote_port);
            }
        }
        log::write(l, line, conn, client);
    } catch (...) {
    }
}

size_t api_config_count(mailfw_host* host, const char* key) noexcept {
    try {
        if (!host || !key) return 0;
        return host->config.count(key);
    } catch (...) {
        return 0;
    }
}

int api_config_string(mailfw_host* host, const char* key, size_t index, mailfw_str* out) noexcept {
    try {
        if (!host || !key || !out) return MAILFW_INVALID;
        auto it = host->config.values.find(std::string_view(key));
        if (it == host->config.values.end() || index >= it->second.size()) return MAILFW_NOT_FOUND;
        // The section is immutable while the plugin lives, so the pointer stays valid.
        const std::string& text = it->second[index].text;
        out->ptr = text.c_str();
        out->len = text.size();
        return MAILFW_OK;
    } catch (...) {
        return MAILFW_INVALID;
    }
}

int api_config_number(mailfw_host* host, const char* key, size_t index, int64_t* out) noexcept {
    try {
        if (!host || !key || !out) return MAILFW_INVALID;
        auto it = host->config.values.find(std::string_view(key));
        if (it == host->config.values.end() || index >= it->second.size()) return MAILFW_NOT_FOUND;
        if (!it->second[index].numeric) return MAILFW_INVALID;  // a STRING or PATH key
        *out = it->second[index].number;
        return MAILFW_OK;
    } catch (...) {
        return MAILFW_INVALID;
    }
}

uint64_t api_clock_ms(mailfw_host*, int which) noexcept {
    using namespace std::chrono;
    if (which == 1)
        return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
    return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

uint64_t api_timer_start(mailfw_session* session, uint64_t delay_ms, mailfw_timer_fn fire, void* user_data) noexcept {
    try {
        if (!session || !fire) return 0;
        return session->start_timer(delay_ms, fire, user_data);
    } catch (...) {
        return 0;
    }
}

uint64_t api_inactivity_timer_start(mailfw_session* session, uint64_t delay_ms, mailfw_timer_fn fire,
                                    void* user_data) noexcept {
    try {
        if (!session || !fire) return 0;
        return session->start_inactivity_timer(delay_ms, fire, user_data);
    } catch (...) {
        return 0;
    }
}

int api_server_info(mailfw_host* host, mailfw_server_info* out) noexcept {
    try {
        if (!host || !host->owner || !out || out->struct_size < sizeof(size_t)) return MAILFW_INVALID;
        mailfw_server_info full;
        host->owner->fill_server_info(full);
        const size_t n = std::min(out->struct_size, sizeof full);
        std::memcpy(out, &full, n);
        out->struct_size = n;
        return MAILFW_OK;
    } catch (...) {
        return MAILFW_INVALID;
    }
}

void api_timer_cancel(mailfw_session* session, uint64_t timer_id) noexcept {
    try {
        if (session) session->cancel_timer(timer_id);
    } catch (...) {
    }
}

void api_session_close(mailfw_session* session, const mailfw_verdict* reply) noexcept {
    try {
        if (session) session->close_with(reply);
    } catch (...) {
    }
}

int api_session_info(mailfw_session* session, mailfw_session_info* out) noexcept {
    try {
        if (!session || !out || out->struct_size < sizeof(size_t)) return MAILFW_INVALID;
        mailfw_session_info full;
        std::memset(&full, 0, sizeof full);
        full.struct_size = sizeof full;
        session->fill_info(full);
        // The caller may be built against an older, smaller struct.
        size_t n = std::min(out->struct_size, sizeof full);
        std::memcpy(out, &full, n);
        out->struct_size = n;
        return MAILFW_OK;
    } catch (...) {
        return MAILFW_UNAVAILABLE;
    }
}

int api_note_set(mailfw_session* session, int scope, const char* key, size_t key_len, const void* value,
                 size_t value_len) noexcept {
    try {
        if (!session || bad_buffer(key, key_len) || bad_buffer(value, value_len)) return MAILFW_INVALID;
        if (scope != MAILFW_NOTE_CONNECTION && scope != MAILFW_NOTE_TRANSACTION) return MAILFW_INVALID;
        Notes* notes = session->notes(scope);
        if (!notes) return MAILFW_INVALID;  // no transaction open
        std::string v = value ? std::string(static_cast<const char*>(value), value_len) : std::string();
        notes->insert_or_assign(std::string(sv(key, key_len)), std::move(v));
        return MAILFW_OK;
    } catch (...) {
        return MAILFW_UNAVAILABLE;
    }
}

int api_note_get(mailfw_session* session, int scope, const char* key, size_t key_len, const void** value,
                 size_t* value_len) noexcept {
    try {
        if (!session || !value || !value_len || bad_buffer(key, key_len)) return MAILFW_INVALID;
        Notes* notes = session->notes(scope);
        if (!notes) return MAILFW_NOT_FOUND;
        auto it = notes->find(sv(key, key_len));
        if (it == notes->end()) return MAILFW_NOT_FOUND;
        *value = it->second.data();
        *value_len = it->second.size();
        return MAILFW_OK;
    } catch (...) {
        return MAILFW_UNAVAILABLE;
    }
}

int api_verify_password(mailfw_session* session, const char* user, size_t user_len, const char* password,
                        size_t password_len) noexcept {
    try {
        if (bad_buffer(user, user_len) || bad_buffer(password, password_len)) return MAILFW_INVALID;
        PluginHost* host = stores_for(session);
        if (!host) return MAILFW_UNAVAILABLE;
        return check_password(*host, sv(user, user_len), sv(password, password_len));
    } catch (...) {
        return MAILFW_UNAVAILABLE;
    }
}

int api_authorize(mailfw_session* session, const char* authcid, size_t authcid_len, const char* authzid,
                  size_t authzid_len) noexcept {
    try {
        if (bad_buffer(authcid, authcid_len) || bad_buffer(authzid, authzid_len)) return MAILFW_DENIED;
        if (sv(authcid, authcid_len) == sv(authzid, authzid_len)) return MAILFW_OK;
        PluginHost* host = stores_for(session);
        if (!host) return MAILFW_DENIED;
        for (const Store& s : host->stores()) {
            if (!s.table.authorize) continue;
            int r = s.table.authorize(s.instance, authcid, authcid_len, authzid, authzid_len);
            if (r == MAILFW_OK || r == MAILFW_DENIED) return r;
        }
        return MAILFW_DENIED;
    } catch (...) {
        return MAILFW_DENIED;
    }
}

int api_lookup_property(mailfw_session* session, const char* user, size_t user_len, const char* property,
                        size_t property_len, char* buf, size_t cap, size_t* out_len) noexcept {
    try {
        if (!out_len || bad_buffer(user, user_len) || bad_buffer(property, property_len) || bad_buffer(buf, cap))
            return MAILFW_INVALID;
        PluginHost* host = stores_for(session);
        if (!host) return MAILFW_UNAVAILABLE;
        for (const Store& s : host->stores()) {
            if (!s.table.lookup) continue;
            int r = s.table.lookup(s.instance, user, user_len, property, property_len, buf, cap, out_len);
            if (r != MAILFW_NOT_FOUND) return r;
        }
        return MAILFW_NOT_FOUND;
    } catch (...) {
        return MAILFW_UNAVAILABLE;
    }
}

void api_set_auth_identity(mailfw_session* session, const char* user, size_t user_len, const char* detail,
                           size_t detail_len) noexcept {
    try {
        if (session) session->set_auth_identity(sv(user, user_len), sv(detail, detail_len));
    } catch (...) {
    }
}

int api_user_exists(mailfw_session* session, const char* user, size_t user_len) noexcept {
    try {
        if (bad_buffer(user, user_len)) return MAILFW_INVALID;
        PluginHost* host = stores_for(session);
        if (!host) return MAILFW_UNAVAILABLE;
        for (const Store& s : host->stores()) {
            if (!s.table.user_exists) continue;
            const int r = s.table.user_exists(s.instance, user, user_len);
            if (r == MAILFW_NOT_FOUND) continue;
            return r == MAILFW_OK ? MAILFW_OK : MAILFW_UNAVAILABLE;
        }
        return MAILFW_NOT_FOUND;
    } catch (...) {
        return MAILFW_UNAVAILABLE;
    }
}

int api_header_prepend(mailfw_session* session, const char* field, size_t len) noexcept {
    try {
        if (!session || bad_buffer(field, len)) return MAILFW_INVALID;
        return session->prepend_header(sv(field, len));
    } catch (...) {
        return MAILFW_UNAVAILABLE;
    }
}

int64_t api_counter_add(mailfw_host* host, const char* key, size_t key_len, int64_t delta) noexcept {
    try {
        if (!host || !host->counters || bad_buffer(key, key_len)) return 0;
        int64_t value = 0;
        return host->counters->add(host->counter_key(sv(key, key_len)), delta, 0, value) == MAILFW_OK ? value : 0;
    } catch (...) {
        return 0;
    }
}

uint64_t api_rate_hit(mailfw_host* host, const char* key, size_t key_len, uint64_t window_ms, uint32_t hits) noexcept {
    try {
        if (!host || !host->counters || bad_buffer(key, key_len)) return 0;
        uint64_t count = 0;
        return host->counters->rate_hit(host->counter_key(sv(key, key_len)), window_ms, hits, count) == MAILFW_OK
                   ? count
                   : 0;
    } catch (...) {
        return 0;
    }
}

int api_counter_update(mailfw_host* host, const char* key, size_t key_len, int64_t delta, uint64_t ttl_ms,
                       int64_t* value) noexcept {
    try {
        if (!host || !value || bad_buffer(key, key_len)) return MAILFW_INVALID;
        if (!host->counters) return MAILFW_UNAVAILABLE;
        const int r = host->counters->add(host->counter_key(sv(key, key_len)), delta, ttl_ms, *value);
        return r == MAILFW_OK ? r : MAILFW_UNAVAILABLE;
    } catch (...) {
        return MAILFW_UNAVAILABLE;
    }
}

int api_rate_update(mailfw_host* host, const char* key, size_t key_len, uint64_t window_ms, uint32_t hits,
                    uint64_t* count) noexcept {
    try {
        if (!host || !count || bad_buffer(key, key_len)) return MAILFW_INVALID;
        if (!host->counters) return MAILFW_UNAVAILABLE;
        const int r = host->counters->rate_hit(host->counter_key(sv(key, key_len)), window_ms, hits, *count);
        return r == MAILFW_OK ? r : MAILFW_UNAVAILABLE;
    } catch (...) {
        return MAILFW_UNAVAILABLE;
    }
}

// The backend's answer, delivered where plugin.h promises: on the session's
// strand while the session lives, else (no session) where it arrives.
CounterBackend::Done deliver_counter_answer(mailfw_session* session, mailfw_counter_fn done, void* user_data) {
    return [session, done, user_data](int status, int64_t value) {
        if (status != MAILFW_OK) status = MAILFW_UNAVAILABLE, value = 0;
        if (!session) {
            done(user_data, status, value);
            return;
        }
        session->post_to_plugins([done, user_data, status, value] { done(user_data, status, value); });
    };
}

// Both asynchronous counter calls: check, route the answer, ask the backend.
template <class Ask>
int counter_async(mailfw_host* host, mailfw_session* session, const char* key, size_t key_len, mailfw_counter_fn done,
                  void* user_data, Ask ask) noexcept {
    try {
        if (!host || !done || bad_buffer(key, key_len)) return MAILFW_INVALID;
        auto answer = deliver_counter_answer(session, done, user_data);
        if (!host->counters)
            answer(MAILFW_UNAVAILABLE, 0);
        else
            ask(*host->counters, host->counter_key(sv(key, key_len)), std::move(answer));
        return MAILFW_OK;
    } catch (...) {
        return MAILFW_INVALID;
    }
}

int api_counter_update_async(mailfw_host* host, mailfw_session* session, const char* key, size_t key_len,
                             int64_t delta, uint64_t ttl_ms, mailfw_counter_fn done, void* user_data) noexcept {
    return counter_async(host, session, key, key_len, done, user_data,
                         [&](CounterBackend& b, std::string k, CounterBackend::Done answer) {
                             b.add_async(std::move(k), delta, ttl_ms, std::move(answer));
                         });
}

int api_rate_update_async(mailfw_host* host, mailfw_session* session, const char* key, size_t key_len,
                          uint64_t window_ms, uint32_t hits, mailfw_counter_fn done, void* user_data) noexcept {
    return counter_async(host, session, key, key_len, done, user_data,
                         [&](CounterBackend& b, std::string k, CounterBackend::Done answer) {
                             b.rate_hit_async(std::move(k), window_ms, hits, std::move(answer));
                         });
}

int api_complete_event(mailfw_completion* token, const mailfw_verdict* verdict) noexcept {
    try {
        if (!token) return MAILFW_INVALID;
        return token->complete_event(verdict);
    } catch (...) {
        return MAILFW_INVALID;
    }
}

int api_complete_delivery(mailfw_completion* token, const mailfw_delivery_result* result) noexcept {
    try {
        if (!token) return MAILFW_INVALID;
        return token->complete_delivery(result);
    } catch (...) {
        return MAILFW_INVALID;
    }
}

int api_commit_durable(mailfw_host* host, const int* fds, size_t fd_count, mailfw_durable_fn done,
                       void* user_data) noexcept {
    try {
        if (!host || !host->group_commit || !done || !fds || fd_count == 0) return MAILFW_INVALID;
        std::vector<int> list(fds, fds + fd_count);
        for (int fd : list)
            if (fd < 0) return MAILFW_INVALID;
        const bool taken =
            host->group_commit->submit(std::move(list), [done, user_data](int error) { done(user_data, error); });
        return taken ? MAILFW_OK : MAILFW_INVALID;
    } catch (...) {
        return MAILFW_INVALID;
    }
}

const mailfw_host_api kApi = {
    .struct_size = sizeof(mailfw_host_api),
    .abi_major = MAILFW_ABI_MAJOR,
    .abi_minor = MAILFW_ABI_MINOR,
    .log = &api_log,
    .config_count = &api_config_count,
    .config_string = &api_config_string,
    .config_number = &api_config_number,
    .clock_ms = &api_clock_ms,
    .timer_start = &api_timer_start,
    .timer_cancel = &api_timer_cancel,
    .session_close = &api_session_close,
    .session_info = &api_session_info,
    .note_set = &api_note_set,
    .note_get = &api_note_get,
    .verify_password = &api_verify_password,
    .authorize = &api_authorize,
    .lookup_property = &api_lookup_property,
    .set_auth_identity = &api_set_auth_identity,
    .counter_add = &api_counter_add,
    .rate_hit = &api_rate_hit,
    .complete_event = &api_complete_event,
    .complete_delivery = &api_complete_delivery,
    .user_exists = &api_user_exists,
    .header_prepend = &api_header_prepend,
    .counter_update = &api_counter_update,
    .rate_update = &api_rate_update,
    .counter_update_async = &api_counter_update_async,
    .rate_update_async = &api_rate_update_async,
    .server_info = &api_server_info,
    .inactivity_timer_start = &api_inactivity_timer_start,
    .commit_durable = &api_commit_durable,
};

}  // namespace

const mailfw_host_api* host_api_table() noexcept { return &kApi; }

}  // namespace mailfw
