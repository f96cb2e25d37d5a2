// The running server: a fixed pool of threads over one io_context, an
// accept loop per bound address, two bounded worker pools (SASL steps;
// blocking deliveries), and
// graceful shutdown on SIGTERM/SIGINT (stop accepting, let transactions in
// flight finish within the grace period, 421 4.3.2 to everyone else).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <memory>
#include <vector>

#include "config/server_config.hpp"
#include "plugin/plugin_host.hpp"
#include "server/listener_context.hpp"
#include "spool/spool_file.hpp"

namespace mailfw {

class Server {
public:
    // Prepares the spool, TLS and binds every listener; throws ConfigError
    // (e.g. "cannot listen on 127.0.0.1:2525 ([listener.x]): Address already in use; ...").
    Server(const ServerConfig& config, PluginHost& plugins);
    ~Server();

    // Serves until shutdown completes. Returns the process exit code.
    int run();
    // Begins a graceful shutdown (thread-safe), as SIGTERM does.
    void stop();

    // The addresses actually bound (port 0 resolved), in config order.
    std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

private:
    boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor,
                                             std::shared_ptr<const ListenerContext> ctx);
    void begin_shutdown();
    void watch_drain();

    // Order matters: sessions still pending when io_ is destroyed point at
    // registry_, tls_ and the spool pool, so those are declared (and outlive) it.
    const ServerConfig& config_;
    PluginHost& plugins_;
    unsigned threads_;
    SessionRegistry registry_;
    std::unique_ptr<boost::asio::ssl::context> tls_;
    std::unique_ptr<SpoolPool> spool_pool_;
    // One io_context per network thread, each run by that thread alone:
    // a session lives on one of them (round robin at accept), so its
    // handlers never run at once without a strand, and the threads share no
    // scheduler lock. io_ (the first) also runs the acceptors, signals and
    // shutdown timers; the others are kept running by their work guards.
    boost::asio::io_context io_;
    std::vector<std::unique_ptr<boost::asio::io_context>> workers_;
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> worker_guards_;
    size_t next_context_ = 0;  // touched by the accept loops, all on io_
    // Separate so that a flood of password checks cannot delay deliveries.
    boost::asio::thread_pool auth_pool_;
    boost::asio::thread_pool delivery_pool_;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
    std::vector<std::shared_ptr<const ListenerContext>> acceptor_contexts_;
    std::vector<std::shared_ptr<ListenerContext>> contexts_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer grace_timer_;
    boost::asio::steady_timer drain_timer_;
    bool shutting_down_ = false;
    bool forced_ = false;
};

}  // namespace mailfw
