// $pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>: format, vectors, checks.
#include "store-sqlite/password_hash.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <regex>
#include <vector>

namespace {

using namespace mailfw::store_sqlite;

TEST(Base64, Rfc4648Vectors) {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, coded] : vectors) {
        EXPECT_EQ(base64_encode(plain), coded);
        EXPECT_EQ(base64_decode(coded), plain);
    }
}

TEST(Base64, DecodeIsStrict) {
    for (const char* bad : {"Zg", "Zg=", "Z===", "Zg=a", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "Zg==Zg=="})
        EXPECT_FALSE(base64_decode(bad)) << bad;
}

TEST(PasswordHash, FormatCarriesSchemeCountSaltAndKey) {
    const std::string h = hash_password("correct horse", 1000);
    EXPECT_TRUE(std::regex_match(h, std::regex(R"(\$pbkdf2-sha256\$1000\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=)")))
        << h;
    const auto parts = parse_hash(h);
    ASSERT_TRUE(parts);
    EXPECT_EQ(parts->iterations, 1000u);
    EXPECT_EQ(parts->salt.size(), salt_bytes);
    EXPECT_EQ(parts->key.size(), key_bytes);
}

TEST(PasswordHash, SaltIsFreshEachTime) {
    EXPECT_NE(hash_password("same", 1000), hash_password("same", 1000));
}

TEST(PasswordHash, ChecksRightAndWrongPasswords) {
    const std::string h = hash_password("correct horse", 1000);
    EXPECT_EQ(check_password("correct horse", h), HashCheck::Match);
    EXPECT_EQ(check_password("correct horsf", h), HashCheck::Mismatch);
    EXPECT_EQ(check_password("", h), HashCheck::Mismatch);
    const std::string binary("p\0w", 3);
    EXPECT_EQ(check_password(binary, hash_password(binary, 10)), HashCheck::Match);
    EXPECT_EQ(check_password("p", hash_password(binary, 10)), HashCheck::Mismatch);
}

TEST(PasswordHash, MatchesThePbkdf2TestVector) {
    // RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1), first 32 bytes.
    const unsigned char dk[32] = {0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91,
                                  0xc2, 0x25, 0x44, 0xb6, 0x05, 0xf9, 0x41, 0x85, 0x21, 0x6d, 0xde,
                                  0x04, 0x65, 0xe6, 0x8b, 0x9d, 0x57, 0xc2, 0x0d, 0xac, 0xbc};
    const std::string encoded = "$pbkdf2-sha256$1$" + base64_encode("salt") + "$" +
                                base64_encode({reinterpret_cast<const char*>(dk), sizeof dk});
    EXPECT_EQ(check_password("passwd", encoded), HashCheck::Match);
    EXPECT_EQ(check_password("Passwd", encoded), HashCheck::Mismatch);
}

TEST(PasswordHash, MalformedHashesAreReportedNotMatched) {
    const std::string good = hash_password("pw", 5);
    const std::string salt = base64_encode(std::string(16, 's'));
    const std::string key = base64_encode(std::string(32, 'k'));
    for (const std::string& bad : {
             std::string(), std::string("pw"), std::string("$pbkdf2-sha1$5$") + salt + "$" + key,
             "$pbkdf2-sha256$$" + salt + "$" + key, "$pbkdf2-sha256$0$" + salt + "$" + key,
             "$pbkdf2-sha256$05$" + salt + "$" + key, "$pbkdf2-sha256$-5$" + salt + "$" + key,
             "$pbkdf2-sha256$5x$" + salt + "$" + key, "$pbkdf2-sha256$999999999$" + salt + "$" + key,
             "$pbkdf2-sha256$5$" + salt, "$pbkdf2-sha256$5$$" + key,
             "$pbkdf2-sha256$5$" + salt + "$" + base64_encode(std::string(31, 'k')),
             "$pbkdf2-sha256$5$" + salt + "$" + key + "$", good + "A"}) {
        EXPECT_EQ(check_password("pw", bad), HashCheck::Malformed) << bad;
    }
    EXPECT_EQ(check_password("pw", good), HashCheck::Match);
}

TEST(PasswordHash, RefusesIterationCountsOutOfRange) {
    EXPECT_THROW(hash_password("pw", 0), std::invalid_argument);
    EXPECT_THROW(hash_password("pw", max_iterations + 1), std::invalid_argument);
}

// CPU time of this thread: the work done, whatever else shares the machine.
double cpu_ms(const std::function<void()>& f) {
    timespec a{}, b{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    f();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    return (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
}

TEST(PasswordHash, DummyCheckDoesTheSameWorkAsARealOne) {
    const uint32_t n = 20000;
    const std::string h = hash_password("real", n);
    double real = 1e9, dummy = 1e9;
    for (int i = 0; i < 5; ++i) {
        real = std::min(real, cpu_ms([&] { (void)check_password("wrong", h); }));
        dummy = std::min(dummy, cpu_ms([&] { dummy_check("wrong", n); }));
    }
    EXPECT_GT(dummy, real * 0.5);
    EXPECT_LT(dummy, real * 2.0);
}

}  // namespace
