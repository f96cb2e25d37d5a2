// sasl-gssapi: AUTH GSSAPI on the server as MS-SSEAN maps it -- SPNEGO over
// MIT krb5, with raw RFC 4752 Kerberos accepted too (MS-SSEAN 1.6). The
// service key comes from `keytab`, checked at start-up; see gssapi_exchange.hpp.
#include <mailfw/plugin.hpp>

#include <memory>
#include <stdexcept>
#include <string>

#include "acceptor_credentials.hpp"
#include "gssapi_exchange.hpp"
#include "limit_support.hpp"

namespace {

using mailfw::sasl_gssapi::AcceptorCredentials;
using mailfw::sasl_gssapi::GssapiExchange;
using mailfw::sasl_gssapi::GssapiSettings;
using mailfw::sasl_gssapi::UserName;

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("keytab", MAILFW_KEY_PATH, nullptr,
                       "the keytab holding the service key (service/hostname), readable by mailfwd only",
                       MAILFW_KEY_REQUIRED),
    mailfw::config_key("service", MAILFW_KEY_STRING, "smtp", "the service part of the principal clients ask for"),
    mailfw::config_key("hostname", MAILFW_KEY_STRING, nullptr,
                       "the host part of the principal clients ask for (default: [server] hostname)"),
    mailfw::config_key("realms", MAILFW_KEY_STRING, nullptr,
                       "realms whose principals are accepted (space or comma separated; default: any); may repeat",
                       MAILFW_KEY_MULTI),
    mailfw::config_key("user_name", MAILFW_KEY_STRING, "short",
                       "how a principal becomes the user name: short (alice@EXAMPLE.ORG -> alice), principal (the "
                       "whole name) or localname (krb5.conf's auth_to_local rules, krb5_aname_to_localname)"),
};

std::string hostname_of(const mailfw::Host& h) {
    if (auto v = h.config_string("hostname")) return *v;
    return std::string(mailfw::view(h.server_info().hostname));
}

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          credentials(h.config_string("keytab").value_or(""), h.config_string("service").value_or("smtp"),
                      hostname_of(h)) {
        settings.credentials = credentials.get();
        settings.realms = mailfw::limits::words(h, "realms");
        const std::string mapping = h.config_string("user_name").value_or("short");
        if (mapping == "short")
            settings.user_name = UserName::short_name;
        else if (mapping == "principal")
            settings.user_name = UserName::principal;
        else if (mapping == "localname")
            settings.user_name = UserName::localname;
        else
            throw std::runtime_error("bad value '" + mailfw::printable(mapping, 40) +
                                     "' for 'user_name' in [sasl-gssapi]: expected short, principal or localname");
        h.log(MAILFW_LOG_INFO, "GSSAPI for " + credentials.service_principal() + " (SPNEGO and Kerberos)");
    }
    AcceptorCredentials credentials;
    GssapiSettings settings;
};

class Exchange final : public mailfw::ServerExchange {
public:
    Exchange(Instance& instance, mailfw_session* session) : gssapi_(instance.host(), session, instance.settings) {}
    int step(const unsigned char* in, size_t len, std::string& out) override { return gssapi_.step(in, len, out); }

private:
    GssapiExchange gssapi_;
};

// No reusable password crosses the wire; the client speaks first (its token
// as the initial response, or after an empty 334). Not RELAXED_CHALLENGE,
// although Exchange words that 334 "334 GSSAPI supported": gsasl
// base64-decodes the first challenge and fails on it (test_gssapi.py), so
// the default listener (relaxed_auth = auto) sends "334 "; relaxed_auth =
// true gives Exchange's line (curl and Thunderbird ignore the text).
// Tickets with PACs are large: 64 KiB.
constexpr mailfw_server_mech mechs[] = {
    mailfw::server_mech<Instance, Exchange>("GSSAPI", MAILFW_MECH_CLIENT_FIRST, 64 * 1024)};

constexpr mailfw_plugin descriptor = mailfw::plugin_descriptor<Instance>(
    "sasl-gssapi", "0.1.0", "AUTH GSSAPI: SPNEGO (MS-SSEAN) and Kerberos (RFC 4752) over MIT krb5, server side",
    keys, sizeof keys / sizeof keys[0], mechs, 1);

}  // namespace

MAILFW_PLUGIN(descriptor)
