#include "util/log.hpp"

#include <mailfw/plugin.hpp>

#include <limits.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace mailfw::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
std::mutex g_mutex;

const char* name(Level l) {
    switch (l) {
        case Level::debug: return "debug";
        case Level::info: return "info ";
        case Level::warning: return "warn ";
        case Level::error: return "error";
    }
    return "?    ";
}
}  // namespace

void set_level(Level l) { g_level.store(static_cast<int>(l)); }
Level level() { return static_cast<Level>(g_level.load()); }
bool enabled(Level l) { return static_cast<int>(l) >= g_level.load(); }

void write(Level l, std::string_view message, uint64_t conn_id, std::string_view client) {
    if (!enabled(l)) return;
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t t = system_clock::to_time_t(now);
    const int ms = static_cast<int>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
    // "2026-01-02T03:04:05." is formatted once a second per thread, not per line.
    thread_local std::time_t second = -1;
    thread_local char prefix[32];
    if (t != second) {
        std::tm tm{};
        gmtime_r(&t, &tm);
        std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        second = t;
    }
    const char millis[] = {static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                           static_cast<char>('0' + ms % 10), 'Z', ' '};
    std::string line;
    line.reserve(64 + message.size());
    line += prefix;
    line.append(millis, sizeof millis);
    line += name(l);
    line += ' ';
    if (conn_id != 0 || !client.empty()) {
        line += "[c" + std::to_string(conn_id);
        if (!client.empty()) {
            line += ' ';
            line += client;
        }
        line += "] ";
    }
    // Control characters from clients never reach the terminal raw.
    line += mailfw::printable(message, std::string_view::npos);
    line += '\n';
    // One write(2) per line, no stdio lock or flush: a line up to PIPE_BUF
    // reaches a pipe (journald, a supervisor) whole even when threads log at
    // once; a longer one takes the lock so that it is not interleaved.
    std::unique_lock<std::mutex> lock(g_mutex, std::defer_lock);
    if (line.size() > PIPE_BUF) lock.lock();
    std::string_view rest = line;
    while (!rest.empty()) {
        const ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // nowhere to log to: nothing else to do
        rest.remove_prefix(static_cast<size_t>(n));
    }
}

}  // namespace mailfw::log
