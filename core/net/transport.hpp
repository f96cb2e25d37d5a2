// The byte stream an SMTP session talks over. The server gives each session
// a TcpTransport (TCP, TLS on demand); the state-machine tests give it a
// memory stream, so a whole Session runs without sockets. All calls are made
// on the session's executor (one thread runs it).
#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <string>

namespace mailfw {

class Transport {
public:
    virtual ~Transport() = default;

    virtual boost::asio::any_io_executor executor() = 0;

    struct Endpoints {
        std::string remote_ip, local_ip;  // IPv4-mapped IPv6 shown as IPv4
        uint16_t remote_port = 0, local_port = 0;
    };
    virtual Endpoints endpoints() const = 0;

    // One read of what is there (at least a byte), or ec set (eof, aborted by cancel()).
    virtual boost::asio::awaitable<size_t> read_some(boost::asio::mutable_buffer into, boost::system::error_code& ec) = 0;
    virtual boost::asio::awaitable<void> write_all(boost::asio::const_buffer bytes, boost::system::error_code& ec) = 0;
    // Has the client sent bytes nobody has read yet (pipelined ahead)?
    // Without blocking; false when it cannot tell.
    virtual bool input_pending() const { return false; }

    // The server side of a TLS handshake over this stream; later reads and
    // writes are encrypted. `description` gets e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
    virtual boost::asio::awaitable<void> start_tls(boost::asio::ssl::context& ctx, std::string& description,
                                                   boost::system::error_code& ec) = 0;
    virtual bool tls_active() const = 0;

    // Ends a pending read or write with operation_aborted (any number of times).
    virtual void cancel() = 0;
    // After the last reply: FIN, then drain what the peer still sends until it
    // has everything, a short time passes or `give_up` becomes true (checked
    // as it waits), then close (see TcpTransport).
    virtual boost::asio::awaitable<void> linger_close(const bool& give_up) = 0;
    virtual void close() = 0;
};

}  // namespace mailfw
