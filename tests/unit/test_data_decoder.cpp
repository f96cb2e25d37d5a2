#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "smtp/data_decoder.hpp"

using mailfw::smtp::DataDecoder;
using Status = DataDecoder::Status;
using Error = DataDecoder::Error;

namespace {

struct Outcome {
    Status status;
    Error error;
    std::string message;
    size_t consumed;
    uint64_t message_bytes;

    bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    return os << "status=" << static_cast<int>(o.status) << " error=" << static_cast<int>(o.error)
              << " consumed=" << o.consumed << " bytes=" << o.message_bytes << " message=\"" << o.message << '"';
}

// Feeds `wire` in the given pieces; like a session, a piece is offered
// again from where the decoder stopped until it stops consuming.
Outcome run(std::string_view wire, const std::vector<size_t>& cuts, size_t max_line = 1000) {
    DataDecoder d(max_line);
    Outcome o{};
    size_t start = 0;
    std::vector<size_t> bounds = cuts;
    bounds.push_back(wire.size());
    for (const size_t end : bounds) {
        const size_t used = d.feed(wire.substr(start, end - start), o.message);
        o.consumed += used;
        if (d.status() != Status::need_more) break;
        EXPECT_EQ(used, end - start) << "need_more must consume everything";
        start = end;
    }
    o.status = d.status();
    o.error = d.error();
    o.message_bytes = d.message_bytes();
    return o;
}

Outcome one_shot(std::string_view wire, size_t max_line = 1000) { return run(wire, {}, max_line); }

// One shot, one byte at a time and every 2-way split must give the same result.
Outcome checked(std::string_view wire, size_t max_line = 1000) {
    const Outcome expected = one_shot(wire, max_line);
    EXPECT_EQ(expected.message_bytes, expected.message.size());
    std::vector<size_t> every;
    for (size_t i = 1; i < wire.size(); ++i) every.push_back(i);
    EXPECT_EQ(run(wire, every, max_line), expected) << "byte by byte";
    for (size_t i = 0; i <= wire.size(); ++i) EXPECT_EQ(run(wire, {i}, max_line), expected) << "split at " << i;
    for (size_t i = 0; i + 1 < wire.size(); ++i) EXPECT_EQ(run(wire, {i, i + 1}, max_line), expected) << "3-way at " << i;
    return expected;
}

void expect_done(std::string_view wire, std::string_view message, size_t consumed, size_t max_line = 1000) {
    const Outcome o = checked(wire, max_line);
    EXPECT_EQ(o.status, Status::done) << o;
    EXPECT_EQ(o.error, Error::none) << o;
    EXPECT_EQ(o.message, message);
    EXPECT_EQ(o.consumed, consumed);
    EXPECT_EQ(o.message_bytes, message.size());
}

void expect_failed(std::string_view wire, Error error, std::string_view message, size_t consumed) {
    const Outcome o = checked(wire);
    EXPECT_EQ(o.status, Status::failed) << o;
    EXPECT_EQ(o.error, error) << o;
    EXPECT_EQ(o.message, message);
    EXPECT_EQ(o.consumed, consumed);
}

void expect_need_more(std::string_view wire, std::string_view message) {
    const Outcome o = checked(wire);
    EXPECT_EQ(o.status, Status::need_more) << o;
    EXPECT_EQ(o.error, Error::none) << o;
    EXPECT_EQ(o.message, message);
    EXPECT_EQ(o.consumed, wire.size());
}

}  // namespace

TEST(DataDecoder, SimpleMessage) {
    expect_done("Subject: hi\r\n\r\nbody\r\n.\r\n", "Subject: hi\r\n\r\nbody\r\n", 24);
}

TEST(DataDecoder, EmptyMessage) { expect_done(".\r\n", "", 3); }

TEST(DataDecoder, OnlyEmptyLines) { expect_done("\r\n\r\n.\r\n", "\r\n\r\n", 7); }

TEST(DataDecoder, PipelinedBytesAfterTheTerminatorAreNotConsumed) {
    const std::string wire = "a\r\n.\r\nQUIT\r\n";
    expect_done(wire, "a\r\n", 6);
    DataDecoder d;
    std::string out;
    EXPECT_EQ(d.feed(wire, out), 6u);
    EXPECT_EQ(d.status(), Status::done);
    // Nothing more is taken after done.
    EXPECT_EQ(d.feed("QUIT\r\n", out), 0u);
    EXPECT_EQ(out, "a\r\n");
}

TEST(DataDecoder, DotUnstuffing) {
    expect_done("..\r\n.\r\n", ".\r\n", 7);
    expect_done("...\r\n.\r\n", "..\r\n", 8);
    expect_done("..x\r\n.\r\n", ".x\r\n", 8);
    expect_done(".x\r\n.\r\n", "x\r\n", 7);  // RFC 5321 §4.5.2: the first dot is always removed
    expect_done("a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n", 13);
    expect_done("a.\r\n.b\r\n.\r\n", "a.\r\nb\r\n", 11);
    expect_done("x\r\n. \r\n.\r\n", "x\r\n \r\n", 10);
}

TEST(DataDecoder, DotsInsideLinesAreData) {
    expect_done("a.b\r\n.\r\n", "a.b\r\n", 8);
    expect_done("a\r\nb.\r\n.\r\n", "a\r\nb.\r\n", 10);
}

TEST(DataDecoder, NeedsMoreUntilTheTerminator) {
    expect_need_more("", "");
    expect_need_more("abc", "abc");
    expect_need_more("abc\r", "abc");  // the CR waits for its LF
    expect_need_more("abc\r\n", "abc\r\n");
    expect_need_more("abc\r\n.", "abc\r\n");
    expect_need_more("abc\r\n.\r", "abc\r\n");
    expect_need_more(".", "");
    expect_need_more("..", ".");
}

TEST(DataDecoder, BareLfIsRejected) {
    expect_failed("abc\n", Error::bare_lf, "abc", 4);
    expect_failed("\n.\n", Error::bare_lf, "", 1);
    expect_failed("a\n.\r\n", Error::bare_lf, "a", 2);
    expect_failed("a\r\n.\n", Error::bare_lf, "a\r\n", 5);  // "\r\n.\n" never ends the message
    expect_failed("a\r\n\n.\r\n", Error::bare_lf, "a\r\n", 4);
    expect_failed("\n", Error::bare_lf, "", 1);
    expect_failed(".\n", Error::bare_lf, "", 2);
    expect_failed("..\n", Error::bare_lf, ".", 3);
}

TEST(DataDecoder, BareCrIsRejected) {
    expect_failed("abc\rd", Error::bare_cr, "abc", 4);
    expect_failed("\r.\r\n", Error::bare_cr, "", 1);
    expect_failed("a\r.\r", Error::bare_cr, "a", 2);  // "\r.\r" never ends the message
    expect_failed("a\r\n.\r\r\n", Error::bare_cr, "a\r\n", 5);
    expect_failed("a\r\r\n.\r\n", Error::bare_cr, "a", 2);
    expect_failed(".\rx", Error::bare_cr, "", 2);
    expect_failed("\r\r", Error::bare_cr, "", 1);
}

TEST(DataDecoder, SmugglingSequencesNeverEndTheMessage) {
    for (const char* smuggle : {"\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\r"}) {
        const std::string wire = std::string("Subject: x\r\n\r\nbody") + smuggle + "MAIL FROM:<evil@example>\r\n";
        const Outcome o = checked(wire);
        EXPECT_NE(o.status, Status::done) << wire;
    }
    // Valid wire never yields a message containing an isolated CR or LF.
    const Outcome ok = checked("a\r\n\r\n..\r\n.\r\n");
    EXPECT_EQ(ok.message, "a\r\n\r\n.\r\n");
}

TEST(DataDecoder, LineLengthLimitIncludesCrlf) {
    const std::string ok998(998, 'x');
    expect_done(ok998 + "\r\n.\r\n", ok998 + "\r\n", 1003);
    // A stuffed dot is not counted (RFC 5321 §4.5.3.1.6).
    expect_done("." + std::string(998, '.') + "\r\n.\r\n", std::string(998, '.') + "\r\n", 1004);

    const std::string long999(999, 'y');
    const Outcome o = one_shot("first\r\n" + long999 + "\r\nmore\r\n.\r\nNOOP\r\n");
    EXPECT_EQ(o.status, Status::done);
    EXPECT_EQ(o.error, Error::line_too_long);
    EXPECT_EQ(o.consumed, 7 + 1001 + 6 + 3u);  // framing intact: stops at the terminator
    EXPECT_EQ(o.message, "first\r\n" + std::string(998, 'y'));  // the rest is discarded
    EXPECT_EQ(o.message_bytes, o.message.size());
}

TEST(DataDecoder, LongLinesWithSmallLimitAtEverySplit) {
    // max_line 6 → at most 4 octets before CRLF.
    expect_done("abcd\r\n.\r\n", "abcd\r\n", 9, 6);
    for (const char* wire : {"abcde\r\n.\r\n", "ok\r\nabcdefghij\r\nxy\r\n.\r\n", "..abcde\r\n.\r\n", "abcdefgh"}) {
        const Outcome o = checked(wire, 6);
        EXPECT_EQ(o.error, Error::line_too_long) << wire;
    }
    const Outcome o = checked("ok\r\nabcdefghij\r\nxy\r\n.\r\nRSET\r\n", 6);
    EXPECT_EQ(o.status, Status::done);
    EXPECT_EQ(o.message, "ok\r\nabcd");
    EXPECT_EQ(o.consumed, 23u);
}

TEST(DataDecoder, BareLineEndingsStillFailWhileDiscarding) {
    const Outcome o = checked("abcdefgh\r\nx\ny\r\n.\r\n", 6);
    EXPECT_EQ(o.status, Status::failed);
    EXPECT_EQ(o.error, Error::bare_lf);
    EXPECT_EQ(o.message, "abcd");
    EXPECT_EQ(o.consumed, 12u);
    const Outcome c = checked("abcdefgh\rx\r\n.\r\n", 6);
    EXPECT_EQ(c.status, Status::failed);
    EXPECT_EQ(c.error, Error::bare_cr);
}

TEST(DataDecoder, OctetsAreTransparent) {
    std::string body;
    for (int i = 0; i < 256; ++i)
        if (i != '\r' && i != '\n') body.push_back(static_cast<char>(i));
    expect_done(body + "\r\n.\r\n", body + "\r\n", body.size() + 5);
    expect_done(std::string("\0\0\r\n.\r\n", 7), std::string("\0\0\r\n", 4), 7);
}

TEST(DataDecoder, FeedAfterFailureConsumesNothing) {
    DataDecoder d;
    std::string out;
    EXPECT_EQ(d.feed("a\nb", out), 2u);
    EXPECT_EQ(d.status(), Status::failed);
    EXPECT_EQ(d.feed("\r\n.\r\n", out), 0u);
    EXPECT_EQ(d.status(), Status::failed);
    EXPECT_EQ(d.error(), Error::bare_lf);
    EXPECT_EQ(out, "a");
}

TEST(DataDecoder, AppendsToExistingOutput) {
    DataDecoder d;
    std::string out = "prefix:";
    d.feed("x\r\n.\r\n", out);
    EXPECT_EQ(out, "prefix:x\r\n");
    EXPECT_EQ(d.message_bytes(), 3u);
}

TEST(DataDecoder, LargeMessageInChunks) {
    std::string wire;
    std::string message;
    for (int i = 0; i < 5000; ++i) {
        std::string line = (i % 7 == 0 ? "." : "") + std::string(static_cast<size_t>(i % 120), 'a' + i % 26);
        wire += (line.starts_with(".") ? "." : "") + line + "\r\n";
        message += line + "\r\n";
    }
    wire += ".\r\n";
    for (const size_t chunk : {1u, 2u, 3u, 7u, 64u, 4096u, 65536u}) {
        std::vector<size_t> cuts;
        for (size_t c = chunk; c < wire.size(); c += chunk) cuts.push_back(c);
        const Outcome o = run(wire, cuts);
        EXPECT_EQ(o.status, Status::done);
        EXPECT_EQ(o.error, Error::none);
        EXPECT_EQ(o.message, message);
        EXPECT_EQ(o.consumed, wire.size());
    }
}

TEST(DataDecoder, Throughput) {
    // The hot path of every message: 100 KB bodies at >= 150 MB/s per core.
    std::string body;
    while (body.size() < 100 * 1024) body += "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempo\r\n";
    const std::string wire = body + ".\r\n";
    std::string out;
    out.reserve(body.size());
    const auto start = std::chrono::steady_clock::now();
    size_t total = 0;
    int rounds = 0;
    while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200)) {
        for (int k = 0; k < 10; ++k, ++rounds) {
            DataDecoder d;
            out.clear();
            for (size_t pos = 0; pos < wire.size(); pos += 16384) d.feed(std::string_view(wire).substr(pos, 16384), out);
            ASSERT_EQ(d.status(), Status::done);
            total += wire.size();
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double mb_per_s = static_cast<double>(total) / seconds / 1e6;
    RecordProperty("MBps", static_cast<int>(mb_per_s));
    // Generous: sanitizer and debug builds are much slower than release.
    EXPECT_GT(mb_per_s, 20.0) << rounds << " rounds";
}
