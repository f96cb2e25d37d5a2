// A whole Session driven through memory (MemoryTransport): the state
// machine, the command table and the pipeline with the bundled plugins,
// without a socket or a Server. The test is the client and pumps the
// session's io_context while it waits for a reply.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "config/config_file.hpp"
#include "config/server_config.hpp"
#include "memory_transport.hpp"
#include "plugin/plugin_host.hpp"
#include "server/listener_context.hpp"
#include "smtp/session.hpp"
#include "util/base64.hpp"
#include "util/log.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;
using mailfw::test::MemoryPipe;
using mailfw::test::MemoryTransport;

namespace {

// One plugin host for the suite (one per process at a time).
class MemorySession : public ::testing::Test {
public:
    static void SetUpTestSuite() {
        for (const char* p : {"store-sqlite", "deliver-maildir", "sasl-plain"})
            if (!fs::exists(fs::path(MAILFW_TEST_PLUGIN_DIR) / (std::string(p) + ".so"))) {
                skip_ = std::string("plugin ") + p + " is not built";
                return;
            }
        char tmpl[] = "/tmp/mailfw-memsession-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        const std::string text = "[server]\nhostname = mx.example.test\nplugin_dir = " MAILFW_TEST_PLUGIN_DIR "\n"
                                 "load = store-sqlite\nload = deliver-maildir\nload = sasl-plain\n"
                                 "spool = " + (dir_ / "spool").string() + "\n"
                                 "[listener.memory]\nbind = 127.0.0.1:1\nallow_plaintext_auth = true\n"
                                 "[store-sqlite]\npath = " + (dir_ / "users.db").string() + "\npbkdf2_iterations = 1000\n"
                                 "[deliver-maildir]\nroot = " + (dir_ / "maildir").string() + "\ndomains = example.test\n";
        if (!std::getenv("MAILFW_TEST_LOG")) mailfw::log::set_level(mailfw::log::Level::error);
        file_ = std::make_unique<mailfw::ConfigFile>(mailfw::ConfigFile::parse(text, "<memory>", dir_));
        config_ = std::make_unique<mailfw::ServerConfig>(mailfw::load_server_config(*file_, MAILFW_TEST_PLUGIN_DIR));
        host_ = std::make_unique<mailfw::PluginHost>(*config_, *file_);
        ASSERT_EQ(host_->user_set(MAILFW_USER_CREATE, "alice", "alice-pw"), MAILFW_OK);
        fs::create_directories(dir_ / "spool");
    }
    static void TearDownTestSuite() {
        host_.reset();
        config_.reset();
        file_.reset();
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    void SetUp() override {
        if (!skip_.empty()) GTEST_SKIP() << skip_;
        ctx_ = std::make_shared<mailfw::ListenerContext>();
        ctx_->server = config_.get();
        ctx_->listener = &config_->listeners.front();
        ctx_->plugins = host_.get();
        ctx_->auth_pool = &auth_pool_;
        ctx_->delivery_pool = &delivery_pool_;
        spool_pool_ = std::make_unique<mailfw::SpoolPool>(dir_ / "spool");
        ctx_->spool_pool = spool_pool_.get();
        ctx_->registry = &registry_;
        pipe_ = std::make_shared<MemoryPipe>(io_);
        session_ = std::make_shared<mailfw::smtp::Session>(std::make_unique<MemoryTransport>(io_, pipe_), ctx_);
        session_->start();
    }
    void TearDown() override {
        if (!pipe_) return;
        close();
        pump_until([&] { return io_.stopped(); }, std::chrono::seconds(5));
        session_.reset();
    }

    // Runs the session until `done` or the time is up.
    template <class F>
    bool pump_until(F done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= end) return false;
            if (io_.stopped()) io_.restart();
            io_.run_for(std::chrono::milliseconds(5));
        }
        return true;
    }

    void send(const std::string& bytes) {
        pipe_->to_server += bytes;
        pipe_->wake.cancel();
    }
    void close() {
        pipe_->client_closed = true;
        pipe_->wake.cancel();
    }
    // The next complete reply (all its lines), "" when none came in time.
    std::string reply() {
        auto complete = [&]() -> size_t {
            size_t start = 0;
            for (;;) {
                const size_t end = pipe_->to_client.find("\r\n", start);
                if (end == std::string::npos) return 0;
                if (end - start >= 4 && pipe_->to_client[start + 3] == ' ') return end + 2;
                if (end - start == 3) return end + 2;
                start = end + 2;
            }
        };
        if (!pump_until([&] { return complete() != 0; })) return "";
        const size_t n = complete();
        std::string r = pipe_->to_client.substr(0, n);
        pipe_->to_client.erase(0, n);
        return r;
    }
    std::string command(const std::string& line) {
        send(line + "\r\n");
        return reply();
    }
    static bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

    static inline std::string skip_;
    static inline fs::path dir_;
    static inline std::unique_ptr<mailfw::ConfigFile> file_;
    static inline std::unique_ptr<mailfw::ServerConfig> config_;
    static inline std::unique_ptr<mailfw::PluginHost> host_;

    asio::io_context io_;
    asio::thread_pool auth_pool_{1}, delivery_pool_{1};
    std::unique_ptr<mailfw::SpoolPool> spool_pool_;
    mailfw::SessionRegistry registry_;
    std::shared_ptr<mailfw::ListenerContext> ctx_;
    std::shared_ptr<MemoryPipe> pipe_;
    std::shared_ptr<mailfw::smtp::Session> session_;
};

TEST_F(MemorySession, AWholeTransactionWithoutASocket) {
    EXPECT_TRUE(starts(reply(), "220 mx.example.test ESMTP")) << "greeting";
    const std::string ehlo = command("EHLO client.example.test");
    EXPECT_TRUE(starts(ehlo, "250-mx.example.test Hello client.example.test [192.0.2.10]")) << ehlo;
    EXPECT_NE(ehlo.find("250-AUTH PLAIN\r\n"), std::string::npos) << ehlo;
    EXPECT_TRUE(starts(command("MAIL FROM:<a@example.test>"), "250 2.1.0"));
    EXPECT_TRUE(starts(command("RCPT TO:<mem@example.test>"), "250 2.1.5"));
    EXPECT_TRUE(starts(command("RCPT TO:<far@elsewhere.example>"), "554 5.7.1"));
    EXPECT_TRUE(starts(command("DATA"), "354"));
    send("Subject: memory\r\n\r\nno socket\r\n.\r\n");
    const std::string done = reply();
    EXPECT_TRUE(starts(done, "250 2.0.0 Ok: queued as ")) << done;
    const fs::path box = dir_ / "maildir" / "mem@example.test" / "new";
    EXPECT_TRUE(fs::exists(box) && !fs::is_empty(box));
    EXPECT_TRUE(starts(command("QUIT"), "221 2.0.0"));
    EXPECT_TRUE(pump_until([&] { return pipe_->server_closed; }));
}

TEST_F(MemorySession, ThePhaseTableDecidesTheSequence) {
    reply();
    EXPECT_TRUE(starts(command("MAIL FROM:<a@example.test>"), "503 5.5.1 Send EHLO or HELO first"));
    EXPECT_TRUE(starts(command("AUTH PLAIN"), "503 5.5.1 Send EHLO first"));
    EXPECT_TRUE(starts(command("HELO client.example.test"), "250 "));
    EXPECT_TRUE(starts(command("AUTH PLAIN"), "503 5.5.1 Send EHLO first")) << "HELO is not EHLO";
    EXPECT_TRUE(starts(command("EHLO client.example.test"), "250-"));
    EXPECT_TRUE(starts(command("RCPT TO:<mem@example.test>"), "503 5.5.1 Need MAIL before RCPT"));
    EXPECT_TRUE(starts(command("MAIL FROM:<a@example.test>"), "250 "));
    EXPECT_TRUE(starts(command("MAIL FROM:<a@example.test>"), "503 5.5.1 Nested MAIL command"));
    EXPECT_TRUE(starts(command("AUTH PLAIN"), "503 5.5.1 AUTH not permitted during a mail transaction"));
    EXPECT_TRUE(starts(command("DATA"), "503 5.5.1 Need RCPT before DATA"));
    EXPECT_TRUE(starts(command("RCPT TO:<mem2@example.test>"), "250 "));
    // Between BDAT chunks only BDAT (and RSET, NOOP, QUIT, EHLO) may come.
    send("BDAT 4\r\nS: x");
    EXPECT_TRUE(starts(reply(), "250 2.0.0 4 octets received"));
    EXPECT_TRUE(starts(command("DATA"), "503 5.5.1 DATA not allowed after BDAT"));
    EXPECT_TRUE(starts(command("RCPT TO:<mem3@example.test>"), "503 5.5.1 RCPT not allowed after BDAT"));
    EXPECT_TRUE(starts(command("NOOP"), "250 "));
    send("BDAT 2 LAST\r\n\r\n");
    EXPECT_TRUE(starts(reply(), "250 2.0.0 Ok: queued as "));
    EXPECT_TRUE(starts(command("RSET"), "250 "));
}

TEST_F(MemorySession, AuthInStepsAndPipelinedReplies) {
    reply();
    command("EHLO client.example.test");
    // PLAIN without an initial response: the empty challenge (relaxed_auth = auto).
    EXPECT_EQ(command("AUTH PLAIN"), "334 \r\n");
    EXPECT_TRUE(starts(command(mailfw::base64::encode(std::string("\0alice\0alice-pw", 15))), "235 2.7.0"));
    EXPECT_TRUE(starts(command("AUTH PLAIN"), "503 5.5.1 Already authenticated"));
    // A pipelined group is answered in order, as one write.
    send("MAIL FROM:<a@example.test>\r\nRCPT TO:<p1@example.test>\r\nRCPT TO:<p2@example.test>\r\nRSET\r\n");
    EXPECT_TRUE(starts(reply(), "250 2.1.0"));
    EXPECT_TRUE(starts(reply(), "250 2.1.5"));
    EXPECT_TRUE(starts(reply(), "250 2.1.5"));
    EXPECT_TRUE(starts(reply(), "250 2.0.0 Reset"));
}

TEST_F(MemorySession, TheClientLeavingMidDataLeavesNothing) {
    reply();
    command("EHLO client.example.test");
    command("MAIL FROM:<a@example.test>");
    command("RCPT TO:<gone@example.test>");
    command("DATA");
    send("Subject: half\r\n\r\nhalf a mess");
    close();
    EXPECT_TRUE(pump_until([&] { return pipe_->server_closed; }));
    EXPECT_FALSE(fs::exists(dir_ / "maildir" / "gone@example.test"));
    EXPECT_TRUE(fs::is_empty(dir_ / "spool"));
}

}  // namespace
