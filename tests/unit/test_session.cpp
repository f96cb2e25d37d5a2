// The SMTP session state machine (RFC 5321 §4.1.4, §4.5.3.1; RFC 2920;
// RFC 3030; RFC 4954; MS-OXSMTP timeouts) driven in-process: a real
// mailfw::Server with the bundled plugins (store-sqlite, deliver-maildir,
// sasl-login, sasl-plain) runs on a thread of this test process and a small
// blocking client talks to it over loopback TCP. Every read has a timeout,
// so a hang fails the test instead of blocking it.
//
// Each test suite gets its own server (one PluginHost per process at a time)
// in a temporary directory, with four listeners on free loopback ports:
//   test       allow_plaintext_auth, the size backstop lowered to 1 MiB
//   required   auth = required
//   idle       the idle backstop lowered to 300 ms
//   cleartext  defaults: password mechanisms are not offered without TLS
// MAILFW_TEST_LOG=1 in the environment keeps the server's log lines.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/config_file.hpp"
#include "config/server_config.hpp"
#include "plugin/plugin_host.hpp"
#include "server/server.hpp"
#include "util/base64.hpp"
#include "util/log.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr int kReadTimeoutMs = 10000;
constexpr int kIdleTimeoutMs = 300;  // [listener.idle]
constexpr int kShutdownGraceMs = 1000;
const char* const kHostname = "mx.session.test";
const char* const kUser = "alice";
const char* const kPassword = "s3cret-Pa55";
const std::vector<std::string> kPlugins{"store-sqlite", "deliver-maildir", "sasl-login", "sasl-plain"};

// `n` distinct ports nobody listens on right now: bind port 0 with
// throwaway sockets (all open at once, so the ports differ), read them back,
// close.
std::vector<uint16_t> free_ports(size_t n) {
    std::vector<int> fds;
    std::vector<uint16_t> ports;
    for (size_t i = 0; i < n; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) break;
        fds.push_back(fd);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        socklen_t len = sizeof a;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            break;
        ports.push_back(ntohs(a.sin_port));
    }
    for (int fd : fds) ::close(fd);
    if (ports.size() != n) ports.clear();
    return ports;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Polls `done` until it holds or `limit` passes (for effects of a peer's
// close that no reply announces, e.g. the spool file going away).
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = 5000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        ::poll(nullptr, 0, 5);
    }
    return true;
}

// ------------------------------------------------------------ the client ---

// A blocking SMTP client over plain POSIX sockets. reply() returns one
// complete (possibly multi-line) reply including its CRLFs, or a text
// starting with "<timeout>" / "<closed>" so that the comparison fails.
class Client {
public:
    explicit Client(uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            error_ = std::string("connect: ") + std::strerror(errno);
            return;
        }
        timeval tv{kReadTimeoutMs / 1000, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~Client() {
        if (fd_ >= 0) ::close(fd_);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }

    void send(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ADD_FAILURE() << "send: " << std::strerror(errno);
                return;
            }
            bytes.remove_prefix(static_cast<size_t>(n));
        }
    }
    void line(std::string_view l) { send(std::string(l) + "\r\n"); }

    // Sends copies of `unit` until the peer stops taking them: the send
    // buffer stays full for `stuck` (the server no longer reads). Returns the
    // number of units sent completely (the last one may be partial).
    size_t send_until_stuck(std::string_view unit, std::chrono::milliseconds stuck) {
        std::string block;
        while (block.size() < 64 * 1024) block += unit;  // a whole number of units
        size_t off = 0, sent = 0;
        for (;;) {
            ssize_t n = ::send(fd_, block.data() + off, block.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                sent += static_cast<size_t>(n);
                off = (off + static_cast<size_t>(n)) % block.size();
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                ADD_FAILURE() << "send: " << std::strerror(errno);
                break;
            }
            pollfd p{fd_, POLLOUT, 0};
            if (::poll(&p, 1, static_cast<int>(stuck.count())) == 0) break;
        }
        return sent / unit.size();
    }
    // Everything until the server closes (or the read timeout).
    std::string read_to_end() {
        for (;;) {
            int got = read_some();
            if (got <= 0) break;
        }
        std::string out;
        out.swap(buf_);
        return out;
    }

    // One complete reply.
    std::string reply() {
        for (;;) {
            if (auto r = take_reply()) return *r;
            int got = read_some();
            if (got == 0) return "<closed> " + buf_;
            if (got < 0) return "<timeout> " + buf_;
        }
    }
    // Sends a command line and returns its reply.
    std::string command(std::string_view l) {
        line(l);
        return reply();
    }

    // Exactly what one recv() returns once bytes are there (for PIPELINING:
    // the replies to a group arrive in one write).
    std::string one_read() {
        std::string out;
        out.swap(buf_);
        if (!out.empty()) return out;
        if (read_some() > 0) out.swap(buf_);
        return out;
    }

    // True when the server closes the connection (EOF or reset) before
    // sending anything more.
    bool closed_by_server() {
        if (!buf_.empty()) return false;
        for (;;) {
            pollfd p{fd_, POLLIN, 0};
            int r = ::poll(&p, 1, kReadTimeoutMs);
            if (r <= 0) return false;
            char c[512];
            ssize_t n = ::recv(fd_, c, sizeof c, 0);
            if (n == 0) return true;
            if (n < 0) return errno == ECONNRESET;
            buf_.append(c, static_cast<size_t>(n));
            return false;
        }
    }

    std::string greeting() { return reply(); }

private:
    // >0 bytes read, 0 EOF, -1 timeout or error.
    int read_some() {
        pollfd p{fd_, POLLIN, 0};
        int r = ::poll(&p, 1, kReadTimeoutMs);
        if (r <= 0) return -1;
        char chunk[16384];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0) return errno == ECONNRESET ? 0 : -1;
        if (n == 0) return 0;
        buf_.append(chunk, static_cast<size_t>(n));
        return 1;
    }
    std::optional<std::string> take_reply() {
        size_t pos = 0;
        for (;;) {
            size_t end = buf_.find("\r\n", pos);
            if (end == std::string::npos) return std::nullopt;
            bool last = end - pos < 4 || buf_[pos + 3] != '-';
            pos = end + 2;
            if (last) {
                std::string r = buf_.substr(0, pos);
                buf_.erase(0, pos);
                return r;
            }
        }
    }

    int fd_ = -1;
    std::string buf_;
    std::string error_;
};

// `reply` begins with `prefix` (e.g. "250 2.1.0 ").
::testing::AssertionResult Is(const std::string& reply, std::string_view prefix) {
    if (reply.compare(0, prefix.size(), prefix) == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "expected a reply starting with \"" << prefix << "\", got \"" << reply
                                         << "\"";
}

std::string b64(std::string_view s) { return mailfw::base64::encode(s); }

// ------------------------------------------------------------ the server ---

// One Server (and its PluginHost: one per process at a time) per test
// suite, in a temporary directory: users.db, spool/, maildir/.
class SessionServer : public ::testing::Test {
public:
    static void SetUpTestSuite() {
        setup_error_.clear();
        for (const auto& p : kPlugins)
            if (!fs::exists(fs::path(MAILFW_TEST_PLUGIN_DIR) / (p + ".so"))) {
                setup_error_ = "skip: plugin " + p + " is not built in " MAILFW_TEST_PLUGIN_DIR;
                return;
            }
        char tmpl[] = "/tmp/mailfw-session-test-XXXXXX";
        if (!::mkdtemp(tmpl)) {
            setup_error_ = "mkdtemp failed";
            return;
        }
        dir_ = tmpl;
        for (int attempt = 0; attempt < 5; ++attempt) {
            const auto ports = free_ports(4);
            if (ports.empty()) {
                setup_error_ = "no free loopback port";
                return;
            }
            port_ = ports[0];
            required_port_ = ports[1];
            idle_port_ = ports[2];
            cleartext_port_ = ports[3];
            std::string text = std::string("[server]\n") + "hostname = " + kHostname + "\n" +
                               "plugin_dir = " MAILFW_TEST_PLUGIN_DIR "\n";
            for (const auto& p : kPlugins) text += "load = " + p + "\n";
            text += "spool = " + (dir_ / "spool").string() + "\n" +
                    "threads = 2\n"
                    "shutdown_grace = " + std::to_string(kShutdownGraceMs) + "ms\n" +
                    "\n[listener.test]\n"
                    "bind = 127.0.0.1:" + std::to_string(port_) + "\n" +
                    "allow_plaintext_auth = true\n"
                    // RFC 2920's own rules (the message as the first command
                    // of a group); the stricter default has its own tests
                    // (tests/integration/test_smuggling.py).
                    "improper_pipelining = allow\n"
                    "\n[listener.required]\n"
                    "bind = 127.0.0.1:" + std::to_string(required_port_) + "\n" +
                    "auth = required\n"
                    "allow_plaintext_auth = true\n"
                    "\n[listener.idle]\n"
                    "bind = 127.0.0.1:" + std::to_string(idle_port_) + "\n" +
                    "allow_plaintext_auth = true\n"
                    "\n[listener.cleartext]\n"
                    "bind = 127.0.0.1:" + std::to_string(cleartext_port_) + "\n" +
                    "\n[store-sqlite]\n"
                    "path = " + (dir_ / "users.db").string() + "\n" +
                    "pbkdf2_iterations = 1000\n"
                    "\n[deliver-maildir]\n"
                    "root = " + maildir().string() + "\n"
                    "domains = example.test\n";
            // Quiet unless a test fails in a way the log would explain.
            if (!std::getenv("MAILFW_TEST_LOG")) mailfw::log::set_level(mailfw::log::Level::error);
            try {
                file_ = std::make_unique<mailfw::ConfigFile>(mailfw::ConfigFile::parse(text, "<test>", dir_));
                config_ = std::make_unique<mailfw::ServerConfig>(mailfw::load_server_config(*file_, MAILFW_TEST_PLUGIN_DIR));
                // The core's backstops, lowered to test them (no config key: the
                // policy limits are limit-size's and limit-timers').
                for (auto& l : config_->listeners) {
                    if (l.name == "test") l.message_size_backstop = 1024 * 1024;
                    if (l.name == "idle") l.idle_backstop_ms = kIdleTimeoutMs;
                }
                host_ = std::make_unique<mailfw::PluginHost>(*config_, *file_);
                int r = host_->user_set(MAILFW_USER_CREATE, kUser, kPassword);
                if (r != MAILFW_OK && r != MAILFW_EXISTS) {  // EXISTS: a retry
                    setup_error_ = "user_set failed with status " + std::to_string(r);
                    return;
                }
                server_ = std::make_unique<mailfw::Server>(*config_, *host_);
            } catch (const std::exception& e) {
                setup_error_ = std::string("server set-up failed: ") + e.what();
                // The free ports were free when picked; a test running in parallel
                // may have taken one since. Pick again.
                if (setup_error_.find("Address already in use") != std::string::npos && attempt + 1 < 5) {
                    server_.reset();
                    host_.reset();
                    config_.reset();
                    file_.reset();
                    setup_error_.clear();
                    continue;
                }
                return;
            }
            break;
        }
        thread_ = std::thread([] { server_->run(); });
    }

    static void TearDownTestSuite() {
        if (server_) {
            server_->stop();
            if (thread_.joinable()) thread_.join();
        }
        server_.reset();
        host_.reset();
        config_.reset();
        file_.reset();
        mailfw::log::set_level(mailfw::log::Level::info);
        if (!dir_.empty()) {
            std::error_code ec;
            fs::remove_all(dir_, ec);
            dir_.clear();
        }
    }

protected:
    void SetUp() override {
        if (setup_error_.rfind("skip:", 0) == 0) GTEST_SKIP() << setup_error_;
        ASSERT_TRUE(setup_error_.empty()) << setup_error_;
        ASSERT_TRUE(server_);
    }

    static fs::path maildir() { return dir_ / "maildir"; }
    static fs::path spool() { return dir_ / "spool"; }

    // A connected client past the 220 greeting.
    static std::unique_ptr<Client> connect(uint16_t port = 0) {
        auto c = std::make_unique<Client>(port ? port : port_);
        EXPECT_TRUE(c->ok()) << c->error();
        EXPECT_TRUE(Is(c->greeting(), std::string("220 ") + kHostname + " "));
        return c;
    }
    // ... and past EHLO.
    static std::unique_ptr<Client> ehlo(uint16_t port = 0) {
        auto c = connect(port);
        std::string r = c->command("EHLO client.test");
        EXPECT_TRUE(Is(r, std::string("250-") + kHostname)) << r;
        return c;
    }

    // The files delivered to <root>/<rcpt>/new, oldest name first.
    static std::vector<std::string> delivered(const std::string& rcpt) {
        std::vector<fs::path> files;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(maildir() / rcpt / "new", ec)) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        std::vector<std::string> out;
        for (const auto& f : files) out.push_back(slurp(f));
        return out;
    }
    // Messages in the spool: files with bytes in them (an emptied file is
    // kept for reuse once every delivery copied its message).
    // Spool files holding data: an emptied one is a hole kept for reuse.
    static size_t spool_messages() {
        size_t n = 0;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(spool(), ec)) {
            struct stat st {};
            if (e.path().extension() == ".msg" && ::stat(e.path().c_str(), &st) == 0 && st.st_blocks > 0) ++n;
        }
        return n;
    }
    static size_t spool_files() {
        size_t n = 0;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(spool(), ec))
            if (e.path().extension() == ".msg") ++n;
        return n;
    }
    // "250 2.0.0 Ok: queued as ID" -> ID
    static std::string queue_id(const std::string& reply) {
        std::smatch m;
        static const std::regex re("^250 2\\.0\\.0 Ok: queued as ([0-9A-F]+)\r\n$");
        return std::regex_match(reply, m, re) ? m[1].str() : std::string();
    }

    // What deliver-maildir wrote must be Return-Path + our Received: + exactly
    // the message bytes (`body`, already unstuffed).
    static void expect_stored(const std::string& file, const std::string& from, const std::string& rcpt,
                              const std::string& id, const std::string& protocol, const std::string& body,
                              const std::string& auth_user = {}) {
        std::string head = "Return-Path: <" + from + ">\r\n" + "Received: from client.test ([127.0.0.1])\r\n" +
                           "\tby " + kHostname + " (mailfw) with " + protocol + " id " + id + "\r\n";
        if (!auth_user.empty()) head += "\t(authenticated user " + auth_user + ")\r\n";
        head += "\tfor <" + rcpt + ">; ";
        ASSERT_GT(file.size(), head.size()) << file;
        EXPECT_EQ(file.substr(0, head.size()), head);
        size_t eol = file.find("\r\n", head.size());
        ASSERT_NE(eol, std::string::npos);
        static const std::regex date(
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} \\+0000");
        EXPECT_TRUE(std::regex_match(file.substr(head.size(), eol - head.size()), date))
            << file.substr(head.size(), eol - head.size());
        EXPECT_EQ(file.substr(eol + 2), body);
    }

    static inline std::string setup_error_;
    static inline fs::path dir_;
    static inline uint16_t port_ = 0;
    static inline uint16_t required_port_ = 0;
    static inline uint16_t idle_port_ = 0;
    static inline uint16_t cleartext_port_ = 0;  // allow_plaintext_auth = false, no TLS
    static inline std::unique_ptr<mailfw::ConfigFile> file_;
    static inline std::unique_ptr<mailfw::ServerConfig> config_;
    static inline std::unique_ptr<mailfw::PluginHost> host_;
    static inline std::unique_ptr<mailfw::Server> server_;
    static inline std::thread thread_;
};

class SessionSequencing : public SessionServer {};
class SessionLimits : public SessionServer {};
class SessionData : public SessionServer {};
class SessionBdat : public SessionServer {};
class SessionAuth : public SessionServer {};
class SessionPipelining : public SessionServer {};
class SessionTimeouts : public SessionServer {};
class SessionShutdown : public SessionServer {};
class SessionForcedShutdown : public SessionServer {};

}  // namespace

// ===================================================== §4.1.4 sequencing ===

TEST_F(SessionSequencing, GreetingThenQuitCloses) {
    auto c = connect();
    EXPECT_TRUE(Is(c->command("QUIT"), "221 2.0.0 "));
    EXPECT_TRUE(c->closed_by_server());
}

TEST_F(SessionSequencing, CommandsAllowedBeforeEhlo) {
    auto c = connect();
    EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->command("RSET"), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->command("VRFY bob"), "252 2.5.0 "));
    std::string help = c->command("HELP");
    EXPECT_TRUE(Is(help, "214-2.0.0 ")) << help;
    EXPECT_NE(help.find("\r\n214 2.0.0 "), std::string::npos) << help;
    EXPECT_TRUE(Is(c->command("QUIT"), "221 2.0.0 "));
}

TEST_F(SessionSequencing, TransactionCommandsBeforeEhloAre503) {
    auto c = connect();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("DATA"), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + b64(std::string("\0alice\0x", 8))), "503 5.5.1 "));
    // Still in sync and usable.
    EXPECT_TRUE(Is(c->command("EHLO client.test"), "250-"));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
}

TEST_F(SessionSequencing, EhloIsMultiLineWithTheExtensions) {
    auto c = connect();
    std::string r = c->command("EHLO client.test");
    EXPECT_TRUE(Is(r, std::string("250-") + kHostname + " Hello client.test [127.0.0.1]\r\n")) << r;
    for (const char* k : {"\r\n250-PIPELINING\r\n", "\r\n250-8BITMIME\r\n", "\r\n250-ENHANCEDSTATUSCODES\r\n",
                          "\r\n250-CHUNKING\r\n", "\r\n250-SIZE 1048576\r\n", "\r\n250-AUTH LOGIN PLAIN\r\n"})
        EXPECT_NE(r.find(k), std::string::npos) << k << " missing in\n" << r;
    EXPECT_EQ(r.find("STARTTLS"), std::string::npos) << "tls = none";
    EXPECT_EQ(r.substr(r.size() - 10), "250 HELP\r\n") << r;
    EXPECT_TRUE(Is(c->command("STARTTLS"), "502 5.5.1 "));
}

TEST_F(SessionSequencing, HeloIsOneLineAndMailParametersNeedEhlo) {
    auto c = connect();
    std::string r = c->command("HELO client.test");
    EXPECT_EQ(r, std::string("250 ") + kHostname + " Hello client.test [127.0.0.1]\r\n");
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test> SIZE=100"), "555 5.5.4 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test> BODY=8BITMIME"), "555 5.5.4 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    // AUTH is an extension too.
    EXPECT_TRUE(Is(c->command("RSET"), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN"), "503 5.5.1 "));
    // After EHLO the same parameters are fine.
    EXPECT_TRUE(Is(c->command("EHLO client.test"), "250-"));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test> SIZE=100 BODY=8BITMIME"), "250 2.1.0 "));
}

TEST_F(SessionSequencing, HeloOrEhloNeedsAnArgument) {
    auto c = connect();
    EXPECT_TRUE(Is(c->command("EHLO"), "501 5.5.4 "));
    EXPECT_TRUE(Is(c->command("HELO"), "501 5.5.4 "));
    EXPECT_TRUE(Is(c->command("EHLO bad host"), "501 5.5.4 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "503 5.5.1 ")) << "no successful EHLO yet";
    EXPECT_TRUE(Is(c->command("EHLO [127.0.0.1]"), "250-"));
}

TEST_F(SessionSequencing, MailTwiceIs503) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<other@example.test>"), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "250 2.1.5 ")) << "the first transaction is intact";
}

TEST_F(SessionSequencing, RcptBeforeMailIs503) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "503 5.5.1 "));
}

TEST_F(SessionSequencing, DataBeforeRcptIs503) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("DATA"), "503 5.5.1 ")) << "no MAIL";
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("DATA"), "503 5.5.1 ")) << "no RCPT attempted";
    // The sequence is checked before the arguments, as Postfix does.
    EXPECT_TRUE(Is(c->command("DATA extra"), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA extra"), "501 5.5.4 "));
}

TEST_F(SessionSequencing, DataAfterAllRcptsFailedIs554) {
    // RFC 2920 §3.1 / RFC 5321 §3.3: "554 no valid recipients".
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<broken"), "501 5.5.4 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test> NOTIFY=NEVER"), "555 5.5.4 "));
    EXPECT_TRUE(Is(c->command("DATA"), "554 5.5.1 "));
    // Not a 354: the next line is a command again.
    EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 "));
}

TEST_F(SessionSequencing, RsetClearsTheTransaction) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("RSET"), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("DATA"), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RSET now"), "501 5.5.4 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "503 5.5.1 ")) << "a bad RSET resets nothing";
}

TEST_F(SessionSequencing, EhloResetsTheTransaction) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("EHLO client.test"), "250-"));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("HELO client.test"), "250 "));
    EXPECT_TRUE(Is(c->command("DATA"), "503 5.5.1 ")) << "HELO resets too";
}

TEST_F(SessionSequencing, VrfyUnknownExpnAndEmptyLine) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("VRFY postmaster"), "252 2.5.0 "));
    EXPECT_TRUE(Is(c->command("VRFY"), "501 5.5.4 "));
    EXPECT_TRUE(Is(c->command("XYZZY"), "500 5.5.1 "));
    EXPECT_TRUE(Is(c->command("MAILFROM:<a@example.test>"), "500 5.5.1 "));
    EXPECT_TRUE(Is(c->command(""), "500 5.5.1 "));
    EXPECT_TRUE(Is(c->command("EXPN list"), "502 5.5.1 "));
    EXPECT_TRUE(Is(c->command("noop"), "250 2.0.0 ")) << "verbs are case-insensitive";
}

TEST_F(SessionSequencing, MailSyntaxAndSize) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:a@example.test"), "501 5.5.4 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test> SIZE=abc"), "501 5.5.4 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test> SIZE=1048577"), "552 5.3.4 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test> FOO=BAR"), "555 5.5.4 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<> SIZE=1048576"), "250 2.1.0 ")) << "null reverse-path, size at the limit";
}

TEST_F(SessionSequencing, AuthRequiredListener) {
    auto c = ehlo(required_port_);
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "530 5.7.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "530 5.7.0 "));
    EXPECT_TRUE(Is(c->command("DATA"), "530 5.7.0 "));
    EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + b64(std::string("\0", 1) + kUser + std::string("\0", 1) + kPassword)),
                   "235 2.7.0 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
}

// ============================================================ line limits ===

TEST_F(SessionLimits, CommandLineOf512OctetsIsAcceptedAnd513Rejected) {
    // RFC 5321 §4.5.3.1.4: 512 octets including the CRLF.
    auto c = ehlo();
    std::string l512 = "NOOP " + std::string(505, 'x');
    ASSERT_EQ(l512.size() + 2, 512u);
    EXPECT_TRUE(Is(c->command(l512), "250 2.0.0 "));
    std::string l513 = "NOOP " + std::string(506, 'x');
    EXPECT_TRUE(Is(c->command(l513), "500 5.5.2 "));
    EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 ")) << "the session continues";
    // A too-long MAIL is not executed.
    std::string mail = "MAIL FROM:<" + std::string(520, 'a') + "@example.test>";
    EXPECT_TRUE(Is(c->command(mail), "500 5.5.2 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "503 5.5.1 "));
}

TEST_F(SessionLimits, HugeCommandLineIsRejectedAndTheSessionResynchronises) {
    auto c = ehlo();
    c->send("NOOP " + std::string(100 * 1024, 'y') + "\r\nNOOP\r\n");
    EXPECT_TRUE(Is(c->reply(), "500 5.5.2 "));
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
}

TEST_F(SessionLimits, BareLfCommandLineIs500) {
    auto c = ehlo();
    c->send("NOOP\n");
    EXPECT_TRUE(Is(c->reply(), "500 5.5.2 "));
    c->send("MAIL FROM:<a@example.test>\nNOOP\r\n");
    EXPECT_TRUE(Is(c->reply(), "500 5.5.2 "));
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "503 5.5.1 ")) << "the bare-LF MAIL did not run";
}

TEST_F(SessionLimits, CommandSplitAcrossSegments) {
    auto c = ehlo();
    c->send("NO");
    c->send("OP\r");
    c->send("\n");
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
    // 512 octets with the CR and the LF in different segments.
    c->send("NOOP " + std::string(505, 'x') + "\r");
    c->send("\n");
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
}

TEST_F(SessionLimits, RecipientSafetyNetIs452) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    std::string group;
    for (int i = 0; i < 1001; ++i) group += "RCPT TO:<r" + std::to_string(i) + "@example.test>\r\n";
    c->send(group);
    for (int i = 0; i < 1000; ++i) {
        std::string r = c->reply();
        ASSERT_TRUE(Is(r, "250 2.1.5 ")) << "recipient " << i;
    }
    EXPECT_TRUE(Is(c->reply(), "452 4.5.3 "));
    EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 "));
}

// ================================================================== DATA ===

TEST_F(SessionData, DeliveredFileIsReturnPathReceivedAndTheBytesSent) {
    auto c = ehlo();
    const std::string rcpt = "data-exact@example.test";
    EXPECT_TRUE(Is(c->command("MAIL FROM:<sender@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    const std::string body =
        "From: sender@example.test\r\n"
        "To: " + rcpt + "\r\n"
        "Subject: exact bytes\r\n"
        "\r\n"
        "line one\r\n"
        ".a dot-stuffed line\r\n"
        ".\r\n"
        "..\r\n"
        "\t tabs and 8-bit: \xc3\xa4\xc3\xb6\r\n"
        "\r\n"
        "last line\r\n";
    // Dot-stuffing on the wire (RFC 5321 §4.5.2).
    std::string wire;
    std::istringstream lines(body);
    for (std::string l; std::getline(lines, l);) wire += (l.empty() || l[0] != '.' ? "" : ".") + l + "\n";
    ASSERT_EQ(wire.size(), body.size() + 3);  // three stuffed dots
    c->send(wire + ".\r\n");
    std::string r = c->reply();
    std::string id = queue_id(r);
    ASSERT_FALSE(id.empty()) << r;
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 1u);
    expect_stored(files[0], "sender@example.test", rcpt, id, "ESMTP", body);
    EXPECT_EQ(spool_messages(), 0u) << "nothing of the message is left in the spool after delivery";
    EXPECT_EQ(spool_files(), 1u) << "deliver-maildir copies the spool: its file is kept, empty, for reuse";
    // The session is ready for the next transaction.
    EXPECT_TRUE(Is(c->command("MAIL FROM:<>"), "250 2.1.0 "));
}

TEST_F(SessionData, AnEmptyMessageAfterALongerOneIsStoredEmpty) {
    // The second message reuses the first one's spool file.
    auto c = ehlo();
    const std::string rcpt = "data-empty@example.test";
    std::vector<std::string> ids;
    for (const std::string body : {std::string("Subject: long\r\n\r\n") + std::string(900, 'l') + "\r\n", std::string()}) {
        EXPECT_TRUE(Is(c->command("MAIL FROM:<sender@example.test>"), "250 2.1.0 "));
        EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
        EXPECT_TRUE(Is(c->command("DATA"), "354 "));
        c->send(body + ".\r\n");
        ids.push_back(queue_id(c->reply()));
        ASSERT_FALSE(ids.back().empty());
    }
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 2u);
    const auto second = std::find_if(files.begin(), files.end(),
                                     [&](const std::string& f) { return f.find(" id " + ids[1] + "\r\n") != std::string::npos; });
    ASSERT_NE(second, files.end());
    expect_stored(*second, "sender@example.test", rcpt, ids[1], "ESMTP", "");
}

TEST_F(SessionData, ASmallMessageTakenFromMemoryNeverReachesTheSpoolFile) {
    // deliver-maildir reads the host's copy in memory (ABI 1.4,
    // READS_CONTENT). Had the file been written, finish() would have cut it
    // to the message's size, which hollowing it afterwards keeps.
    auto c = ehlo();
    const std::string rcpt = "data-memory@example.test";
    std::string wire = "Subject: memory\r\n\r\n";
    for (int i = 0; i < 5; ++i) wire += std::string(857, 'm') + "\r\n";  // 4314 bytes: no other test's size
    EXPECT_TRUE(Is(c->command("MAIL FROM:<sender@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    c->send(wire + ".\r\n");
    const std::string id = queue_id(c->reply());
    ASSERT_FALSE(id.empty());
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 1u);
    expect_stored(files[0], "sender@example.test", rcpt, id, "ESMTP", wire);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(spool(), ec)) {
        struct stat st {};
        ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
        EXPECT_NE(static_cast<size_t>(st.st_size), wire.size()) << e.path() << " held the message";
    }
}

TEST_F(SessionData, HeloSessionIsStampedSmtp) {
    auto c = connect();
    const std::string rcpt = "data-helo@example.test";
    EXPECT_TRUE(Is(c->command("HELO client.test"), "250 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    c->send("Subject: s\r\n\r\nbody\r\n.\r\n");
    std::string id = queue_id(c->reply());
    ASSERT_FALSE(id.empty());
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 1u);
    expect_stored(files[0], "", rcpt, id, "SMTP", "Subject: s\r\n\r\nbody\r\n");
}

TEST_F(SessionData, TextLineOf1000OctetsIsAcceptedAnd1001Rejected) {
    // RFC 5321 §4.5.3.1.6: 1000 octets including the CRLF.
    auto c = ehlo();
    const std::string rcpt = "data-1000@example.test";
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    const std::string line1000 = std::string(998, 'a') + "\r\n";
    // A stuffed dot does not count (the line is 1000 octets once unstuffed).
    const std::string dotted = "." + std::string(997, 'd') + "\r\n";
    c->send("Subject: long\r\n\r\n" + line1000 + "." + dotted + ".\r\n");
    std::string r = c->reply();
    std::string id = queue_id(r);
    ASSERT_FALSE(id.empty()) << r;
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 1u);
    expect_stored(files[0], "a@example.test", rcpt, id, "ESMTP", "Subject: long\r\n\r\n" + line1000 + dotted);

    const std::string rcpt2 = "data-1001@example.test";
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt2 + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    // The reply comes only after the end of data: no reply may be pending
    // while the text is still arriving.
    c->send("Subject: too long\r\n\r\n" + std::string(999, 'b') + "\r\nmore\r\n");
    c->send(".\r\n");
    EXPECT_TRUE(Is(c->reply(), "500 5.5.2 "));
    EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 ")) << "the session continues";
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "503 5.5.1 ")) << "the transaction is over";
    EXPECT_TRUE(delivered(rcpt2).empty());
    EXPECT_EQ(spool_messages(), 0u);
}

TEST_F(SessionData, BareLfInDataIs554AndCloses) {
    auto c = ehlo();
    const std::string rcpt = "data-barelf@example.test";
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    // SMTP smuggling: "\n.\n" must not end the message, and nothing after it
    // may be read as a command.
    c->send("Subject: x\r\n\r\nhello\n.\nMAIL FROM:<evil@example.test>\r\n.\r\n");
    EXPECT_TRUE(Is(c->reply(), "554 5.5.2 "));
    EXPECT_TRUE(c->closed_by_server());
    EXPECT_TRUE(delivered(rcpt).empty());
    EXPECT_TRUE(eventually([] { return spool_messages() == 0; }));
}

TEST_F(SessionData, BareCrInDataIs554AndCloses) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<data-barecr@example.test>"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    c->send("Subject: x\r\n\r\nhello\r.\r\n.\r\n");
    EXPECT_TRUE(Is(c->reply(), "554 5.5.2 "));
    EXPECT_TRUE(c->closed_by_server());
    EXPECT_TRUE(delivered("data-barecr@example.test").empty());
}

TEST_F(SessionData, DropMidDataLeavesNothingBehind) {
    const std::string rcpt = "data-dropped@example.test";
    {
        auto c = ehlo();
        EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
        EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
        EXPECT_TRUE(Is(c->command("DATA"), "354 "));
        // More than the spool's write buffer, so that part is on file.
        std::string partial = "Subject: x\r\n\r\n";
        while (partial.size() < 70 * 1024) partial += std::string(70, 'p') + "\r\n";
        c->send(partial);
        // The message streams to the spool while it arrives.
        EXPECT_TRUE(eventually([] { return spool_messages() == 1; }));
    }
    EXPECT_TRUE(eventually([] { return spool_messages() == 0; }));
    EXPECT_TRUE(delivered(rcpt).empty());
}

TEST_F(SessionData, MessageOverTheSizeLimitIs552AndTheSessionContinues) {
    auto c = ehlo();
    const std::string rcpt = "data-toobig@example.test";
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    std::string line = std::string(98, 'z') + "\r\n";
    std::string big = "Subject: big\r\n\r\n";
    while (big.size() <= 1048576) big += line;
    c->send(big + ".\r\n");
    EXPECT_TRUE(Is(c->reply(), "552 5.3.4 "));
    EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 "));
    EXPECT_TRUE(delivered(rcpt).empty());
}

TEST_F(SessionData, MessageOfExactlyTheSizeLimitIsAccepted) {
    // The 1 MiB size backstop counts the message octets (unstuffed, without
    // the final "." line and without the headers this server adds).
    auto c = ehlo();
    const std::string rcpt = "data-atlimit@example.test";
    std::string body = "Subject: limit\r\n\r\n";
    const std::string line = std::string(98, 'k') + "\r\n";
    while (body.size() + line.size() <= 1048576) body += line;
    body += std::string(1048576 - body.size() - 2, 'e') + "\r\n";
    ASSERT_EQ(body.size(), 1048576u);
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    c->send(body + ".\r\n");
    std::string id = queue_id(c->reply());
    ASSERT_FALSE(id.empty());
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 1u);
    expect_stored(files[0], "a@example.test", rcpt, id, "ESMTP", body);

    // One octet more is refused.
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<data-overlimit@example.test>"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    c->send("X" + body + ".\r\n");
    EXPECT_TRUE(Is(c->reply(), "552 5.3.4 "));
    EXPECT_TRUE(delivered("data-overlimit@example.test").empty());
}

TEST_F(SessionData, TwoRecipientsGetACopyEachWithoutFor) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<data-two-1@example.test>"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<data-two-2@example.test>"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    c->send("Subject: two\r\n\r\nx\r\n.\r\n");
    EXPECT_FALSE(queue_id(c->reply()).empty());
    for (const char* r : {"data-two-1@example.test", "data-two-2@example.test"}) {
        auto files = delivered(r);
        ASSERT_EQ(files.size(), 1u) << r;
        EXPECT_EQ(files[0].find("for <"), std::string::npos);
        const std::string body = "Subject: two\r\n\r\nx\r\n";
        ASSERT_GT(files[0].size(), body.size());
        EXPECT_EQ(files[0].substr(files[0].size() - body.size()), body);
    }
}

// ================================================================== BDAT ===

TEST_F(SessionBdat, ChunksAreStoredExactly) {
    auto c = ehlo();
    const std::string rcpt = "bdat-exact@example.test";
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test> BODY=8BITMIME"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    // No dot-stuffing and no end marker inside BDAT (RFC 3030 §2).
    const std::string part1 = "Subject: chunked\r\n\r\n.\r\nDATA\r\n";
    const std::string part2 = "..end\r\n";
    c->send("BDAT " + std::to_string(part1.size()) + "\r\n" + part1);
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
    c->send("BDAT " + std::to_string(part2.size()) + " LAST\r\n" + part2);
    std::string id = queue_id(c->reply());
    ASSERT_FALSE(id.empty());
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 1u);
    expect_stored(files[0], "a@example.test", rcpt, id, "ESMTP", part1 + part2);
    EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 "));
}

TEST_F(SessionBdat, ZeroLastEndsTheMessage) {
    auto c = ehlo();
    const std::string rcpt = "bdat-zero@example.test";
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    c->send("BDAT 6\r\nS: x\r\n");
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
    std::string id = queue_id(c->command("BDAT 0 LAST"));
    ASSERT_FALSE(id.empty());
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 1u);
    expect_stored(files[0], "a@example.test", rcpt, id, "ESMTP", "S: x\r\n");
}

TEST_F(SessionBdat, DataAndRcptAfterBdatAre503) {
    auto c = ehlo();
    const std::string rcpt = "bdat-mixed@example.test";
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    c->send("BDAT 11\r\nSubject: m\r");
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->command("DATA"), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<other@example.test>"), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "503 5.5.1 "));
    c->send("BDAT 6 LAST\r\n\n\r\nx\r\n");
    std::string id = queue_id(c->reply());
    ASSERT_FALSE(id.empty());
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 1u);
    expect_stored(files[0], "a@example.test", rcpt, id, "ESMTP", "Subject: m\r\n\r\nx\r\n");
}

TEST_F(SessionBdat, BdatAfterACompletedDataTransactionIs503) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<bdat-afterdata@example.test>"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    c->send("Subject: d\r\n\r\nx\r\n.\r\nBDAT 6 LAST\r\nNOOP\r\nNOOP\r\n");
    EXPECT_FALSE(queue_id(c->reply()).empty());
    EXPECT_TRUE(Is(c->reply(), "503 5.5.1 ")) << "DATA ended the transaction";
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 ")) << "only the NOOP after the chunk runs";
    EXPECT_EQ(delivered("bdat-afterdata@example.test").size(), 1u);
}

TEST_F(SessionBdat, BdatWithoutMailConsumesTheChunkAndStaysInSync) {
    auto c = ehlo();
    // The chunk's bytes look like commands; they must not run.
    const std::string chunk = "QUIT\r\nQUIT\r\n";
    c->send("BDAT " + std::to_string(chunk.size()) + "\r\n" + chunk + "NOOP\r\n");
    EXPECT_TRUE(Is(c->reply(), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
    // Also before EHLO.
    auto d = connect();
    d->send("BDAT 6 LAST\r\nQUIT\r\nNOOP\r\n");
    EXPECT_TRUE(Is(d->reply(), "503 5.5.1 "));
    EXPECT_TRUE(Is(d->reply(), "250 2.0.0 "));
}

TEST_F(SessionBdat, BdatAfterAllRcptsFailedIs554AndConsumesTheChunk) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<broken"), "501 5.5.4 "));
    c->send("BDAT 6 LAST\r\nQUIT\r\nNOOP\r\n");
    EXPECT_TRUE(Is(c->reply(), "554 5.5.1 "));
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
}

TEST_F(SessionBdat, BadSyntaxCloses) {
    for (const char* bad : {"BDAT", "BDAT abc", "BDAT 5 NOTLAST", "BDAT -1", "BDAT 99999999999999999999999"}) {
        auto c = ehlo();
        EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
        EXPECT_TRUE(Is(c->command("RCPT TO:<bdat-bad@example.test>"), "250 2.1.5 "));
        c->send(std::string(bad) + "\r\nNOOP\r\n");
        EXPECT_TRUE(Is(c->reply(), "501 5.5.4 ")) << bad;
        EXPECT_TRUE(c->closed_by_server()) << bad;
    }
    EXPECT_TRUE(delivered("bdat-bad@example.test").empty());
}

// ================================================================== AUTH ===

TEST_F(SessionAuth, PlainWithInitialResponseThenAuthAgainIs503) {
    auto c = ehlo();
    std::string ir = b64(std::string("\0", 1) + kUser + std::string("\0", 1) + kPassword);
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + ir), "235 2.7.0 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + ir), "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("AUTH LOGIN"), "503 5.5.1 "));
    // Still authenticated after RSET; the message is stamped ESMTPA.
    EXPECT_TRUE(Is(c->command("RSET"), "250 2.0.0 "));
    const std::string rcpt = "auth-stamp@example.test";
    EXPECT_TRUE(Is(c->command("MAIL FROM:<alice@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    c->send("Subject: a\r\n\r\nb\r\n.\r\n");
    std::string id = queue_id(c->reply());
    ASSERT_FALSE(id.empty());
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 1u);
    expect_stored(files[0], "alice@example.test", rcpt, id, "ESMTPA", "Subject: a\r\n\r\nb\r\n", kUser);
}

TEST_F(SessionAuth, PlainWithoutInitialResponseGetsAnEmptyChallengeByDefault) {
    auto c = ehlo();
    // relaxed_auth = auto: PLAIN does not declare MAILFW_MECH_RELAXED_CHALLENGE,
    // so stock clients that base64-decode the first challenge work.
    EXPECT_EQ(c->command("AUTH plain"), "334 \r\n");
    EXPECT_TRUE(Is(c->command(b64(std::string("\0", 1) + kUser + std::string("\0", 1) + kPassword)), "235 2.7.0 "));
}

TEST_F(SessionAuth, LoginExchange) {
    auto c = ehlo();
    EXPECT_EQ(c->command("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(c->command(b64(kUser)), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_TRUE(Is(c->command(b64(kPassword)), "235 2.7.0 "));
}

TEST_F(SessionAuth, LoginWithUsernameAsInitialResponse) {
    auto c = ehlo();
    EXPECT_EQ(c->command("AUTH LOGIN " + b64(kUser)), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_TRUE(Is(c->command(b64(kPassword)), "235 2.7.0 "));
}

TEST_F(SessionAuth, WrongPasswordIs535AndAnotherTryIsAllowed) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + b64(std::string("\0alice\0wrong", 12))), "535 5.7.8 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + b64(std::string("\0", 1) + kUser + std::string("\0", 1) + kPassword)),
                   "235 2.7.0 "));
}

TEST_F(SessionAuth, CancelBadBase64AndUnknownMechanism) {
    auto c = ehlo();
    EXPECT_EQ(c->command("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_TRUE(Is(c->command("*"), "501 5.0.0 "));
    EXPECT_EQ(c->command("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_TRUE(Is(c->command("not base64!"), "501 5.5.2 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN abc"), "501 5.5.2 "));
    EXPECT_TRUE(Is(c->command("AUTH NOSUCH"), "504 5.5.4 "));
    EXPECT_TRUE(Is(c->command("AUTH"), "501 5.5.4 "));
    EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + b64(std::string("\0", 1) + kUser + std::string("\0", 1) + kPassword)),
                   "235 2.7.0 "));
}

TEST_F(SessionAuth, AuthDuringATransactionIs503) {
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + b64(std::string("\0", 1) + kUser + std::string("\0", 1) + kPassword)),
                   "503 5.5.1 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<b@example.test>"), "250 2.1.5 ")) << "the transaction is intact";
    EXPECT_TRUE(Is(c->command("RSET"), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + b64(std::string("\0", 1) + kUser + std::string("\0", 1) + kPassword)),
                   "235 2.7.0 "));
}

TEST_F(SessionAuth, PasswordMechanismsNeedTlsUnlessAllowed) {
    // MS-XLOGIN 5.1: not offered in the clear; asked for anyway: 538 5.7.11.
    auto c = connect(cleartext_port_);
    std::string r = c->command("EHLO client.test");
    EXPECT_TRUE(Is(r, "250-")) << r;
    EXPECT_EQ(r.find("AUTH"), std::string::npos) << r;
    EXPECT_TRUE(Is(c->command("AUTH LOGIN"), "538 5.7.11 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + b64(std::string("\0", 1) + kUser + std::string("\0", 1) + kPassword)),
                   "538 5.7.11 "));
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 ")) << "auth = optional";
}

TEST_F(SessionAuth, AuthLineOverTheLimitIs500556) {
    auto c = ehlo();
    // RFC 4954 §4: 500 5.5.6; AUTH lines may be far longer than 512 octets.
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + std::string(20000, 'A')), "500 5.5.6 "));
    EXPECT_TRUE(Is(c->command("AUTH PLAIN " + std::string(2000, 'A')), "535 5.7.8 ")) << "long but in the limit";
    EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 "));
}

// ============================================================ PIPELINING ===

TEST_F(SessionPipelining, GroupRepliesComeInOrderInOneRead) {
    auto c = ehlo();
    const std::string rcpt = "pipe@example.test";
    c->send("MAIL FROM:<a@example.test>\r\nRCPT TO:<" + rcpt + ">\r\nRCPT TO:<broken\r\nRCPT TO:<" + rcpt +
            ">\r\nDATA\r\n");
    std::string all = c->one_read();
    std::regex group(
        "250 2\\.1\\.0 [^\r\n]*\r\n250 2\\.1\\.5 [^\r\n]*\r\n501 5\\.5\\.4 [^\r\n]*\r\n250 2\\.1\\.5 [^\r\n]*\r\n354 [^\r\n]*\r\n");
    EXPECT_TRUE(std::regex_match(all, group)) << all;
    // The message and the next group pipelined behind the end of data.
    c->send("Subject: p\r\n\r\nbody\r\n.\r\nRSET\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.test>\r\nNOOP\r\n");
    std::string next = c->reply();
    EXPECT_FALSE(queue_id(next).empty()) << next;
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->reply(), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->reply(), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
    auto files = delivered(rcpt);
    ASSERT_EQ(files.size(), 1u) << "a repeated recipient is delivered once";
}

TEST_F(SessionPipelining, QuitInAGroupAnswersEverythingBeforeIt) {
    auto c = ehlo();
    c->send("NOOP\r\nVRFY x\r\nQUIT\r\nNOOP\r\n");
    EXPECT_TRUE(Is(c->reply(), "250 2.0.0 "));
    EXPECT_TRUE(Is(c->reply(), "252 2.5.0 "));
    EXPECT_TRUE(Is(c->reply(), "221 2.0.0 "));
    EXPECT_TRUE(c->closed_by_server()) << "nothing after QUIT is answered";
}

// ======================================================== idle timeouts ===
// MS-OXSMTP ConnectionInactivityTimeOut: 421 4.4.2, then the session closes.

TEST_F(SessionTimeouts, IdleSessionGets421) {
    auto c = ehlo(idle_port_);
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(Is(c->reply(), "421 4.4.2 "));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(kIdleTimeoutMs - 50));
    EXPECT_TRUE(c->closed_by_server());
}

TEST_F(SessionTimeouts, EachCommandMovesTheDeadlineAndTheLastOneCounts) {
    // The deadline timer is lazy (session_io.cpp): a wait started for the
    // first deadline outlives it and must wait again, not time out the
    // session, and the 421 comes one idle period after the last command.
    auto c = ehlo(idle_port_);
    for (int i = 0; i < 4; ++i) {  // 600 ms in all: twice the idle period
        std::this_thread::sleep_for(std::chrono::milliseconds(kIdleTimeoutMs / 2));
        EXPECT_TRUE(Is(c->command("NOOP"), "250 2.0.0 ")) << "command " << i;
    }
    const auto last = std::chrono::steady_clock::now();
    EXPECT_TRUE(Is(c->reply(), "421 4.4.2 "));
    const auto idle = std::chrono::steady_clock::now() - last;
    EXPECT_GE(idle, std::chrono::milliseconds(kIdleTimeoutMs - 50));
    EXPECT_LT(idle, std::chrono::milliseconds(2 * kIdleTimeoutMs));
    EXPECT_TRUE(c->closed_by_server());
}

TEST_F(SessionTimeouts, IdleDuringDataGets421AndKeepsNothing) {
    const std::string rcpt = "idle-data@example.test";
    auto c = ehlo(idle_port_);
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    c->send("Subject: x\r\n\r\nstalled");
    EXPECT_TRUE(Is(c->reply(), "421 4.4.2 "));
    EXPECT_TRUE(c->closed_by_server());
    EXPECT_TRUE(delivered(rcpt).empty());
    EXPECT_TRUE(eventually([] { return spool_messages() == 0; }));
}

TEST_F(SessionTimeouts, IdleDuringBdatGets421) {
    auto c = ehlo(idle_port_);
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<idle-bdat@example.test>"), "250 2.1.5 "));
    c->send("BDAT 100 LAST\r\nonly a part");
    EXPECT_TRUE(Is(c->reply(), "421 4.4.2 "));
    EXPECT_TRUE(c->closed_by_server());
}

TEST_F(SessionTimeouts, IdleDuringARefusedBdatChunkGets421) {
    // The chunk of a refused BDAT is still read (RFC 3030 §2); a client that
    // stalls inside it is timed out like anywhere else.
    auto c = ehlo(idle_port_);
    c->send("BDAT 100\r\nonly a part");
    EXPECT_TRUE(Is(c->reply(), "421 4.4.2 "));
    EXPECT_TRUE(c->closed_by_server());
}

TEST_F(SessionTimeouts, IdleDuringAnAuthExchangeGets421AfterOneIdlePeriod) {
    auto c = ehlo(idle_port_);
    EXPECT_EQ(c->command("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(Is(c->reply(), "421 4.4.2 "));
    // One idle period, not two (the timeout must not be swallowed by AUTH).
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2 * kIdleTimeoutMs - 50));
    EXPECT_TRUE(c->closed_by_server());
}

// ============================================================= shutdown ===

TEST_F(SessionShutdown, StopSays421ToIdleSessionsAndLetsATransactionFinish) {
    const std::string rcpt = "shutdown@example.test";
    auto idle = ehlo();
    auto busy = ehlo();
    EXPECT_TRUE(Is(busy->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    server_->stop();
    EXPECT_TRUE(Is(idle->reply(), "421 4.3.2 "));
    EXPECT_TRUE(idle->closed_by_server());
    // No longer accepting (the listeners close before sessions are told).
    Client late(port_);
    EXPECT_FALSE(late.ok());
    // The transaction in flight completes, then the session is told.
    EXPECT_TRUE(Is(busy->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(busy->command("DATA"), "354 "));
    busy->send("Subject: last\r\n\r\nbody\r\n.\r\n");
    EXPECT_FALSE(queue_id(busy->reply()).empty());
    EXPECT_TRUE(Is(busy->reply(), "421 4.3.2 "));
    EXPECT_TRUE(busy->closed_by_server());
    EXPECT_EQ(delivered(rcpt).size(), 1u);
    // run() returns once the last session is gone.
    idle.reset();
    busy.reset();
    thread_.join();
}

class SessionShutdownWhileWriting : public SessionServer {};
class SessionShutdownClientLeaves : public SessionServer {};

TEST_F(SessionShutdownClientLeaves, ClientThatLeavesMidTransactionDoesNotHoldTheStop) {
    // A session in a transaction is left to finish it; if its client goes
    // away instead, the server must not wait for the grace period.
    auto idle = ehlo();
    auto busy = ehlo();
    EXPECT_TRUE(Is(busy->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    server_->stop();
    EXPECT_TRUE(Is(idle->reply(), "421 4.3.2 "));  // the stop has reached the sessions
    auto start = std::chrono::steady_clock::now();
    busy.reset();
    idle.reset();
    thread_.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(kShutdownGraceMs / 2));
}

TEST_F(SessionShutdownWhileWriting, RepliesInFlightAreNotLostAndThe421Follows) {
    // A client pipelines far more than it reads, so the session is blocked
    // writing replies (inside its wait for the next command) when the stop
    // comes. The replies already produced must still arrive, whole, followed
    // by 421 4.3.2; cancelling the write would drop them and the 421.
    auto c = ehlo();
    const std::string unit = "HELP\r\n";
    size_t sent = c->send_until_stuck(unit, 300ms);
    ASSERT_GT(sent, 10000u);
    server_->stop();
    std::string all = c->read_to_end();
    ASSERT_GE(all.size(), 2u);
    EXPECT_EQ(all.substr(all.size() - 2), "\r\n") << "a reply was cut off";
    size_t last = all.rfind("\r\n", all.size() - 3);
    std::string tail = all.substr(last == std::string::npos ? 0 : last + 2);
    EXPECT_TRUE(Is(tail, "421 4.3.2 ")) << tail;
    // Every reply before the 421 is a complete HELP reply.
    size_t helps = 0;
    for (size_t pos = 0; (pos = all.find("214 2.0.0 ", pos)) != std::string::npos; ++pos) ++helps;
    EXPECT_GT(helps, 0u);
    EXPECT_LE(helps, sent);
    c.reset();
    thread_.join();
}

TEST_F(SessionForcedShutdown, TransactionStillOpenAfterTheGracePeriodGets421AndKeepsNothing) {
    const std::string rcpt = "forced@example.test";
    auto c = ehlo();
    EXPECT_TRUE(Is(c->command("MAIL FROM:<a@example.test>"), "250 2.1.0 "));
    EXPECT_TRUE(Is(c->command("RCPT TO:<" + rcpt + ">"), "250 2.1.5 "));
    EXPECT_TRUE(Is(c->command("DATA"), "354 "));
    c->send("Subject: slow\r\n\r\nstill typing");
    auto start = std::chrono::steady_clock::now();
    server_->stop();
    EXPECT_TRUE(Is(c->reply(), "421 4.3.2 "));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(kShutdownGraceMs - 50));
    EXPECT_TRUE(c->closed_by_server());
    thread_.join();
    EXPECT_TRUE(delivered(rcpt).empty());
    EXPECT_EQ(spool_messages(), 0u);
}
