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

constexpr size_t kFlushAt = 16 * 1024;

// This thread's lines waiting for the flush its event loop runs.
struct Deferred {
    std::function<void(void (*)())> schedule;  // empty: every line is written at once
    std::string lines;
    bool flush_scheduled = false;
    ~Deferred();  // writes what still waits
};
thread_local Deferred t_deferred;

// write(2) of whole lines, at most PIPE_BUF at a time: a write up to
// PIPE_BUF reaches a pipe (journald, a supervisor) whole even when threads
// log at once. A longer line takes the lock so that it is not interleaved
// with another long one.
void write_lines(std::string_view text) {
    while (!text.empty()) {
        size_t take = text.size();
        if (take > PIPE_BUF) {
            const size_t cut = text.rfind('\n', PIPE_BUF - 1);
            take = cut == std::string_view::npos ? text.find('\n') : cut;
            take = take == std::string_view::npos ? text.size() : take + 1;
        }
        std::string_view chunk = text.substr(0, take);
        text.remove_prefix(take);
        std::unique_lock<std::mutex> lock(g_mutex, std::defer_lock);
        if (chunk.size() > PIPE_BUF) lock.lock();
        while (!chunk.empty()) {
            const ssize_t n = ::write(STDERR_FILENO, chunk.data(), chunk.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // nowhere to log to: nothing else to do
            chunk.remove_prefix(static_cast<size_t>(n));
        }
    }
}

Deferred::~Deferred() {
    if (!lines.empty()) write_lines(lines);
}

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
    // No stdio lock or flush: one write(2) per line, or per batch of lines
    // on a thread that defers them.
    Deferred& d = t_deferred;
    if (!d.schedule) {
        write_lines(line);
        return;
    }
    d.lines += line;
    if (l >= Level::warning || d.lines.size() >= kFlushAt) {
        flush_this_thread();
        return;
    }
    if (!d.flush_scheduled) {
        d.flush_scheduled = true;
        d.schedule(&flush_this_thread);
    }
}

void defer_on_this_thread(std::function<void(void (*)())> schedule) {
    flush_this_thread();
    t_deferred.schedule = std::move(schedule);
}

void flush_this_thread() {
    Deferred& d = t_deferred;
    d.flush_scheduled = false;
    if (d.lines.empty()) return;
    write_lines(d.lines);
    d.lines.clear();
    if (d.lines.capacity() > 4 * kFlushAt) std::string().swap(d.lines);
}

}  // namespace mailfw::log
