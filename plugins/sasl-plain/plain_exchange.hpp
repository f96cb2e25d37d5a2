// The server side of one PLAIN exchange (RFC 4616), free of the host so that
// unit tests drive it directly. The host does base64 and the 334 framing.
#ifndef MAILFW_SASL_PLAIN_PLAIN_EXCHANGE_HPP
#define MAILFW_SASL_PLAIN_PLAIN_EXCHANGE_HPP

#include <cstddef>
#include <string>
#include <string_view>

namespace mailfw::sasl_plain {

// Where credentials are checked; the plugin implements it over the host.
class CredentialChecker {
public:
    virtual ~CredentialChecker() = default;
    // mailfw_status of verify_password: OK, NOT_FOUND, DENIED, UNAVAILABLE.
    virtual int verify(std::string_view authcid, std::string_view password) = 0;
    // mailfw_status: OK lets authcid act as authzid; UNAVAILABLE is a
    // temporary failure; anything else refuses.
    virtual int authorize(std::string_view authcid, std::string_view authzid) = 0;
    // Called once, before step() returns OK, with the identity that acts.
    virtual void authenticated(std::string_view identity) = 0;
};

class PlainExchange {
public:
    explicit PlainExchange(CredentialChecker& checker) noexcept : checker_(checker) {}

    // One mailfw_server_mech step: returns a mailfw_sasl_result; `out` is the
    // (empty) challenge on CONTINUE or a log reason on FAIL / ERROR.
    int step(const unsigned char* in, size_t len, std::string& out);

private:
    enum class State { Start, AwaitingMessage, Done };
    int check(std::string_view message, std::string& out);

    CredentialChecker& checker_;
    State state_ = State::Start;
};

}  // namespace mailfw::sasl_plain

#endif
