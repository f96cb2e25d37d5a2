// MS-XLOGIN server role (3.2.5): the substates and what each step answers.
#include "sasl-login/login_exchange.hpp"
#include "store-sqlite/password_hash.hpp"

#include <mailfw/plugin.h>

#include <gtest/gtest.h>

#include <map>

namespace {

using mailfw::sasl_login::CredentialChecker;
using mailfw::sasl_login::LoginExchange;
using Substate = LoginExchange::Substate;

struct TableChecker : CredentialChecker {
    std::map<std::string, std::string> users{{"Charlie", "password"}};
    int forced = -1;
    std::vector<std::string> seen_passwords;
    std::vector<std::string> accepted;
    int verify(std::string_view u, std::string_view p) override {
        seen_passwords.emplace_back(p);
        if (forced >= 0) return forced;
        const auto it = users.find(std::string(u));
        if (it == users.end()) return MAILFW_NOT_FOUND;
        return it->second == p ? MAILFW_OK : MAILFW_DENIED;
    }
    void authenticated(std::string_view u) override { accepted.emplace_back(u); }
};

int step(LoginExchange& ex, std::string_view in, std::string& out) {
    return ex.step(reinterpret_cast<const unsigned char*>(in.data()), in.size(), out);
}

TEST(SaslLogin, ChallengesAreTheSpecsBase64Lines) {
    // The host base64-encodes our challenges; MS-XLOGIN 2.2.2 fixes the result.
    EXPECT_EQ(mailfw::store_sqlite::base64_encode(mailfw::sasl_login::username_challenge), "VXNlcm5hbWU6");
    EXPECT_EQ(mailfw::store_sqlite::base64_encode(mailfw::sasl_login::password_challenge), "UGFzc3dvcmQ6");
}

TEST(SaslLogin, WithoutInitialResponseAsksForUsernameThenPassword) {
    TableChecker checker;
    LoginExchange ex(checker);
    std::string out;
    EXPECT_EQ(ex.step(nullptr, 0, out), MAILFW_SASL_CONTINUE);
    EXPECT_EQ(out, "Username:");
    EXPECT_EQ(ex.substate(), Substate::AuthReceived);

    EXPECT_EQ(step(ex, "Charlie", out), MAILFW_SASL_CONTINUE);
    EXPECT_EQ(out, "Password:");
    EXPECT_EQ(ex.substate(), Substate::UsernameReceived);
    EXPECT_EQ(ex.username(), "Charlie");

    EXPECT_EQ(step(ex, "password", out), MAILFW_SASL_OK);
    EXPECT_TRUE(out.empty());
    ASSERT_EQ(checker.accepted.size(), 1u);
    EXPECT_EQ(checker.accepted[0], "Charlie");
}

TEST(SaslLogin, InitialResponseIsTheUsername) {
    TableChecker checker;
    LoginExchange ex(checker);
    std::string out;
    EXPECT_EQ(step(ex, "Charlie", out), MAILFW_SASL_CONTINUE);
    EXPECT_EQ(out, "Password:");
    EXPECT_EQ(ex.substate(), Substate::UsernameReceived);
    EXPECT_EQ(step(ex, "password", out), MAILFW_SASL_OK);
}

TEST(SaslLogin, EmptyInitialResponseIsAnEmptyUsername) {
    TableChecker checker;
    LoginExchange ex(checker);
    std::string out;
    const unsigned char nothing[1] = {0};
    EXPECT_EQ(ex.step(nothing, 0, out), MAILFW_SASL_CONTINUE);  // "AUTH LOGIN ="
    EXPECT_EQ(out, "Password:");
    EXPECT_EQ(ex.username(), "");
    EXPECT_EQ(step(ex, "x", out), MAILFW_SASL_FAIL);
    EXPECT_EQ(out, "unknown user");
}

TEST(SaslLogin, WrongPasswordFailsWithoutEchoingIt) {
    TableChecker checker;
    LoginExchange ex(checker);
    std::string out;
    step(ex, "Charlie", out);
    EXPECT_EQ(step(ex, "s3cret-guess", out), MAILFW_SASL_FAIL);
    EXPECT_EQ(out, "wrong password");
    EXPECT_EQ(out.find("s3cret"), std::string::npos);
    EXPECT_TRUE(checker.accepted.empty());
}

TEST(SaslLogin, UnknownUserFails) {
    TableChecker checker;
    LoginExchange ex(checker);
    std::string out;
    step(ex, "Mallory", out);
    EXPECT_EQ(step(ex, "password", out), MAILFW_SASL_FAIL);
    EXPECT_EQ(out, "unknown user");
}

TEST(SaslLogin, UnavailableStoreIsATemporaryError) {
    TableChecker checker;
    checker.forced = MAILFW_UNAVAILABLE;
    LoginExchange ex(checker);
    std::string out;
    step(ex, "Charlie", out);
    EXPECT_EQ(step(ex, "password", out), MAILFW_SASL_ERROR);
    EXPECT_FALSE(out.empty());
}

TEST(SaslLogin, UsernamesWithNulCrOrLfAreRefused) {
    for (const std::string& bad : {std::string("a\0b", 3), std::string("a\rb"), std::string("a\nb")}) {
        TableChecker checker;
        LoginExchange ex(checker);
        std::string out;
        EXPECT_EQ(step(ex, bad, out), MAILFW_SASL_FAIL) << "initial response";
        LoginExchange ex2(checker);
        ex2.step(nullptr, 0, out);
        EXPECT_EQ(step(ex2, bad, out), MAILFW_SASL_FAIL) << "AuthReceived";
        EXPECT_TRUE(checker.seen_passwords.empty());
    }
}

TEST(SaslLogin, PasswordBytesReachTheStoreExactly) {
    TableChecker checker;
    const std::string pw("p\0w\xff", 4);
    checker.users["Charlie"] = pw;
    LoginExchange ex(checker);
    std::string out;
    step(ex, "Charlie", out);
    EXPECT_EQ(step(ex, pw, out), MAILFW_SASL_OK);
    EXPECT_EQ(checker.seen_passwords.back(), pw);
}

TEST(SaslLogin, StepAfterTheEndFails) {
    TableChecker checker;
    LoginExchange ex(checker);
    std::string out;
    step(ex, "Charlie", out);
    step(ex, "password", out);
    EXPECT_EQ(step(ex, "again", out), MAILFW_SASL_FAIL);
    EXPECT_EQ(checker.accepted.size(), 1u);
}

}  // namespace
