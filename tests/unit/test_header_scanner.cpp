#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtp/header_scanner.hpp"

using mailfw::smtp::HeaderScanner;

namespace {

struct Result {
    bool complete;
    uint64_t header_bytes;
    unsigned received;
    unsigned local;

    bool operator==(const Result&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Result& r) {
    return os << "complete=" << r.complete << " header_bytes=" << r.header_bytes << " received=" << r.received
              << " local=" << r.local;
}

Result scan(std::string_view message, const std::vector<size_t>& cuts, const std::string& host) {
    HeaderScanner s(host);
    size_t start = 0;
    std::vector<size_t> bounds = cuts;
    bounds.push_back(message.size());
    for (const size_t end : bounds) {
        s.feed(message.substr(start, end - start));
        start = end;
    }
    return Result{s.headers_complete(), s.header_bytes(), s.received_count(), s.local_received_count()};
}

// The result must not depend on how the bytes are split.
Result checked(std::string_view message, const std::string& host = "mx.example.com") {
    const Result expected = scan(message, {}, host);
    std::vector<size_t> every;
    for (size_t i = 1; i < message.size(); ++i) every.push_back(i);
    EXPECT_EQ(scan(message, every, host), expected) << "byte by byte";
    for (size_t i = 0; i <= message.size(); ++i) EXPECT_EQ(scan(message, {i}, host), expected) << "split at " << i;
    return expected;
}

}  // namespace

TEST(HeaderScanner, FindsTheEndOfTheHeaderSection) {
    const std::string headers = "From: a@example.org\r\nSubject: hello\r\n\r\n";
    const Result r = checked(headers + "body\r\n\r\nmore: not a header\r\n");
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.header_bytes, headers.size());
    EXPECT_EQ(r.received, 0u);
}

TEST(HeaderScanner, IncompleteCountsEverythingSoFar) {
    const Result r = checked("From: a@example.org\r\nSubject: hel");
    EXPECT_FALSE(r.complete);
    EXPECT_EQ(r.header_bytes, 33u);
    const Result cr = checked("From: a\r\n\r");  // CR of a possible empty line
    EXPECT_FALSE(cr.complete);
    EXPECT_EQ(cr.header_bytes, 10u);
    const Result empty = checked("");
    EXPECT_FALSE(empty.complete);
    EXPECT_EQ(empty.header_bytes, 0u);
}

TEST(HeaderScanner, MessageWithoutHeaders) {
    const Result r = checked("\r\nbody\r\n");
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.header_bytes, 2u);
}

TEST(HeaderScanner, LfOnlyLinesFromBdat) {
    const std::string headers = "Received: from a by mx.example.com\nSubject: x\n\n";
    const Result r = checked(headers + "body\n");
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.header_bytes, headers.size());
    EXPECT_EQ(r.received, 1u);
    EXPECT_EQ(r.local, 1u);
}

TEST(HeaderScanner, BlankOnlyLineIsNotTheEnd) {
    // A line of white space is a continuation (obsolete syntax), not the separator.
    const Result r = checked("A: b\r\n \r\nC: d\r\n\r\n");
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.header_bytes, 17u);
    const Result cr = checked("A: b\r\n\r \r\nC: d\r\n\r\n");  // CR not followed by LF is text
    EXPECT_TRUE(cr.complete);
    EXPECT_EQ(cr.header_bytes, 18u);
}

TEST(HeaderScanner, CountsReceivedFields) {
    const std::string m =
        "Received: from a.example (a.example [192.0.2.1])\r\n"
        "\tby relay.example.net with ESMTP id 1; Sun, 22 Nov 2026 13:00:00 +0000\r\n"
        "RECEIVED: from b\r\n"
        "received:from c\r\n"
        "Received : from d (obsolete form, RFC 5322 §4.5.3)\r\n"
        "Received\t: from e\r\n"
        "Subject: Received: not a field name here\r\n"
        "X-Received: no\r\n"
        "Received-SPF: pass\r\n"
        "Receive: no\r\n"
        "Received no colon\r\n"
        " Received: continuation line, not a field\r\n"
        "\r\n"
        "Received: in the body, not counted\r\n";
    const Result r = checked(m);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.received, 5u);
    EXPECT_EQ(r.local, 0u);
}

TEST(HeaderScanner, CountsLocalReceivedFields) {
    const std::string m =
        "Received: from a by mx.example.com with ESMTP\r\n"          // local
        "Received: from b\r\n\tby MX.Example.COM (mailfw);\r\n\tdate\r\n"  // local, folded, any case
        "Received: from c by mx.example.com.evil.example\r\n"        // a different host
        "Received: from d by mx.example.comx\r\n"                    // a different host
        "Received: from e by amx.example.com\r\n"                    // a different host
        "Received: from f by\r\n mx.example.com\r\n"                 // local: folding between by and name
        "Received: by mx.example.com; Sun, 22 Nov 2026\r\n"          // local: by opens the body
        "Received:by mx.example.com\r\n"                             // local
        "Received: from g nearby mx.example.com\r\n"                 // "by" is not a word here
        "Received: from mx.example.com by other.example\r\n"         // from, not by
        "Received: from h (by mx.example.com)\r\n"                   // "(by": not after white space
        "Received: from i by  \t mx.example.com(comment)\r\n"        // local
        "Received: from j by mx.example.com by mx.example.com\r\n"   // local, counted once
        "X-Note: by mx.example.com\r\n"                              // not a Received field
        "\r\n";
    const Result r = checked(m);
    EXPECT_EQ(r.received, 13u);
    EXPECT_EQ(r.local, 7u);
}

TEST(HeaderScanner, HostNameAtTheVeryEndOfTheHeaders) {
    const Result r = checked("Received: from x by mx.example.com\r\n\r\n");
    EXPECT_EQ(r.local, 1u);
    const Result lf = checked("Received: from x by mx.example.com\n\n");
    EXPECT_EQ(lf.local, 1u);
    // Not yet known while the name may still go on.
    const Result open = checked("Received: from x by mx.example.com");
    EXPECT_EQ(open.local, 0u);
    EXPECT_EQ(open.received, 1u);
}

TEST(HeaderScanner, SelfOverlappingHostName) {
    // KMP fallback: " by by by" inside " by by by by" style names.
    const Result r = checked("Received: from x by by by\r\n\r\n", "by");
    EXPECT_EQ(r.local, 1u);
    const Result r2 = checked("Received: by b by bb\r\n\r\n", "bb");
    EXPECT_EQ(r2.local, 1u);
    const Result r3 = checked("Received: by aab by aa by aaa\r\n\r\n", "aa");
    EXPECT_EQ(r3.local, 1u);
    const Result r4 = checked("Received: by aab by aaa\r\n\r\n", "aa");
    EXPECT_EQ(r4.local, 0u);
}

TEST(HeaderScanner, EmptyLocalHostNameMatchesNothing) {
    const Result r = checked("Received: by \r\nReceived: by x\r\n\r\n", "");
    EXPECT_EQ(r.received, 2u);
    EXPECT_EQ(r.local, 0u);
}

TEST(HeaderScanner, BytesAfterTheHeaderSectionAreIgnored) {
    HeaderScanner s("mx.example.com");
    s.feed("Received: by mx.example.com\r\n\r\n");
    ASSERT_TRUE(s.headers_complete());
    s.feed("Received: by mx.example.com\r\n\r\n");
    EXPECT_EQ(s.header_bytes(), 31u);
    EXPECT_EQ(s.received_count(), 1u);
    EXPECT_EQ(s.local_received_count(), 1u);
}

TEST(HeaderScanner, ManyHops) {
    std::string m;
    for (int i = 0; i < 40; ++i) m += "Received: from h" + std::to_string(i) + " by relay" + std::to_string(i % 4) + ".example\r\n";
    m += "\r\n";
    const Result r = checked(m, "relay1.example");
    EXPECT_EQ(r.received, 40u);
    EXPECT_EQ(r.local, 10u);
    EXPECT_EQ(r.header_bytes, m.size());
}

TEST(HeaderScanner, BinaryGarbageDoesNotConfuseIt) {
    using namespace std::string_literals;
    std::string m = "Received: \x00\xff by mx.example.com\x01\r\n"s;
    m += "X: \0\r\r\r\n"s;
    m += "\r\n";
    const Result r = checked(m);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.received, 1u);
    EXPECT_EQ(r.local, 1u);
    EXPECT_EQ(r.header_bytes, m.size());
}
