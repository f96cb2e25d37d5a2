#include "smtp/data_decoder.hpp"

#include <cstring>

namespace mailfw::smtp {

DataDecoder::DataDecoder(size_t max_line) : max_content_(max_line > 2 ? max_line - 2 : 0) {}

// Message bytes are the input bytes minus stuffed dots, the terminator and
// discarded text, so they are appended as runs of the input: `run` is the
// start of the bytes not yet appended, flushed when a dot is dropped, a CR
// is held back or the call ends.
size_t DataDecoder::feed(std::string_view in, std::string& out) {
    if (status_ != Status::need_more || in.empty()) return 0;
    const char* const data = in.data();
    const size_t n = in.size();
    size_t i = 0;
    size_t run = 0;

    const auto flush = [&](size_t end) {
        if (!discarding_ && end > run) {
            out.append(data + run, end - run);
            message_bytes_ += end - run;
        }
        run = end;
    };
    const auto fail = [&](Error e) {
        status_ = Status::failed;
        error_ = e;
    };
    // Counts [from, to) as content of the current line; past the limit the
    // rest of the message is discarded (the prefix up to the limit is kept).
    const auto content = [&](size_t from, size_t to) {
        if (discarding_) return;
        const size_t room = max_content_ - line_length_;
        if (to - from > room) {
            flush(from + room);
            discarding_ = true;
            error_ = Error::line_too_long;
        } else {
            line_length_ += to - from;
        }
    };

    while (i < n) {
        switch (state_) {
        case State::line_start:
            if (data[i] == '.') {
                flush(i);  // a leading dot is never message text (§4.5.2)
                run = ++i;
                state_ = State::dot;
            } else {
                state_ = State::in_line;
                line_length_ = 0;
            }
            break;

        case State::dot:
            if (data[i] == '\r') {
                run = ++i;
                state_ = State::dot_cr;
            } else if (data[i] == '\n') {
                run = ++i;
                fail(Error::bare_lf);
                return i;
            } else {
                state_ = State::in_line;  // stuffed dot dropped, the line goes on
                line_length_ = 0;
            }
            break;

        case State::dot_cr:
            if (data[i] == '\n') {
                status_ = Status::done;
                return i + 1;
            }
            fail(Error::bare_cr);
            return i;

        case State::cr:
            if (data[i] != '\n') {
                // The held-back CR is at i - 1 when it came in this call.
                flush(i == 0 ? 0 : i - 1);
                fail(Error::bare_cr);
                return i;
            }
            if (i == 0 && !discarding_) {
                // CR held back at the end of the previous call.
                out.push_back('\r');
                ++message_bytes_;
            }
            ++i;
            state_ = State::line_start;
            break;

        case State::in_line: {
            const auto* cr = static_cast<const char*>(std::memchr(data + i, '\r', n - i));
            const size_t end = cr ? static_cast<size_t>(cr - data) : n;
            const auto* lf = static_cast<const char*>(std::memchr(data + i, '\n', end - i));
            if (lf) {
                const size_t at = static_cast<size_t>(lf - data);
                content(i, at);
                flush(at);
                run = at + 1;
                fail(Error::bare_lf);
                return at + 1;
            }
            content(i, end);
            if (cr) {
                i = end + 1;
                state_ = State::cr;
            } else {
                i = n;
            }
            break;
        }
        }
    }
    // A CR at the very end waits for its LF in the next call.
    flush(state_ == State::cr ? n - 1 : n);
    return n;
}

}  // namespace mailfw::smtp
