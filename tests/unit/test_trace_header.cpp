// The Received: trace header (RFC 5321 §4.4, RFC 3848, RFC 5322 §3.3).
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

#include "smtp/trace_header.hpp"

using namespace mailfw::smtp;

namespace {

std::chrono::system_clock::time_point at(long long unix_seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

TraceInfo sample() {
    TraceInfo t;
    t.helo = "client.example";
    t.client_address = "192.0.2.7";
    t.server_hostname = "mx.example.test";
    t.queue_id = "0123456789ABCDEF";
    t.esmtp = true;
    t.recipients = {"bob@example.test"};
    t.when = at(1795354870);  // Sun, 22 Nov 2026 13:41:10 UTC
    return t;
}

// Every line ends in CRLF, continuation lines start with white space, and
// there is no bare CR or LF (RFC 5322 §2.2.3 folding).
void expect_well_folded(const std::string& h) {
    ASSERT_GE(h.size(), 2u);
    EXPECT_EQ(h.substr(h.size() - 2), "\r\n");
    size_t start = 0;
    bool first = true;
    while (start < h.size()) {
        size_t end = h.find("\r\n", start);
        ASSERT_NE(end, std::string::npos);
        std::string line = h.substr(start, end - start);
        EXPECT_EQ(line.find('\r'), std::string::npos) << line;
        EXPECT_EQ(line.find('\n'), std::string::npos) << line;
        EXPECT_LE(line.size(), 998u);
        if (first)
            EXPECT_EQ(line.rfind("Received: ", 0), 0u) << line;
        else
            EXPECT_TRUE(!line.empty() && (line[0] == ' ' || line[0] == '\t')) << line;
        first = false;
        start = end + 2;
    }
}

// The header with folding removed (RFC 5322 §2.2.3 unfolding).
std::string unfold(std::string h) {
    std::string out;
    for (size_t i = 0; i < h.size(); ++i) {
        if (h[i] == '\r' && i + 1 < h.size() && h[i + 1] == '\n') {
            ++i;
            continue;
        }
        out += h[i];
    }
    return out;
}

}  // namespace

TEST(TraceWithProtocol, Rfc3848Keywords) {
    EXPECT_EQ(with_protocol(false, false, false), "SMTP");
    EXPECT_EQ(with_protocol(true, false, false), "ESMTP");
    EXPECT_EQ(with_protocol(true, true, false), "ESMTPS");
    EXPECT_EQ(with_protocol(true, false, true), "ESMTPA");
    EXPECT_EQ(with_protocol(true, true, true), "ESMTPSA");
}

TEST(TraceDate, Rfc5322DateTimeInUtc) {
    EXPECT_EQ(rfc5322_date(at(1795354870)), "Sun, 22 Nov 2026 13:41:10 +0000");
    EXPECT_EQ(rfc5322_date(at(0)), "Thu, 1 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(rfc5322_date(at(1709164800)), "Thu, 29 Feb 2024 00:00:00 +0000");
    // day-name "," day month year hour ":" minute ":" second zone
    std::regex shape(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} \+0000)");
    EXPECT_TRUE(std::regex_match(rfc5322_date(std::chrono::system_clock::now()), shape));
}

TEST(TraceReceived, ExactShapeForOneRecipient) {
    EXPECT_EQ(received_header(sample()),
              "Received: from client.example ([192.0.2.7])\r\n"
              "\tby mx.example.test (mailfw) with ESMTP id 0123456789ABCDEF\r\n"
              "\tfor <bob@example.test>; Sun, 22 Nov 2026 13:41:10 +0000\r\n");
}

TEST(TraceReceived, Rfc5321Grammar) {
    // Time-stamp-line = "Received:" FWS Stamp CRLF
    // Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
    for (int variant = 0; variant < 4; ++variant) {
        TraceInfo t = sample();
        if (variant & 1) t.recipients = {"a@x.test", "b@x.test"};
        if (variant & 2) t.auth_user = "alice";
        std::string h = received_header(t);
        expect_well_folded(h);
        std::regex stamp(
            R"(Received: from [^ ()]+ \(\[[0-9A-Fa-f:.IPv]+\]\)[ \t]+by [^ ]+ \(mailfw\) with ESMTPA? id [0-9A-F]+)"
            R"(([ \t]+\(authenticated user [^()]*\))?([ \t]+for <[^>]+>)?[ \t]*; [A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} )"
            R"([0-9]{2}:[0-9]{2}:[0-9]{2} \+0000)");
        EXPECT_TRUE(std::regex_match(unfold(h), stamp)) << h;
    }
}

TEST(TraceReceived, ForOnlyWithExactlyOneRecipient) {
    TraceInfo t = sample();
    t.recipients = {"a@x.test", "b@x.test"};
    std::string h = received_header(t);
    EXPECT_EQ(h.find("for <"), std::string::npos) << h;
    EXPECT_NE(h.find("\t; Sun, 22 Nov 2026 13:41:10 +0000\r\n"), std::string::npos) << h;
    t.recipients.clear();
    EXPECT_EQ(received_header(t).find("for <"), std::string::npos);
}

TEST(TraceReceived, ProtocolFollowsTlsAndAuth) {
    TraceInfo t = sample();
    t.tls = true;
    EXPECT_NE(received_header(t).find(" with ESMTPS id "), std::string::npos);
    t.auth_user = "alice";
    std::string h = received_header(t);
    EXPECT_NE(h.find(" with ESMTPSA id "), std::string::npos) << h;
    EXPECT_NE(h.find("\t(authenticated user alice)\r\n"), std::string::npos) << h;
    t.tls = false;
    EXPECT_NE(received_header(t).find(" with ESMTPA id "), std::string::npos);
    t.esmtp = false;
    t.auth_user.clear();
    EXPECT_NE(received_header(t).find(" with SMTP id "), std::string::npos);
}

TEST(TraceReceived, Ipv6AddressLiteral) {
    TraceInfo t = sample();
    t.client_address = "2001:db8::1";
    std::string h = received_header(t);
    EXPECT_EQ(h.rfind("Received: from client.example ([IPv6:2001:db8::1])\r\n", 0), 0u) << h;
}

TEST(TraceReceived, NoHeloUsesTheAddressLiteral) {
    TraceInfo t = sample();
    t.helo.clear();
    EXPECT_EQ(received_header(t).rfind("Received: from [192.0.2.7] ([192.0.2.7])\r\n", 0), 0u);
    t.client_address = "::1";
    EXPECT_EQ(received_header(t).rfind("Received: from [IPv6:::1] ([IPv6:::1])\r\n", 0), 0u);
}

TEST(TraceReceived, AddressLiteralHelo) {
    TraceInfo t = sample();
    t.helo = "[192.0.2.7]";
    EXPECT_EQ(received_header(t).rfind("Received: from [192.0.2.7] ([192.0.2.7])\r\n", 0), 0u);
}

TEST(TraceReceived, AuthenticatedUserIsCommentSafe) {
    // A user name cannot end the comment, escape out of it or break the line.
    TraceInfo t = sample();
    t.auth_user = "ev(il)\\x\r\nBcc: victim@example\x7f";
    std::string h = received_header(t);
    expect_well_folded(h);
    EXPECT_NE(h.find("\t(authenticated user ev?il??x??Bcc: victim@example?)\r\n"), std::string::npos) << h;
    EXPECT_EQ(h.find("\r\nBcc"), std::string::npos);
}

TEST(TraceReceived, Utf8UserIsKept) {
    TraceInfo t = sample();
    t.auth_user = "j\xc3\xb6rg";
    EXPECT_NE(received_header(t).find("(authenticated user j\xc3\xb6rg)"), std::string::npos);
}
