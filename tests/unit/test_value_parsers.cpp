#include <gtest/gtest.h>

#include "config/value_parsers.hpp"

using namespace mailfw;

TEST(ValueParsers, Bool) {
    for (auto t : {"true", "TRUE", "yes", "On", "1", " true "}) EXPECT_EQ(parse_bool(t), true) << t;
    for (auto f : {"false", "No", "off", "0"}) EXPECT_EQ(parse_bool(f), false) << f;
    for (auto bad : {"", "2", "enabled", "truee", "y"}) EXPECT_FALSE(parse_bool(bad)) << bad;
}

TEST(ValueParsers, Int) {
    EXPECT_EQ(parse_int("42"), 42);
    EXPECT_EQ(parse_int("-7"), -7);
    EXPECT_EQ(parse_int("+7"), 7);
    EXPECT_EQ(parse_int("9223372036854775807"), INT64_MAX);
    EXPECT_EQ(parse_int("-9223372036854775808"), INT64_MIN);
    for (auto bad : {"", "+", "-", "+-1", "1.5", "12a", "0x10", "9223372036854775808", "1 2"})
        EXPECT_FALSE(parse_int(bad)) << bad;
}

TEST(ValueParsers, Duration) {
    EXPECT_EQ(parse_duration_ms("250ms"), 250u);
    EXPECT_EQ(parse_duration_ms("30s"), 30000u);
    EXPECT_EQ(parse_duration_ms("30"), 30000u);  // bare number = seconds
    EXPECT_EQ(parse_duration_ms("5m"), 300000u);
    EXPECT_EQ(parse_duration_ms("1h"), 3600000u);
    EXPECT_EQ(parse_duration_ms("2d"), 172800000u);
    EXPECT_EQ(parse_duration_ms("0s"), 0u);
    EXPECT_EQ(parse_duration_ms("10 S"), 10000u);
    EXPECT_EQ(parse_duration_ms("5M"), 300000u);
    for (auto bad : {"", "s", "-1s", "1.5s", "5 minutes", "1w", "10x", "99999999999999999999s",
                     "999999999999999999d"})
        EXPECT_FALSE(parse_duration_ms(bad)) << bad;
}

TEST(ValueParsers, Size) {
    EXPECT_EQ(parse_size_bytes("512"), 512u);
    EXPECT_EQ(parse_size_bytes("512B"), 512u);
    EXPECT_EQ(parse_size_bytes("64KiB"), 65536u);
    EXPECT_EQ(parse_size_bytes("36MiB"), 37748736u);
    EXPECT_EQ(parse_size_bytes("1GiB"), 1073741824u);
    EXPECT_EQ(parse_size_bytes("10kB"), 10000u);
    EXPECT_EQ(parse_size_bytes("1MB"), 1000000u);
    EXPECT_EQ(parse_size_bytes("2GB"), 2000000000u);
    EXPECT_EQ(parse_size_bytes("64kib"), 65536u);  // units are case-insensitive
    EXPECT_EQ(parse_size_bytes("10KB"), 10000u);
    EXPECT_EQ(parse_size_bytes("36 MiB"), 37748736u);
    for (auto bad : {"", "MiB", "-1", "1.5MiB", "12 apples", "36M", "18446744073709551616",
                     "20000000000GiB"})
        EXPECT_FALSE(parse_size_bytes(bad)) << bad;
}

TEST(ValueParsers, Endpoint) {
    auto v4 = parse_endpoint("127.0.0.1:2525");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->address, "127.0.0.1");
    EXPECT_EQ(v4->port, 2525);
    auto v6 = parse_endpoint("[::1]:2525");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->address, "::1");
    EXPECT_EQ(v6->port, 2525);
    auto any = parse_endpoint("*:25");
    ASSERT_TRUE(any);
    EXPECT_EQ(any->address, "0.0.0.0");
    EXPECT_EQ(any->port, 25);
    EXPECT_EQ(parse_endpoint("0.0.0.0:65535")->port, 65535);
    for (auto bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "::1:25", "[::1]", "[::1]25",
                     "[127.0.0.1]:25", "localhost:25", "1.2.3:25", "127.0.0.1:-1", "127.0.0.1:2x", "[zz]:25"})
        EXPECT_FALSE(parse_endpoint(bad)) << bad;
}
