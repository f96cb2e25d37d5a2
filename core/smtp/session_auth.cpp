// AUTH (RFC 4954) with the mechanism from a plugin: the core owns base64,
// line limits, cancellation and the 334 framing, including MS-OXSMTP's
// relaxed "334 <MECH> supported" reply.
#include "smtp/auth_framing.hpp"
#include "smtp/session.hpp"
#include "util/log.hpp"
#include "util/printable.hpp"
#include "util/secret.hpp"

namespace mailfw::smtp {

namespace asio = boost::asio;

namespace {
// Always hands the exchange state back to its mechanism, however we leave.
struct ExchangeGuard {
    const ServerMech& mech;
    void* state;
    ~ExchangeGuard() {
        if (state && mech.table.finish) mech.table.finish(state);
    }
};
}  // namespace

asio::awaitable<void> Session::cmd_auth(const Command& cmd) {
    if (!esmtp_) {
        co_await send(Reply(503, "5.5.1", "Send EHLO first"));
        co_return;
    }
    if (!auth_user_.empty()) {
        co_await send(Reply(503, "5.5.1", "Already authenticated"));
        co_return;
    }
    if (txn_) {
        co_await send(Reply(503, "5.5.1", "AUTH not permitted during a mail transaction"));
        co_return;
    }
    auto args = parse_auth(cmd.args);
    if (!args) {
        // A valid mechanism followed by something that is not base64 is a
        // decoding error (RFC 4954 §4: 501 5.5.2), not a syntax error.
        bool mechanism_ok = parse_auth(cmd.args.substr(0, cmd.args.find(' '))).has_value();
        if (mechanism_ok && cmd.args.find(' ') != std::string_view::npos)
            co_await send(Reply(501, "5.5.2", "Cannot decode initial response"));
        else
            co_await send(Reply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"));
        co_return;
    }
    const ServerMech* mech = ctx_->plugins->find_server_mech(args->mechanism_upper);
    if (!mech) {
        co_await send(Reply(504, "5.5.4", "Unrecognized authentication type"));
        co_return;
    }
    // The command line ("AUTH " + args) is held to what this mechanism
    // declared (RFC 4954 §4: 500 5.5.6), not to the longest of all.
    const size_t line_limit = auth_line_limit(mech->max_response);
    if (cmd.args.size() + 5 > line_limit) {
        co_await send(Reply(500, "5.5.6", "Authentication exchange line is too long"));
        co_return;
    }
    if (!mechanism_usable(*mech)) {
        co_await send(Reply(538, "5.7.11", "Encryption required for requested authentication mechanism"));
        co_return;
    }
    InitialResponse ir = decode_initial_response(args->initial_response);
    if (!ir.ok) {
        co_await send(Reply(501, "5.5.2", "Cannot decode initial response"));
        co_return;
    }
    const bool had_initial_response = ir.bytes.has_value();
    SecretString input(had_initial_response ? *ir.bytes : std::string());
    if (ir.bytes) wipe(*ir.bytes);
    bool have_input = had_initial_response;

    ExchangeGuard guard{*mech, mech->table.start ? mech->table.start(mech->instance, this) : nullptr};
    if (!guard.state) {
        log::write(log::Level::error, mech->plugin + ": could not start " + mech->name, id_, client_);
        co_await send(Reply(454, "4.7.0", "Temporary authentication failure"));
        co_return;
    }
    pending_identity_.clear();
    pending_detail_.clear();
    const RelaxedAuth mode = ctx_->listener->relaxed_auth;
    const bool relaxed = mode == RelaxedAuth::always ||
                         (mode == RelaxedAuth::automatic && (mech->flags & MAILFW_MECH_RELAXED_CHALLENGE));
    const std::string base_log = log_command_;

    for (bool first = true;; first = false) {
        const unsigned char* out = nullptr;
        size_t out_len = 0;
        const unsigned char* in = have_input ? reinterpret_cast<const unsigned char*>(input.str().data()) : nullptr;
        const size_t in_len = input.str().size();
        auto step = [&] { return mech->table.step(guard.state, in, in_len, &out, &out_len); };
        int r = co_await off_thread(step, ctx_->auth_pool);
        wipe(input.str());

        if (r == MAILFW_SASL_CONTINUE || (r == MAILFW_SASL_OK && out_len > 0)) {
            // RFC 4954 §4: data with success still goes in a 334, answered by an empty line.
            std::string_view challenge(reinterpret_cast<const char*>(out), out_len);
            co_await send(Reply(334, "", challenge_line(challenge, first, had_initial_response, relaxed,
                                                        args->mechanism_upper)));
            log_command_ = base_log + " (response)";
            touch();  // a response line counts as a command for the inactivity timer
            LineRead in = co_await read_line(line_limit + 2);
            if (in.status == ReadStatus::closed) {
                // ConnectionInactivityTimeOut applies inside the exchange too:
                // without this the next read re-armed the deadline and the
                // client waited a second idle period for the 421.
                if (timed_out_) {
                    log::write(log::Level::info, "idle timeout during AUTH", id_, client_);
                    Reply bye(421, "4.4.2",
                              ctx_->server->hostname + " Timeout waiting for the authentication response, closing connection");
                    co_await goodbye(std::move(bye));
                }
                co_return;
            }
            if (in.status == ReadStatus::too_long) {
                co_await send(Reply(500, "5.5.6", "Authentication exchange line is too long"));
                co_return;
            }
            AuthResponse resp = in.status == ReadStatus::bare_lf ? AuthResponse{AuthResponse::bad_base64, {}}
                                                                   : parse_auth_response(in.line);
            wipe(in.line);
            if (resp.kind == AuthResponse::cancel) {
                co_await send(Reply(501, "5.0.0", "Authentication cancelled"));
                co_return;
            }
            if (resp.kind == AuthResponse::bad_base64) {
                co_await send(Reply(501, "5.5.2", "Cannot decode response"));
                co_return;
            }
            if (r == MAILFW_SASL_OK) {
                bool empty = resp.bytes.empty();
                wipe(resp.bytes);
                if (!empty) {
                    co_await send(Reply(501, "5.5.2", "Expected an empty response"));
                    co_return;
                }
            } else {
                input.str() = std::move(resp.bytes);
                have_input = true;
                continue;
            }
        }

        mailfw_event ev{};
        ev.hook = MAILFW_HOOK_AUTH;
        ev.text = {mech->name.data(), mech->name.size()};
        ev.result = (r == MAILFW_SASL_OK && !pending_identity_.empty()) ? MAILFW_SASL_OK : r;
        if (ev.result == MAILFW_SASL_OK) {
            auth_user_ = pending_identity_;
            auth_mechanism_ = mech->name;
            auth_detail_ = pending_detail_;
            log::write(log::Level::info, "authenticated as " + auth_user_ + " with " + mech->name, id_, client_);
        } else if (r == MAILFW_SASL_OK) {
            log::write(log::Level::error, mech->plugin + ": " + mech->name + " succeeded without naming the user",
                       id_, client_);
            ev.result = MAILFW_SASL_ERROR;
        } else {
            log::write(log::Level::info, "authentication failed with " + mech->name +
                                             (out_len ? ": " + printable({reinterpret_cast<const char*>(out), out_len}, '?', 200) : std::string()),
                       id_, client_);
        }
        if (events_->wants(MAILFW_HOOK_AUTH)) {
            Verdict v = co_await events_->fire(ev);
            if (v.closes()) {
                if (v.action == MAILFW_DISCONNECT) {
                    open_ = false;
                    co_return;
                }
                co_await goodbye(reply_for(v));
                co_return;
            }
        }
        log_command_ = base_log;
        if (ev.result == MAILFW_SASL_OK)
            co_await send(Reply(235, "2.7.0", "Authentication successful"));
        else if (ev.result == MAILFW_SASL_FAIL)
            co_await send(Reply(535, "5.7.8", "Authentication credentials invalid"));
        else
            co_await send(Reply(454, "4.7.0", "Temporary authentication failure"));
        co_return;
    }
}

}  // namespace mailfw::smtp
