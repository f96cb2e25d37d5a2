// mailfw::event_handler_table<Instance>() in sdk/include/mailfw/plugin.hpp:
// the C table it builds from C++ classes, and its trampolines' behaviour on
// exceptions and missing state.
#include <gtest/gtest.h>
#include <mailfw/plugin.hpp>

#include <stdexcept>
#include <string>

namespace {

int live_connections = 0;
int live_transactions = 0;

struct WithTxn : mailfw::PluginInstance {
    using PluginInstance::PluginInstance;
    struct Connection;
    struct Transaction;
    std::string seen;
};

struct WithTxn::Transaction {
    explicit Transaction(Connection&) { ++live_transactions; }
    ~Transaction() { --live_transactions; }
    int rcpts = 0;
};

struct WithTxn::Connection {
    Connection(WithTxn& i, mailfw_session*) : inst(i) { ++live_connections; }
    ~Connection() { --live_connections; }
    int on_event(Transaction* txn, const mailfw_event& e, mailfw_verdict& v, mailfw_completion* later) {
        std::string text(mailfw::view(e.text));
        if (text == "throw") throw std::runtime_error("boom");
        if (text == "later") return later ? MAILFW_PENDING : MAILFW_DENY;
        if (txn) ++txn->rcpts;
        inst.seen = text + (txn ? ":" + std::to_string(txn->rcpts) : ":-");
        return mailfw::verdict(v, MAILFW_DENY, 550, "5.7.1", "no", 7);
    }
    WithTxn& inst;
};

struct NoTxn : mailfw::PluginInstance {
    using PluginInstance::PluginInstance;
    struct Connection {
        Connection(NoTxn&, mailfw_session* s) {
            if (!s) throw std::runtime_error("no session");
        }
        int on_event(const mailfw_event&, mailfw_verdict& v, mailfw_completion*) {
            return mailfw::verdict(v, MAILFW_DENYSOFT);
        }
    };
};

mailfw_event event(const char* text) {
    mailfw_event e{};
    e.struct_size = sizeof e;
    e.hook = MAILFW_HOOK_RCPT;
    e.text = mailfw::str(text);
    return e;
}

mailfw_verdict fresh() {
    mailfw_verdict v{};
    v.struct_size = sizeof v;
    return v;
}

mailfw_session* fake_session() { return reinterpret_cast<mailfw_session*>(0x1000); }

}  // namespace

TEST(EventHandlerTable, FillsTheTable) {
    constexpr mailfw_event_handler t = mailfw::event_handler_table<WithTxn>(
        MAILFW_HOOK_BIT(MAILFW_HOOK_RCPT), 1500, MAILFW_DENYSOFT);
    EXPECT_EQ(t.struct_size, sizeof(mailfw_event_handler));
    EXPECT_EQ(t.hooks, MAILFW_HOOK_BIT(MAILFW_HOOK_RCPT));
    EXPECT_EQ(t.timeout_ms, 1500u);
    EXPECT_EQ(t.timeout_action, static_cast<uint32_t>(MAILFW_DENYSOFT));
    EXPECT_NE(t.connection_open, nullptr);
    EXPECT_NE(t.connection_close, nullptr);
    EXPECT_NE(t.transaction_open, nullptr);
    EXPECT_NE(t.transaction_close, nullptr);
    EXPECT_NE(t.on_event, nullptr);

    constexpr mailfw_event_handler n = mailfw::event_handler_table<NoTxn>(0);
    EXPECT_EQ(n.transaction_open, nullptr) << "no Transaction type: the slots stay NULL";
    EXPECT_EQ(n.transaction_close, nullptr);
    EXPECT_EQ(n.timeout_ms, 0u);
    EXPECT_EQ(n.timeout_action, static_cast<uint32_t>(MAILFW_CONTINUE));
}

TEST(EventHandlerTable, StatesAndVerdicts) {
    const mailfw_event_handler t = mailfw::event_handler_table<WithTxn>(MAILFW_HOOK_BIT(MAILFW_HOOK_RCPT));
    WithTxn inst(mailfw::Host(nullptr, nullptr));
    void* conn = t.connection_open(&inst, fake_session());
    ASSERT_NE(conn, nullptr);
    EXPECT_EQ(live_connections, 1);

    mailfw_event e = event("a@example.test");
    mailfw_verdict v = fresh();
    EXPECT_EQ(t.on_event(&inst, conn, nullptr, fake_session(), &e, &v, nullptr), MAILFW_DENY);
    EXPECT_EQ(inst.seen, "a@example.test:-");
    EXPECT_EQ(v.action, static_cast<uint32_t>(MAILFW_DENY));
    EXPECT_EQ(v.code, 550u);
    EXPECT_EQ(mailfw::view(v.enhanced), "5.7.1");
    EXPECT_EQ(mailfw::view(v.text), "no");
    EXPECT_EQ(v.delay_ms, 7u);

    void* txn = t.transaction_open(conn);
    ASSERT_NE(txn, nullptr);
    EXPECT_EQ(live_transactions, 1);
    v = fresh();
    t.on_event(&inst, conn, txn, fake_session(), &e, &v, nullptr);
    t.on_event(&inst, conn, txn, fake_session(), &e, &v, nullptr);
    EXPECT_EQ(inst.seen, "a@example.test:2");
    t.transaction_close(txn);
    EXPECT_EQ(live_transactions, 0);

    mailfw_event later = event("later");
    int token = 0;
    EXPECT_EQ(t.on_event(&inst, conn, nullptr, fake_session(), &later, &v, reinterpret_cast<mailfw_completion*>(&token)),
              MAILFW_PENDING);

    t.connection_close(conn);
    EXPECT_EQ(live_connections, 0);
}

TEST(EventHandlerTable, ExceptionBecomesDenysoft) {
    const mailfw_event_handler t = mailfw::event_handler_table<WithTxn>(MAILFW_HOOK_BIT(MAILFW_HOOK_RCPT));
    WithTxn inst(mailfw::Host(nullptr, nullptr));
    void* conn = t.connection_open(&inst, fake_session());
    mailfw_event e = event("throw");
    mailfw_verdict v = fresh();
    EXPECT_EQ(t.on_event(&inst, conn, nullptr, fake_session(), &e, &v, nullptr), MAILFW_DENYSOFT);
    EXPECT_EQ(v.code, 451u);
    EXPECT_EQ(mailfw::view(v.enhanced), "4.3.0");
    t.connection_close(conn);
}

TEST(EventHandlerTable, FailedConnectionStateLetsEventsPass) {
    const mailfw_event_handler t = mailfw::event_handler_table<NoTxn>(MAILFW_HOOK_BIT(MAILFW_HOOK_RCPT));
    NoTxn inst(mailfw::Host(nullptr, nullptr));
    EXPECT_EQ(t.connection_open(&inst, nullptr), nullptr) << "the constructor threw";
    mailfw_event e = event("x");
    mailfw_verdict v = fresh();
    EXPECT_EQ(t.on_event(&inst, nullptr, nullptr, nullptr, &e, &v, nullptr), MAILFW_CONTINUE);
    t.connection_close(nullptr);  // deleting nullptr is fine

    void* conn = t.connection_open(&inst, fake_session());
    ASSERT_NE(conn, nullptr);
    EXPECT_EQ(t.on_event(&inst, conn, nullptr, fake_session(), &e, &v, nullptr), MAILFW_DENYSOFT);
    t.connection_close(conn);
}
