// The server side of one PLAIN exchange (RFC 4616), free of the host so that
// unit tests drive it directly. The host does base64 and the 334 framing.
#ifndef MAILFW_SASL_PLAIN_PLAIN_EXCHANGE_HPP
#define MAILFW_SASL_PLAIN_PLAIN_EXCHANGE_HPP

#include <mailfw/plugin.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace mailfw::sasl_plain {

// Where credentials and proxy rights are checked: the SDK's interface, over
// the host in the plugin (mailfw::HostCredentials), over a table in tests.
using CredentialChecker = mailfw::Credentials;

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
