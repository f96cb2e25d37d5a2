// Bytes in and out: CRLF lines with limits, batched replies (PIPELINING),
// TLS, and the inactivity deadline that guards every read and write.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>


#include "smtp/session.hpp"
#include "util/log.hpp"

namespace mailfw::smtp {

namespace asio = boost::asio;

namespace {
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kCommandChunk = 512;  // RFC 5321 §4.5.3.1.4: a command line is at most 512 octets
constexpr size_t kHeadBytes = 16;  // of a too-long line, kept for the reply
}

void Session::consume(size_t n) {
    inpos_ += n;
    if (inpos_ >= inbuf_.size()) {
        inbuf_.clear();
        inpos_ = 0;
    }
}

asio::awaitable<Session::LineRead> Session::read_line(size_t limit) {
    bool discarding = false;  // inside a line already known to be too long
    std::string head;         // the start of a too-long line, to name its command
    size_t scanned = 0;       // bytes of the current line already searched
    for (;;) {
        std::string_view avail = buffered();
        size_t nl = avail.find('\n', scanned);
        if (nl != std::string_view::npos) {
            bool cr = nl > 0 && avail[nl - 1] == '\r';
            size_t len = cr ? nl - 1 : nl;
            LineRead r{ReadStatus::line, {}};
            if (discarding || len + 2 > limit) {
                r.status = ReadStatus::too_long;
                r.line = discarding ? head : std::string(avail.substr(0, std::min<size_t>(len, kHeadBytes)));
            }
            else if (!cr)
                r.status = ReadStatus::bare_lf;
            else
                r.line.assign(avail.substr(0, len));
            consume(nl + 1);
            co_return r;
        }
        if (avail.size() > limit) {
            if (!discarding) head.assign(avail.substr(0, kHeadBytes));
            // Keep a trailing CR: it may pair with the next read's LF.
            bool keep_cr = avail.back() == '\r';
            consume(avail.size() - (keep_cr ? 1 : 0));
            discarding = true;
            scanned = 0;
        } else {
            scanned = avail.size();
        }
        const bool more = co_await fill();
        if (!more) co_return LineRead{ReadStatus::closed, {}};
    }
}

asio::awaitable<bool> Session::fill() {
    if (!open_ || close_requested_ || forced_) co_return false;
    // PIPELINING (RFC 2920 §3.2): replies wait until we need more input,
    // so a pipelined group gets its replies in one write.
    co_await flush();
    if (!open_ || close_requested_ || forced_) co_return false;  // asked for while flushing
    if (shutdown_requested_ && reading_command_ && !txn_) co_return false;  // idle: the loop says 421
    if (inpos_ > 0) {
        inbuf_.erase(0, inpos_);
        inpos_ = 0;
    }
    // Nothing kept from the last read: give the 16 KiB buffer back. The
    // next command is read into a small one instead, so an idle session
    // holds a few hundred bytes, not 16 KiB (issue 8), and a command still
    // costs one read, not a wait and then a read; message text gets the
    // full chunk.
    const bool empty = inbuf_.empty();
    if (empty) std::string().swap(inbuf_);
    const size_t chunk = empty && reading_command_ ? kCommandChunk : kReadChunk;
    boost::system::error_code ec;
    size_t n = 0;
    const size_t old = inbuf_.size();
    arm_deadline(read_deadline());
    reading_ = true;
    inbuf_.resize(old + chunk);
    n = co_await transport_->read_some(asio::buffer(inbuf_.data() + old, chunk), ec);
    reading_ = false;
    disarm_deadline();
    inbuf_.resize(old + n);
    if (ec) {
        if (ec != asio::error::eof && ec != asio::error::operation_aborted)
            log::write(log::Level::debug, "read: " + ec.message(), id_, client_);
        co_return false;
    }
    co_return true;
}

asio::awaitable<void> Session::flush() {
    if (outbuf_.empty() || !open_) co_return;
    boost::system::error_code ec;
    arm_deadline(idle_from_now());
    co_await transport_->write_all(asio::buffer(outbuf_), ec);
    disarm_deadline();
    outbuf_.clear();
    if (ec) {
        log::write(log::Level::debug, "write: " + ec.message(), id_, client_);
        end_session_silently("write failed");
    }
}

void Session::queue(const Reply& r) {
    outbuf_ += format(r);
    log::write(log::Level::info, (log_command_.empty() ? std::string("-") : log_command_) + " -> " +
                                     std::to_string(r.code) + (r.enhanced.empty() ? "" : " " + r.enhanced),
                                 id_, client_);
}

asio::awaitable<void> Session::send(Reply r) {
    if (events_ && events_->wants(MAILFW_HOOK_REPLY)) {
        std::string first = r.lines.empty() ? std::string() : r.lines.front();
        mailfw_event ev{};
        ev.hook = MAILFW_HOOK_REPLY;
        ev.code = static_cast<uint32_t>(r.code);
        ev.text = {first.data(), first.size()};
        ev.params = {r.enhanced.data(), r.enhanced.size()};
        Verdict v = co_await events_->fire(ev);
        if (v.delay_ms) co_await hold_reply(v.delay_ms);  // e.g. the tarpit
        if (v.closes()) close_requested_ = true;
    }
    queue(r);
}

asio::awaitable<void> Session::hold_reply(uint32_t delay_ms) {
    // What was answered before goes out first; then a timer, never a thread.
    // A stop (notify_shutdown, force_close) cuts the hold short.
    co_await flush();
    if (!open_ || forced_ || (shutdown_requested_ && !txn_)) co_return;
    asio::steady_timer t(executor_, std::chrono::milliseconds(delay_ms));
    hold_timer_ = &t;
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    hold_timer_ = nullptr;
}

asio::awaitable<bool> Session::start_tls() {
    if (!ctx_->tls) co_return false;
    boost::system::error_code ec;
    std::string description;
    arm_deadline(idle_from_now());
    co_await transport_->start_tls(*ctx_->tls, description, ec);
    disarm_deadline();
    if (ec) {
        log::write(log::Level::warning, "TLS handshake failed: " + ec.message(), id_, client_);
        end_session_silently("TLS handshake failed");
        co_return false;
    }
    log::write(log::Level::info, "TLS established: " + description, id_, client_);
    co_return true;
}

asio::awaitable<int> Session::off_thread_raw(int (*fn)(void*), void* arg, asio::thread_pool* pool) {
    log::flush_this_thread();  // this session's lines so far come before those the call logs
    {
        std::lock_guard lock(timers_mutex_);
        in_worker_call_ = true;
    }
    const int r = co_await asio::co_spawn(
        pool->get_executor(), [fn, arg]() -> asio::awaitable<int> { co_return fn(arg); }, asio::use_awaitable);
    {
        std::lock_guard lock(timers_mutex_);
        in_worker_call_ = false;
    }
    fire_held_timers();
    co_return r;
}

std::chrono::steady_clock::time_point Session::idle_from_now() const {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(ctx_->listener->idle_backstop_ms);
}

void Session::touch() {
    const auto now = std::chrono::steady_clock::now();
    idle_deadline_ = now + std::chrono::milliseconds(ctx_->listener->idle_backstop_ms);
    std::lock_guard lock(timers_mutex_);
    for (auto& t : inactivity_timers_) t.due = now + t.delay;
}

std::chrono::steady_clock::time_point Session::read_deadline() {
    auto at = idle_deadline_;
    std::lock_guard lock(timers_mutex_);
    for (const auto& t : inactivity_timers_) at = std::min(at, t.due);
    return at;
}

void Session::deadline_passed() {
    // A plugin's inactivity timer first: it fires (once) and decides; the
    // read goes on unless it closed the session. Writes have only the backstop.
    std::vector<DueTimer> due;
    if (reading_) {
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(timers_mutex_);
        for (auto it = inactivity_timers_.begin(); it != inactivity_timers_.end();) {
            if (it->due <= now) {
                due.push_back({it->id, it->fire, it->user_data});
                it = inactivity_timers_.erase(it);
            } else {
                ++it;
            }
        }
    }
    if (!due.empty()) {
        for (const auto& t : due) t.fire(t.user_data, t.id);
        if (reading_ && !close_requested_) arm_deadline(read_deadline());
        return;
    }
    timed_out_ = true;
    transport_->cancel();
}

// The deadline timer is lazy: arming only records when the I/O must be
// done; the timer's wait is restarted only when it would expire later than
// that. Moving a deadline later (every command, every read of a message)
// then costs nothing -- no timer cancelled and started, no timerfd update,
// no cancelled handler to run -- and a wait that expires before the
// current deadline just waits again for the rest.
void Session::arm_deadline(std::chrono::steady_clock::time_point at) {
    timed_out_ = false;
    deadline_at_ = at;
    deadline_armed_ = true;
    if (deadline_waiting_ && deadline_wait_until_ <= at) return;
    wait_for_deadline(at);
}

void Session::wait_for_deadline(std::chrono::steady_clock::time_point until) {
    deadline_waiting_ = true;
    deadline_wait_until_ = until;
    const uint64_t generation = ++deadline_generation_;
    deadline_.expires_at(until);  // cancels a wait in progress: its handler sees an older generation
    deadline_.async_wait([weak = weak_from_this(), generation](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (!self || self->deadline_generation_ != generation) return;
        self->deadline_waiting_ = false;
        if (!ec) self->deadline_reached();
    });
}

void Session::deadline_reached() {
    if (!deadline_armed_) return;  // no I/O in flight; the next arm waits again
    if (std::chrono::steady_clock::now() < deadline_at_) {
        wait_for_deadline(deadline_at_);  // moved later meanwhile
        return;
    }
    deadline_passed();
}

void Session::disarm_deadline() { deadline_armed_ = false; }

void Session::stop_deadline() {
    deadline_armed_ = false;
    deadline_waiting_ = false;
    ++deadline_generation_;
    deadline_.cancel();
}

asio::awaitable<void> Session::linger_close() { co_await transport_->linger_close(forced_); }

void Session::close_transport() {
    stop_deadline();  // a session that is over keeps no timer pending
    transport_->close();
    open_ = false;
}

}  // namespace mailfw::smtp
