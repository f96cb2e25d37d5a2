// Incremental decoder of the DATA transfer (RFC 5321 §4.1.4, §4.5.2): finds
// the end of the message and removes dot-stuffing, without any I/O.
//
// Against SMTP smuggling the message ends only at CRLF "." CRLF; a bare LF or
// a bare CR anywhere fails the transfer instead of being read as a line end,
// so this server never sees a different message end than a strict peer would.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailfw::smtp {

class DataDecoder {
public:
    enum class Status { need_more, done, failed };
    enum class Error { none, line_too_long, bare_cr, bare_lf };

    // Text line limit INCLUDING the CRLF, not counting a stuffed dot
    // (RFC 5321 §4.5.3.1.6).
    explicit DataDecoder(size_t max_line = 1000);

    // Consumes wire bytes; appends the message bytes (dot-unstuffed, CRLF
    // kept) to `out`. Returns how many input bytes were consumed.
    // - done: the terminating CRLF.CRLF was consumed (the final CRLF of the
    //   last line belongs to the message; the ".\r\n" does not). Bytes after
    //   it are NOT consumed (pipelined commands).
    // - A line longer than max_line: the first max_line - 2 octets of that line
    //   are kept, everything after is consumed and discarded until the
    //   terminator, then done with error() == line_too_long (framing intact;
    //   the message must be rejected).
    // - A bare LF (consumed) or bare CR (consumed; the octet after it is not):
    //   stop, status failed, error() bare_lf / bare_cr, even while discarding.
    //   "\n.\n", "\r.\r" and "\r\n.\n" never end the message.
    // Output, consumption and status do not depend on how the input is split
    // across calls. After done or failed, feed() consumes nothing.
    size_t feed(std::string_view in, std::string& out);

    Status status() const { return status_; }
    Error error() const { return error_; }
    uint64_t message_bytes() const { return message_bytes_; }  // appended to out so far

private:
    enum class State { line_start, in_line, cr, dot, dot_cr };

    size_t max_content_;  // octets of a line before its CRLF
    State state_ = State::line_start;
    Status status_ = Status::need_more;
    Error error_ = Error::none;
    bool discarding_ = false;
    size_t line_length_ = 0;
    uint64_t message_bytes_ = 0;
};

}  // namespace mailfw::smtp
