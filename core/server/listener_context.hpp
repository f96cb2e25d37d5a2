// What every session of one listener shares: its configuration, the plugin
// host, TLS, the worker pools (SASL steps; blocking deliveries), and the registry the
// server uses to reach live sessions at shutdown.
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "config/server_config.hpp"
#include "plugin/plugin_host.hpp"
#include "spool/spool_file.hpp"

namespace mailfw {

namespace smtp {
class Session;
}

class SessionRegistry {
public:
    void add(uint64_t id, std::weak_ptr<smtp::Session> s);
    void remove(uint64_t id);
    std::vector<std::shared_ptr<smtp::Session>> live() const;
    size_t size() const;
    bool shutting_down() const { return shutting_down_.load(); }
    void begin_shutdown() { shutting_down_.store(true); }

private:
    mutable std::mutex mutex_;
    std::unordered_map<uint64_t, std::weak_ptr<smtp::Session>> sessions_;
    std::atomic<bool> shutting_down_{false};
};

struct ListenerContext {
    const ServerConfig* server = nullptr;
    const ListenerConfig* listener = nullptr;
    PluginHost* plugins = nullptr;
    boost::asio::ssl::context* tls = nullptr;  // null: no [tls] configured
    boost::asio::thread_pool* auth_pool = nullptr;      // SASL steps: CPU-bound hashing, KDC calls
    boost::asio::thread_pool* delivery_pool = nullptr;  // BLOCKING deliveries: disk I/O, fsync
    SessionRegistry* registry = nullptr;
    SpoolPool* spool_pool = nullptr;  // the spool directory's files, reused
};

// Connection ids are unique for the process lifetime, across listeners.
uint64_t next_connection_id();

}  // namespace mailfw
