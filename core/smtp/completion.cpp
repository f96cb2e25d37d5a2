#include "smtp/completion.hpp"

#include <mailfw/plugin.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mailfw::smtp {

namespace asio = boost::asio;

Completion::Completion(asio::any_io_executor strand) : timer_(strand) {}

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
    asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
    return MAILFW_OK;
}

int Completion::complete_delivery(const mailfw_delivery_result* result) {
    {
        std::lock_guard lock(mutex_);
        if (!claim()) return MAILFW_INVALID;
        delivery_ = mailfw::copy_struct(result);
        delivery_text_ = std::string(mailfw::view(delivery_.text));
        delivery_enhanced_ = std::string(mailfw::view(delivery_.enhanced));
        delivery_receipt_ = std::string(mailfw::view(delivery_.receipt));
        delivery_.text = {};
        delivery_.enhanced = {};
        delivery_.receipt = {};
    }
    asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
    return MAILFW_OK;
}

asio::awaitable<bool> Completion::wait(std::chrono::milliseconds deadline) {
    timer_.expires_after(deadline);
    {
        std::lock_guard lock(mutex_);
        if (answered_) co_return true;
    }
    // The cancel posted by complete_*() runs on this strand after we start
    // waiting, so an answer is never missed.
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    std::lock_guard lock(mutex_);
    if (answered_) co_return true;
    closed_ = true;
    co_return false;
}

}  // namespace mailfw::smtp
