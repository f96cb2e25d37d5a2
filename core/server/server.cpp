#include "server/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <thread>

#include "net/tcp_transport.hpp"
#include "net/tls_context.hpp"
#include "smtp/session.hpp"
#include "spool/spool_file.hpp"
#include "util/log.hpp"

namespace mailfw {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// After the grace period, sessions get this long to say 421 and go.
constexpr auto kForceCloseWait = std::chrono::seconds(2);

// A network thread's log lines go out once per turn of its event loop
// (log::defer_on_this_thread), and at once again when the loop is over.
class DeferredLogLines {
public:
    explicit DeferredLogLines(asio::io_context& io) {
        log::defer_on_this_thread([&io](void (*flush)()) { asio::post(io, flush); });
    }
    ~DeferredLogLines() { log::defer_on_this_thread(nullptr); }  // writes what waits
    DeferredLogLines(const DeferredLogLines&) = delete;
    DeferredLogLines& operator=(const DeferredLogLines&) = delete;
};

// Network threads by default: half the cores, at least one. They do little
// per byte (hashing, deliveries and their disk waits run on pools of their
// own), so with one per core they mostly sleep and wake each other: on 2
// cores, 1.8 context switches and a fifth more CPU per message than one
// thread (tests/bench, discard, new connection per message). The other
// half is left to those pools and to the kernel's TCP work.
unsigned default_network_threads() { return std::max(1u, std::thread::hardware_concurrency() / 2); }

std::string show(const Endpoint& e) {
    return (e.address.find(':') != std::string::npos ? "[" + e.address + "]" : e.address) + ":" +
           std::to_string(e.port);
}
}  // namespace

Server::Server(const ServerConfig& config, PluginHost& plugins)
    : config_(config),
      plugins_(plugins),
      threads_(config.threads ? config.threads : default_network_threads()),
      io_(1),
      auth_pool_(config.auth_threads ? config.auth_threads : std::max(1u, std::thread::hardware_concurrency())),
      delivery_pool_(config.delivery_threads ? config.delivery_threads
                                             : 4 * std::max(1u, std::thread::hardware_concurrency())),
      signals_(io_, SIGTERM, SIGINT),
      grace_timer_(io_),
      drain_timer_(io_) {
    for (unsigned i = 1; i < threads_; ++i) {
        workers_.push_back(std::make_unique<asio::io_context>(1));
        worker_guards_.push_back(asio::make_work_guard(*workers_.back()));
    }
    prepare_spool_directory(config.spool_dir);
    spool_pool_ = std::make_unique<SpoolPool>(config.spool_dir);
    if (config.tls_certificate && config.tls_key) tls_ = make_server_tls_context(*config.tls_certificate, *config.tls_key);
    if (plugins.deliveries().empty())
        throw ConfigError("no delivery plugin is loaded, so no message could be accepted; add `load = deliver-maildir` "
                          "to [server] with a [deliver-maildir] root");

    for (const auto& l : config.listeners) {
        auto ctx = std::make_shared<ListenerContext>();
        ctx->server = &config_;
        ctx->listener = &l;
        ctx->plugins = &plugins_;
        ctx->tls = tls_.get();
        ctx->auth_pool = &auth_pool_;
        ctx->delivery_pool = &delivery_pool_;
        ctx->registry = &registry_;
        ctx->spool_pool = spool_pool_.get();
        contexts_.push_back(ctx);
        for (const auto& b : l.binds) {
            boost::system::error_code ec;
            auto address = asio::ip::make_address(b.address, ec);
            if (ec)
                throw ConfigError("[listener." + l.name + "] bind = " + show(b) + ": not an IP address; use e.g. 127.0.0.1:2525");
            tcp::endpoint ep(address, b.port);
            auto acceptor = std::make_unique<tcp::acceptor>(io_);
            acceptor->open(ep.protocol(), ec);
            if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
            if (!ec && ep.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
            if (!ec) acceptor->bind(ep, ec);
            if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
            if (ec)
                throw ConfigError("cannot listen on " + show(b) + " ([listener." + l.name + "]): " + ec.message() +
                                  "; stop whatever uses that address or change `bind =`");
            acceptors_.push_back(std::move(acceptor));
            acceptor_contexts_.push_back(ctx);
        }
    }
}

Server::~Server() {
    io_.stop();
    for (auto& w : workers_) w->stop();
    auth_pool_.join();
    delivery_pool_.join();
}

std::vector<tcp::endpoint> Server::local_endpoints() const {
    std::vector<tcp::endpoint> out;
    for (const auto& a : acceptors_) {
        boost::system::error_code ec;
        out.push_back(a->local_endpoint(ec));
    }
    return out;
}

int Server::run() {
    for (size_t i = 0; i < acceptors_.size(); ++i) {
        auto& a = *acceptors_[i];
        auto ep = a.local_endpoint();
        log::info("listening on " + ep.address().to_string() + ":" + std::to_string(ep.port()) + " (listener " +
                  acceptor_contexts_[i]->listener->name + ")");
        asio::co_spawn(io_, accept_loop(a, acceptor_contexts_[i]), asio::detached);
    }
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        log::info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ", shutting down");
        begin_shutdown();
    });
    std::vector<std::thread> pool;
    for (auto& w : workers_)
        pool.emplace_back([&io = *w] {
            DeferredLogLines lines(io);
            io.run();
        });
    {
        DeferredLogLines lines(io_);
        io_.run();
    }
    // io_ stops once every session is gone (or the grace period is over).
    worker_guards_.clear();
    for (auto& w : workers_) w->stop();
    for (auto& t : pool) t.join();
    log::info("stopped");
    return 0;
}

void Server::stop() {
    asio::post(io_, [this] { begin_shutdown(); });
}

asio::awaitable<void> Server::accept_loop(tcp::acceptor& acceptor, std::shared_ptr<const ListenerContext> ctx) {
    for (;;) {
        // Round robin over the network threads' io_contexts.
        const size_t pick = next_context_++ % threads_;
        tcp::socket socket(pick == 0 ? io_ : *workers_[pick - 1]);
        boost::system::error_code ec;
        co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) {
            // Out of file descriptors and the like: back off instead of spinning.
            log::warning("accept failed: " + ec.message());
            asio::steady_timer pause(io_, std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<smtp::Session>(std::make_unique<TcpTransport>(std::move(socket)), ctx)->start();
    }
}

void Server::begin_shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    registry_.begin_shutdown();
    signals_.cancel();
    for (auto& a : acceptors_) {
        boost::system::error_code ec;
        a->close(ec);
    }
    auto live = registry_.live();
    log::info("no longer accepting; " + std::to_string(live.size()) + " session(s) get up to " +
              std::to_string(config_.shutdown_grace_ms) + " ms to finish");
    for (auto& s : live) s->notify_shutdown();
    grace_timer_.expires_after(std::chrono::milliseconds(config_.shutdown_grace_ms));
    grace_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        forced_ = true;
        auto remaining = registry_.live();
        if (!remaining.empty())
            log::warning("grace period over; closing " + std::to_string(remaining.size()) + " session(s)");
        for (auto& s : remaining) s->force_close();
        grace_timer_.expires_after(kForceCloseWait);
        grace_timer_.async_wait([this](const boost::system::error_code& e) {
            if (!e) io_.stop();
        });
    });
    watch_drain();
}

void Server::watch_drain() {
    drain_timer_.expires_after(std::chrono::milliseconds(20));
    drain_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        if (registry_.size() == 0) {
            grace_timer_.cancel();
            io_.stop();
            return;
        }
        watch_drain();
    });
}

}  // namespace mailfw
