// Finds a bare CR or a bare LF in a byte stream that arrives in pieces
// (BDAT chunks): the same SMTP-smuggling rule DATA applies (RFC 5321
// §2.3.8), kept across chunk boundaries. Pure, for fuzzing and unit tests.
#pragma once
#include <string_view>

namespace mailfw::smtp {

class LineEndingCheck {
public:
    enum class Error { none, bare_cr, bare_lf };

    // Feeds the next piece; once an error is found it stays.
    void feed(std::string_view bytes) noexcept {
        for (char c : bytes) {
            if (error_ != Error::none) return;
            if (pending_cr_) {
                pending_cr_ = false;
                if (c != '\n') {
                    error_ = Error::bare_cr;
                    return;
                }
                continue;
            }
            if (c == '\r') pending_cr_ = true;
            else if (c == '\n') error_ = Error::bare_lf;
        }
    }
    // At the end of the message: a CR still waiting for its LF is bare.
    Error finish() noexcept {
        if (error_ == Error::none && pending_cr_) error_ = Error::bare_cr;
        pending_cr_ = false;
        return error_;
    }
    Error error() const noexcept { return error_; }

private:
    bool pending_cr_ = false;
    Error error_ = Error::none;
};

}  // namespace mailfw::smtp
