#include <gtest/gtest.h>

#include <string>

#include "smtp/header_field.hpp"

using mailfw::smtp::valid_header_field;

TEST(HeaderField, Accepts) {
    EXPECT_TRUE(valid_header_field("Authentication-Results: mx.example; spf=pass"));
    EXPECT_TRUE(valid_header_field("X-Empty:"));
    EXPECT_TRUE(valid_header_field("X-Folded: first\r\n\tsecond\r\n third"));
    EXPECT_TRUE(valid_header_field("X-UTF8: gr\xc3\xbc\xc3\x9f"));
    EXPECT_TRUE(valid_header_field("X-Long: " + std::string(990, 'a')));
}

TEST(HeaderField, Refuses) {
    for (std::string bad : {std::string(""), std::string(": no name"), std::string("No colon"),
                            std::string("Bad Name: x"), std::string("X-A: one\r\nX-B: smuggled"),
                            std::string("X-A: bare\nlf"), std::string("X-A: bare\rcr"), std::string("X-A: ends\r\n"),
                            std::string("X-A: x\r\n \r\n y"), std::string("X-A: x\r\n "),
                            std::string("X-A: nul\0here", 13), std::string("X-A: del\x7f"),
                            std::string("X-A: ctl\x01"), "X-Long: " + std::string(991, 'a'),
                            std::string("X\xc3\xbc: name must be ASCII")})
        EXPECT_FALSE(valid_header_field(bad)) << bad;
}
