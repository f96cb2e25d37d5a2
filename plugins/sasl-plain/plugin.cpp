// sasl-plain: binds the PLAIN exchange to the host through the C ABI.
#include "plain_exchange.hpp"

#include <mailfw/plugin.hpp>

namespace {

using mailfw::sasl_plain::PlainExchange;

struct Instance : mailfw::PluginInstance {
    using PluginInstance::PluginInstance;
};

class Exchange final : public mailfw::ServerExchange {
public:
    Exchange(Instance& instance, mailfw_session* session)
        : checker_(instance.host(), session, "PLAIN"), plain_(checker_) {}
    int step(const unsigned char* in, size_t len, std::string& out) override {
        return plain_.step(in, len, out);
    }

private:
    mailfw::HostCredentials checker_;
    PlainExchange plain_;
};

// A reusable password in clear (TLS first by default); the client speaks
// first with the whole message, usually as the initial response.
constexpr mailfw_server_mech mechs[] = {mailfw::server_mech<Instance, Exchange>(
    "PLAIN", MAILFW_MECH_PLAINTEXT | MAILFW_MECH_CLIENT_FIRST)};

constexpr mailfw_plugin descriptor = mailfw::plugin_descriptor<Instance>(
    "sasl-plain", "1.0.0", "AUTH PLAIN (RFC 4616), server side", nullptr, 0, mechs, 1);

}  // namespace

MAILFW_PLUGIN(descriptor)
