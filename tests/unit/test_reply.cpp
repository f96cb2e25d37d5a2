// SMTP reply formatting (RFC 5321 §4.2) with enhanced status codes
// (RFC 2034 §3, RFC 3463 §2).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtp/reply.hpp"

using mailfw::smtp::format;
using mailfw::smtp::normalize_enhanced;
using mailfw::smtp::Reply;

TEST(ReplyFormat, SingleLineWithEnhancedCode) {
    EXPECT_EQ(format(Reply(250, "2.1.0", "Sender OK")), "250 2.1.0 Sender OK\r\n");
}

TEST(ReplyFormat, SingleLineWithoutEnhancedCode) {
    // 220, 334, 354 and the EHLO reply carry no enhanced code.
    EXPECT_EQ(format(Reply(220, "", "mx.example ESMTP ready")), "220 mx.example ESMTP ready\r\n");
    EXPECT_EQ(format(Reply(334, "", "VXNlcm5hbWU6")), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(format(Reply(354, "", "")), "354 \r\n");
}

TEST(ReplyFormat, MultiLineUsesHyphenExceptOnTheLastLine) {
    std::vector<std::string> lines{"mx.example Hello", "PIPELINING", "8BITMIME", "HELP"};
    EXPECT_EQ(format(Reply(250, "", lines)), "250-mx.example Hello\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 HELP\r\n");
}

TEST(ReplyFormat, MultiLineRepeatsTheEnhancedCodeOnEveryLine) {
    // RFC 2034 §3: every line of a multi-line reply carries the status code.
    std::vector<std::string> lines{"first", "second"};
    EXPECT_EQ(format(Reply(214, "2.0.0", lines)), "214-2.0.0 first\r\n214 2.0.0 second\r\n");
}

TEST(ReplyFormat, NoLinesStillGivesOneTerminatedLine) {
    Reply r;
    r.code = 250;
    r.enhanced = "2.0.0";
    EXPECT_EQ(format(r), "250 2.0.0\r\n");
    r.enhanced.clear();
    EXPECT_EQ(format(r), "250\r\n");
}

TEST(ReplyNormalizeEnhanced, KeepsWellFormedCodesOfTheRightClass) {
    EXPECT_EQ(normalize_enhanced(250, "2.1.0"), "2.1.0");
    EXPECT_EQ(normalize_enhanced(550, "5.7.1"), "5.7.1");
    EXPECT_EQ(normalize_enhanced(452, "4.5.3"), "4.5.3");
    EXPECT_EQ(normalize_enhanced(538, "5.7.11"), "5.7.11");
    EXPECT_EQ(normalize_enhanced(550, "5.123.999"), "5.123.999");
}

TEST(ReplyNormalizeEnhanced, ClassMismatchBecomesTheGenericCode) {
    EXPECT_EQ(normalize_enhanced(550, "4.7.1"), "5.0.0");
    EXPECT_EQ(normalize_enhanced(451, "5.3.0"), "4.0.0");
    EXPECT_EQ(normalize_enhanced(250, "5.0.0"), "2.0.0");
}

TEST(ReplyNormalizeEnhanced, MalformedOrEmptyBecomesTheGenericCode) {
    EXPECT_EQ(normalize_enhanced(550, ""), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "5"), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "5.7"), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "5.7."), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "5..1"), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "5.1234.1"), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "5.1.1234"), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "5.a.1"), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "5.1.1 "), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "5.1.1\r\n"), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "55.1.1"), "5.0.0");
    EXPECT_EQ(normalize_enhanced(550, "3.1.1"), "5.0.0");
}

TEST(ReplyNormalizeEnhanced, NoEnhancedCodeForClassesWithoutOne) {
    // RFC 3463 classes are 2, 4 and 5 only.
    EXPECT_EQ(normalize_enhanced(334, "3.0.0"), "");
    EXPECT_EQ(normalize_enhanced(354, ""), "");
    EXPECT_EQ(normalize_enhanced(150, "1.0.0"), "");
}
