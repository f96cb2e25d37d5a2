#include "deliver-maildir/maildir_name.hpp"
#include "deliver-maildir/text_pool.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace {

using namespace mailfw::deliver_maildir;

TEST(MaildirName, MailboxRules) {
    EXPECT_TRUE(valid_mailbox("alice@example.org"));
    EXPECT_TRUE(valid_mailbox("a.b+tag@example.org"));
    EXPECT_TRUE(valid_mailbox("\"quoted local\"@example.org"));
    EXPECT_TRUE(valid_mailbox(std::string(255, 'a')));
    EXPECT_FALSE(valid_mailbox(std::string(256, 'a')));
    EXPECT_FALSE(valid_mailbox(""));
    EXPECT_FALSE(valid_mailbox("."));
    EXPECT_FALSE(valid_mailbox(".."));
    EXPECT_FALSE(valid_mailbox(".hidden@example.org"));
    EXPECT_FALSE(valid_mailbox("../etc@example.org"));
    EXPECT_FALSE(valid_mailbox("a/b@example.org"));
    EXPECT_FALSE(valid_mailbox(std::string("a\0b", 3)));
    EXPECT_FALSE(valid_mailbox("a\r\nb"));
    EXPECT_FALSE(valid_mailbox("a\x7f"));
}

TEST(MaildirName, ReturnPathRules) {
    EXPECT_TRUE(valid_return_path(""));
    EXPECT_TRUE(valid_return_path("bounce@example.org"));
    EXPECT_FALSE(valid_return_path("a\r\nX-Injected: 1"));
    EXPECT_FALSE(valid_return_path(std::string("a\0", 2)));
}

TEST(MaildirName, HostnameEscaping) {
    EXPECT_EQ(escape_hostname("mx.example.org"), "mx.example.org");
    EXPECT_EQ(escape_hostname("a/b:c"), "a\\057b\\072c");
}

TEST(MaildirName, UniqueNameLayout) {
    EXPECT_EQ(unique_name(1700000000, 42, 4242, 7, "mx"), "1700000000.M42P4242Q7.mx");
    const std::string n = next_unique_name("host");
    EXPECT_TRUE(std::regex_match(n, std::regex(R"(\d+\.M\d{1,6}P\d+Q\d+\.host)"))) << n;
}

TEST(MaildirName, NamesDoNotRepeat) {
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(next_unique_name("h")).second);
}

TEST(MaildirName, LocalHostnameIsUsable) {
    const std::string h = local_hostname();
    EXPECT_FALSE(h.empty());
    EXPECT_EQ(h.find('/'), std::string::npos);
    EXPECT_EQ(h.find(':'), std::string::npos);
}

TEST(TextPool, InternedTextsAreStable) {
    TextPool pool(2);
    const std::string_view a = pool.intern(std::string("first"), "full");
    const std::string_view b = pool.intern(std::string("second"), "full");
    EXPECT_EQ(pool.intern("first", "full").data(), a.data());
    EXPECT_EQ(a, "first");
    EXPECT_EQ(b, "second");
    EXPECT_EQ(pool.intern("third", "full"), "full");
}

}  // namespace
