// sasl-ntlm: AUTH NTLM on the server (MS-SMTPNTLM), against the NT hashes
// the credential stores keep. See ntlm_exchange.hpp.
#include <mailfw/plugin.hpp>

#include <string>

#include "ntlm_client.hpp"
#include "ntlm_exchange.hpp"

namespace {

using mailfw::sasl_ntlm::NtlmClient;
using mailfw::sasl_ntlm::NtlmExchange;

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("domain", MAILFW_KEY_STRING, nullptr,
                       "the NetBIOS domain the server names in its CHALLENGE (default: the second label of [server] "
                       "hostname, upper-cased: mx.example.org -> EXAMPLE)"),
    mailfw::config_key("allow_ntlmv1", MAILFW_KEY_BOOL, "false",
                       "also accept NTLMv1 responses (weak; swaks' Authen::NTLM sends nothing else)"),
};

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          settings(mailfw::ntlm::names_from_hostname(mailfw::view(h.server_info().hostname),
                                                     h.config_string("domain"))) {
        settings.allow_v1 = h.config_number("allow_ntlmv1").value_or(0) != 0;
        settings.crypto = &crypto;
        if (settings.allow_v1) h.log(MAILFW_LOG_WARNING, "NTLMv1 responses are accepted (allow_ntlmv1): they are weak");
    }
    mailfw::plugin_common::LegacyCrypto crypto;  // freed with the instance
    mailfw::ntlm::AcceptorSettings settings;
};

class ClientExchange final : public mailfw::ClientExchange {
public:
    ClientExchange(Instance& instance, const mailfw_client_params& params) : ntlm_(params, instance.crypto) {}
    int step(const unsigned char* in, size_t len, std::string& out) override { return ntlm_.step(in, len, out); }

private:
    NtlmClient ntlm_;
};

class Exchange final : public mailfw::ServerExchange {
public:
    Exchange(Instance& instance, mailfw_session* session) : ntlm_(instance.host(), session, instance.settings) {}
    int step(const unsigned char* in, size_t len, std::string& out) override { return ntlm_.step(in, len, out); }

private:
    NtlmExchange ntlm_;
};

// No reusable password crosses the wire (but NTLM is weak: offer it over TLS
// where you can). Exchange answers "AUTH NTLM" with "334 NTLM supported".
constexpr mailfw_server_mech mechs[] = {mailfw::server_mech<Instance, Exchange>(
    "NTLM", MAILFW_MECH_CLIENT_FIRST | MAILFW_MECH_RELAXED_CHALLENGE, 16 * 1024)};

// The client side: NEGOTIATE as the initial response, NTLMv2 only.
constexpr mailfw_client_mech client_mechs[] = {
    mailfw::client_mech<Instance, ClientExchange>("NTLM", MAILFW_MECH_CLIENT_FIRST)};

constexpr mailfw_plugin make_descriptor() {
    mailfw_plugin p = mailfw::plugin_descriptor<Instance>(
        "sasl-ntlm", "0.2.0", "AUTH NTLM (MS-SMTPNTLM), both sides; the server against the stores' NT hashes", keys,
        sizeof keys / sizeof keys[0], mechs, 1);
    p.client_mechs = client_mechs;
    p.client_mech_count = 1;
    return p;
}
constexpr mailfw_plugin descriptor = make_descriptor();

}  // namespace

MAILFW_PLUGIN(descriptor)
