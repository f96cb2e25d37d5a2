// What plugins see of a session through mailfw_session: its description,
// timers on its strand, notes, a way to close it, and the identity a SASL
// mechanism reports.
#include <mailfw/plugin.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "smtp/session.hpp"
#include "smtp/header_field.hpp"
#include "smtp/verdict.hpp"

namespace mailfw::smtp {

namespace asio = boost::asio;

void Session::fill_info(mailfw_session_info& out) {
    std::memset(&out, 0, sizeof out);
    out.struct_size = sizeof out;
    out.connection_id = id_;
    out.listener = mailfw::str(ctx_->listener->name);
    out.role = ctx_->listener->role == Role::relay ? MAILFW_ROLE_RELAY : MAILFW_ROLE_GATEWAY;
    out.remote_address = mailfw::str(remote_ip_);
    out.remote_port = remote_port_;
    out.local_address = mailfw::str(local_ip_);
    out.local_port = local_port_;
    out.helo = mailfw::str(helo_);
    out.tls = transport_->tls_active() ? 1u : 0u;
    out.auth_user = mailfw::str(auth_user_);
    out.auth_mechanism = mailfw::str(auth_mechanism_);
    out.server_hostname = mailfw::str(ctx_->server->hostname);
    out.in_transaction = txn_ ? 1u : 0u;
    out.auth_detail = mailfw::str(auth_detail_);
    out.may_relay = may_relay() ? 1u : 0u;
}

uint64_t Session::start_timer(uint64_t delay_ms, mailfw_timer_fn fire, void* user_data) {
    if (!fire) return 0;
    std::lock_guard lock(timers_mutex_);
    uint64_t id = next_timer_id_++;
    auto timer = std::make_unique<asio::steady_timer>(executor_, std::chrono::milliseconds(delay_ms));
    // Runs on the session's strand.
    timer->async_wait([weak = weak_from_this(), id, fire, user_data](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        {
            std::lock_guard lock(self->timers_mutex_);
            if (!self->timers_.erase(id)) return;  // cancelled meanwhile
            if (self->in_worker_call_) {           // fired when that call returns
                self->held_timers_.push_back({id, fire, user_data});
                return;
            }
        }
        fire(user_data, id);
    });
    timers_.emplace(id, std::move(timer));
    return id;
}

uint64_t Session::start_inactivity_timer(uint64_t delay_ms, mailfw_timer_fn fire, void* user_data) {
    if (!fire) return 0;
    std::lock_guard lock(timers_mutex_);
    const uint64_t id = next_timer_id_++;  // one id space: timer_cancel stops either kind
    const auto delay = std::chrono::milliseconds(delay_ms);
    inactivity_timers_.push_back({id, delay, std::chrono::steady_clock::now() + delay, fire, user_data});
    return id;
}

void Session::cancel_timer(uint64_t id) {
    std::unique_ptr<asio::steady_timer> gone;  // destroyed outside the lock
    std::lock_guard lock(timers_mutex_);
    std::erase_if(inactivity_timers_, [id](const InactivityTimer& t) { return t.id == id; });
    auto it = timers_.find(id);
    if (it != timers_.end()) {
        gone = std::move(it->second);
        timers_.erase(it);
    }
    std::erase_if(held_timers_, [id](const DueTimer& t) { return t.id == id; });
}

void Session::fire_held_timers() {
    // On the strand, after a worker call returned: in the order they fell due.
    for (;;) {
        DueTimer t{};
        {
            std::lock_guard lock(timers_mutex_);
            if (held_timers_.empty()) return;
            t = held_timers_.front();
            held_timers_.erase(held_timers_.begin());
        }
        t.fire(t.user_data, t.id);
    }
}

void Session::close_with(const mailfw_verdict* reply) {
    // Callable from any thread: the reply is copied now (the pointer is only
    // valid during this call) and applied on the session's strand -- inline
    // when we are already on it (a hook or a timer). The loop sends the
    // reply at its next step; a session waiting for input (a command, DATA,
    // BDAT, an AUTH response) is woken up.
    std::optional<Reply> r;
    if (reply) {
        Verdict v = from_c(reply);
        if (v.action != MAILFW_DISCONNECT) {
            if (v.action == MAILFW_CONTINUE || v.action == MAILFW_ACCEPT) v.action = MAILFW_DENYSOFT_DISCONNECT;
            r = reply_for(v);
        }
    }
    asio::dispatch(executor_, [self = shared_from_this(), r = std::move(r)]() mutable {
        self->close_requested_ = true;
        if (r) self->close_reply_ = std::move(r);
        if (self->reading_) self->transport_->cancel();
    });
}

Notes* Session::notes(int scope) {
    if (scope == MAILFW_NOTE_CONNECTION) return &connection_notes_;
    if (scope == MAILFW_NOTE_TRANSACTION && txn_) return &txn_->notes;
    return nullptr;
}

int Session::prepend_header(std::string_view field) {
    if (!header_hooks_open_ || !txn_ || !valid_header_field(field)) return MAILFW_INVALID;
    // Newest on top: a field added later is read first, as if by a later hop.
    txn_->added_headers.insert(0, std::string(field) + "\r\n");
    return MAILFW_OK;
}

void Session::post_to_plugins(std::function<void()> call) {
    // events_ is reset (every connection_close called) on the strand when the
    // session ends, so checking it there drops answers that come too late.
    asio::post(executor_, [weak = weak_from_this(), call = std::move(call)] {
        auto self = weak.lock();
        if (self && self->events_) call();
    });
}

void Session::set_auth_identity(std::string_view user, std::string_view detail) {
    pending_identity_ = std::string(user);
    pending_detail_ = std::string(detail);
}

}  // namespace mailfw::smtp
