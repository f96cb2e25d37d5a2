#include "maildir_name.hpp"

#include <unistd.h>

#include <atomic>
#include <climits>
#include <ctime>

namespace mailfw::deliver_maildir {

namespace {

bool control(char c) noexcept {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7f;
}

std::atomic<uint64_t> delivery_counter{0};

}  // namespace

bool valid_mailbox(std::string_view address) noexcept {
    if (address.empty() || address.size() > 255 || address.front() == '.') return false;
    for (const char c : address)
        if (c == '/' || control(c)) return false;
    return true;
}

bool valid_return_path(std::string_view address) noexcept {
    for (const char c : address)
        if (control(c)) return false;
    return true;
}

std::string escape_hostname(std::string_view host) {
    std::string out;
    out.reserve(host.size());
    for (const char c : host) {
        if (c == '/')
            out += "\\057";
        else if (c == ':')
            out += "\\072";
        else
            out += c;
    }
    return out;
}

std::string unique_name(uint64_t seconds, uint32_t microseconds, uint64_t pid, uint64_t counter,
                        std::string_view escaped_host) {
    std::string name = std::to_string(seconds);
    name += ".M";
    name += std::to_string(microseconds);
    name += 'P';
    name += std::to_string(pid);
    name += 'Q';
    name += std::to_string(counter);
    name += '.';
    name += escaped_host;
    return name;
}

std::string next_unique_name(std::string_view escaped_host) {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return unique_name(static_cast<uint64_t>(now.tv_sec), static_cast<uint32_t>(now.tv_nsec / 1000),
                       static_cast<uint64_t>(::getpid()),
                       delivery_counter.fetch_add(1, std::memory_order_relaxed) + 1, escaped_host);
}

std::string local_hostname() {
    char buf[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
    return escape_hostname(buf);
}

}  // namespace mailfw::deliver_maildir
