// The PLAIN server exchange: empty first challenge, one message, proxy rights.
#include "sasl-plain/plain_exchange.hpp"

#include <mailfw/plugin.h>

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace {

using mailfw::sasl_plain::CredentialChecker;
using mailfw::sasl_plain::PlainExchange;
using namespace std::string_literals;

struct TableChecker : CredentialChecker {
    std::map<std::string, std::string> users{{"tim", "tanstaaftanstaaf"}, {"Kurt", "xipj3plmq"}};
    std::set<std::pair<std::string, std::string>> rights{{"Kurt", "Ursel"}};
    int verify_forced = -1;
    int authorize_forced = -1;
    int authorize_calls = 0;
    std::vector<std::string> accepted;

    int verify(std::string_view u, std::string_view p) override {
        if (verify_forced >= 0) return verify_forced;
        const auto it = users.find(std::string(u));
        if (it == users.end()) return MAILFW_NOT_FOUND;
        return it->second == p ? MAILFW_OK : MAILFW_DENIED;
    }
    int authorize(std::string_view c, std::string_view z) override {
        ++authorize_calls;
        if (authorize_forced >= 0) return authorize_forced;
        return rights.count({std::string(c), std::string(z)}) ? MAILFW_OK : MAILFW_DENIED;
    }
    void authenticated(std::string_view who) override { accepted.emplace_back(who); }
};

int step(PlainExchange& ex, std::string_view in, std::string& out) {
    return ex.step(reinterpret_cast<const unsigned char*>(in.data()), in.size(), out);
}

TEST(SaslPlain, WithoutInitialResponseSendsAnEmptyChallenge) {
    TableChecker c;
    PlainExchange ex(c);
    std::string out = "junk";
    EXPECT_EQ(ex.step(nullptr, 0, out), MAILFW_SASL_CONTINUE);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(step(ex, "\0tim\0tanstaaftanstaaf"s, out), MAILFW_SASL_OK);
    EXPECT_EQ(c.accepted, std::vector<std::string>{"tim"});
    EXPECT_EQ(c.authorize_calls, 0);
}

TEST(SaslPlain, InitialResponseCompletesInOneStep) {
    TableChecker c;
    PlainExchange ex(c);
    std::string out;
    EXPECT_EQ(step(ex, "\0tim\0tanstaaftanstaaf"s, out), MAILFW_SASL_OK);
    EXPECT_TRUE(out.empty());
}

TEST(SaslPlain, EmptyInitialResponseIsMalformed) {
    TableChecker c;
    PlainExchange ex(c);
    std::string out;
    const unsigned char nothing[1] = {0};
    EXPECT_EQ(ex.step(nothing, 0, out), MAILFW_SASL_FAIL);
    EXPECT_EQ(out, "malformed PLAIN message");
}

TEST(SaslPlain, WrongPasswordAndUnknownUserFail) {
    TableChecker c;
    std::string out;
    PlainExchange a(c);
    EXPECT_EQ(step(a, "\0tim\0guess-123"s, out), MAILFW_SASL_FAIL);
    EXPECT_EQ(out, "wrong password");
    EXPECT_EQ(out.find("guess"), std::string::npos);
    PlainExchange b(c);
    EXPECT_EQ(step(b, "\0nobody\0pw"s, out), MAILFW_SASL_FAIL);
    EXPECT_EQ(out, "unknown user");
    EXPECT_TRUE(c.accepted.empty());
}

TEST(SaslPlain, UnavailableStoreIsATemporaryError) {
    TableChecker c;
    c.verify_forced = MAILFW_UNAVAILABLE;
    PlainExchange ex(c);
    std::string out;
    EXPECT_EQ(step(ex, "\0tim\0tanstaaftanstaaf"s, out), MAILFW_SASL_ERROR);
}

TEST(SaslPlain, MalformedMessagesFail) {
    TableChecker c;
    for (const std::string& bad : {"tim"s, "\0tim"s, "\0\0pw"s, "\0tim\0"s, "a\0b\0c\0d"s,
                                  "\0tim\0"s + std::string(256, 'p')}) {
        PlainExchange ex(c);
        std::string out;
        EXPECT_EQ(step(ex, bad, out), MAILFW_SASL_FAIL);
        EXPECT_EQ(out, "malformed PLAIN message");
    }
}

TEST(SaslPlain, AuthzidNeedsTheStoresConsent) {
    TableChecker c;
    std::string out;
    PlainExchange ok(c);
    EXPECT_EQ(step(ok, "Ursel\0Kurt\0xipj3plmq"s, out), MAILFW_SASL_OK);
    EXPECT_EQ(c.accepted, std::vector<std::string>{"Ursel"});

    PlainExchange refused(c);
    EXPECT_EQ(step(refused, "tim\0Kurt\0xipj3plmq"s, out), MAILFW_SASL_FAIL);
    EXPECT_EQ(out, "not authorized to act as tim");
    EXPECT_EQ(c.accepted.size(), 1u);

    c.authorize_forced = MAILFW_UNAVAILABLE;
    PlainExchange later(c);
    EXPECT_EQ(step(later, "Ursel\0Kurt\0xipj3plmq"s, out), MAILFW_SASL_ERROR);
}

TEST(SaslPlain, AuthzidEqualToAuthcidNeedsNoProxyRight) {
    TableChecker c;
    PlainExchange ex(c);
    std::string out;
    EXPECT_EQ(step(ex, "tim\0tim\0tanstaaftanstaaf"s, out), MAILFW_SASL_OK);
    EXPECT_EQ(c.authorize_calls, 0);
    EXPECT_EQ(c.accepted, std::vector<std::string>{"tim"});
}

TEST(SaslPlain, UnknownUserIsNotAuthorizedFirst) {
    // The password is checked before any proxy right: no oracle on rights.
    TableChecker c;
    PlainExchange ex(c);
    std::string out;
    EXPECT_EQ(step(ex, "Ursel\0Kurt\0wrong"s, out), MAILFW_SASL_FAIL);
    EXPECT_EQ(c.authorize_calls, 0);
}

TEST(SaslPlain, StepAfterTheEndFails) {
    TableChecker c;
    std::string out;
    PlainExchange ok(c);
    step(ok, "\0tim\0tanstaaftanstaaf"s, out);
    EXPECT_EQ(step(ok, "\0tim\0tanstaaftanstaaf"s, out), MAILFW_SASL_FAIL);
    PlainExchange failed(c);
    step(failed, "\0tim\0nope"s, out);
    EXPECT_EQ(step(failed, "\0tim\0tanstaaftanstaaf"s, out), MAILFW_SASL_FAIL);
    EXPECT_EQ(c.accepted.size(), 1u);
}

}  // namespace
