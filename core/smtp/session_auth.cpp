// AUTH (RFC 4954) with the mechanism from a plugin: the core owns base64,
// line limits, cancellation and the 334 framing, including MS-OXSMTP's
// relaxed "334 <MECH> supported" reply. In steps: auth_request (the command
// and its mechanism), auth_exchange (challenges and responses until the
// mechanism decides), auth_finish (the AUTH hook and the final reply). The
// phase table has already checked the sequence (EHLO, not authenticated,
// no transaction).
#include <mailfw/plugin.hpp>

#include <cctype>

#include "smtp/auth_framing.hpp"
#include "smtp/session.hpp"
#include "util/log.hpp"
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

std::optional<Reply> Session::auth_request(const Command& cmd, AuthRequest& req) {
    auto args = parse_auth(cmd.args);
    if (!args) {
        // A valid mechanism followed by something that is not base64 is a
        // decoding error (RFC 4954 §4: 501 5.5.2), not a syntax error.
        bool mechanism_ok = parse_auth(cmd.args.substr(0, cmd.args.find(' '))).has_value();
        if (mechanism_ok && cmd.args.find(' ') != std::string_view::npos)
            return Reply(501, "5.5.2", "Cannot decode initial response");
        return Reply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
    }
    req.mech = ctx_->plugins->find_server_mech(args->mechanism_upper);
    if (!req.mech || !mechanism_offered(*req.mech)) return Reply(504, "5.5.4", "Unrecognized authentication type");
    // The command line ("AUTH " + args) is held to what this mechanism
    // declared (RFC 4954 §4: 500 5.5.6), not to the longest of all.
    req.line_limit = auth_line_limit(req.mech->max_response);
    if (cmd.args.size() + 5 > req.line_limit) return Reply(500, "5.5.6", "Authentication exchange line is too long");
    if (!mechanism_usable(*req.mech))
        return Reply(538, "5.7.11", "Encryption required for requested authentication mechanism");
    InitialResponse ir = decode_initial_response(args->initial_response);
    if (!ir.ok) return Reply(501, "5.5.2", "Cannot decode initial response");
    req.had_initial_response = ir.bytes.has_value();
    if (ir.bytes) {
        req.input.str() = *ir.bytes;
        wipe(*ir.bytes);
    }
    req.mechanism_upper = args->mechanism_upper;
    const RelaxedAuth mode = ctx_->listener->relaxed_auth;
    req.relaxed = mode == RelaxedAuth::always ||
                  (mode == RelaxedAuth::automatic && (req.mech->flags & MAILFW_MECH_RELAXED_CHALLENGE));
    return std::nullopt;
}

asio::awaitable<void> Session::cmd_auth(const Command& cmd) {
    AuthRequest req;
    std::optional<Reply> refusal = auth_request(cmd, req);
    if (refusal) {
        co_await send(std::move(*refusal));
        co_return;
    }
    const ServerMech& mech = *req.mech;
    ExchangeGuard guard{mech, mech.table.start ? mech.table.start(mech.instance, this) : nullptr};
    if (!guard.state) {
        log::write(log::Level::error, mech.plugin + ": could not start " + mech.name, id_, client_);
        co_await send(Reply(454, "4.7.0", "Temporary authentication failure"));
        co_return;
    }
    pending_identity_.clear();
    pending_detail_.clear();
    set_phase(Phase::auth);
    AuthStep last;
    co_await auth_exchange(req, guard.state, last);
    if (phase_ == Phase::auth) {
        if (!last.answered) co_await auth_finish(mech, last);
        if (phase_ == Phase::auth) set_phase(Phase::ready);
    }
}

asio::awaitable<void> Session::auth_exchange(AuthRequest& req, void* state, AuthStep& last) {
    const ServerMech& mech = *req.mech;
    const std::string base_log = log_command_;
    bool have_input = req.had_initial_response;
    for (bool first = true;; first = false) {
        const unsigned char* out = nullptr;
        size_t out_len = 0;
        const unsigned char* in = have_input ? reinterpret_cast<const unsigned char*>(req.input.str().data()) : nullptr;
        const size_t in_len = req.input.str().size();
        auto step = [&] { return mech.table.step(state, in, in_len, &out, &out_len); };
        const int r = co_await off_thread(step, ctx_->auth_pool);
        wipe(req.input.str());
        last.result = r;
        last.reason = out_len && r != MAILFW_SASL_CONTINUE && r != MAILFW_SASL_OK
                          ? mailfw::printable({reinterpret_cast<const char*>(out), out_len}, 200)
                          : std::string();
        // RFC 4954 §4: data with success still goes in a 334, answered by an empty line.
        if (r != MAILFW_SASL_CONTINUE && !(r == MAILFW_SASL_OK && out_len > 0)) co_return;

        std::string_view challenge(reinterpret_cast<const char*>(out), out_len);
        co_await send(Reply(334, "", challenge_line(challenge, first, req.had_initial_response, req.relaxed,
                                                    req.mechanism_upper)));
        log_command_ = base_log + " (response)";
        touch();  // a response line counts as a command for the inactivity timer
        LineRead line = co_await read_line(req.line_limit + 2);
        log_command_ = base_log;
        last.answered = true;  // every way out below has its own reply
        if (line.status == ReadStatus::closed) {
            // ConnectionInactivityTimeOut applies inside the exchange too.
            if (timed_out_) {
                Reply bye(421, "4.4.2",
                          ctx_->server->hostname + " Timeout waiting for the authentication response, closing connection");
                co_await end_session(std::move(bye), "idle timeout during AUTH");
            } else if (close_requested_) {
                // a plugin closed it (limit-timers): the loop sends its reply
            } else {
                end_session_silently("connection lost during AUTH");
            }
            co_return;
        }
        if (line.status == ReadStatus::too_long) {
            co_await send(Reply(500, "5.5.6", "Authentication exchange line is too long"));
            co_return;
        }
        AuthResponse resp = line.status == ReadStatus::bare_lf ? AuthResponse{AuthResponse::bad_base64, {}}
                                                               : parse_auth_response(line.line);
        wipe(line.line);
        if (resp.kind == AuthResponse::cancel) {
            co_await send(Reply(501, "5.0.0", "Authentication cancelled"));
            co_return;
        }
        if (resp.kind == AuthResponse::bad_base64) {
            co_await send(Reply(501, "5.5.2", "Cannot decode response"));
            co_return;
        }
        if (r == MAILFW_SASL_OK) {  // the empty answer to the last challenge
            const bool empty = resp.bytes.empty();
            wipe(resp.bytes);
            if (!empty) {
                co_await send(Reply(501, "5.5.2", "Expected an empty response"));
                co_return;
            }
            last.answered = false;
            co_return;
        }
        req.input.str() = std::move(resp.bytes);
        have_input = true;
        last.answered = false;
    }
}

asio::awaitable<void> Session::auth_finish(const ServerMech& mech, const AuthStep& last) {
    mailfw_event ev{};
    ev.hook = MAILFW_HOOK_AUTH;
    ev.text = {mech.name.data(), mech.name.size()};
    ev.result = (last.result == MAILFW_SASL_OK && !pending_identity_.empty()) ? MAILFW_SASL_OK : last.result;
    if (ev.result == MAILFW_SASL_OK) {
        auth_user_ = pending_identity_;
        auth_mechanism_ = mech.name;
        auth_detail_ = pending_detail_;
        // The inner mechanism too when it says more (GSSAPI: Kerberos or NTLM).
        std::string detail_upper = auth_detail_;
        for (char& c : detail_upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        const bool detail = !auth_detail_.empty() && detail_upper != mech.name;
        log::write(log::Level::info,
                   "authenticated as " + auth_user_ + " with " + mech.name + (detail ? " (" + auth_detail_ + ")" : ""),
                   id_, client_);
    } else if (last.result == MAILFW_SASL_OK) {
        log::write(log::Level::error, mech.plugin + ": " + mech.name + " succeeded without naming the user", id_,
                   client_);
        ev.result = MAILFW_SASL_ERROR;
    } else {
        log::write(log::Level::info,
                   "authentication failed with " + mech.name + (last.reason.empty() ? "" : ": " + last.reason), id_,
                   client_);
    }
    if (events_->wants(MAILFW_HOOK_AUTH)) {
        Verdict v = co_await events_->fire(ev);
        if (v.closes()) {  // the only verdicts AUTH takes (plugin.h)
            co_await act_on(v, MAILFW_HOOK_AUTH);
            co_return;
        }
    }
    if (ev.result == MAILFW_SASL_OK)
        co_await send(Reply(235, "2.7.0", "Authentication successful"));
    else if (ev.result == MAILFW_SASL_FAIL)
        co_await send(Reply(535, "5.7.8", "Authentication credentials invalid"));
    else
        co_await send(Reply(454, "4.7.0", "Temporary authentication failure"));
}

}  // namespace mailfw::smtp
