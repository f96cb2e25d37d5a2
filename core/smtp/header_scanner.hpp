// Watches the message bytes (as produced by DataDecoder or BDAT) for what the
// end-of-data limits need: where the header section ends (RFC 5322 §2.1: the
// first empty line), how big it is, and how many Received: fields it holds
// in all (MaxHopCount) and stamped by this host (MaxLocalHopCount).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailfw::smtp {

class HeaderScanner {
public:
    // local_hostname: the name this server writes after "by" in its own
    // Received: stamps; compared case-insensitively. Empty: nothing is local.
    explicit HeaderScanner(std::string local_hostname);

    // Incremental: any split of the same bytes gives the same results. Bytes
    // after the end of the header section are ignored. Lines end at LF with
    // an optional CR before it (BDAT content is not checked for bare LF).
    void feed(std::string_view message_bytes);

    bool headers_complete() const { return complete_; }
    // Octets of the header section including the terminating empty line; while
    // incomplete, every octet fed so far.
    uint64_t header_bytes() const { return header_bytes_; }
    // Fields named "Received" at the start of a line (folded lines are part of
    // the field before them), case-insensitive, "Received :" included
    // (RFC 5322 §4.5.3, obs-received).
    unsigned received_count() const { return received_; }
    // Those of them containing "by <local_hostname>", where "by" starts the
    // field body or follows white space, any folding white space separates it
    // from the name, and the name is followed by a character that cannot
    // continue a hostname (anything but letters, digits, '.', '-', '_') or by
    // the end of the field.
    unsigned local_received_count() const { return local_received_; }

private:
    enum class State {
        line_start,     // nothing of the current line seen yet
        line_start_cr,  // the line so far is a lone CR
        name,           // matching "Received" at the start of a field
        name_blank,     // after "Received", before ':'
        received_body,  // in a Received: field body
        other_line,     // any other line: skip to LF
    };

    void received_char(char c);
    void match_char(char c);

    State state_ = State::line_start;
    bool complete_ = false;
    uint64_t header_bytes_ = 0;
    unsigned received_ = 0;
    unsigned local_received_ = 0;
    unsigned name_matched_ = 0;
    bool in_received_field_ = false;  // the field a continuation line would extend

    // Streaming match of " by <host>" (KMP over the lower-cased body with
    // white space runs collapsed to one SP).
    std::string pattern_;
    std::vector<unsigned> failure_;
    unsigned matched_ = 0;
    bool last_was_space_ = false;
    bool field_is_local_ = false;
};

}  // namespace mailfw::smtp
