// RFC 4616: message = [authzid] UTF8NUL authcid UTF8NUL passwd, fields 1..255.
#include "sasl-plain/plain_message.hpp"

#include <mailfw/plugin.hpp>

#include <gtest/gtest.h>

namespace {

using mailfw::sasl_plain::parse_plain_message;
using namespace std::string_literals;

TEST(PlainMessage, RfcExamples) {
    // The result views its input: keep the inputs alive.
    const std::string first = "\0tim\0tanstaaftanstaaf"s, second = "Ursel\0Kurt\0xipj3plmq"s;
    auto m = parse_plain_message(first);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->authzid, "");
    EXPECT_EQ(m->authcid, "tim");
    EXPECT_EQ(m->passwd, "tanstaaftanstaaf");

    m = parse_plain_message(second);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->authzid, "Ursel");
    EXPECT_EQ(m->authcid, "Kurt");
    EXPECT_EQ(m->passwd, "xipj3plmq");
}

TEST(PlainMessage, NeedsExactlyTwoNuls) {
    EXPECT_FALSE(parse_plain_message(""));
    EXPECT_FALSE(parse_plain_message("timpassword"));
    EXPECT_FALSE(parse_plain_message("\0timpassword"s));
    EXPECT_FALSE(parse_plain_message("\0tim\0pass\0word"s));
    EXPECT_FALSE(parse_plain_message("\0\0\0"s));
}

TEST(PlainMessage, AuthcidAndPasswordMustNotBeEmpty) {
    EXPECT_FALSE(parse_plain_message("\0\0password"s));
    EXPECT_FALSE(parse_plain_message("\0tim\0"s));
    EXPECT_FALSE(parse_plain_message("zid\0\0"s));
}

TEST(PlainMessage, FieldsUpTo255Octets) {
    const std::string max(255, 'a'), over(256, 'a');
    EXPECT_TRUE(parse_plain_message(max + '\0' + max + '\0' + max));
    EXPECT_FALSE(parse_plain_message(over + '\0' + "tim" + '\0' + "pw"));
    EXPECT_FALSE(parse_plain_message("\0"s + over + '\0' + "pw"));
    EXPECT_FALSE(parse_plain_message("\0tim\0"s + over));
}

TEST(PlainMessage, ViewsPointIntoTheInput) {
    const std::string msg = "\0tim\0secret"s;
    const auto m = parse_plain_message(msg);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->passwd.data(), msg.data() + 5);  // no copy of the password
}

TEST(PlainMessage, PrintableMasksControlCharacters) {
    EXPECT_EQ(mailfw::printable("a\r\nb\x7f"), "a??b?");
    EXPECT_EQ(mailfw::printable(std::string(300, 'x'), 255).size(), 255u);
}

}  // namespace
