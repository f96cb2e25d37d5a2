#include "acceptor_credentials.hpp"

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "gss_status.hpp"

namespace mailfw::sasl_gssapi {
namespace {

bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// The principals in `keytab` ("smtp/mx.example.org@TEST.LOCAL"), in order,
// without duplicates; throws when the file is not a keytab.
std::vector<std::string> keytab_principals(const std::string& keytab, const std::string& service,
                                           const std::string& hostname, bool& found) {
    found = false;
    krb5_context ctx = nullptr;
    if (krb5_init_context(&ctx) != 0) throw std::runtime_error("[sasl-gssapi] cannot initialise Kerberos");
    std::vector<std::string> names;
    krb5_keytab kt = nullptr;
    krb5_kt_cursor cursor;
    const std::string where = "FILE:" + keytab;
    krb5_error_code e = krb5_kt_resolve(ctx, where.c_str(), &kt);
    if (e == 0) e = krb5_kt_start_seq_get(ctx, kt, &cursor);
    if (e != 0) {
        const char* msg = krb5_get_error_message(ctx, e);
        const std::string text = msg;
        krb5_free_error_message(ctx, msg);
        if (kt) krb5_kt_close(ctx, kt);
        krb5_free_context(ctx);
        throw std::runtime_error("keytab " + keytab + " in [sasl-gssapi] cannot be read as a keytab (" + text +
                                 "); export the service key with kadmin: ktadd -k " + keytab + " " + service + "/" +
                                 hostname);
    }
    krb5_keytab_entry entry;
    while (krb5_kt_next_entry(ctx, kt, &entry, &cursor) == 0) {
        char* name = nullptr;
        if (krb5_unparse_name(ctx, entry.principal, &name) == 0) {
            if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
            krb5_free_unparsed_name(ctx, name);
        }
        const krb5_principal p = entry.principal;
        if (krb5_princ_size(ctx, p) == 2) {
            const krb5_data* s = krb5_princ_component(ctx, p, 0);
            const krb5_data* h = krb5_princ_component(ctx, p, 1);
            if (std::string_view(s->data, s->length) == service && iequal(std::string_view(h->data, h->length), hostname))
                found = true;
        }
        krb5_free_keytab_entry_contents(ctx, &entry);
    }
    krb5_kt_end_seq_get(ctx, kt, &cursor);
    krb5_kt_close(ctx, kt);
    krb5_free_context(ctx);
    return names;
}

}  // namespace

AcceptorCredentials::AcceptorCredentials(const std::string& keytab, const std::string& service,
                                         const std::string& hostname)
    : spn_(service + "/" + hostname) {
    if (::access(keytab.c_str(), R_OK) != 0)
        throw std::runtime_error("keytab " + keytab + " in [sasl-gssapi] cannot be read: " + std::strerror(errno) +
                                 "; create it with kadmin (ktadd -k " + keytab + " " + spn_ +
                                 ") and make it readable by mailfwd only");
    bool found = false;
    const auto names = keytab_principals(keytab, service, hostname, found);
    if (!found) {
        std::string have;
        for (const auto& n : names) have += (have.empty() ? "" : ", ") + n;
        throw std::runtime_error("keytab " + keytab + " in [sasl-gssapi] has no key for " + spn_ + " (it holds: " +
                                 (have.empty() ? "nothing" : have) + "); add one with kadmin: ktadd -k " + keytab +
                                 " " + spn_ + ", or set service/hostname to the principal clients ask for");
    }
    const std::string service_name = service + "@" + hostname;
    gss_buffer_desc name_text{service_name.size(), const_cast<char*>(service_name.data())};
    gss_name_t name = GSS_C_NO_NAME;
    OM_uint32 minor = 0;
    OM_uint32 major = gss_import_name(&minor, &name_text, GSS_C_NT_HOSTBASED_SERVICE, &name);
    if (GSS_ERROR(major))
        throw std::runtime_error("[sasl-gssapi] bad service name " + service_name + ": " +
                                 gss_status_text(major, minor));
    const std::string store_value = "FILE:" + keytab;
    gss_key_value_element_desc element{"keytab", store_value.c_str()};
    gss_key_value_set_desc store{1, &element};
    OM_uint32 acquire_minor = 0;
    major = gss_acquire_cred_from(&acquire_minor, name, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_ACCEPT, &store,
                                  &cred_, nullptr, nullptr);
    OM_uint32 release_minor = 0;
    gss_release_name(&release_minor, &name);
    if (GSS_ERROR(major))
        throw std::runtime_error("[sasl-gssapi] cannot use " + spn_ + " from keytab " + keytab + ": " +
                                 gss_status_text(major, acquire_minor, gss_mech_krb5));
    // SPNEGO negotiates Kerberos only: with a ticket for another name a
    // client must fail, not fall back silently to whatever else is installed.
    gss_OID_set_desc kerberos_only{1, gss_mech_krb5};
    OM_uint32 neg_minor = 0;
    major = gss_set_neg_mechs(&neg_minor, cred_, &kerberos_only);
    if (GSS_ERROR(major))
        throw std::runtime_error("[sasl-gssapi] cannot restrict SPNEGO to Kerberos: " +
                                 gss_status_text(major, neg_minor));
}

AcceptorCredentials::~AcceptorCredentials() {
    OM_uint32 minor = 0;
    if (cred_ != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &cred_);
}

}  // namespace mailfw::sasl_gssapi
