// What the limit plugins share (plugins/common): how limits are
// written in replies, how list values split, and the one-line refusal of a
// bad network.
#include <gtest/gtest.h>

#include <stdexcept>

#include "common/limit_support.hpp"

using mailfw::limits::duration_text;
using mailfw::limits::range_or_throw;
using mailfw::limits::split_words;

TEST(LimitSupport, DurationsAreWrittenAsAnOperatorWouldWriteThem) {
    EXPECT_EQ(duration_text(300000), "5m");
    EXPECT_EQ(duration_text(600000), "10m");
    EXPECT_EQ(duration_text(1000), "1s");
    EXPECT_EQ(duration_text(90000), "90s");
    EXPECT_EQ(duration_text(3600000), "1h");
    EXPECT_EQ(duration_text(86400000), "1d");
    EXPECT_EQ(duration_text(1500), "1500ms");
    EXPECT_EQ(duration_text(0), "0ms");
}

TEST(LimitSupport, ListValuesSplitAtSpacesAndCommas) {
    EXPECT_EQ(split_words("submission 10.0.0.0/8, 192.0.2.7\t2001:db8::/32"),
              (std::vector<std::string>{"submission", "10.0.0.0/8", "192.0.2.7", "2001:db8::/32"}));
    EXPECT_EQ(split_words(" ,, "), std::vector<std::string>{});
    EXPECT_EQ(split_words(""), std::vector<std::string>{});
    EXPECT_EQ(split_words("one"), std::vector<std::string>{"one"});
}

TEST(LimitSupport, ABadNetworkNamesTheKeyThePluginAndTheForm) {
    EXPECT_TRUE(range_or_throw("10.0.0.0/8", "deny", "access-ip").prefix == 8);
    try {
        range_or_throw("10.0.0.1/8", "deny", "access-ip");
        FAIL() << "host bits after the prefix must be refused";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(),
                     "bad value '10.0.0.1/8' for 'deny' in [access-ip]: expected an address or a network like "
                     "192.0.2.0/24 or 2001:db8::/32 (no host bits after the prefix)");
    }
    EXPECT_THROW(range_or_throw("mail.example.org", "exempt", "limit-connections"), std::runtime_error);
}
