#include "plugin/crash_guard.hpp"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace mailfw {
namespace {

// Formatted before the crash: the handler may only write() and _exit().
char g_message[1024];
size_t g_length = 0;

void on_crash(int sig) {
    ssize_t ignored = ::write(STDERR_FILENO, g_message, g_length);
    (void)ignored;
    const char* name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGILL ? "SIGILL" : "SIGFPE";
    ignored = ::write(STDERR_FILENO, name, std::strlen(name));
    static const char tail[] = "); the file may be damaged: reinstall or rebuild the plugin\n";
    ignored = ::write(STDERR_FILENO, tail, sizeof tail - 1);
    ::_exit(1);
}

}  // namespace

CrashGuard::CrashGuard(const std::string& what) {
    const std::string head = std::string(program_invocation_short_name) + ": " + what + " crashed while starting (";
    g_length = std::min(head.size(), sizeof g_message);
    std::memcpy(g_message, head.data(), g_length);
    struct sigaction sa {};
    sa.sa_handler = &on_crash;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < 4; ++i) sigaction(kSignals[i], &sa, &previous_[i]);
}

CrashGuard::~CrashGuard() {
    for (size_t i = 0; i < 4; ++i) sigaction(kSignals[i], &previous_[i], nullptr);
}

}  // namespace mailfw
