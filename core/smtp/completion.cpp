#include "smtp/completion.hpp"

#include <mailfw/plugin.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mailfw::smtp {

namespace asio = boost::asio;

bool Completion::claim() {
    if (answered_ || closed_) return false;
    answered_ = true;
    return true;
}

int Completion::complete_event(const mailfw_verdict* verdict) {
    {
        std::lock_guard lock(mutex_);
        if (!claim()) return MAILFW_INVALID;
        verdict_ = from_c(verdict);
    }
    wake();
    return MAILFW_OK;
}

void Completion::wake() {
    // Posted only while the session waits, so its strand (and io_context) is
    // alive; the cancel runs there, where the timer is set and cleared.
    std::lock_guard lock(mutex_);
    if (!waiting_) return;
    asio::post(waiting_on_, [self = shared_from_this()] {
        std::lock_guard lock(self->mutex_);
        if (self->waiting_) self->waiting_->cancel();
    });
}

int Completion::complete_delivery(const mailfw_delivery_result* result) {
    std::shared_ptr<Completion> last_ref;  // released on return: a final answer frees a held token
    {
        std::lock_guard lock(mutex_);
        const mailfw_delivery_result r = mailfw::copy_struct(result);
        if (r.status == MAILFW_DELIVERY_QUEUED) {
            // Durable here; the final answer may follow (not one-shot yet).
            if (answered_ || closed_ || queued_) return MAILFW_INVALID;
            queued_ = true;
            delivery_receipt_ = std::string(mailfw::view(r.receipt));
        } else {
            last_ref = std::move(keep_alive_);
            if (!claim()) return MAILFW_INVALID;
            delivery_ = r;
            delivery_text_ = std::string(mailfw::view(r.text));
            delivery_enhanced_ = std::string(mailfw::view(r.enhanced));
            if (r.receipt.len || !queued_) delivery_receipt_ = std::string(mailfw::view(r.receipt));
            delivery_.text = {};
            delivery_.enhanced = {};
            delivery_.receipt = {};
        }
    }
    wake();
    return MAILFW_OK;
}

void Completion::hold_until_final_answer() {
    std::lock_guard lock(mutex_);
    if (!answered_) keep_alive_ = shared_from_this();
}

bool Completion::queued() const {
    std::lock_guard lock(mutex_);
    return queued_;
}

asio::awaitable<Completion::Arrived> Completion::wait_for(std::chrono::milliseconds deadline, bool stop_at_queued) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    auto strand = co_await asio::this_coro::executor;
    asio::steady_timer timer(strand, until);
    // However this frame ends (also destroyed unresumed at shutdown), no
    // answer may reach for the timer afterwards.
    struct Forget {
        Completion& c;
        ~Forget() {
            std::lock_guard lock(c.mutex_);
            c.waiting_ = nullptr;
            c.waiting_on_ = {};
        }
    } forget{*this};
    // A loop: a cancel posted by an earlier answer (QUEUED) may wake a later wait.
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            waiting_ = nullptr;
            waiting_on_ = {};
            if (answered_) co_return Arrived::answer;
            if (stop_at_queued && queued_) co_return Arrived::queued;
            if (std::chrono::steady_clock::now() >= until) {
                closed_ = true;
                co_return Arrived::nothing;
            }
            // From here an answer posts a cancel to this strand; it runs
            // after we suspend below, so an answer is never missed.
            waiting_ = &timer;
            waiting_on_ = strand;
        }
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<bool> Completion::wait(std::chrono::milliseconds deadline) {
    const Arrived a = co_await wait_for(deadline, false);
    co_return a == Arrived::answer;
}

}  // namespace mailfw::smtp
