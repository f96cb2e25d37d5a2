// store-sqlite loaded as the host loads it, driven through mailfw_store.
#include "fake_host.hpp"
#include "loaded_plugin.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace {

using mailfw::test::FakeHost;
using mailfw::test::LoadedPlugin;
using mailfw::test::TempDir;

const mailfw_config_key* find_key(const mailfw_plugin& d, const char* name) {
    for (size_t i = 0; i < d.key_count; ++i)
        if (std::string(d.keys[i].name) == name) return &d.keys[i];
    return nullptr;
}

int set_user(const mailfw_store& s, void* inst, int mode, const std::string& u, const std::string& p) {
    return s.user_set(inst, mode, u.data(), u.size(), p.data(), p.size());
}
int verify(const mailfw_store& s, void* inst, const std::string& u, const std::string& p) {
    return s.verify(inst, u.data(), u.size(), p.data(), p.size());
}

TEST(StoreSqliteAbi, DeclaresItsKeysAndSlots) {
    LoadedPlugin plugin("store-sqlite");
    const mailfw_plugin& d = plugin.descriptor();
    EXPECT_STREQ(d.name, "store-sqlite");
    ASSERT_EQ(d.key_count, 3u);
    const mailfw_config_key* nt = find_key(d, "ntlm_hashes");
    ASSERT_NE(nt, nullptr);
    EXPECT_EQ(nt->type, static_cast<uint32_t>(MAILFW_KEY_BOOL));
    EXPECT_STREQ(nt->default_value, "false") << "NT hashes are password equivalents: opt-in";
    const mailfw_config_key* path = find_key(d, "path");
    ASSERT_NE(path, nullptr);
    EXPECT_EQ(path->type, static_cast<uint32_t>(MAILFW_KEY_PATH));
    EXPECT_EQ(path->flags & MAILFW_KEY_REQUIRED, MAILFW_KEY_REQUIRED);
    const mailfw_config_key* iter = find_key(d, "pbkdf2_iterations");
    ASSERT_NE(iter, nullptr);
    EXPECT_EQ(iter->type, static_cast<uint32_t>(MAILFW_KEY_INT));
    EXPECT_STREQ(iter->default_value, "210000");
    EXPECT_NE(std::string(iter->help).find("OWASP"), std::string::npos);
    EXPECT_NE(std::string(iter->help).find("existing hashes keep their own count"), std::string::npos);

    ASSERT_NE(d.store, nullptr);
    EXPECT_NE(d.store->verify, nullptr);
    EXPECT_NE(d.store->lookup, nullptr);
    EXPECT_NE(d.store->authorize, nullptr);
    EXPECT_NE(d.store->user_set, nullptr);
    EXPECT_NE(d.store->user_delete, nullptr);
    EXPECT_NE(d.store->user_list, nullptr);
    EXPECT_EQ(d.server_mech_count, 0u);
    EXPECT_EQ(d.delivery, nullptr);
}

TEST(StoreSqliteAbi, CreateVerifyAndAdminister) {
    TempDir dir;
    LoadedPlugin plugin("store-sqlite");
    const mailfw_store& s = *plugin.descriptor().store;
    FakeHost host;
    host.strings["path"] = dir / "db/users.db";
    host.numbers["pbkdf2_iterations"] = 1000;
    void* inst = plugin.create(host);
    ASSERT_NE(inst, nullptr) << plugin.error();
    EXPECT_TRUE(host.logged("below OWASP"));  // 1000 is a test value

    struct stat st {};
    ASSERT_EQ(::stat((dir / "db/users.db").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    EXPECT_EQ(set_user(s, inst, MAILFW_USER_CREATE, "alice", "Secr3t!"), MAILFW_OK);
    EXPECT_EQ(set_user(s, inst, MAILFW_USER_CREATE, "alice", "x"), MAILFW_EXISTS);
    EXPECT_EQ(set_user(s, inst, MAILFW_USER_UPDATE, "nobody", "x"), MAILFW_NOT_FOUND);
    EXPECT_EQ(set_user(s, inst, MAILFW_USER_CREATE, "bad\nname", "x"), MAILFW_INVALID);
    EXPECT_EQ(verify(s, inst, "alice", "Secr3t!"), MAILFW_OK);
    EXPECT_EQ(verify(s, inst, "alice", "wrong"), MAILFW_DENIED);
    EXPECT_EQ(verify(s, inst, "nobody", "x"), MAILFW_NOT_FOUND);

    set_user(s, inst, MAILFW_USER_CREATE, "bob", "pw");
    std::vector<std::string> names;
    EXPECT_EQ(s.user_list(inst,
                          [](void* ud, const char* u, size_t n) {
                              static_cast<std::vector<std::string>*>(ud)->emplace_back(u, n);
                          },
                          &names),
              MAILFW_OK);
    EXPECT_EQ(names, (std::vector<std::string>{"alice", "bob"}));

    char buf[8];
    size_t len = 0;
    EXPECT_EQ(s.lookup(inst, "alice", 5, "nt-hash", 7, buf, sizeof buf, &len), MAILFW_NOT_FOUND);
    EXPECT_EQ(s.authorize(inst, "alice", 5, "bob", 3), MAILFW_NOT_FOUND);  // no opinion

    EXPECT_EQ(s.user_delete(inst, "bob", 3), MAILFW_OK);
    EXPECT_EQ(verify(s, inst, "bob", "pw"), MAILFW_NOT_FOUND);

    for (const auto& [level, line] : host.logs()) {
        EXPECT_EQ(line.find("Secr3t!"), std::string::npos);
        EXPECT_EQ(line.find("wrong"), std::string::npos);
    }
    plugin.destroy(inst);

    // A second instance on the same file sees the users.
    FakeHost again;
    again.strings["path"] = dir / "db/users.db";
    again.numbers["pbkdf2_iterations"] = 2000;
    inst = plugin.create(again);
    ASSERT_NE(inst, nullptr) << plugin.error();
    EXPECT_EQ(verify(s, inst, "alice", "Secr3t!"), MAILFW_OK);
    plugin.destroy(inst);
}

TEST(StoreSqliteAbi, CreateErrorsAreOneLineWithTheFix) {
    TempDir dir;
    LoadedPlugin plugin("store-sqlite");

    FakeHost missing;
    EXPECT_EQ(plugin.create(missing), nullptr);
    EXPECT_NE(plugin.error().find("`path =`"), std::string::npos) << plugin.error();

    std::ofstream(dir / "file") << "x";
    FakeHost blocked;
    blocked.strings["path"] = dir / "file/users.db";
    EXPECT_EQ(plugin.create(blocked), nullptr);
    EXPECT_NE(plugin.error().find(dir / "file/users.db"), std::string::npos) << plugin.error();
    EXPECT_NE(plugin.error().find("check `path =` in [store-sqlite]"), std::string::npos) << plugin.error();
    EXPECT_EQ(plugin.error().find('\n'), std::string::npos);

    FakeHost zero;
    zero.strings["path"] = dir / "users.db";
    zero.numbers["pbkdf2_iterations"] = 0;
    EXPECT_EQ(plugin.create(zero), nullptr);
    EXPECT_NE(plugin.error().find("pbkdf2_iterations"), std::string::npos) << plugin.error();
}

}  // namespace
