// store-sqlite's NT hashes for NTLM: MS-NLMP's NTOWFv1 values, kept only when
// ntlm_hashes is on, replaced with the password and never outliving it.
#include "store-sqlite/credential_store.hpp"
#include "common/nt_hash.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace {

using mailfw::store_sqlite::CredentialStore;
using mailfw::plugin_common::kNtHashProperty;

void quiet(int, std::string_view) {}

std::string nt_of(CredentialStore& s, const char* user) {
    std::string v;
    return s.lookup(user, kNtHashProperty, v) == MAILFW_OK ? v : "<none>";
}

}  // namespace

TEST(NtHash, KnownValues) {
    const mailfw::plugin_common::LegacyCrypto legacy;
    auto nt_hash_hex = [&legacy](std::string_view pw) { return mailfw::plugin_common::nt_hash_hex(legacy, pw); };
    // MS-NLMP 4.2.1 ("Password") and the well-known NT hash of "password".
    EXPECT_EQ(nt_hash_hex("Password"), "a4f49c406510bdcab6824ee7c30fd852");
    EXPECT_EQ(nt_hash_hex("password"), "8846f7eaee8fb117ad06bdd830b7586c");
    EXPECT_EQ(nt_hash_hex(""), "31d6cfe0d16ae931b73c59d7e0c089c0");
    EXPECT_TRUE(nt_hash_hex("pässwörd€\xf0\x9f\x93\xa7").has_value()) << "any UTF-8, including outside the BMP";
    EXPECT_FALSE(nt_hash_hex("\xff\xfe").has_value()) << "not UTF-8";
    EXPECT_FALSE(nt_hash_hex("\xed\xa0\x80").has_value()) << "a surrogate";
}

TEST(NtHash, KeptWithThePasswordOnlyWhenAskedFor) {
    mailfw::test::TempDir dir;
    const std::string path = dir.path() + "/users.db";
    {
        CredentialStore off(path, 1000, &quiet, false);
        ASSERT_EQ(off.user_set(MAILFW_USER_CREATE, "alice", "password"), MAILFW_OK);
        EXPECT_EQ(nt_of(off, "alice"), "");
    }
    CredentialStore on(path, 1000, &quiet, true);
    EXPECT_EQ(on.verify("alice", "password"), MAILFW_OK);
    EXPECT_EQ(nt_of(on, "alice"), "8846f7eaee8fb117ad06bdd830b7586c") << "backfilled at a successful login";
    ASSERT_EQ(on.user_set(MAILFW_USER_UPDATE, "alice", "Password"), MAILFW_OK);
    EXPECT_EQ(nt_of(on, "alice"), "a4f49c406510bdcab6824ee7c30fd852");
    ASSERT_EQ(on.user_set(MAILFW_USER_CREATE, "bob", "password"), MAILFW_OK);
    EXPECT_EQ(nt_of(on, "bob"), "8846f7eaee8fb117ad06bdd830b7586c");
    CredentialStore off_again(path, 1000, &quiet, false);
    ASSERT_EQ(off_again.user_set(MAILFW_USER_UPDATE, "alice", "something else"), MAILFW_OK);
    EXPECT_EQ(nt_of(off_again, "alice"), "") << "an old hash must not outlive a password change";
}
