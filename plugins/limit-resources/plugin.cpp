// limit-resources: MS-OXSMTP OutOfResources. At connect, when free disk
// space on the spool's filesystem or available memory is under its
// threshold, the client gets 452 4.3.1 (and, by default, the session
// closes): taking a message the server may not be able to keep would break
// "nothing accepted is ever lost". Thresholds are bytes or a percentage of
// the whole; the figures are read at most once a second.
#include <mailfw/plugin.hpp>

#include <sys/statvfs.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "config/value_parsers.hpp"
#include "limit_support.hpp"

namespace {

constexpr mailfw_config_key keys[] = {
    mailfw::config_key("min_free_disk", MAILFW_KEY_STRING, "500MiB",
                       "OutOfResources: least free space on the spool's filesystem, in bytes (e.g. 500MiB) or "
                       "percent (e.g. 5%); 0 turns the check off"),
    mailfw::config_key("min_free_memory", MAILFW_KEY_STRING, "0",
                       "OutOfResources: least available memory (MemAvailable), in bytes or percent; 0: off"),
    mailfw::config_key("disconnect", MAILFW_KEY_BOOL, "true",
                       "close the session after the 452 4.3.1 (false: the 452 is the greeting and the client may only QUIT)"),
};

// "500MiB" or "5%": a fixed number of bytes or a share of the total.
struct Threshold {
    uint64_t bytes = 0;
    double percent = 0;  // used when > 0
    bool off() const { return bytes == 0 && percent == 0; }
    uint64_t of(uint64_t total) const {
        return percent > 0 ? static_cast<uint64_t>(static_cast<double>(total) * percent / 100.0) : bytes;
    }
};

Threshold parse_threshold(const char* key, const std::string& text) {
    Threshold t;
    if (!text.empty() && text.back() == '%') {
        double p = -1;
        char extra = 0;
        if (std::sscanf(text.c_str(), "%lf%%%c", &p, &extra) == 1 && p >= 0 && p <= 100) {
            t.percent = p;
            return t;
        }
    } else if (auto n = mailfw::parse_size_bytes(text)) {
        t.bytes = *n;
        return t;
    }
    throw std::runtime_error("bad value '" + mailfw::printable(text, 40) + "' for '" + key +
                             "' in [limit-resources]: expected a size like 500MiB or a percentage like 5%");
}

struct Figures {
    uint64_t disk_free = 0, disk_total = 0, mem_free = 0, mem_total = 0;
    bool disk_known = false, mem_known = false;
};

Figures measure(const std::string& path) {
    Figures f;
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) == 0) {
        f.disk_free = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;  // what an unprivileged writer gets
        f.disk_total = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
        f.disk_known = true;
    }
    std::ifstream meminfo("/proc/meminfo");
    std::string name;
    uint64_t kb = 0;
    std::string unit;
    bool got_free = false, got_total = false;
    while (meminfo >> name >> kb >> unit) {
        if (name == "MemAvailable:") f.mem_free = kb * 1024, got_free = true;
        if (name == "MemTotal:") f.mem_total = kb * 1024, got_total = true;
    }
    f.mem_known = got_free && got_total;
    return f;
}

std::string megabytes(uint64_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }

struct Instance : mailfw::PluginInstance {
    explicit Instance(mailfw::Host h)
        : PluginInstance(h),
          disk(parse_threshold("min_free_disk", h.config_string("min_free_disk").value_or("500MiB"))),
          memory(parse_threshold("min_free_memory", h.config_string("min_free_memory").value_or("0"))),
          disconnect(h.config_number("disconnect").value_or(1) != 0),
          spool(mailfw::view(h.server_info().spool_dir)) {
        if (!disk.off() && spool.empty())
            throw std::runtime_error("[limit-resources] needs a host that names its spool directory (mailfw 1.2)");
    }

    // nullopt: enough of both. Else the reply text naming what ran short.
    std::optional<std::string> shortage() {
        std::lock_guard lock(mutex);
        const auto now = std::chrono::steady_clock::now();
        if (now - measured_at >= std::chrono::seconds(1) || !measured) {
            figures = measure(spool);
            measured_at = now;
            measured = true;
        }
        if (!disk.off() && figures.disk_known && figures.disk_free < disk.of(figures.disk_total))
            return "Insufficient system storage (free disk " + megabytes(figures.disk_free) + ", limit " +
                   megabytes(disk.of(figures.disk_total)) + "), try again later";
        if (!memory.off() && figures.mem_known && figures.mem_free < memory.of(figures.mem_total))
            return "Insufficient system resources (available memory " + megabytes(figures.mem_free) + ", limit " +
                   megabytes(memory.of(figures.mem_total)) + "), try again later";
        return std::nullopt;
    }

    struct Connection {
        Connection(Instance& i, mailfw_session* s) : inst(i), session(s) {}
        int on_event(const mailfw_event&, mailfw_verdict& v, mailfw_completion*) {
            auto why = inst.shortage();
            if (!why) return MAILFW_CONTINUE;
            text = std::move(*why);
            mailfw::limits::log_hit(inst.host(), session, "OutOfResources", 452, "4.3.1", text);
            return mailfw::verdict(v, inst.disconnect ? MAILFW_DENYSOFT_DISCONNECT : MAILFW_DENYSOFT, 452, "4.3.1",
                                   text);
        }
        Instance& inst;
        mailfw_session* session;
        std::string text;  // outlives on_event
    };

    const Threshold disk, memory;
    const bool disconnect;
    const std::string spool;
    std::mutex mutex;  // sessions on several threads share the figures
    Figures figures;
    std::chrono::steady_clock::time_point measured_at{};
    bool measured = false;
};

constexpr mailfw_event_handler events = mailfw::event_handler_table<Instance>(MAILFW_HOOK_BIT(MAILFW_HOOK_CONNECT));

constexpr mailfw_plugin descriptor = mailfw::event_plugin<Instance>(
    "limit-resources", "1.0.0", "OutOfResources: 452 4.3.1 at connect (disk, memory)", keys, events);

}  // namespace

MAILFW_PLUGIN(descriptor)
