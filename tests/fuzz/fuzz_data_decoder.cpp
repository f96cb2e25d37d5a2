// Fuzz target for the DATA decoder. The first input byte picks a split point
// and a line limit; the rest is the wire. Checked: a split feed, a one-shot
// feed and (for small inputs) a byte-at-a-time feed agree on everything; a
// finished message holds no bare CR or LF; dot-stuffing a decoded message
// again and decoding it gives it back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/data_decoder.hpp"

using mailfw::smtp::DataDecoder;

namespace {

struct Outcome {
    DataDecoder::Status status;
    DataDecoder::Error error;
    size_t consumed;
    uint64_t message_bytes;
    std::string message;

    bool operator==(const Outcome&) const = default;
};

// Feeds `wire` in pieces of at most `chunk` (first piece `first`), as a
// session does: a piece that needs more is always consumed whole.
Outcome decode(std::string_view wire, size_t max_line, size_t first, size_t chunk) {
    DataDecoder d(max_line);
    Outcome o{};
    size_t pos = 0;
    size_t piece = first;
    while (true) {
        const std::string_view part = wire.substr(pos, piece);
        const size_t used = d.feed(part, o.message);
        FUZZ_CHECK(used <= part.size());
        o.consumed += used;
        if (d.status() != DataDecoder::Status::need_more) break;
        FUZZ_CHECK(used == part.size());
        pos += part.size();
        if (pos >= wire.size()) break;
        piece = chunk;
    }
    o.status = d.status();
    o.error = d.error();
    o.message_bytes = d.message_bytes();
    FUZZ_CHECK(o.message_bytes == o.message.size());
    FUZZ_CHECK(d.feed(wire.substr(o.consumed), o.message) == 0 || o.status == DataDecoder::Status::need_more);
    return o;
}

std::string dot_stuff(std::string_view message) {
    std::string wire;
    bool line_start = true;
    for (const char c : message) {
        if (line_start && c == '.') wire += '.';
        wire += c;
        line_start = c == '\n';
    }
    return wire + ".\r\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t selector = data[0];
    const std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);
    const size_t split = wire.size() * selector / 255;
    // Mostly the real limit; sometimes a tiny one so that long lines happen.
    const size_t max_line = (selector & 1) ? 1000 : 3 + selector % 13;

    const Outcome whole = decode(wire, max_line, wire.size(), wire.size());
    const Outcome halves = decode(wire, max_line, split, wire.size());
    FUZZ_CHECK(whole == halves);
    if (wire.size() <= 2048) FUZZ_CHECK(decode(wire, max_line, 1, 1) == whole);
    FUZZ_CHECK(decode(wire, max_line, split, 7) == whole);

    if (whole.status == DataDecoder::Status::done) {
        const std::string_view taken = wire.substr(0, whole.consumed);
        FUZZ_CHECK(taken.size() >= 3 && taken.substr(taken.size() - 3) == ".\r\n");
        FUZZ_CHECK(taken.size() == 3 || taken.substr(taken.size() - 5, 2) == "\r\n");
    }
    if (whole.status == DataDecoder::Status::failed)
        FUZZ_CHECK(whole.error == DataDecoder::Error::bare_cr || whole.error == DataDecoder::Error::bare_lf);

    if (whole.status == DataDecoder::Status::done && whole.error == DataDecoder::Error::none) {
        const std::string& m = whole.message;
        // Every CR is followed by LF and every LF preceded by CR; it ends in CRLF.
        for (size_t i = 0; i < m.size(); ++i) {
            if (m[i] == '\r') FUZZ_CHECK(i + 1 < m.size() && m[i + 1] == '\n');
            if (m[i] == '\n') FUZZ_CHECK(i > 0 && m[i - 1] == '\r');
        }
        FUZZ_CHECK(m.empty() || (m.size() >= 2 && m.substr(m.size() - 2) == "\r\n"));
        // Dot-stuffing is the inverse of decoding.
        const std::string restuffed = dot_stuff(m);
        const Outcome again = decode(restuffed, max_line, restuffed.size(), restuffed.size());
        FUZZ_CHECK(again.status == DataDecoder::Status::done && again.error == DataDecoder::Error::none);
        FUZZ_CHECK(again.consumed == restuffed.size() && again.message == m);
    }
    return 0;
}
