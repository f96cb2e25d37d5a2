// The I/O-free parts of AUTH (RFC 4954 §4, MS-OXSMTP 2.2.1 / 3.2.5.1).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "smtp/auth_framing.hpp"

using namespace mailfw::smtp;

// ---------------------------------------------------------- challenges -----

TEST(AuthFramingChallenge, NonEmptyChallengeIsBase64) {
    // MS-XLOGIN: "Username:" and "Password:"
    EXPECT_EQ(challenge_line("Username:", true, false, true, "LOGIN"), "VXNlcm5hbWU6");
    EXPECT_EQ(challenge_line("Password:", false, false, true, "LOGIN"), "UGFzc3dvcmQ6");
    EXPECT_EQ(challenge_line(std::string("\0\xff", 2), true, false, true, "X"), "AP8=");
}

TEST(AuthFramingChallenge, RelaxedSupportedLineOnlyForAnEmptyFirstChallengeWithoutInitialResponse) {
    // MS-OXSMTP 3.2.5.1: the mechanism echoed as the client sent it.
    EXPECT_EQ(challenge_line("", true, false, true, "PLAIN"), "PLAIN supported");
    EXPECT_EQ(challenge_line("", true, false, true, "plain"), "plain supported");
    EXPECT_EQ(challenge_line("", true, false, true, "X-MECH_1"), "X-MECH_1 supported");
}

TEST(AuthFramingChallenge, EmptyChallengeOtherwiseIsAnEmpty334) {
    EXPECT_EQ(challenge_line("", true, false, false, "PLAIN"), "") << "relaxed off";
    EXPECT_EQ(challenge_line("", true, true, true, "PLAIN"), "") << "after an initial response";
    EXPECT_EQ(challenge_line("", false, false, true, "PLAIN"), "") << "a later step";
    EXPECT_EQ(challenge_line("", false, true, true, "GSSAPI"), "");
}

TEST(AuthFramingChallenge, NonEmptyFirstChallengeIsNeverTheSupportedLine) {
    EXPECT_EQ(challenge_line("x", true, false, true, "CRAM"), "eA==");
}

// ----------------------------------------------------------- responses -----

TEST(AuthFramingResponse, StarCancels) {
    EXPECT_EQ(parse_auth_response("*").kind, AuthResponse::cancel);
    // Only a lone "*" cancels.
    EXPECT_EQ(parse_auth_response("**").kind, AuthResponse::bad_base64);
    EXPECT_EQ(parse_auth_response("* ").kind, AuthResponse::bad_base64);
}

TEST(AuthFramingResponse, EmptyLineAndEqualsAreEmptyData) {
    AuthResponse a = parse_auth_response("");
    EXPECT_EQ(a.kind, AuthResponse::data);
    EXPECT_EQ(a.bytes, "");
    AuthResponse b = parse_auth_response("=");
    EXPECT_EQ(b.kind, AuthResponse::data);
    EXPECT_EQ(b.bytes, "");
}

TEST(AuthFramingResponse, Base64IsDecoded) {
    AuthResponse r = parse_auth_response("dXNlcg==");
    EXPECT_EQ(r.kind, AuthResponse::data);
    EXPECT_EQ(r.bytes, "user");
    AuthResponse p = parse_auth_response("AHVzZXIAcGFzcw==");
    EXPECT_EQ(p.kind, AuthResponse::data);
    EXPECT_EQ(p.bytes, std::string("\0user\0pass", 10));
}

TEST(AuthFramingResponse, BadBase64) {
    for (const char* bad : {"dXNlcg", "dXNlcg=", "dXN lcg==", "dXNlcg==\r", "!!!!", "dXNlcg===", "=dXN", "dXNlcg==AA=="})
        EXPECT_EQ(parse_auth_response(bad).kind, AuthResponse::bad_base64) << bad;
}

// ---------------------------------------------------- initial response -----

TEST(AuthFramingInitialResponse, NoneGiven) {
    InitialResponse r = decode_initial_response(std::nullopt);
    EXPECT_TRUE(r.ok);
    EXPECT_FALSE(r.bytes.has_value());
}

TEST(AuthFramingInitialResponse, EqualsIsEmpty) {
    InitialResponse r = decode_initial_response(std::string_view("="));
    EXPECT_TRUE(r.ok);
    ASSERT_TRUE(r.bytes.has_value());
    EXPECT_EQ(*r.bytes, "");
}

TEST(AuthFramingInitialResponse, Base64IsDecoded) {
    InitialResponse r = decode_initial_response(std::string_view("AHVzZXIAcGFzcw=="));
    EXPECT_TRUE(r.ok);
    ASSERT_TRUE(r.bytes.has_value());
    EXPECT_EQ(*r.bytes, std::string("\0user\0pass", 10));
}

TEST(AuthFramingInitialResponse, UndecodableOrEmptyIsAnError) {
    // An empty initial response must be sent as "=" (RFC 4954 §4).
    EXPECT_FALSE(decode_initial_response(std::string_view("")).ok);
    EXPECT_FALSE(decode_initial_response(std::string_view("abc")).ok);
    EXPECT_FALSE(decode_initial_response(std::string_view("a===")).ok);
    EXPECT_FALSE(decode_initial_response(std::string_view("==")).ok);
}

// ---------------------------------------------------------- line limit -----

TEST(AuthFramingLineLimit, DefaultIsLargeEnoughForKerberos) {
    EXPECT_GE(kDefaultAuthLineLimit, 12288u);
    EXPECT_EQ(auth_line_limit(0), kDefaultAuthLineLimit);
    EXPECT_EQ(auth_line_limit(100), kDefaultAuthLineLimit);
}

TEST(AuthFramingLineLimit, GrowsWithTheMechanismsLargestResponse) {
    // base64 of 30000 bytes is 40000 characters; the line also holds "AUTH MECH ".
    size_t limit = auth_line_limit(30000);
    EXPECT_GE(limit, 40000u + 10u);
    EXPECT_LT(limit, 40000u + 1024u);
    EXPECT_GE(auth_line_limit(9215), (9215u + 2u) / 3u * 4u);
    // Never below the default.
    EXPECT_GE(auth_line_limit(9000), kDefaultAuthLineLimit);
}
