// A handler's verdict and the reply it becomes (sdk plugin.h mailfw_verdict).
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "smtp/verdict.hpp"

using namespace mailfw::smtp;

namespace {

Verdict verdict(uint32_t action, uint32_t code = 0, std::string enhanced = {}, std::string text = {}) {
    Verdict v;
    v.action = action;
    v.code = code;
    v.enhanced = std::move(enhanced);
    v.text = std::move(text);
    return v;
}

mailfw_str cstr(const char* s) { return mailfw_str{s, std::strlen(s)}; }

}  // namespace

TEST(VerdictReplyFor, Defaults) {
    Reply deny = reply_for(verdict(MAILFW_DENY));
    EXPECT_EQ(deny.code, 550);
    EXPECT_EQ(deny.enhanced, "5.7.1");
    ASSERT_EQ(deny.lines.size(), 1u);
    EXPECT_FALSE(deny.lines[0].empty());

    Reply soft = reply_for(verdict(MAILFW_DENYSOFT));
    EXPECT_EQ(soft.code, 450);
    EXPECT_EQ(soft.enhanced, "4.7.1");

    Reply deny_dc = reply_for(verdict(MAILFW_DENY_DISCONNECT));
    EXPECT_EQ(deny_dc.code, 554);
    EXPECT_EQ(deny_dc.enhanced, "5.7.1");

    Reply soft_dc = reply_for(verdict(MAILFW_DENYSOFT_DISCONNECT));
    EXPECT_EQ(soft_dc.code, 421);
    EXPECT_EQ(soft_dc.enhanced, "4.7.0");
}

TEST(VerdictReplyFor, OverridesOfTheRightClassAreUsed) {
    Reply r = reply_for(verdict(MAILFW_DENY, 552, "5.3.4", "Message too big"));
    EXPECT_EQ(r.code, 552);
    EXPECT_EQ(r.enhanced, "5.3.4");
    EXPECT_EQ(r.lines, std::vector<std::string>{"Message too big"});

    Reply s = reply_for(verdict(MAILFW_DENYSOFT, 452, "4.5.3", "Too many recipients"));
    EXPECT_EQ(s.code, 452);
    EXPECT_EQ(s.enhanced, "4.5.3");
    EXPECT_EQ(s.lines, std::vector<std::string>{"Too many recipients"});

    Reply d = reply_for(verdict(MAILFW_DENYSOFT_DISCONNECT, 421, "4.4.2", "Rate limit"));
    EXPECT_EQ(d.code, 421);
    EXPECT_EQ(d.enhanced, "4.4.2");

    Reply e = reply_for(verdict(MAILFW_DENY_DISCONNECT, 550, "5.7.1", "Go away"));
    EXPECT_EQ(e.code, 550);
}

TEST(VerdictReplyFor, CodeOfTheWrongClassFallsBackToTheDefault) {
    // DENY is permanent: a 4xx code would contradict it.
    EXPECT_EQ(reply_for(verdict(MAILFW_DENY, 451)).code, 550);
    EXPECT_EQ(reply_for(verdict(MAILFW_DENY_DISCONNECT, 421)).code, 554);
    EXPECT_EQ(reply_for(verdict(MAILFW_DENYSOFT, 550)).code, 450);
    EXPECT_EQ(reply_for(verdict(MAILFW_DENYSOFT_DISCONNECT, 554)).code, 421);
    // Not an error reply at all.
    EXPECT_EQ(reply_for(verdict(MAILFW_DENY, 250)).code, 550);
    EXPECT_EQ(reply_for(verdict(MAILFW_DENY, 354)).code, 550);
    EXPECT_EQ(reply_for(verdict(MAILFW_DENY, 600)).code, 550);
    EXPECT_EQ(reply_for(verdict(MAILFW_DENYSOFT, 399)).code, 450);
}

TEST(VerdictReplyFor, EnhancedCodeClassAlwaysMatchesTheReply) {
    for (uint32_t action : {MAILFW_DENY, MAILFW_DENYSOFT, MAILFW_DENY_DISCONNECT, MAILFW_DENYSOFT_DISCONNECT}) {
        for (uint32_t code : {0u, 250u, 421u, 450u, 451u, 550u, 554u}) {
            for (const char* enh : {"", "2.0.0", "4.7.1", "5.7.1", "garbage", "5.7"}) {
                Reply r = reply_for(verdict(action, code, enh, "x"));
                ASSERT_GE(r.code, 400);
                ASSERT_LE(r.code, 599);
                const bool soft = action == MAILFW_DENYSOFT || action == MAILFW_DENYSOFT_DISCONNECT;
                EXPECT_EQ(r.code < 500, soft) << action << " " << code;
                ASSERT_FALSE(r.enhanced.empty());
                EXPECT_EQ(r.enhanced[0], static_cast<char>('0' + r.code / 100))
                    << "action " << action << " code " << code << " enh " << enh << " -> " << r.enhanced;
            }
        }
    }
    // A mismatching enhanced code is replaced by the generic one of the class.
    EXPECT_EQ(reply_for(verdict(MAILFW_DENYSOFT, 451, "5.7.1")).enhanced, "4.0.0");
    EXPECT_EQ(reply_for(verdict(MAILFW_DENY, 550, "4.7.1")).enhanced, "5.0.0");
}

TEST(VerdictReplyFor, CrlfInTextIsNeutralised) {
    Reply r = reply_for(verdict(MAILFW_DENY, 550, "5.7.1", "no\r\n250 2.0.0 fake\r\nmore\tx\0y"));
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0].find('\r'), std::string::npos);
    EXPECT_EQ(r.lines[0].find('\n'), std::string::npos);
    std::string wire = format(r);
    EXPECT_EQ(wire.find("\r\n"), wire.size() - 2) << wire;
    EXPECT_EQ(wire.rfind("550 5.7.1 no", 0), 0u) << wire;
}

TEST(VerdictReplyFor, NulAndOtherControlsInTextAreNeutralised) {
    Verdict v = verdict(MAILFW_DENY);
    v.text = std::string("a\0b\x01" "c\x7f" "d", 7);
    Reply r = reply_for(v);
    ASSERT_EQ(r.lines.size(), 1u);
    for (char c : r.lines[0]) {
        unsigned char u = static_cast<unsigned char>(c);
        EXPECT_TRUE(u >= 0x20 && u != 0x7f) << int(u);
    }
}

TEST(VerdictReplyFor, EmptyEnhancedWithOverriddenCodeUsesTheDefaultOfTheClass) {
    Reply r = reply_for(verdict(MAILFW_DENYSOFT, 451, "", "busy"));
    EXPECT_EQ(r.code, 451);
    EXPECT_EQ(r.enhanced, "4.7.1");
}

TEST(VerdictPredicates, StopsCloses) {
    EXPECT_FALSE(verdict(MAILFW_CONTINUE).stops());
    EXPECT_TRUE(verdict(MAILFW_ACCEPT).stops());
    EXPECT_TRUE(verdict(MAILFW_DENY).stops());
    EXPECT_FALSE(verdict(MAILFW_DENY).closes());
    EXPECT_TRUE(verdict(MAILFW_DENYSOFT_DISCONNECT).closes());
    EXPECT_TRUE(verdict(MAILFW_DENY_DISCONNECT).closes());
    EXPECT_TRUE(verdict(MAILFW_DISCONNECT).closes());
}

TEST(VerdictFromC, CopiesTheFields) {
    mailfw_verdict c{};
    c.struct_size = sizeof c;
    c.action = MAILFW_DENYSOFT;
    c.code = 451;
    c.enhanced = cstr("4.7.1");
    c.text = cstr("later");
    c.delay_ms = 1500;
    Verdict v = from_c(&c);
    EXPECT_EQ(v.action, static_cast<uint32_t>(MAILFW_DENYSOFT));
    EXPECT_EQ(v.code, 451u);
    EXPECT_EQ(v.enhanced, "4.7.1");
    EXPECT_EQ(v.text, "later");
    EXPECT_EQ(v.delay_ms, 1500u);
}

TEST(VerdictFromC, UnknownActionIsContinue) {
    mailfw_verdict c{};
    c.struct_size = sizeof c;
    c.action = 99;
    EXPECT_EQ(from_c(&c).action, static_cast<uint32_t>(MAILFW_CONTINUE));
}

TEST(VerdictFromC, ShortStructLeavesNewerFieldsZero) {
    // A plugin built against an older header that ended before delay_ms.
    mailfw_verdict c{};
    c.struct_size = offsetof(mailfw_verdict, delay_ms);
    c.action = MAILFW_DENY;
    c.delay_ms = 5000;  // beyond struct_size: must not be read
    Verdict v = from_c(&c);
    EXPECT_EQ(v.action, static_cast<uint32_t>(MAILFW_DENY));
    EXPECT_EQ(v.delay_ms, 0u);
}

TEST(VerdictFromC, NullIsContinue) {
    Verdict v = from_c(nullptr);
    EXPECT_EQ(v.action, static_cast<uint32_t>(MAILFW_CONTINUE));
    EXPECT_FALSE(v.stops());
}
