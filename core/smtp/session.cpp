// The command loop and the commands that need no transaction.
#include "smtp/session.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>

#include "smtp/auth_framing.hpp"
#include "util/log.hpp"
#include "util/secret.hpp"

namespace mailfw::smtp {

namespace asio = boost::asio;

namespace {
// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with its CRLF.
constexpr size_t kCommandLineLimit = 512;
// AUTH lines carry Kerberos tokens: command lines are read with the limit
// of the loaded mechanism that allows the longest (auth_line_limit), and
// every other command is then held to 512.
size_t command_read_limit(const PluginHost& plugins) {
    size_t limit = kDefaultAuthLineLimit;
    for (const auto& m : plugins.server_mechs()) limit = std::max(limit, auth_line_limit(m.max_response));
    return limit + 2;
}

// What a command looks like in the log: AUTH never shows its response.
std::string loggable(const Command& cmd, std::string_view line) {
    if (cmd.verb == Verb::auth) {
        auto sp = cmd.args.find(' ');
        return "AUTH " + std::string(cmd.args.substr(0, sp));
    }
    return std::string(line.substr(0, 200));
}
}  // namespace

Session::Session(std::unique_ptr<Transport> transport, std::shared_ptr<const ListenerContext> ctx)
    : transport_(std::move(transport)),
      executor_(transport_->executor()),
      ctx_(std::move(ctx)),
      id_(next_connection_id()),
      deadline_(executor_) {
    const Transport::Endpoints ep = transport_->endpoints();
    remote_ip_ = ep.remote_ip;
    remote_port_ = ep.remote_port;
    local_ip_ = ep.local_ip;
    local_port_ = ep.local_port;
    client_ = (remote_ip_.find(':') != std::string::npos ? "[" + remote_ip_ + "]" : remote_ip_) + ":" +
              std::to_string(remote_port_);
}

Session::~Session() {
    if (ctx_->registry) ctx_->registry->remove(id_);
}

void Session::start() {
    ctx_->registry->add(id_, weak_from_this());
    asio::co_spawn(executor_, [self = shared_from_this()] { return self->run(); },
                   [self = shared_from_this()](std::exception_ptr e) {
                       if (!e) return;
                       try {
                           std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                           log::write(log::Level::error, std::string("session failed: ") + ex.what(), self->id_,
                                      self->client_);
                       }
                       self->close_transport();
                   });
}

void Session::notify_shutdown() {
    asio::post(executor_, [self = shared_from_this()] {
        self->shutdown_requested_ = true;
        // An idle session is told at once; one in a transaction finishes it.
        // Only a pending read is cancelled: cancelling the write of replies
        // still in flight would cut them off and lose the 421 (fill() checks
        // for the request once that write is done).
        if (self->reading_command_ && self->reading_ && !self->txn_) {
            self->transport_->cancel();
        }
        if (self->hold_timer_ && !self->txn_) self->hold_timer_->cancel();  // a tarpit does not delay a stop
    });
}

void Session::force_close() {
    asio::post(executor_, [self = shared_from_this()] {
        self->forced_ = true;
        self->transport_->cancel();
        if (self->hold_timer_) self->hold_timer_->cancel();
    });
}

// run() stays small: its frame lives as long as the session, so the work
// of each step goes into coroutines whose frames are freed when the step
// ends (an idle session holds only run, read_line and the pending read).
asio::awaitable<void> Session::run() {
    const bool proceed = co_await open_session();
    while (proceed && open_) {
        const bool ended = co_await end_if_asked();
        if (ended) break;
        reading_command_ = true;
        touch();
        LineRead in = co_await read_line(read_limit_);
        reading_command_ = false;
        if (in.status == ReadStatus::closed) {
            const bool again = co_await input_closed();
            if (again) continue;
            break;
        }
        co_await handle_line(in);
    }
    co_await close_session();
}

asio::awaitable<bool> Session::open_session() {
    const auto& host = ctx_->server->hostname;
    log::write(log::Level::info, "connect to " + ctx_->listener->name + " (" + local_ip_ + ":" +
                                     std::to_string(local_port_) + ")", id_, client_);
    events_ = std::make_unique<EventPipeline>(ctx_->plugins->event_handlers(), this);
    read_limit_ = command_read_limit(*ctx_->plugins);

    bool proceed = true;
    if (ctx_->listener->tls == TlsMode::implicit) proceed = co_await start_tls();
    if (proceed) {
        // From here on the session exists for plugins: DISCONNECT pairs with this.
        // CONNECT comes before the core's own shutdown refusal, so the
        // owner of NewConnectionNotAvailable (limit-connections) answers it.
        connect_announced_ = true;
        if (events_->wants(MAILFW_HOOK_CONNECT)) {
            mailfw_event ev{};
            ev.hook = MAILFW_HOOK_CONNECT;
            Verdict v = co_await events_->fire(ev);
            co_await refuse_at_connect(v);
        }
        proceed = open_;
    }
    if (proceed && ctx_->registry->shutting_down()) {
        co_await end_session(Reply(421, "4.3.2", host + " Service shutting down, try again later"), "shutting down");
        proceed = false;
    }
    if (proceed && phase_ == Phase::greeting && ctx_->listener->greet_pause_ms) {
        const bool early = co_await talks_before_greeting();
        if (early) proceed = false;
    }
    if (proceed && phase_ == Phase::greeting) co_await send(Reply(220, "", host + " ESMTP mailfw ready"));
    co_return proceed;
}

asio::awaitable<bool> Session::talks_before_greeting() {
    // Postfix postscreen's pregreet test: an SMTP client waits for the 220;
    // a bot (or a relay replaying a recording) talks first.
    co_await hold_reply(static_cast<uint32_t>(ctx_->listener->greet_pause_ms));  // a stop cuts it short
    if (!open_) co_return true;
    if (!input_waiting()) co_return false;
    log::write(log::Level::warning, "talked before the greeting (greet_pause " +
                                        std::to_string(ctx_->listener->greet_pause_ms) + " ms)", id_, client_);
    co_await end_session(Reply(554, "5.5.0", ctx_->server->hostname + " Protocol error: talking before the greeting"),
                         "talked before the greeting");
    co_return true;
}

asio::awaitable<bool> Session::end_if_asked() {
    if (close_requested_) {
        log_command_.clear();  // this reply answers no command
        if (close_reply_)
            co_await end_session(*close_reply_, "closed by a plugin");
        else
            end_session_silently("closed by a plugin");
        co_return true;
    }
    if ((shutdown_requested_ && !txn_) || forced_) {
        log_command_.clear();
        co_await end_session(
            Reply(421, "4.3.2", ctx_->server->hostname + " Service shutting down, closing connection"),
            "shutting down");
        co_return true;
    }
    co_return false;
}

asio::awaitable<bool> Session::input_closed() {
    if (close_requested_) co_return true;  // handled at the top of the loop
    if (timed_out_) {
        co_await end_session(
            Reply(421, "4.4.2", ctx_->server->hostname + " Timeout waiting for a command, closing connection"),
            "idle timeout");
        co_return false;
    }
    // Our cancel (notify_shutdown spares a transaction in flight, so with
    // one open this was the client leaving: a second read would wait for the
    // grace period): the top of the loop says goodbye.
    if ((shutdown_requested_ && !txn_) || forced_) co_return true;
    co_return false;
}

asio::awaitable<void> Session::handle_line(LineRead& in) {
    if (in.status == ReadStatus::too_long) {
        // RFC 4954 §4: an AUTH line over the limit gets 500 5.5.6.
        bool auth = parse_command(in.line).verb == Verb::auth;
        if (auth)
            co_await send(Reply(500, "5.5.6", "Authentication exchange line is too long"));
        else
            co_await send(Reply(500, "5.5.2", "Line too long"));
        co_return;
    }
    if (in.status == ReadStatus::bare_lf) {
        co_await send(Reply(500, "5.5.2", "Bare LF in command; lines must end with CRLF"));
        co_return;
    }
    Command cmd = parse_command(in.line);
    if (cmd.verb != Verb::auth && in.line.size() + 2 > kCommandLineLimit) {
        co_await send(Reply(500, "5.5.2", "Line too long"));
        co_return;
    }
    log_command_ = loggable(cmd, in.line);
    ++commands_;
    if (events_->wants(MAILFW_HOOK_COMMAND)) {
        mailfw_event ev{};
        ev.hook = MAILFW_HOOK_COMMAND;
        ev.text = {cmd.verb_text.data(), cmd.verb_text.size()};
        ev.params = {cmd.args.data(), cmd.args.size()};
        const bool rejected = co_await hook_rejects(ev);
        if (rejected) co_return;
    }
    co_await dispatch(cmd);
    if (cmd.verb == Verb::auth) wipe(in.line);  // may hold an initial response
}

asio::awaitable<void> Session::close_session() {
    // Teardown, whatever ended the session.
    set_phase(Phase::closing);
    co_await flush();
    reset_transaction();
    if (connect_announced_ && events_->wants(MAILFW_HOOK_DISCONNECT)) {
        mailfw_event ev{};
        ev.hook = MAILFW_HOOK_DISCONNECT;
        co_await events_->fire(ev);
    }
    {
        std::lock_guard lock(timers_mutex_);
        timers_.clear();
        held_timers_.clear();
        inactivity_timers_.clear();
    }
    events_.reset();
    stop_deadline();  // no more replies: linger_close bounds itself
    co_await linger_close();
    log::write(log::Level::info, "disconnect after " + std::to_string(commands_) + " commands", id_, client_);
}

Session::Handler Session::handler_for(Verb v) {
    // The command table: one handler per verb; when each may run is the
    // phase table's business (session_state.cpp).
    static constexpr std::pair<Verb, Handler> kHandlers[] = {
        {Verb::helo, &Session::cmd_ehlo},     {Verb::ehlo, &Session::cmd_ehlo},
        {Verb::mail, &Session::cmd_mail},     {Verb::rcpt, &Session::cmd_rcpt},
        {Verb::data, &Session::cmd_data},     {Verb::bdat, &Session::cmd_bdat},
        {Verb::auth, &Session::cmd_auth},     {Verb::starttls, &Session::cmd_starttls},
        {Verb::rset, &Session::cmd_rset},     {Verb::noop, &Session::cmd_noop},
        {Verb::quit, &Session::cmd_quit},     {Verb::vrfy, &Session::cmd_vrfy},
        {Verb::expn, &Session::cmd_expn},     {Verb::help, &Session::cmd_help},
    };
    for (const auto& [verb, handler] : kHandlers)
        if (verb == v) return handler;
    return &Session::cmd_unknown;
}

SessionFacts Session::facts() const {
    SessionFacts f;
    f.esmtp = esmtp_;
    f.authenticated = !auth_user_.empty();
    f.auth_required = ctx_->listener->auth_required;
    f.has_recipients = txn_ && !txn_->rcpts.empty();
    f.rcpt_attempted = txn_ && txn_->rcpt_attempted;
    return f;
}

void Session::set_phase(Phase p) {
    if (p == phase_) return;
    log::write(log::Level::debug, std::string("phase ") + phase_name(phase_) + " -> " + phase_name(p), id_, client_);
    phase_ = p;
}

asio::awaitable<void> Session::dispatch(const Command& cmd) {
    // BDAT reads its chunk even when refused (RFC 3030 §2): it checks itself.
    if (cmd.verb != Verb::bdat) {
        std::optional<Reply> refusal = command_refusal(cmd.verb, phase_, facts());
        if (refusal) {
            co_await send(std::move(*refusal));
            co_return;
        }
    }
    // The awaitable is bound to a local first (the coroutine rules at the top of session.hpp).
    awaitable<void> op = (this->*handler_for(cmd.verb))(cmd);
    co_await std::move(op);
}

asio::awaitable<void> Session::cmd_rset(const Command& cmd) {
    if (!cmd.args.empty()) {
        co_await send(Reply(501, "5.5.4", "Syntax: RSET takes no parameters"));
        co_return;
    }
    reset_transaction();
    co_await send(Reply(250, "2.0.0", "Reset state"));
}

asio::awaitable<void> Session::cmd_noop(const Command&) { co_await send(Reply(250, "2.0.0", "OK")); }

asio::awaitable<void> Session::cmd_quit(const Command&) {
    co_await end_session(Reply(221, "2.0.0", ctx_->server->hostname + " closing connection"), "QUIT");
}

asio::awaitable<void> Session::cmd_vrfy(const Command& cmd) {
    if (cmd.args.empty())
        co_await send(Reply(501, "5.5.4", "Syntax: VRFY <address>"));
    else  // RFC 5321 §3.5.3: 252 when we will not verify but will accept
        co_await send(Reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"));
}

asio::awaitable<void> Session::cmd_expn(const Command&) { co_await send(Reply(502, "5.5.1", "EXPN not supported")); }

asio::awaitable<void> Session::cmd_unknown(const Command&) {
    co_await send(Reply(500, "5.5.1", "Command unrecognized"));
}

asio::awaitable<void> Session::cmd_ehlo(const Command& cmd) {
    bool ehlo = cmd.verb == Verb::ehlo;
    if (!valid_helo_argument(cmd.args)) {
        co_await send(Reply(501, "5.5.4", std::string("Syntax: ") + (ehlo ? "EHLO" : "HELO") + " hostname"));
        co_return;
    }
    reset_transaction();  // RFC 5321 §4.1.4: EHLO implies RSET
    if (events_->wants(MAILFW_HOOK_HELO)) {
        mailfw_event ev{};
        ev.hook = MAILFW_HOOK_HELO;
        ev.text = {cmd.args.data(), cmd.args.size()};
        const bool rejected = co_await hook_rejects(ev);
        if (rejected) co_return;
    }
    helo_ = std::string(cmd.args);
    esmtp_ = ehlo;
    set_phase(Phase::ready);
    std::string greeting = ctx_->server->hostname + " Hello " + helo_ + " [" + remote_ip_ + "]";
    if (!ehlo) {
        co_await send(Reply(250, "", greeting));
        co_return;
    }
    std::vector<std::string> lines{greeting};
    for (auto& k : ehlo_keywords()) lines.push_back(std::move(k));
    co_await send(Reply(250, "", std::move(lines)));
}

std::vector<std::string> Session::ehlo_keywords() const {
    // SIZE is the backstop's unless a handler (limit-size) sends its own.
    std::vector<std::string> k{"PIPELINING", "SIZE " + std::to_string(ctx_->listener->message_size_backstop), "8BITMIME",
                               "ENHANCEDSTATUSCODES", "CHUNKING"};
    if (ctx_->listener->tls == TlsMode::starttls && ctx_->tls && !transport_->tls_active()) k.push_back("STARTTLS");
    std::string auth;
    for (const auto& m : ctx_->plugins->server_mechs())
        if (mechanism_offered(m) && mechanism_usable(m)) auth += " " + m.name;
    if (!auth.empty()) k.push_back("AUTH" + auth);
    k.push_back("HELP");
    // Handlers' lines: one for a keyword the core sends replaces it (the
    // size plugin's SIZE); the first handler to name a keyword wins.
    auto keyword = [](const std::string& line) {
        std::string w = line.substr(0, line.find(' '));
        for (auto& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return w;
    };
    std::vector<std::string> replaced;
    for (auto& [line, plugin] : events_->ehlo_keywords()) {
        const std::string w = keyword(line);
        if (std::find(replaced.begin(), replaced.end(), w) != replaced.end()) continue;
        replaced.push_back(w);
        auto it = std::find_if(k.begin(), k.end(), [&](const std::string& l) { return keyword(l) == w; });
        if (it != k.end())
            *it = line;
        else
            k.insert(k.end() - 1, line);  // before HELP
    }
    return k;
}

bool Session::mechanism_offered(const ServerMech& m) const {
    return !m.table.available || m.table.available(m.instance) == MAILFW_OK;
}

bool Session::mechanism_usable(const ServerMech& m) const {
    // MS-XLOGIN 5.1: mechanisms that carry a reusable password are not
    // offered in the clear unless the listener says so.
    return !(m.flags & MAILFW_MECH_PLAINTEXT) || transport_->tls_active() || ctx_->listener->allow_plaintext_auth;
}

asio::awaitable<void> Session::cmd_starttls(const Command& cmd) {
    if (transport_->tls_active()) {
        co_await send(Reply(503, "5.5.1", "TLS already active"));
        co_return;
    }
    if (ctx_->listener->tls != TlsMode::starttls || !ctx_->tls) {
        co_await send(Reply(502, "5.5.1", "STARTTLS not available on this listener"));
        co_return;
    }
    if (!cmd.args.empty()) {
        co_await send(Reply(501, "5.5.4", "Syntax: STARTTLS takes no parameters"));
        co_return;
    }
    co_await send(Reply(220, "2.0.0", "Ready to start TLS"));
    co_await flush();
    // RFC 3207 §4.2 / CVE-2011-0411: anything the client pipelined after
    // STARTTLS was sent in the clear and must not be taken as a command.
    if (!buffered().empty()) {
        log::write(log::Level::warning,
                   "discarded " + std::to_string(buffered().size()) + " bytes pipelined after STARTTLS", id_, client_);
        consume(buffered().size());
    }
    reset_transaction();
    set_phase(Phase::tls_handshake);
    const bool secured = co_await start_tls();
    if (!secured) co_return;  // start_tls ended the session
    // RFC 3207 §4.2: the session starts over; the client must EHLO again.
    set_phase(Phase::greeting);
    helo_.clear();
    esmtp_ = false;
    auth_user_.clear();
    auth_mechanism_.clear();
    auth_detail_.clear();
}

asio::awaitable<void> Session::cmd_help(const Command&) {
    std::vector<std::string> lines;  // (built first: g++ 12 mishandles braced lists in co_await)
    lines.emplace_back("mailfw; commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY");
    lines.emplace_back("HELP STARTTLS AUTH; see RFC 5321");
    co_await send(Reply(214, "2.0.0", std::move(lines)));
}

asio::awaitable<bool> Session::hook_rejects(mailfw_event ev) {
    Verdict v = co_await events_->fire(ev);
    const bool stopped = co_await act_on(v, ev.hook);
    co_return stopped;
}

asio::awaitable<bool> Session::act_on(const Verdict& v, uint32_t hook) {
    if (!v.stops() || v.action == MAILFW_ACCEPT) co_return false;
    log::write(log::Level::info, "hook " + std::to_string(hook) + " stopped by " + v.plugin, id_, client_);
    if (v.action == MAILFW_DISCONNECT) {
        co_await flush();
        end_session_silently("disconnected by a plugin");
        co_return true;
    }
    Reply r = reply_for(v);
    if (v.delay_ms) co_await hold_reply(v.delay_ms);
    if (v.closes())
        co_await end_session(std::move(r), "closed by a plugin's verdict");
    else
        co_await send(std::move(r));
    co_return true;
}

asio::awaitable<void> Session::refuse_at_connect(const Verdict& v) {
    // A refusal that keeps the session (DENY, DENYSOFT) becomes the greeting
    // (RFC 5321 §3.1: 554 instead of 220, then wait for QUIT); the closing
    // kinds say it and close, as hook_rejects does everywhere else.
    if (!v.stops() || v.action == MAILFW_ACCEPT) co_return;
    log::write(log::Level::info, "connection refused at connect by " + v.plugin, id_, client_);
    if (v.closes()) {
        co_await act_on(v, MAILFW_HOOK_CONNECT);
        co_return;
    }
    Verdict greeting = v;
    if (greeting.action == MAILFW_DENY && greeting.code == 0) greeting.code = 554;  // the RFC's refusal greeting
    if (v.delay_ms) co_await hold_reply(v.delay_ms);
    set_phase(Phase::refused);
    co_await send(reply_for(greeting));
}

asio::awaitable<void> Session::end_session(Reply last, const char* why) {
    co_await send(std::move(last));
    co_await flush();
    end_session_silently(why);
}

void Session::end_session_silently(const char* why) {
    if (phase_ != Phase::closing)
        log::write(log::Level::info, std::string("closing (") + why + ") in phase " + phase_name(phase_), id_, client_);
    set_phase(Phase::closing);
    open_ = false;
}

void Session::reset_transaction() {
    if (phase_ == Phase::transaction || phase_ == Phase::data) set_phase(helo_.empty() ? Phase::greeting : Phase::ready);
    if (!txn_) return;
    events_->close_transaction();
    txn_.reset();  // removes the spool file of an unfinished message
}

}  // namespace mailfw::smtp
