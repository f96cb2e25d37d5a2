// sasl-plain: binds the PLAIN exchange to the host through the C ABI.
#include "plain_exchange.hpp"

#include <mailfw/plugin.hpp>

namespace {

using mailfw::sasl_plain::CredentialChecker;
using mailfw::sasl_plain::PlainExchange;

struct Instance : mailfw::PluginInstance {
    using PluginInstance::PluginInstance;
};

// Credentials and proxy rights go through the host, which asks the stores.
class HostChecker final : public CredentialChecker {
public:
    HostChecker(const mailfw::Host& host, mailfw_session* session) noexcept
        : host_(host), session_(session) {}
    int verify(std::string_view authcid, std::string_view password) override {
        return host_.verify_password(session_, authcid, password);
    }
    int authorize(std::string_view authcid, std::string_view authzid) override {
        return host_.authorize(session_, authcid, authzid);
    }
    void authenticated(std::string_view identity) override {
        host_.set_auth_identity(session_, identity, "PLAIN");
    }

private:
    const mailfw::Host& host_;
    mailfw_session* session_;
};

class Exchange final : public mailfw::ServerExchange {
public:
    Exchange(Instance& instance, mailfw_session* session)
        : checker_(instance.host(), session), plain_(checker_) {}
    int step(const unsigned char* in, size_t len, std::string& out) override {
        return plain_.step(in, len, out);
    }

private:
    HostChecker checker_;
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
