#include "memory_transport.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>

namespace mailfw::test {

namespace asio = boost::asio;

MemoryTransport::MemoryTransport(asio::io_context& io, std::shared_ptr<MemoryPipe> pipe)
    : io_(io), pipe_(std::move(pipe)) {}

asio::awaitable<size_t> MemoryTransport::read_some(asio::mutable_buffer into, boost::system::error_code& ec) {
    for (;;) {
        if (cancelled_) {
            cancelled_ = false;
            ec = asio::error::operation_aborted;
            co_return 0;
        }
        if (!pipe_->to_server.empty()) {
            const size_t n = std::min(into.size(), pipe_->to_server.size());
            std::memcpy(into.data(), pipe_->to_server.data(), n);
            pipe_->to_server.erase(0, n);
            ec = {};
            co_return n;
        }
        if (pipe_->client_closed || pipe_->server_closed) {
            ec = asio::error::eof;
            co_return 0;
        }
        // Woken by the client writing or closing, or by cancel().
        pipe_->wake.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code ignored;
        co_await pipe_->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
}

asio::awaitable<void> MemoryTransport::write_all(asio::const_buffer bytes, boost::system::error_code& ec) {
    ec = pipe_->server_closed ? asio::error::broken_pipe : boost::system::error_code();
    if (!ec) pipe_->to_client.append(static_cast<const char*>(bytes.data()), bytes.size());
    co_return;
}

asio::awaitable<void> MemoryTransport::start_tls(asio::ssl::context&, std::string&, boost::system::error_code& ec) {
    ec = asio::error::operation_not_supported;  // TLS is tested over real sockets
    co_return;
}

void MemoryTransport::cancel() {
    cancelled_ = true;
    pipe_->wake.cancel();
}

asio::awaitable<void> MemoryTransport::linger_close(const bool&) {
    close();
    co_return;
}

}  // namespace mailfw::test
