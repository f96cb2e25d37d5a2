#include <gtest/gtest.h>

#include "plugin/abi.hpp"

using namespace mailfw;

TEST(Abi, SameMajorAndOlderOrEqualMinorLoads) {
    EXPECT_FALSE(abi_refusal(1, 0, 1, 0));
    EXPECT_FALSE(abi_refusal(1, 3, 1, 0));
    EXPECT_FALSE(abi_refusal(1, 3, 1, 3));
}

TEST(Abi, OtherMajorIsRefusedNamingBothVersions) {
    EXPECT_EQ(abi_refusal(1, 0, 2, 0),
              "built for plugin ABI 2.0, this mailfwd speaks 1.0; rebuild the plugin against this SDK");
    EXPECT_EQ(abi_refusal(2, 1, 1, 4),
              "built for plugin ABI 1.4, this mailfwd speaks 2.1; rebuild the plugin against this SDK");
}

TEST(Abi, NewerMinorIsRefusedNamingBothVersions) {
    EXPECT_EQ(abi_refusal(1, 0, 1, 1),
              "built for plugin ABI 1.1, this mailfwd speaks 1.0; rebuild the plugin against this SDK or upgrade "
              "mailfw");
}
