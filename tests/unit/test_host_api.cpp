// The host services table called directly, the way a plugin calls it, with
// a fake session behind the opaque handle.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <cstring>

#include "plugin/counter_backend.hpp"
#include "plugin/host_handle.hpp"
#include "plugin/plugin_host.hpp"
#include "plugin/session_handle.hpp"
#include "spool/group_commit.hpp"
#include "util/log.hpp"

using namespace mailfw;

namespace {

struct FakeSession : mailfw_session {
    void fill_info(mailfw_session_info& out) override {
        out.connection_id = 42;
        out.listener = {"smtp", 4};
        out.role = MAILFW_ROLE_RELAY;
        out.remote_address = {address.data(), address.size()};
        out.remote_port = 5000;
        out.in_transaction = transaction_open ? 1 : 0;
    }
    uint64_t start_timer(uint64_t delay, mailfw_timer_fn fire, void* data) override {
        last_delay = delay;
        last_fire = fire;
        last_data = data;
        return 7;
    }
    uint64_t start_inactivity_timer(uint64_t delay, mailfw_timer_fn fire, void* data) override {
        last_inactivity_delay = delay;
        last_fire = fire;
        last_data = data;
        return 8;
    }
    void cancel_timer(uint64_t id) override { cancelled = id; }
    void close_with(const mailfw_verdict* reply) override { closed_with = reply ? reply->code : 1; }
    Notes* notes(int scope) override {
        if (scope == MAILFW_NOTE_CONNECTION) return &connection_notes;
        if (scope == MAILFW_NOTE_TRANSACTION && transaction_open) return &transaction_notes;
        return nullptr;
    }
    void set_auth_identity(std::string_view user, std::string_view detail) override {
        auth_user = user;
        auth_detail = detail;
    }
    int prepend_header(std::string_view field) override {
        prepended = field;
        return MAILFW_OK;
    }
    void post_to_plugins(std::function<void()> call) override { posted.push_back(std::move(call)); }
    PluginHost* plugin_host() override { return PluginHost::live(); }
    std::vector<std::function<void()>> posted;
    std::string prepended;

    std::string address = "192.0.2.7";
    bool transaction_open = false;
    uint64_t last_delay = 0;
    uint64_t last_inactivity_delay = 0;
    mailfw_timer_fn last_fire = nullptr;
    void* last_data = nullptr;
    uint64_t cancelled = 0;
    uint32_t closed_with = 0;
    Notes connection_notes, transaction_notes;
    std::string auth_user, auth_detail;
};

struct Completion : mailfw_completion {
    int complete_event(const mailfw_verdict* v) override { return used++ ? MAILFW_INVALID : (action = v->action, 0); }
    int complete_delivery(const mailfw_delivery_result* r) override {
        return used++ ? MAILFW_INVALID : (status = r->status, 0);
    }
    int used = 0;
    uint32_t action = 0, status = 0;
};

// A plugin's handle with a validated section, built the way PluginHost builds it.
struct Handle {
    Handle()
        : file(ConfigFile::parse("[p]\nname = n\ntag = a\ntag = b\ntimeout = 2s\n", "test.conf", "/etc/mailfw")) {
        KeySpec name{"name", MAILFW_KEY_STRING, 0, std::nullopt, "h", {}};
        KeySpec tag{"tag", MAILFW_KEY_STRING, MAILFW_KEY_MULTI, std::nullopt, "h", {}};
        KeySpec timeout{"timeout", MAILFW_KEY_DURATION, 0, std::nullopt, "h", {}};
        host.plugin = "p";
        host.config = validate_section(file, "p", {name, tag, timeout});
    }
    ConfigFile file;
    mailfw_host host;
};

const mailfw_host_api* api() { return PluginHost::api(); }

}  // namespace

TEST(HostApi, TableHeader) {
    EXPECT_EQ(api()->struct_size, sizeof(mailfw_host_api));
    EXPECT_EQ(api()->abi_major, MAILFW_ABI_MAJOR);
    EXPECT_EQ(api()->abi_minor, MAILFW_ABI_MINOR);
    EXPECT_NE(api()->commit_durable, nullptr);  // the last slot is filled
}

TEST(HostApi, CommitDurable) {
    Handle h;
    mailfw::GroupCommit commit;
    static std::atomic<int> answer{-1};
    auto done = [](void* user_data, int error) {
        EXPECT_EQ(user_data, &answer);
        answer = error;
    };
    const int fd = ::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    // No commit service in this handle, no descriptors, a negative one, no callback: refused.
    EXPECT_EQ(api()->commit_durable(&h.host, &fd, 1, done, &answer), MAILFW_INVALID);
    h.host.group_commit = &commit;
    EXPECT_EQ(api()->commit_durable(&h.host, &fd, 0, done, &answer), MAILFW_INVALID);
    const int negative = -1;
    EXPECT_EQ(api()->commit_durable(&h.host, &negative, 1, done, &answer), MAILFW_INVALID);
    EXPECT_EQ(api()->commit_durable(&h.host, &fd, 1, nullptr, &answer), MAILFW_INVALID);
    EXPECT_EQ(api()->commit_durable(nullptr, &fd, 1, done, &answer), MAILFW_INVALID);
    EXPECT_EQ(answer.load(), -1);
    EXPECT_EQ(api()->commit_durable(&h.host, &fd, 1, done, &answer), MAILFW_OK);
    commit.stop();
    EXPECT_EQ(answer.load(), 0);
    // Stopping (the server going down): refused, and the plugin syncs itself.
    EXPECT_EQ(api()->commit_durable(&h.host, &fd, 1, done, &answer), MAILFW_INVALID);
    ::close(fd);
}

TEST(HostApi, Config) {
    Handle h;
    EXPECT_EQ(api()->config_count(&h.host, "tag"), 2u);
    EXPECT_EQ(api()->config_count(&h.host, "nope"), 0u);
    EXPECT_EQ(api()->config_count(nullptr, "tag"), 0u);
    mailfw_str v{};
    EXPECT_EQ(api()->config_string(&h.host, "tag", 1, &v), MAILFW_OK);
    EXPECT_EQ(std::string(v.ptr, v.len), "b");
    EXPECT_EQ(v.ptr[v.len], '\0');
    EXPECT_EQ(api()->config_string(&h.host, "tag", 2, &v), MAILFW_NOT_FOUND);
    EXPECT_EQ(api()->config_string(&h.host, "nope", 0, &v), MAILFW_NOT_FOUND);
    EXPECT_EQ(api()->config_string(&h.host, "tag", 0, nullptr), MAILFW_INVALID);
    int64_t n = 0;
    EXPECT_EQ(api()->config_number(&h.host, "timeout", 0, &n), MAILFW_OK);
    EXPECT_EQ(n, 2000);
    EXPECT_EQ(api()->config_number(&h.host, "name", 0, &n), MAILFW_INVALID);
    EXPECT_EQ(api()->config_number(&h.host, "nope", 0, &n), MAILFW_NOT_FOUND);
}

TEST(HostApi, Clocks) {
    uint64_t wall = api()->clock_ms(nullptr, 1);
    EXPECT_GT(wall, 1600000000000ull);
    uint64_t a = api()->clock_ms(nullptr, 0);
    uint64_t b = api()->clock_ms(nullptr, 0);
    EXPECT_LE(a, b);
}

TEST(HostApi, LogPrefixesPluginAndSession) {
    Handle h;
    FakeSession s;
    log::Level before = log::level();
    log::set_level(log::Level::debug);
    testing::internal::CaptureStderr();
    api()->log(&h.host, &s, MAILFW_LOG_WARNING, "hello\nworld", 11);
    api()->log(nullptr, nullptr, MAILFW_LOG_INFO, "core line", 9);
    s.address = "2001:db8::1";
    api()->log(&h.host, &s, 99, "v6", 2);
    std::string out = testing::internal::GetCapturedStderr();
    log::set_level(before);
    EXPECT_NE(out.find("warn  [c42 192.0.2.7:5000] p: hello?world\n"), std::string::npos) << out;
    EXPECT_NE(out.find("info  core line\n"), std::string::npos) << out;
    EXPECT_NE(out.find("error [c42 [2001:db8::1]:5000] p: v6\n"), std::string::npos) << out;
}

TEST(HostApi, SessionInfoCopiesOnlyWhatTheCallerKnows) {
    FakeSession s;
    mailfw_session_info full;
    std::memset(&full, 0, sizeof full);
    full.struct_size = sizeof full;
    EXPECT_EQ(api()->session_info(&s, &full), MAILFW_OK);
    EXPECT_EQ(full.connection_id, 42u);
    EXPECT_EQ(std::string(full.listener.ptr, full.listener.len), "smtp");
    EXPECT_EQ(full.role, static_cast<uint32_t>(MAILFW_ROLE_RELAY));
    EXPECT_EQ(full.struct_size, sizeof full);

    // An older plugin whose struct ends after `listener`.
    const size_t old_size = offsetof(mailfw_session_info, role);
    unsigned char buffer[sizeof(mailfw_session_info) + 8];
    std::memset(buffer, 0xAB, sizeof buffer);
    auto* old = reinterpret_cast<mailfw_session_info*>(buffer);
    old->struct_size = old_size;
    EXPECT_EQ(api()->session_info(&s, old), MAILFW_OK);
    EXPECT_EQ(old->struct_size, old_size);
    EXPECT_EQ(old->connection_id, 42u);
    EXPECT_EQ(buffer[old_size], 0xAB);  // nothing written past its struct
    EXPECT_EQ(api()->session_info(nullptr, &full), MAILFW_INVALID);
    EXPECT_EQ(api()->session_info(&s, nullptr), MAILFW_INVALID);
}

TEST(HostApi, Notes) {
    FakeSession s;
    const void* value = nullptr;
    size_t len = 0;
    EXPECT_EQ(api()->note_get(&s, MAILFW_NOTE_CONNECTION, "k", 1, &value, &len), MAILFW_NOT_FOUND);
    EXPECT_EQ(api()->note_set(&s, MAILFW_NOTE_CONNECTION, "k", 1, "v\0x", 3), MAILFW_OK);
    EXPECT_EQ(api()->note_get(&s, MAILFW_NOTE_CONNECTION, "k", 1, &value, &len), MAILFW_OK);
    EXPECT_EQ(std::string(static_cast<const char*>(value), len), std::string("v\0x", 3));
    // No transaction open: nothing to set or get there.
    EXPECT_EQ(api()->note_set(&s, MAILFW_NOTE_TRANSACTION, "t", 1, "1", 1), MAILFW_INVALID);
    EXPECT_EQ(api()->note_get(&s, MAILFW_NOTE_TRANSACTION, "t", 1, &value, &len), MAILFW_NOT_FOUND);
    s.transaction_open = true;
    EXPECT_EQ(api()->note_set(&s, MAILFW_NOTE_TRANSACTION, "t", 1, "1", 1), MAILFW_OK);
    EXPECT_EQ(s.transaction_notes.at("t"), "1");
    EXPECT_EQ(api()->note_set(&s, 9, "t", 1, "1", 1), MAILFW_INVALID);
    EXPECT_EQ(api()->note_set(&s, MAILFW_NOTE_CONNECTION, nullptr, 3, "1", 1), MAILFW_INVALID);
    EXPECT_EQ(api()->note_set(&s, MAILFW_NOTE_CONNECTION, "e", 1, nullptr, 0), MAILFW_OK);
    EXPECT_EQ(s.connection_notes.at("e"), "");
    EXPECT_EQ(api()->note_get(&s, MAILFW_NOTE_CONNECTION, "k", 1, nullptr, &len), MAILFW_INVALID);
}

TEST(HostApi, TimersCloseAndIdentityForwardToTheSession) {
    FakeSession s;
    mailfw_timer_fn fire = [](void*, uint64_t) {};
    int data = 0;
    EXPECT_EQ(api()->timer_start(&s, 1500, fire, &data), 7u);
    EXPECT_EQ(s.last_delay, 1500u);
    EXPECT_EQ(s.last_fire, fire);
    EXPECT_EQ(s.last_data, &data);
    EXPECT_EQ(api()->timer_start(nullptr, 1, fire, nullptr), 0u);
    EXPECT_EQ(api()->timer_start(&s, 1, nullptr, nullptr), 0u);
    api()->timer_cancel(&s, 7);
    EXPECT_EQ(s.cancelled, 7u);
    EXPECT_EQ(api()->inactivity_timer_start(&s, 2500, fire, &data), 8u);
    EXPECT_EQ(s.last_inactivity_delay, 2500u);
    EXPECT_EQ(api()->inactivity_timer_start(nullptr, 1, fire, nullptr), 0u);
    EXPECT_EQ(api()->inactivity_timer_start(&s, 1, nullptr, nullptr), 0u);
    mailfw_verdict v{};
    v.struct_size = sizeof v;
    v.code = 421;
    api()->session_close(&s, &v);
    EXPECT_EQ(s.closed_with, 421u);
    api()->set_auth_identity(&s, "alice", 5, "NTLM", 4);
    EXPECT_EQ(s.auth_user, "alice");
    EXPECT_EQ(s.auth_detail, "NTLM");
    api()->timer_cancel(nullptr, 1);  // harmless
    api()->session_close(nullptr, nullptr);
    api()->set_auth_identity(nullptr, "x", 1, nullptr, 0);
}

TEST(HostApi, CompletionsForward) {
    Completion c;
    mailfw_verdict v{};
    v.struct_size = sizeof v;
    v.action = MAILFW_DENY;
    EXPECT_EQ(api()->complete_event(&c, &v), MAILFW_OK);
    EXPECT_EQ(c.action, static_cast<uint32_t>(MAILFW_DENY));
    EXPECT_EQ(api()->complete_event(&c, &v), MAILFW_INVALID);
    EXPECT_EQ(api()->complete_event(nullptr, &v), MAILFW_INVALID);
    Completion d;
    mailfw_delivery_result r{};
    r.struct_size = sizeof r;
    r.status = MAILFW_DELIVERY_DURABLE;
    EXPECT_EQ(api()->complete_delivery(&d, &r), MAILFW_OK);
    EXPECT_EQ(d.status, static_cast<uint32_t>(MAILFW_DELIVERY_DURABLE));
    EXPECT_EQ(api()->complete_delivery(nullptr, &r), MAILFW_INVALID);
}

TEST(HostApi, CountersAndRates) {
    Handle h, other;
    other.host.plugin = "q";
    auto backend = make_counter_backend("local");
    h.host.counters = other.host.counters = backend.get();
    EXPECT_EQ(api()->counter_add(&h.host, "conn", 4, 1), 1);
    EXPECT_EQ(api()->counter_add(&h.host, "conn", 4, 2), 3);
    EXPECT_EQ(api()->counter_add(&other.host, "conn", 4, 5), 5);  // a key space per plugin
    EXPECT_EQ(api()->counter_add(&h.host, "conn", 4, -3), 0);
    EXPECT_EQ(api()->rate_hit(&h.host, "rate", 4, 60000, 1), 1u);
    EXPECT_EQ(api()->rate_hit(&h.host, "rate", 4, 60000, 4), 5u);
    EXPECT_EQ(api()->rate_hit(&h.host, "rate", 4, 60000, 0), 5u);
    EXPECT_EQ(api()->rate_hit(&other.host, "rate", 4, 60000, 0), 0u);
    EXPECT_EQ(api()->counter_add(nullptr, "conn", 4, 1), 0);  // no host: no counters
}

TEST(HostApi, CounterUpdateHasAStatusAndExpiry) {
    Handle h;
    int64_t v = 0;
    uint64_t n = 0;
    EXPECT_EQ(api()->counter_update(&h.host, "k", 1, 1, 0, &v), MAILFW_UNAVAILABLE);  // backend down
    EXPECT_EQ(api()->rate_update(&h.host, "k", 1, 1000, 1, &n), MAILFW_UNAVAILABLE);
    auto backend = make_counter_backend("local");
    h.host.counters = backend.get();
    EXPECT_EQ(api()->counter_update(&h.host, "k", 1, 2, 50, &v), MAILFW_OK);
    EXPECT_EQ(v, 2);
    EXPECT_EQ(api()->counter_update(&h.host, "k", 1, 1, 50, &v), MAILFW_OK);
    EXPECT_EQ(v, 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    EXPECT_EQ(api()->counter_update(&h.host, "k", 1, 0, 50, &v), MAILFW_OK);
    EXPECT_EQ(v, 0);  // expired 50 ms after its last update
    EXPECT_EQ(api()->rate_update(&h.host, "r", 1, 60000, 3, &n), MAILFW_OK);
    EXPECT_EQ(n, 3u);
    EXPECT_EQ(api()->counter_update(&h.host, "k", 1, 1, 0, nullptr), MAILFW_INVALID);
}

TEST(HostApi, AsyncCountersAnswerOnTheSessionOrDirectly) {
    Handle h;
    auto backend = make_counter_backend("local");
    h.host.counters = backend.get();
    struct Got {
        int status = -1;
        int64_t value = -1;
    } got;
    auto done = [](void* ud, int status, int64_t value) {
        auto* g = static_cast<Got*>(ud);
        g->status = status;
        g->value = value;
    };
    // Without a session the answer comes where the backend gives it.
    EXPECT_EQ(api()->counter_update_async(&h.host, nullptr, "a", 1, 4, 0, done, &got), MAILFW_OK);
    EXPECT_EQ(got.status, MAILFW_OK);
    EXPECT_EQ(got.value, 4);
    // With one it is posted to the session (its strand), not called inline.
    FakeSession s;
    got = {};
    EXPECT_EQ(api()->rate_update_async(&h.host, &s, "b", 1, 60000, 2, done, &got), MAILFW_OK);
    EXPECT_EQ(got.status, -1);
    ASSERT_EQ(s.posted.size(), 1u);
    s.posted[0]();
    EXPECT_EQ(got.status, MAILFW_OK);
    EXPECT_EQ(got.value, 2);
    // A backend that is down answers UNAVAILABLE, still through done.
    h.host.counters = nullptr;
    EXPECT_EQ(api()->counter_update_async(&h.host, nullptr, "a", 1, 1, 0, done, &got), MAILFW_OK);
    EXPECT_EQ(got.status, MAILFW_UNAVAILABLE);
    EXPECT_EQ(api()->counter_update_async(&h.host, nullptr, "a", 1, 1, 0, nullptr, &got), MAILFW_INVALID);
}

TEST(HostApi, ServerInfoNeedsAHostThatBelongsToAServer) {
    mailfw_server_info info{};
    info.struct_size = sizeof info;
    EXPECT_EQ(api()->server_info(nullptr, &info), MAILFW_INVALID);
    mailfw_host orphan;  // not made by a PluginHost
    EXPECT_EQ(api()->server_info(&orphan, &info), MAILFW_INVALID);
}

TEST(HostApi, CredentialsWithoutAHost) {
    ASSERT_EQ(PluginHost::live(), nullptr);
    EXPECT_EQ(api()->verify_password(nullptr, "a", 1, "b", 1), MAILFW_UNAVAILABLE);
    EXPECT_EQ(api()->authorize(nullptr, "a", 1, "a", 1), MAILFW_OK);
    EXPECT_EQ(api()->authorize(nullptr, "a", 1, "b", 1), MAILFW_DENIED);
    char buf[4];
    size_t len = 0;
    EXPECT_EQ(api()->lookup_property(nullptr, "a", 1, "p", 1, buf, sizeof buf, &len), MAILFW_UNAVAILABLE);
    EXPECT_EQ(api()->verify_password(nullptr, nullptr, 3, "b", 1), MAILFW_INVALID);
}
