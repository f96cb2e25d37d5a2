// The counter service behind the host API's counter slots: named counters
// with expiry and sliding-window rates, for limits (connections per source,
// message rates, tarpit memory). One backend per server, chosen by
// `[server] counters =`; "local" keeps them in this process. A shared one
// (Redis, for a cluster) implements the same interface: its calls may fail
// (MAILFW_UNAVAILABLE: the plugin decides whether to fail open or defer) and
// its asynchronous forms answer from another thread, so no network thread
// ever waits on it.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace mailfw {

class CounterBackend {
public:
    virtual ~CounterBackend() = default;

    // Each returns a mailfw_status and sets `value` / `count` on MAILFW_OK.
    // A backend that cannot answer without blocking answers MAILFW_UNAVAILABLE.
    virtual int add(std::string_view key, int64_t delta, uint64_t ttl_ms, int64_t& value) = 0;
    virtual int rate_hit(std::string_view key, uint64_t window_ms, uint32_t hits, uint64_t& count) = 0;

    // `done(status, value)` is called exactly once, on any thread, possibly
    // before these return. The default answers with the synchronous form.
    using Done = std::function<void(int status, int64_t value)>;
    virtual void add_async(std::string key, int64_t delta, uint64_t ttl_ms, Done done);
    virtual void rate_hit_async(std::string key, uint64_t window_ms, uint32_t hits, Done done);
};

// The names `[server] counters =` accepts.
inline constexpr const char* kCounterBackends[] = {"local"};

// nullptr for an unknown name.
std::unique_ptr<CounterBackend> make_counter_backend(std::string_view name);

}  // namespace mailfw
