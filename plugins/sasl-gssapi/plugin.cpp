// sasl-gssapi: AUTH GSSAPI on the server as MS-SSEAN maps it -- SPNEGO over
// MIT krb5, with raw RFC 4752 Kerberos accepted too (MS-SSEAN 1.6), and NTLM
// inside SPNEGO when `mechanisms` names it (against the stores' NT hashes).
// The service key comes from `keytab`, checked at start-up; see
// gssapi_exchange.hpp.
#include <mailfw/plugin.hpp>

#include <memory>
#include <stdexcept>
#include <string>

#include "acceptor_credentials.hpp"
#include "gssapi_client.hpp"
#include "gssapi_exchange.hpp"
#include "limit_support.hpp"

namespace {

using mailfw::sasl_gssapi::AcceptorCredentials;
using mailfw::sasl_gssapi::GssapiClient;
using mailfw::sasl_gssapi::GssapiExchange;
using mailfw::sasl_gssapi::GssapiSettings;
using mailfw::sasl_gssapi::UserName;

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("mechanisms", MAILFW_KEY_STRING, "kerberos",
                       "what SPNEGO may negotiate, both sides: kerberos, ntlm, or both (\"kerberos ntlm\": Exchange's "
                       "Integrated Windows authentication); NTLM needs the stores' NT hashes (store-sqlite "
                       "ntlm_hashes) and is weak"),
    mailfw::config_key("keytab", MAILFW_KEY_PATH, nullptr,
                       "the keytab holding the service key (service/hostname), readable by mailfwd only; required "
                       "when the server side offers Kerberos"),
    mailfw::config_key("ntlm_domain", MAILFW_KEY_STRING, nullptr,
                       "the NetBIOS domain named in NTLM's CHALLENGE (default: the second label of [server] hostname, "
                       "upper-cased: mx.example.org -> EXAMPLE)"),
    mailfw::config_key("server", MAILFW_KEY_BOOL, "true",
                       "offer AUTH GSSAPI to clients; false: this plugin is loaded for its client mechanism only"),
    mailfw::config_key("client_mechanism", MAILFW_KEY_STRING, "spnego",
                       "what the client side sends: spnego (MS-SSEAN, as Exchange expects) or kerberos (RFC 4752, "
                       "for servers that take only raw Kerberos)"),
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

struct Mechanisms {
    bool kerberos = false, ntlm = false;
};

Mechanisms mechanisms_of(const mailfw::Host& h) {
    Mechanisms m;
    for (const std::string& w : mailfw::limits::split_words(h.config_string("mechanisms").value_or("kerberos"))) {
        if (w == "kerberos")
            m.kerberos = true;
        else if (w == "ntlm")
            m.ntlm = true;
        else
            throw std::runtime_error("bad value '" + mailfw::printable(w, 40) +
                                     "' in 'mechanisms' of [sasl-gssapi]: expected kerberos, ntlm, or both");
    }
    if (!m.kerberos && !m.ntlm)
        throw std::runtime_error("empty 'mechanisms' in [sasl-gssapi]: name kerberos, ntlm, or both");
    return m;
}

std::unique_ptr<AcceptorCredentials> acceptor_of(const mailfw::Host& h, const Mechanisms& m) {
    if (h.config_number("server").value_or(1) == 0 || !m.kerberos) return nullptr;
    auto keytab = h.config_string("keytab");
    if (!keytab)
        throw std::runtime_error("[sasl-gssapi] needs keytab = (the service key) to offer Kerberos; set mechanisms = "
                                 "ntlm for NTLM only, or server = false to load only its client mechanism");
    return std::make_unique<AcceptorCredentials>(*keytab, h.config_string("service").value_or("smtp"), hostname_of(h));
}

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h), mechanisms(mechanisms_of(h)), credentials(acceptor_of(h, mechanisms)) {
        const std::string client = h.config_string("client_mechanism").value_or("spnego");
        if (client != "spnego" && client != "kerberos")
            throw std::runtime_error("bad value '" + mailfw::printable(client, 40) +
                                     "' for 'client_mechanism' in [sasl-gssapi]: expected spnego or kerberos");
        client_spnego = client == "spnego";
        if (!client_spnego && !mechanisms.kerberos)
            throw std::runtime_error("client_mechanism = kerberos in [sasl-gssapi] needs kerberos in 'mechanisms'");
        server = h.config_number("server").value_or(1) != 0;
        settings.kerberos = mechanisms.kerberos;
        settings.ntlm = mechanisms.ntlm;
        if (credentials) settings.credentials = credentials->get();
        settings.ntlm_names = mailfw::ntlm::names_from_hostname(mailfw::view(h.server_info().hostname),
                                                                h.config_string("ntlm_domain"));
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
        if (credentials)
            h.log(MAILFW_LOG_INFO, "GSSAPI for " + credentials->service_principal() + " (SPNEGO and Kerberos" +
                                       (mechanisms.ntlm ? "; NTLM inside SPNEGO)" : ")"));
        else if (server)
            h.log(MAILFW_LOG_INFO, "GSSAPI with NTLM inside SPNEGO only (mechanisms = ntlm)");
    }
    bool server_available() const { return server; }
    Mechanisms mechanisms;
    bool server = true;
    std::unique_ptr<AcceptorCredentials> credentials;  // null: no Kerberos on the server side
    GssapiSettings settings;
    bool client_spnego = true;
};

class ClientExchange final : public mailfw::ClientExchange {
public:
    ClientExchange(Instance& instance, const mailfw_client_params& params)
        : gssapi_(instance.host(), params, instance.client_spnego, instance.mechanisms.kerberos,
                  instance.mechanisms.ntlm) {}
    int step(const unsigned char* in, size_t len, std::string& out) override { return gssapi_.step(in, len, out); }

private:
    GssapiClient gssapi_;
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

// The client side: the initiator's token is the initial response.
constexpr mailfw_client_mech client_mechs[] = {
    mailfw::client_mech<Instance, ClientExchange>("GSSAPI", MAILFW_MECH_CLIENT_FIRST)};

constexpr mailfw_plugin make_descriptor() {
    mailfw_plugin p = mailfw::plugin_descriptor<Instance>(
        "sasl-gssapi", "0.2.0", "AUTH GSSAPI: SPNEGO (MS-SSEAN) and Kerberos (RFC 4752) over MIT krb5, both sides",
        keys, sizeof keys / sizeof keys[0], mechs, 1);
    p.client_mechs = client_mechs;
    p.client_mech_count = 1;
    return p;
}
constexpr mailfw_plugin descriptor = make_descriptor();

}  // namespace

MAILFW_PLUGIN(descriptor)
