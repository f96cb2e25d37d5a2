#include "net/tcp_transport.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

namespace mailfw {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kLingerPoll = std::chrono::milliseconds(10);

std::string endpoint_ip(const tcp::endpoint& ep) {
    auto a = ep.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
    return a.to_string();
}
}  // namespace

TcpTransport::TcpTransport(tcp::socket socket) : socket_(std::move(socket)) {
    boost::system::error_code ec;
    const auto remote = socket_.remote_endpoint(ec);
    const auto local = socket_.local_endpoint(ec);
    endpoints_ = {endpoint_ip(remote), endpoint_ip(local), remote.port(), local.port()};
}

asio::awaitable<size_t> TcpTransport::read_some(asio::mutable_buffer into, boost::system::error_code& ec) {
    if (tls_) co_return co_await tls_->async_read_some(into, asio::redirect_error(asio::use_awaitable, ec));
    co_return co_await socket_.async_read_some(into, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> TcpTransport::write_all(asio::const_buffer bytes, boost::system::error_code& ec) {
    if (tls_)
        co_await asio::async_write(*tls_, bytes, asio::redirect_error(asio::use_awaitable, ec));
    else
        co_await asio::async_write(socket_, bytes, asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> TcpTransport::start_tls(asio::ssl::context& ctx, std::string& description,
                                              boost::system::error_code& ec) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, ctx);
    co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    handshake_done_ = true;
    SSL* ssl = tls_->native_handle();
    description = std::string(SSL_get_version(ssl)) + " " + SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
}

bool TcpTransport::input_pending() const {
    // OpenSSL may hold decrypted bytes the socket no longer shows.
    if (tls_ && SSL_pending(const_cast<SSL*>(tls_->native_handle())) > 0) return true;
    boost::system::error_code ec;
    return socket_.available(ec) > 0 && !ec;
}

void TcpTransport::cancel() {
    boost::system::error_code ec;
    socket_.cancel(ec);
}

asio::awaitable<void> TcpTransport::linger_close(const bool& give_up) {
    // Closing a socket with unread input makes the kernel answer with RST,
    // which throws away the replies still queued for the client: the 421 at
    // shutdown, a 554 or 501 before closing, the 221 after a pipelined QUIT.
    // So, as Apache httpd's lingering close: FIN after the queued replies,
    // then discard what the client still sends until it has acknowledged
    // every byte we sent (SIOCOUTQ), closes its side, or kLingerTime passes.
    boost::system::error_code ec;
    if (!socket_.is_open() || give_up) {
        close();
        co_return;
    }
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    const int fd = socket_.native_handle();
    const auto end = std::chrono::steady_clock::now() + kLingerTime;
    asio::steady_timer tick(socket_.get_executor());
    char sink[4096];
    while (!ec && !give_up) {
        bool peer_done = false;
        for (int reads = 0; reads < 16; ++reads) {  // at most 64 KiB per tick: a flood cannot hold the thread
            const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
            if (n > 0) continue;
            peer_done = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
            break;
        }
        int unacknowledged = 0;
        if (peer_done || ::ioctl(fd, SIOCOUTQ, &unacknowledged) != 0 || unacknowledged == 0) break;
        if (std::chrono::steady_clock::now() >= end) break;
        tick.expires_after(kLingerPoll);
        co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    close();
}

void TcpTransport::close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
}

}  // namespace mailfw
