// A scriptable mailfw_host_api for driving plugins through the C ABI:
// config values from a map, log lines recorded, credentials from tables.
// The mailfw_host* and mailfw_session* handles both point at the FakeHost.
#ifndef MAILFW_TESTS_PLUGINS_FAKE_HOST_HPP
#define MAILFW_TESTS_PLUGINS_FAKE_HOST_HPP

#include <mailfw/plugin.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mailfw::test {

class FakeHost {
public:
    FakeHost();

    const mailfw_host_api* api() const noexcept { return &api_; }
    mailfw_host* host() noexcept { return reinterpret_cast<mailfw_host*>(this); }
    mailfw_session* session() noexcept { return reinterpret_cast<mailfw_session*>(this); }
    mailfw_completion* completion() noexcept { return reinterpret_cast<mailfw_completion*>(this); }

    std::map<std::string, std::string> strings;  // config_string values
    std::map<std::string, int64_t> numbers;      // config_number values

    std::map<std::string, std::string> passwords;                 // user -> password
    std::set<std::pair<std::string, std::string>> proxy_rights;   // (authcid, authzid)
    int verify_override = -1;                                     // >= 0: verify answers this

    struct Identity {
        std::string user;
        std::string detail;
    };
    std::vector<Identity> identities;  // set_auth_identity calls
    std::vector<std::string> verified_passwords;  // what verify_password saw

    std::map<std::pair<std::string, std::string>, std::string> properties;  // (user, name) -> lookup_property
    std::set<std::string> known_users;      // user_exists answers OK for these
    int user_exists_override = -1;          // >= 0: user_exists answers this
    int user_exists_calls = 0;
    std::string server_hostname = "mx.example.test";  // session_info

    // complete_delivery answers, strings copied as the real host does.
    struct DeliveryAnswer {
        uint32_t status = 0, code = 0;
        std::string enhanced, text, receipt;
    };
    std::vector<DeliveryAnswer> delivery_answers;

    std::vector<std::pair<int, std::string>> logs() const;
    bool logged(const std::string& needle) const;

private:
    mailfw_host_api api_{};
    mutable std::mutex mutex_;
    std::vector<std::pair<int, std::string>> logs_;

    static FakeHost& self(void* p) { return *static_cast<FakeHost*>(p); }
    static void log(mailfw_host*, mailfw_session*, int, const char*, size_t);
    static size_t config_count(mailfw_host*, const char*);
    static int config_string(mailfw_host*, const char*, size_t, mailfw_str*);
    static int config_number(mailfw_host*, const char*, size_t, int64_t*);
    static int verify_password(mailfw_session*, const char*, size_t, const char*, size_t);
    static int authorize(mailfw_session*, const char*, size_t, const char*, size_t);
    static void set_auth_identity(mailfw_session*, const char*, size_t, const char*, size_t);
    static int user_exists(mailfw_session*, const char*, size_t);
    static int lookup_property(mailfw_session*, const char*, size_t, const char*, size_t, char*, size_t, size_t*);
    static int session_info(mailfw_session*, mailfw_session_info*);
    static int complete_delivery(mailfw_completion*, const mailfw_delivery_result*);
};

}  // namespace mailfw::test

#endif
