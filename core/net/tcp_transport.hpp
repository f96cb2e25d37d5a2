// A session's TCP connection, with TLS on demand (STARTTLS or implicit).
#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>

#include "net/transport.hpp"

namespace mailfw {

class TcpTransport final : public Transport {
public:
    explicit TcpTransport(boost::asio::ip::tcp::socket socket);

    boost::asio::any_io_executor executor() override { return socket_.get_executor(); }
    Endpoints endpoints() const override { return endpoints_; }
    boost::asio::awaitable<size_t> read_some(boost::asio::mutable_buffer into, boost::system::error_code& ec) override;
    boost::asio::awaitable<void> write_all(boost::asio::const_buffer bytes, boost::system::error_code& ec) override;
    boost::asio::awaitable<void> start_tls(boost::asio::ssl::context& ctx, std::string& description,
                                           boost::system::error_code& ec) override;
    bool tls_active() const override { return tls_ != nullptr && handshake_done_; }
    bool input_pending() const override;
    void cancel() override;
    boost::asio::awaitable<void> linger_close(const bool& give_up) override;
    void close() override;

private:
    boost::asio::ip::tcp::socket socket_;
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
    bool handshake_done_ = false;
    Endpoints endpoints_;
};

}  // namespace mailfw
