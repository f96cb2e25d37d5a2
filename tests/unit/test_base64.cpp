#include <gtest/gtest.h>

#include <string>

#include "util/base64.hpp"

using mailfw::base64::decode;
using mailfw::base64::decoded_size;
using mailfw::base64::encode;
using mailfw::base64::is_valid;

namespace {

// RFC 4648 §10 test vectors.
struct Vector {
    const char* plain;
    const char* encoded;
};
constexpr Vector kRfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

bool rejected(std::string_view text) { return !decode(text).has_value() && !is_valid(text); }

}  // namespace

TEST(Base64, Rfc4648Vectors) {
    for (const auto& v : kRfc4648) {
        EXPECT_EQ(encode(v.plain), v.encoded) << v.plain;
        const auto d = decode(v.encoded);
        ASSERT_TRUE(d.has_value()) << v.encoded;
        EXPECT_EQ(*d, v.plain);
        EXPECT_TRUE(is_valid(v.encoded));
        EXPECT_EQ(decoded_size(v.encoded), std::string(v.plain).size());
    }
}

TEST(Base64, SaslExamples) {
    // MS-XLOGIN challenges and an RFC 4616 PLAIN response.
    EXPECT_EQ(encode("Username:"), "VXNlcm5hbWU6");
    EXPECT_EQ(encode("Password:"), "UGFzc3dvcmQ6");
    EXPECT_EQ(decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"), std::string("\0tim\0tanstaaftanstaaf", 21));
}

TEST(Base64, EmptyInputDecodesToEmpty) {
    const auto d = decode("");
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, "");
}

TEST(Base64, AllByteValuesRoundTrip) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (size_t len = 0; len <= all.size(); ++len) {
        const std::string plain = all.substr(all.size() - len);
        const std::string text = encode(plain);
        EXPECT_EQ(text.size() % 4, 0u);
        const auto back = decode(text);
        ASSERT_TRUE(back.has_value()) << len;
        EXPECT_EQ(*back, plain);
    }
}

TEST(Base64, UsesStandardAlphabet) {
    EXPECT_EQ(encode("\xfb\xff\xbf"), "+/+/");
    EXPECT_EQ(decode("+/+/"), std::string("\xfb\xff\xbf"));
    EXPECT_TRUE(rejected("-_-_"));  // base64url alphabet (§5) is not accepted
}

TEST(Base64, RejectsLengthNotMultipleOfFour) {
    EXPECT_TRUE(rejected("Z"));
    EXPECT_TRUE(rejected("Zg"));
    EXPECT_TRUE(rejected("Zg="));
    EXPECT_TRUE(rejected("Zm9vY"));
    EXPECT_TRUE(rejected("Zm9vYg="));
}

TEST(Base64, RejectsMisplacedPadding) {
    EXPECT_TRUE(rejected("===="));
    EXPECT_TRUE(rejected("Z==="));
    EXPECT_TRUE(rejected("=Zg="));
    EXPECT_TRUE(rejected("Z=g="));
    EXPECT_TRUE(rejected("Zg==Zg=="));  // padding in the middle
    EXPECT_TRUE(rejected("Zm=v"));
    EXPECT_TRUE(rejected("Zm9v===="));
}

TEST(Base64, RejectsNonZeroPadBits) {
    // RFC 4648 §3.5: "Zh==" and "Zm9=" carry bits that are not zero.
    EXPECT_TRUE(rejected("Zh=="));
    EXPECT_TRUE(rejected("Zm9="));
    EXPECT_TRUE(rejected("Zm9vYh=="));
    EXPECT_FALSE(rejected("Zg=="));
    EXPECT_FALSE(rejected("Zm8="));
}

TEST(Base64, RejectsWhitespaceAndForeignCharacters) {
    EXPECT_TRUE(rejected(" Zg=="));
    EXPECT_TRUE(rejected("Zg== "));
    EXPECT_TRUE(rejected("Zm9v\r\nYmFy"));
    EXPECT_TRUE(rejected("Zm 9v"));
    EXPECT_TRUE(rejected("Zm9\tv"));
    EXPECT_TRUE(rejected("Zm9*"));
    EXPECT_TRUE(rejected(std::string_view("Zm9\0", 4)));
    EXPECT_TRUE(rejected("Zm9\xc3"));
    EXPECT_TRUE(rejected("="));
    EXPECT_TRUE(rejected("*"));
}

TEST(Base64, ValidityMatchesDecodeOnEveryFourCharacterText) {
    // A sample of the 4-character space over interesting characters.
    const std::string chars = "AZaz09+/=-_ \x80";
    for (char a : chars)
        for (char b : chars)
            for (char c : chars)
                for (char d : chars) {
                    const std::string t{a, b, c, d};
                    const auto dec = decode(t);
                    EXPECT_EQ(is_valid(t), dec.has_value()) << t;
                    if (dec) {
                        EXPECT_EQ(encode(*dec), t) << t;  // canonical: one encoding per value
                    }
                }
}
