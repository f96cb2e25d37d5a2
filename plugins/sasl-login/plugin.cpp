// sasl-login: binds the LOGIN state machine to the host through the C ABI.
#include "login_exchange.hpp"

#include <mailfw/plugin.hpp>

namespace {

using mailfw::sasl_login::CredentialChecker;
using mailfw::sasl_login::LoginExchange;

struct Instance : mailfw::PluginInstance {
    using PluginInstance::PluginInstance;
};

// Credentials go through the host, which asks the loaded stores in order.
class HostChecker final : public CredentialChecker {
public:
    HostChecker(const mailfw::Host& host, mailfw_session* session) noexcept
        : host_(host), session_(session) {}
    int verify(std::string_view user, std::string_view password) override {
        return host_.verify_password(session_, user, password);
    }
    void authenticated(std::string_view user) override {
        host_.set_auth_identity(session_, user, "LOGIN");
    }

private:
    const mailfw::Host& host_;
    mailfw_session* session_;
};

class Exchange final : public mailfw::ServerExchange {
public:
    Exchange(Instance& instance, mailfw_session* session)
        : checker_(instance.host(), session), login_(checker_) {}
    int step(const unsigned char* in, size_t len, std::string& out) override {
        return login_.step(in, len, out);
    }

private:
    HostChecker checker_;
    LoginExchange login_;
};

// The password travels in clear (PLAINTEXT: TLS first by default); the
// server speaks first, so an initial response is optional, not expected.
constexpr mailfw_server_mech mechs[] = {
    mailfw::server_mech<Instance, Exchange>("LOGIN", MAILFW_MECH_PLAINTEXT)};

constexpr mailfw_plugin descriptor = mailfw::plugin_descriptor<Instance>(
    "sasl-login", "1.0.0", "AUTH LOGIN (MS-XLOGIN), server side", nullptr, 0, mechs, 1);

}  // namespace

MAILFW_PLUGIN(descriptor)
