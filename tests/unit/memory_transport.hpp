// A Transport over memory, for driving a whole Session in a unit test
// without sockets: the test is the client. Everything runs on one
// io_context in the test's own thread; the test pumps it while it waits.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "net/transport.hpp"

namespace mailfw::test {

// The two directions between the test (client) and the session (server).
struct MemoryPipe {
    explicit MemoryPipe(boost::asio::io_context& io) : wake(io) {}
    std::string to_server, to_client;
    bool client_closed = false;  // the client sent FIN
    bool server_closed = false;  // the session closed its side
    boost::asio::steady_timer wake;  // a pending server read waits on it
};

class MemoryTransport final : public Transport {
public:
    MemoryTransport(boost::asio::io_context& io, std::shared_ptr<MemoryPipe> pipe);
    boost::asio::any_io_executor executor() override { return io_.get_executor(); }
    Endpoints endpoints() const override { return {"192.0.2.10", "192.0.2.1", 40000, 25}; }
    boost::asio::awaitable<size_t> read_some(boost::asio::mutable_buffer into, boost::system::error_code& ec) override;
    boost::asio::awaitable<void> write_all(boost::asio::const_buffer bytes, boost::system::error_code& ec) override;
    boost::asio::awaitable<void> start_tls(boost::asio::ssl::context&, std::string&, boost::system::error_code& ec) override;
    bool tls_active() const override { return false; }
    void cancel() override;
    boost::asio::awaitable<void> linger_close(const bool&) override;
    void close() override { pipe_->server_closed = true; }

private:
    boost::asio::io_context& io_;
    std::shared_ptr<MemoryPipe> pipe_;
    bool cancelled_ = false;
};

}  // namespace mailfw::test
