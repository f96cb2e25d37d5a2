// sasl-login: binds the LOGIN state machine to the host through the C ABI.
#include "login_exchange.hpp"

#include <mailfw/plugin.hpp>

namespace {

using mailfw::sasl_login::LoginExchange;

struct Instance : mailfw::PluginInstance {
    using PluginInstance::PluginInstance;
};

class Exchange final : public mailfw::ServerExchange {
public:
    Exchange(Instance& instance, mailfw_session* session)
        : checker_(instance.host(), session, "LOGIN"), login_(checker_) {}
    int step(const unsigned char* in, size_t len, std::string& out) override {
        return login_.step(in, len, out);
    }

private:
    mailfw::HostCredentials checker_;
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
