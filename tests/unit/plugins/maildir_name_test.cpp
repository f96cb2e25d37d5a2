#include "deliver-maildir/maildir_name.hpp"
#include "deliver-maildir/local_recipients.hpp"

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

TEST(LocalRecipients, DomainsAreCaseInsensitiveAndDefaultToTheServer) {
    LocalDomains configured({"Example.TEST", "other.test"});
    EXPECT_TRUE(configured.is_local("example.test", "mx.example.org"));
    EXPECT_TRUE(configured.is_local("EXAMPLE.test", "mx.example.org"));
    EXPECT_TRUE(configured.is_local("other.test", "mx.example.org"));
    EXPECT_FALSE(configured.is_local("mx.example.org", "mx.example.org"));  // configured: only those
    EXPECT_FALSE(configured.is_local("example.test.evil", "mx.example.org"));
    LocalDomains defaults({});
    EXPECT_TRUE(defaults.is_local("MX.example.org", "mx.example.org"));
    EXPECT_TRUE(defaults.is_local("localhost", "mx.example.org"));
    EXPECT_FALSE(defaults.is_local("example.test", "mx.example.org"));
    LocalDomains any({"*"});
    EXPECT_TRUE(any.is_local("anything.example", "mx.example.org"));
}

TEST(LocalRecipients, MailboxKeepsTheLocalPartAndLowersTheDomain) {
    EXPECT_EQ(mailbox_for("Bob@Example.TEST"), "Bob@example.test");
    EXPECT_EQ(mailbox_for("postmaster"), "postmaster");
    EXPECT_EQ(mailbox_for("\"a@b\"@X.test"), "\"a@b\"@x.test");
    EXPECT_EQ(domain_of("a@B.test"), "B.test");
    EXPECT_EQ(domain_of("postmaster"), "");
    EXPECT_EQ(user_candidates("bob@example.test"), (std::vector<std::string>{"bob@example.test", "bob"}));
    EXPECT_EQ(user_candidates("postmaster"), (std::vector<std::string>{"postmaster"}));
}

}  // namespace
