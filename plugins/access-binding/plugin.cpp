// access-binding: MS-OXSMTP BindingNotConfigured. Which clients and which
// users a listener serves, as an Exchange receive connector's RemoteIPRanges
// and permission groups:
//   remote_ip_ranges = <listener> <network>...  a client outside them gets
//                                               421 4.3.2 at connect
//   permitted_users  = <listener> <user>...     an authenticated user not
//                                               named gets 421 4.3.2 at AUTH
// and the session closes. A listener not named is not restricted.
#include <mailfw/plugin.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("remote_ip_ranges", MAILFW_KEY_STRING, nullptr,
                       "<listener> <network>...: the clients that listener serves (others: 421 4.3.2); may repeat",
                       MAILFW_KEY_MULTI),
    mailfw::config_key("permitted_users", MAILFW_KEY_STRING, nullptr,
                       "<listener> <user>...: the users who may authenticate there (others: 421 4.3.2); may repeat",
                       MAILFW_KEY_MULTI),
};

bool iequal(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return std::tolower((unsigned char)x) == std::tolower((unsigned char)y); });
}

// "<listener> <word>..." values, gathered per listener.
std::map<std::string, std::vector<std::string>, std::less<>> per_listener(const mailfw::Host& h, const char* key) {
    std::map<std::string, std::vector<std::string>, std::less<>> out;
    const size_t n = h.config_count(key);
    for (size_t i = 0; i < n; ++i) {
        const std::string value = h.config_string(key, i).value_or("");
        const std::vector<std::string> words = mailfw::limits::split_words(value);
        if (words.size() < 2)
            throw std::runtime_error("bad value '" + mailfw::printable(value, 60) + "' for '" + key +
                                     "' in [access-binding]: expected a listener name and at least one entry, "
                                     "e.g. " + key + " = submission " +
                                     (std::string(key) == "permitted_users" ? "alice bob" : "10.0.0.0/8"));
        auto& list = out[words[0]];
        list.insert(list.end(), words.begin() + 1, words.end());
    }
    return out;
}

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h) : PluginInstance(h), users(per_listener(h, "permitted_users")) {
        for (const auto& [listener, texts] : per_listener(h, "remote_ip_ranges"))
            for (const auto& t : texts)
                ranges[listener].push_back(mailfw::limits::range_or_throw(t, "remote_ip_ranges", "access-binding"));
        // A misspelt listener would restrict nothing, silently: refuse it.
        const auto listeners = mailfw::limits::split_words(mailfw::view(h.server_info().listeners));
        auto check = [&](const char* key, const std::string& name) {
            if (std::find(listeners.begin(), listeners.end(), name) == listeners.end())
                throw std::runtime_error(std::string(key) + " in [access-binding] names listener '" +
                                         mailfw::printable(name, 60) + "', but there is no [listener." +
                                         mailfw::printable(name, 60) + "]; use one of: " +
                                         std::string(mailfw::view(h.server_info().listeners)));
        };
        for (const auto& [name, _] : ranges) check("remote_ip_ranges", name);
        for (const auto& [name, _] : users) check("permitted_users", name);
    }

    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {}
        int on_event(const mailfw_event& e, mailfw_verdict& v, mailfw_completion*) {
            const auto info = inst.host().session_info(session);
            const std::string listener(mailfw::view(info.listener));
            if (e.hook == MAILFW_HOOK_CONNECT) {
                auto it = inst.ranges.find(listener);
                const std::string address(mailfw::view(info.remote_address));
                if (it == inst.ranges.end() || mailfw::in_any_range(it->second, address)) return MAILFW_CONTINUE;
                text = "No binding for " + address + " on this listener (" + listener + "), closing connection";
            } else {  // AUTH: only a success is checked
                if (e.result != MAILFW_SASL_OK) return MAILFW_CONTINUE;
                auto it = inst.users.find(listener);
                const std::string user(mailfw::view(info.auth_user));
                if (it == inst.users.end() ||
                    std::any_of(it->second.begin(), it->second.end(), [&](const auto& u) { return iequal(u, user); }))
                    return MAILFW_CONTINUE;
                text = "User " + mailfw::printable(user, 100) + " is not permitted on this listener (" + listener +
                       "), closing connection";
            }
            mailfw::limits::log_hit(inst.host(), session, "BindingNotConfigured", 421, "4.3.2", text);
            return mailfw::verdict(v, MAILFW_DENYSOFT_DISCONNECT, 421, "4.3.2", text);
        }
        Instance& inst;
        mailfw_session* session;
        std::string text;
    };

    std::map<std::string, std::vector<mailfw::IpRange>, std::less<>> ranges;
    const std::map<std::string, std::vector<std::string>, std::less<>> users;
};

constexpr mailfw_event_handler events = mailfw::event_handler_table<Instance>(
    MAILFW_HOOK_BIT(MAILFW_HOOK_CONNECT) | MAILFW_HOOK_BIT(MAILFW_HOOK_AUTH));

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "access-binding", "1.0.0", "BindingNotConfigured: 421 4.3.2 (client range or user not served here)", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
