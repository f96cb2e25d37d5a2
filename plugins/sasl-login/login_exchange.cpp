#include "login_exchange.hpp"

#include <mailfw/plugin.hpp>

namespace mailfw::sasl_login {

namespace {

// A username carrying NUL, CR or LF cannot be a real account name and could
// smuggle line breaks into logs or stores; refuse it outright.
bool acceptable_username(std::string_view user) noexcept {
    return user.find_first_of(std::string_view("\0\r\n", 3)) == std::string_view::npos;
}

}  // namespace

int LoginExchange::step(const unsigned char* in, size_t len, std::string& out) {
    const std::string_view input =
        in ? std::string_view(reinterpret_cast<const char*>(in), len) : std::string_view();
    switch (substate_) {
        case Substate::Start:
            // 3.2.5.1: without an initial response ask for the username,
            // with one (possibly empty, "=") it is the username.
            if (!in) {
                substate_ = Substate::AuthReceived;
                out = username_challenge;
                return MAILFW_SASL_CONTINUE;
            }
            return take_username(input, out);
        case Substate::AuthReceived:
            return take_username(input, out);  // 3.2.5.2
        case Substate::UsernameReceived:
            return check_password(input, out);  // 3.2.5.3
        case Substate::Done:
            break;
    }
    out = "LOGIN exchange already finished";
    return MAILFW_SASL_FAIL;
}

int LoginExchange::take_username(std::string_view user, std::string& out) {
    if (!acceptable_username(user)) {
        substate_ = Substate::Done;
        out = "username contains NUL, CR or LF";
        return MAILFW_SASL_FAIL;
    }
    username_.assign(user);
    substate_ = Substate::UsernameReceived;
    out = password_challenge;
    return MAILFW_SASL_CONTINUE;
}

int LoginExchange::check_password(std::string_view password, std::string& out) {
    substate_ = Substate::Done;
    const int result = mailfw::sasl_result_for_password(checker_.verify(username_, password), out);
    if (result == MAILFW_SASL_OK) checker_.authenticated(username_);
    return result;
}

}  // namespace mailfw::sasl_login
