// The MS-XLOGIN server state machine (sections 3.2.5.1-3.2.5.3), free of the
// host so that unit tests drive it directly. The host has already base64-
// decoded every client line and frames our challenges as "334 <base64>".
#ifndef MAILFW_SASL_LOGIN_LOGIN_EXCHANGE_HPP
#define MAILFW_SASL_LOGIN_LOGIN_EXCHANGE_HPP

#include <mailfw/plugin.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace mailfw::sasl_login {

// Where credentials are checked: the SDK's interface, over the host in the
// plugin (mailfw::HostCredentials), over a table in the tests.
using CredentialChecker = mailfw::Credentials;

// The challenges, decoded; the host sends them as 334 VXNlcm5hbWU6 and
// 334 UGFzc3dvcmQ6 (MS-XLOGIN 2.2.2).
inline constexpr std::string_view username_challenge = "Username:";
inline constexpr std::string_view password_challenge = "Password:";

class LoginExchange {
public:
    // MS-XLOGIN 3.2.1 "Substate", plus the two ends of the exchange.
    enum class Substate { Start, AuthReceived, UsernameReceived, Done };

    explicit LoginExchange(CredentialChecker& checker) noexcept : checker_(checker) {}

    // One mailfw_server_mech step: returns a mailfw_sasl_result and fills
    // `out` with the challenge (CONTINUE) or a log reason (FAIL / ERROR).
    // The password is only looked at in place, never copied.
    int step(const unsigned char* in, size_t len, std::string& out);

    Substate substate() const noexcept { return substate_; }
    const std::string& username() const noexcept { return username_; }

private:
    int take_username(std::string_view user, std::string& out);
    int check_password(std::string_view password, std::string& out);

    CredentialChecker& checker_;
    Substate substate_ = Substate::Start;
    std::string username_;
};

}  // namespace mailfw::sasl_login

#endif
