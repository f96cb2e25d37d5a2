// sasl-login and sasl-plain loaded as the host loads them.
#include "fake_host.hpp"
#include "loaded_plugin.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace {

using mailfw::test::FakeHost;
using mailfw::test::LoadedPlugin;
using namespace std::string_literals;

struct Step {
    int result;
    std::string out;
};

Step step(const mailfw_server_mech& mech, void* state, const std::string* in) {
    const unsigned char* out = nullptr;
    size_t out_len = 0;
    const int r = mech.step(state, in ? reinterpret_cast<const unsigned char*>(in->data()) : nullptr,
                            in ? in->size() : 0, &out, &out_len);
    return {r, std::string(reinterpret_cast<const char*>(out), out_len)};
}

TEST(SaslLoginAbi, DescriptorAndExchange) {
    LoadedPlugin plugin("sasl-login");
    const mailfw_plugin& d = plugin.descriptor();
    EXPECT_EQ(d.abi_major, MAILFW_ABI_MAJOR);
    EXPECT_STREQ(d.name, "sasl-login");
    EXPECT_EQ(d.key_count, 0u);
    ASSERT_EQ(d.server_mech_count, 1u);
    const mailfw_server_mech& mech = d.server_mechs[0];
    EXPECT_STREQ(mech.name, "LOGIN");
    EXPECT_EQ(mech.flags, MAILFW_MECH_PLAINTEXT);  // server speaks first
    EXPECT_EQ(d.store, nullptr);
    EXPECT_EQ(d.delivery, nullptr);

    FakeHost host;
    host.passwords["Charlie"] = "password";
    void* instance = plugin.create(host);
    ASSERT_NE(instance, nullptr) << plugin.error();

    void* state = mech.start(instance, host.session());
    ASSERT_NE(state, nullptr);
    Step s = step(mech, state, nullptr);
    EXPECT_EQ(s.result, MAILFW_SASL_CONTINUE);
    EXPECT_EQ(s.out, "Username:");
    const std::string user = "Charlie", pw = "password";
    s = step(mech, state, &user);
    EXPECT_EQ(s.result, MAILFW_SASL_CONTINUE);
    EXPECT_EQ(s.out, "Password:");
    s = step(mech, state, &pw);
    EXPECT_EQ(s.result, MAILFW_SASL_OK);
    mech.finish(state);
    ASSERT_EQ(host.identities.size(), 1u);
    EXPECT_EQ(host.identities[0].user, "Charlie");
    EXPECT_EQ(host.identities[0].detail, "LOGIN");

    // Initial response, wrong password: FAIL with a reason that is not the password.
    state = mech.start(instance, host.session());
    s = step(mech, state, &user);
    EXPECT_EQ(s.out, "Password:");
    const std::string wrong = "hunter2";
    s = step(mech, state, &wrong);
    EXPECT_EQ(s.result, MAILFW_SASL_FAIL);
    EXPECT_EQ(s.out, "wrong password");
    mech.finish(state);
    EXPECT_EQ(host.identities.size(), 1u);
    plugin.destroy(instance);
}

TEST(SaslPlainAbi, DescriptorAndExchange) {
    LoadedPlugin plugin("sasl-plain");
    const mailfw_plugin& d = plugin.descriptor();
    EXPECT_STREQ(d.name, "sasl-plain");
    ASSERT_EQ(d.server_mech_count, 1u);
    const mailfw_server_mech& mech = d.server_mechs[0];
    EXPECT_STREQ(mech.name, "PLAIN");
    EXPECT_EQ(mech.flags, MAILFW_MECH_PLAINTEXT | MAILFW_MECH_CLIENT_FIRST);

    FakeHost host;
    host.passwords["Kurt"] = "xipj3plmq";
    host.proxy_rights.insert({"Kurt", "Ursel"});
    void* instance = plugin.create(host);
    ASSERT_NE(instance, nullptr) << plugin.error();

    void* state = mech.start(instance, host.session());
    Step s = step(mech, state, nullptr);
    EXPECT_EQ(s.result, MAILFW_SASL_CONTINUE);
    EXPECT_TRUE(s.out.empty());  // the host sends "334 " or "334 PLAIN supported"
    const std::string msg = "Ursel\0Kurt\0xipj3plmq"s;
    s = step(mech, state, &msg);
    EXPECT_EQ(s.result, MAILFW_SASL_OK);
    EXPECT_EQ(step(mech, state, &msg).result, MAILFW_SASL_FAIL);  // no second round
    mech.finish(state);
    ASSERT_EQ(host.identities.size(), 1u);
    EXPECT_EQ(host.identities[0].user, "Ursel");
    EXPECT_EQ(host.identities[0].detail, "PLAIN");

    state = mech.start(instance, host.session());
    const std::string other = "tim\0Kurt\0xipj3plmq"s;
    s = step(mech, state, &other);
    EXPECT_EQ(s.result, MAILFW_SASL_FAIL);
    EXPECT_EQ(s.out, "not authorized to act as tim");
    mech.finish(state);

    host.verify_override = MAILFW_UNAVAILABLE;
    state = mech.start(instance, host.session());
    EXPECT_EQ(step(mech, state, &msg).result, MAILFW_SASL_ERROR);
    mech.finish(state);
    plugin.destroy(instance);
}

}  // namespace
