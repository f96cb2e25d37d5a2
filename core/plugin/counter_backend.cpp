#include "plugin/counter_backend.hpp"

#include <mailfw/plugin.h>

#include <limits>

#include "plugin/counters.hpp"

namespace mailfw {
namespace {

// The in-process backend: always available, answers at once.
class LocalCounterBackend final : public CounterBackend {
public:
    int add(std::string_view key, int64_t delta, uint64_t ttl_ms, int64_t& value) override {
        value = counters_.add(key, delta, ttl_ms);
        return MAILFW_OK;
    }
    int rate_hit(std::string_view key, uint64_t window_ms, uint32_t hits, uint64_t& count) override {
        count = counters_.rate_hit(key, window_ms, hits);
        return MAILFW_OK;
    }

private:
    Counters counters_;
};

}  // namespace

void CounterBackend::add_async(std::string key, int64_t delta, uint64_t ttl_ms, Done done) {
    int64_t value = 0;
    const int status = add(key, delta, ttl_ms, value);
    done(status, value);
}

void CounterBackend::rate_hit_async(std::string key, uint64_t window_ms, uint32_t hits, Done done) {
    uint64_t count = 0;
    const int status = rate_hit(key, window_ms, hits, count);
    const int64_t v = count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                          ? std::numeric_limits<int64_t>::max()
                          : static_cast<int64_t>(count);
    done(status, v);
}

std::unique_ptr<CounterBackend> make_counter_backend(std::string_view name) {
    if (name == "local") return std::make_unique<LocalCounterBackend>();
    return nullptr;
}

}  // namespace mailfw
