#include "store-sqlite/user_name.hpp"

#include <gtest/gtest.h>

namespace {

using mailfw::store_sqlite::valid_user_name;

TEST(StoreUserName, Rules) {
    EXPECT_TRUE(valid_user_name("alice"));
    EXPECT_TRUE(valid_user_name("alice@example.org"));
    EXPECT_TRUE(valid_user_name("J\xc3\xbcrgen"));  // UTF-8 is fine
    EXPECT_TRUE(valid_user_name(std::string(255, 'a')));
    EXPECT_FALSE(valid_user_name(std::string(256, 'a')));
    EXPECT_FALSE(valid_user_name(""));
    EXPECT_FALSE(valid_user_name(std::string("a\0b", 3)));
    EXPECT_FALSE(valid_user_name("a\nb"));
    EXPECT_FALSE(valid_user_name("a\tb"));
    EXPECT_FALSE(valid_user_name("a\x7f"));
}

}  // namespace
