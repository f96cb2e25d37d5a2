// The host side of a mailfw_completion: a one-shot slot a plugin fills from
// any thread; the session awaits it on its strand with a deadline. It holds
// no Asio object of its own (the waiter's timer lives in the waiting
// coroutine), so a delivery token that outlives its session -- and even the
// server's io_context -- can still be answered and freed on any thread.
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
    Completion() = default;

    int complete_event(const mailfw_verdict* verdict) override;
    int complete_delivery(const mailfw_delivery_result* result) override;

    // What arrived within `deadline`: the (final) answer; a QUEUED
    // intermediate answer (only when `stop_at_queued`); or nothing, after
    // which the token is closed and later answers are refused.
    enum class Arrived { answer, queued, nothing };
    boost::asio::awaitable<Arrived> wait_for(std::chrono::milliseconds deadline, bool stop_at_queued);
    // The same for events: true when answered in time.
    boost::asio::awaitable<bool> wait(std::chrono::milliseconds deadline);
    bool queued() const;
    // A delivery's token outlives its session: it lives until the plugin's
    // final answer (plugin.h), however late, which then frees it.
    // (A token already answered -- the SDK helper answers before returning
    // PENDING -- is not held: nothing would release it.)
    void hold_until_final_answer();

    const Verdict& verdict() const { return verdict_; }
    const mailfw_delivery_result& delivery() const { return delivery_; }
    std::string delivery_text() const { return delivery_text_; }
    std::string delivery_enhanced() const { return delivery_enhanced_; }
    std::string delivery_receipt() const { return delivery_receipt_; }

private:
    bool claim();  // under the lock: first answer wins
    void wake();   // after an answer: end the current wait, if one is running
    // The waiter's timer and strand, set only while a wait runs (under the
    // lock): not even an executor copy may outlive the io_context.
    boost::asio::steady_timer* waiting_ = nullptr;
    boost::asio::any_io_executor waiting_on_;
    mutable std::mutex mutex_;
    bool answered_ = false;
    bool queued_ = false;  // a delivery said QUEUED (durable here) and its final answer may follow
    bool closed_ = false;
    Verdict verdict_;
    mailfw_delivery_result delivery_{};
    std::string delivery_text_, delivery_enhanced_, delivery_receipt_;
    std::shared_ptr<Completion> keep_alive_;
};

}  // namespace mailfw::smtp
