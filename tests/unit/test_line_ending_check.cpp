#include <gtest/gtest.h>

#include "smtp/line_ending_check.hpp"

using mailfw::smtp::LineEndingCheck;

TEST(LineEndingCheck, CrlfAcrossPiecesIsFine) {
    LineEndingCheck c;
    c.feed("Subject: x\r");
    c.feed("\nbody\r\n");
    c.feed("");
    EXPECT_EQ(c.finish(), LineEndingCheck::Error::none);
}

TEST(LineEndingCheck, FindsBareLfAndBareCr) {
    LineEndingCheck lf;
    lf.feed("a\r\nb\nc\r\n");
    EXPECT_EQ(lf.finish(), LineEndingCheck::Error::bare_lf);
    LineEndingCheck cr;
    cr.feed("a\rb\r\n");
    EXPECT_EQ(cr.finish(), LineEndingCheck::Error::bare_cr);
    LineEndingCheck split;  // CR at the end of one chunk, no LF at the start of the next
    split.feed("a\r");
    EXPECT_EQ(split.error(), LineEndingCheck::Error::none);
    split.feed(".\r\n");
    EXPECT_EQ(split.error(), LineEndingCheck::Error::bare_cr);
    LineEndingCheck trailing;  // the message ends inside a CRLF
    trailing.feed("a\r\nb\r");
    EXPECT_EQ(trailing.finish(), LineEndingCheck::Error::bare_cr);
    LineEndingCheck crcr;
    crcr.feed("\r\r\n");
    EXPECT_EQ(crcr.finish(), LineEndingCheck::Error::bare_cr);
}
