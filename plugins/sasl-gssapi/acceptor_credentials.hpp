// The server's GSS-API acceptor credential: the service principal
// (service/hostname) from an explicit keytab, through gss_acquire_cred_from
// (no KRB5_KTNAME, no default keytab). Made once at start-up; every
// mistake an operator can make with the keytab stops start-up with one line
// naming the file and the fix, instead of GSS-API's "An unsupported
// mechanism was requested" at the first client.
#pragma once
#include <gssapi/gssapi.h>

#include <string>

namespace mailfw::sasl_gssapi {

class AcceptorCredentials {
public:
    // Throws std::runtime_error (the one start-up line).
    AcceptorCredentials(const std::string& keytab, const std::string& service, const std::string& hostname);
    ~AcceptorCredentials();
    AcceptorCredentials(const AcceptorCredentials&) = delete;
    AcceptorCredentials& operator=(const AcceptorCredentials&) = delete;

    gss_cred_id_t get() const { return cred_; }
    const std::string& service_principal() const { return spn_; }  // "smtp/mx.example.org"

private:
    gss_cred_id_t cred_ = GSS_C_NO_CREDENTIAL;
    std::string spn_;
};

}  // namespace mailfw::sasl_gssapi
