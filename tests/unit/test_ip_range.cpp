#include <gtest/gtest.h>

#include "net/ip_range.hpp"

using namespace mailfw;

TEST(IpRange, ParsesAddressesAndNetworks) {
    auto a = parse_ip_range("192.0.2.7");
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->v6);
    EXPECT_EQ(a->prefix, 32u);
    auto n = parse_ip_range("192.0.2.0/24");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->prefix, 24u);
    auto v6 = parse_ip_range("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->v6);
    EXPECT_EQ(v6->prefix, 32u);
    auto any = parse_ip_range("0.0.0.0/0");
    ASSERT_TRUE(any);
    EXPECT_TRUE(in_range(*any, "203.0.113.9"));
    EXPECT_FALSE(in_range(*any, "::1"));  // families never mix
}

TEST(IpRange, RefusesWhatIsNotARange) {
    for (const char* bad : {"", "/", "192.0.2.0/", "192.0.2.0/33", "192.0.2.0/x", "192.0.2.0/24/1", "192.0.2",
                            "10.0.0.1/8", "2001:db8::1/32", "2001:db8::/129", "::ffff:10.0.0.0/104", "host.example",
                            "192.0.2.0/+8", " 192.0.2.0/24"})
        EXPECT_FALSE(parse_ip_range(bad)) << bad;
}

TEST(IpRange, Membership) {
    auto n = *parse_ip_range("192.0.2.0/25");
    EXPECT_TRUE(in_range(n, "192.0.2.0"));
    EXPECT_TRUE(in_range(n, "192.0.2.127"));
    EXPECT_FALSE(in_range(n, "192.0.2.128"));
    EXPECT_FALSE(in_range(n, "192.0.3.1"));
    EXPECT_FALSE(in_range(n, "not an address"));
    // An IPv4 client seen through an IPv6 socket is the IPv4 address.
    EXPECT_TRUE(in_range(n, "::ffff:192.0.2.9"));
    auto v6 = *parse_ip_range("2001:db8:abcd::/48");
    EXPECT_TRUE(in_range(v6, "2001:db8:abcd:1::25"));
    EXPECT_FALSE(in_range(v6, "2001:db8:abce::25"));
    auto odd = *parse_ip_range("10.0.0.0/13");
    EXPECT_TRUE(in_range(odd, "10.7.255.255"));
    EXPECT_FALSE(in_range(odd, "10.8.0.0"));
    EXPECT_TRUE(in_any_range({*parse_ip_range("127.0.0.1"), odd}, "10.1.2.3"));
    EXPECT_FALSE(in_any_range({}, "127.0.0.1"));
}

TEST(IpRange, LongestMatchIsTheMostSpecificRange) {
    std::vector<IpRange> ranges;
    for (const char* t : {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "2001:db8::/32"}) ranges.push_back(*parse_ip_range(t));
    EXPECT_EQ(longest_match(ranges, "10.9.9.9"), 8u);
    EXPECT_EQ(longest_match(ranges, "10.1.9.9"), 16u);
    EXPECT_EQ(longest_match(ranges, "10.1.2.3"), 32u);
    EXPECT_EQ(longest_match(ranges, "::ffff:10.1.2.3"), 32u);
    EXPECT_EQ(longest_match(ranges, "2001:db8:5::1"), 32u);
    EXPECT_EQ(longest_match(ranges, "192.0.2.1"), std::nullopt);
    EXPECT_EQ(longest_match(ranges, "not an address"), std::nullopt);
    EXPECT_EQ(longest_match({}, "10.0.0.1"), std::nullopt);
}

TEST(IpRange, SourceNetworkGroupsIpv6ByPrefix) {
    EXPECT_EQ(source_network("192.0.2.7", 64), "192.0.2.7");
    EXPECT_EQ(source_network("::ffff:192.0.2.7", 64), "192.0.2.7");
    EXPECT_EQ(source_network("2001:db8:1:2:aaaa::1", 64), "2001:db8:1:2::/64");
    EXPECT_EQ(source_network("2001:db8:1:2:aaaa::1", 48), "2001:db8:1::/48");
    EXPECT_EQ(source_network("2001:db8::1", 128), "2001:db8::1/128");
    EXPECT_EQ(source_network("2001:db8::1", 500), "2001:db8::1/128");
    EXPECT_EQ(source_network("", 64), std::nullopt);
    EXPECT_EQ(source_network("2001:db8::zz", 64), std::nullopt);
}
