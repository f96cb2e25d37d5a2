#include "util/password_input.hpp"

#include <openssl/rand.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <stdexcept>

#include "util/secret.hpp"

namespace mailfw {

namespace {
std::optional<std::string> read_line_no_echo(const std::string& prompt) {
    std::cerr << prompt << std::flush;
    termios old{};
    bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
    if (restore) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    bool ok = static_cast<bool>(std::getline(std::cin, line));
    if (restore) tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    if (!ok) return std::nullopt;
    return line;
}
}  // namespace

std::optional<std::string> read_new_password(const std::string& prompt) {
    if (!isatty(STDIN_FILENO)) {
        std::string line;
        if (!std::getline(std::cin, line)) return std::nullopt;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
    }
    auto first = read_line_no_echo(prompt);
    if (!first) return std::nullopt;
    auto again = read_line_no_echo("again: ");
    if (!again || *again != *first) {
        wipe(*first);
        return std::nullopt;
    }
    wipe(*again);
    return first;
}

std::string random_password(size_t length) {
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    const size_t n = sizeof alphabet - 1;
    std::string out;
    while (out.size() < length) {
        unsigned char b[32];
        if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("OpenSSL RNG failed");
        for (unsigned char c : b)
            if (c < 256 - 256 % n && out.size() < length) out += alphabet[c % n];  // no modulo bias
    }
    return out;
}

}  // namespace mailfw
