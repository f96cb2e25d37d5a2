// Reading a password for the command line tools: the first line of stdin
// when it is not a terminal (scripts), otherwise a prompt without echo.
#pragma once
#include <optional>
#include <string>

namespace mailfw {

// nullopt on EOF or when the two typed entries differ (terminal only).
std::optional<std::string> read_new_password(const std::string& prompt);

// Letters and digits from the OpenSSL RNG.
std::string random_password(size_t length);

}  // namespace mailfw
