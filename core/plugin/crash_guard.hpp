// While a plugin runs its start-up code (create()), a crash in it -- a
// damaged file whose code is corrupt, a buggy plugin -- ends the process
// with one line naming the plugin and the fix instead of a bare
// "Segmentation fault". Start-up is single-threaded; the guard restores the
// previous handlers when it goes out of scope.
#pragma once
#include <csignal>
#include <string>

namespace mailfw {

class CrashGuard {
public:
    // `what`: e.g. "plugin sasl-login (/usr/lib/mailfw/plugins/sasl-login.so)".
    explicit CrashGuard(const std::string& what);
    ~CrashGuard();
    CrashGuard(const CrashGuard&) = delete;
    CrashGuard& operator=(const CrashGuard&) = delete;

private:
    static constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    struct sigaction previous_[4];
};

}  // namespace mailfw
