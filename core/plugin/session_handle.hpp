// The C++ side of the opaque handles in plugin.h that belong to a session.
// Plugins only ever see pointers to these; the host API functions
// (plugin/host_api.cpp) cast and forward to the virtual members, so the
// SMTP session implements them without the plugin host knowing it.
#pragma once
#include <mailfw/plugin.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

// Notes shared by all plugins for one scope (connection or transaction).
namespace mailfw {
using Notes = std::map<std::string, std::string, std::less<>>;
class PluginHost;
}

struct mailfw_session {
    virtual ~mailfw_session() = default;
    // Strings in `out` must stay valid until the calling plugin returns.
    virtual void fill_info(mailfw_session_info& out) = 0;
    virtual uint64_t start_timer(uint64_t delay_ms, mailfw_timer_fn fire, void* user_data) = 0;
    // Restarted by the client's progress (plugin.h); cancelled by cancel_timer.
    virtual uint64_t start_inactivity_timer(uint64_t delay_ms, mailfw_timer_fn fire, void* user_data) = 0;
    virtual void cancel_timer(uint64_t id) = 0;
    virtual void close_with(const mailfw_verdict* reply) = 0;
    // nullptr when the scope is not open (no transaction).
    virtual mailfw::Notes* notes(int scope) = 0;
    virtual void set_auth_identity(std::string_view user, std::string_view detail) = 0;
    // A header field for the message being received (mailfw_status).
    virtual int prepend_header(std::string_view field) = 0;
    // Runs `call` on the session's strand unless the session's plugin state
    // is gone by then (the session ended): callable from any thread.
    virtual void post_to_plugins(std::function<void()> call) = 0;
    // The plugin host whose stores this session's credential calls reach.
    virtual mailfw::PluginHost* plugin_host() = 0;
};

// A one-shot answer slot for a PENDING event or delivery. Implementations
// must be callable from any thread and refuse a second use (MAILFW_INVALID).
struct mailfw_completion {
    virtual ~mailfw_completion() = default;
    virtual int complete_event(const mailfw_verdict* verdict) = 0;
    virtual int complete_delivery(const mailfw_delivery_result* result) = 0;
};
