// The host side of a mailfw_completion: a one-shot slot a plugin fills from
// any thread; the session awaits it on its strand with a deadline.
// The session keeps every token it issued until it ends (see plugin.h), so a
// late answer is refused with MAILFW_INVALID rather than touching freed memory.
// Always create with std::make_shared.
#pragma once
#include <mailfw/plugin.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>

#include "plugin/session_handle.hpp"
#include "smtp/verdict.hpp"

namespace mailfw::smtp {

class Completion final : public mailfw_completion, public std::enable_shared_from_this<Completion> {
public:
    explicit Completion(boost::asio::any_io_executor strand);

    int complete_event(const mailfw_verdict* verdict) override;
    int complete_delivery(const mailfw_delivery_result* result) override;

    // True when answered in time; after a false return the token is closed.
    boost::asio::awaitable<bool> wait(std::chrono::milliseconds deadline);

    const Verdict& verdict() const { return verdict_; }
    const mailfw_delivery_result& delivery() const { return delivery_; }
    std::string delivery_text() const { return delivery_text_; }
    std::string delivery_enhanced() const { return delivery_enhanced_; }
    std::string delivery_receipt() const { return delivery_receipt_; }

private:
    bool claim();  // under the lock: first answer wins
    boost::asio::steady_timer timer_;
    std::mutex mutex_;
    bool answered_ = false;
    bool closed_ = false;
    Verdict verdict_;
    mailfw_delivery_result delivery_{};
    std::string delivery_text_, delivery_enhanced_, delivery_receipt_;
};

}  // namespace mailfw::smtp
