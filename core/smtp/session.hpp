// One SMTP server session as a C++20 coroutine on its connection's strand,
// talking over a Transport (TCP in the server, memory in tests). Which
// command may run in which Phase is session_state.cpp's one table; the
// state lives here and the files split the work: session.cpp (the command
// loop, the dispatcher, the simple commands, the one way to end),
// session_io.cpp (lines, pipelined output, TLS, deadlines), session_auth.cpp
// (AUTH in steps), session_data.cpp (MAIL/RCPT/DATA/BDAT, routing and the
// deliveries), session_plugin_api.cpp (what plugins see through
// mailfw_session).
//
// Coroutine rule for this code base: never co_await inside a condition
// (`if (co_await f())`); bind the result to a local first. g++ 12.2
// miscompiles some of those (the callee's frame is resumed corrupted).
#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/transport.hpp"
#include "plugin/session_handle.hpp"
#include "server/listener_context.hpp"
#include "smtp/command.hpp"
#include "smtp/event_pipeline.hpp"
#include "smtp/header_scanner.hpp"
#include "smtp/line_ending_check.hpp"
#include "smtp/reply.hpp"
#include "smtp/session_state.hpp"
#include "spool/spool_file.hpp"
#include "util/secret.hpp"

namespace mailfw::smtp {

class Session final : public mailfw_session, public std::enable_shared_from_this<Session> {
public:
    // `transport`: TCP in the server (TcpTransport), memory in tests.
    Session(std::unique_ptr<Transport> transport, std::shared_ptr<const ListenerContext> ctx);
    ~Session() override;

    void start();
    // Thread-safe; from the server. shutdown: finish the transaction in
    // flight, then 421 4.3.2. force_close: 421 4.3.2 now (grace expired).
    void notify_shutdown();
    void force_close();

    // mailfw_session (plugin-facing, see plugin/session_handle.hpp)
    void fill_info(mailfw_session_info& out) override;
    uint64_t start_timer(uint64_t delay_ms, mailfw_timer_fn fire, void* user_data) override;
    uint64_t start_inactivity_timer(uint64_t delay_ms, mailfw_timer_fn fire, void* user_data) override;
    void cancel_timer(uint64_t id) override;
    void close_with(const mailfw_verdict* reply) override;
    Notes* notes(int scope) override;
    void set_auth_identity(std::string_view user, std::string_view detail) override;
    int prepend_header(std::string_view field) override;
    void post_to_plugins(std::function<void()> call) override;
    PluginHost* plugin_host() override { return ctx_->plugins; }

private:
    template <class T>
    using awaitable = boost::asio::awaitable<T>;

    // ---- I/O (session_io.cpp)
    enum class ReadStatus { line, too_long, bare_lf, closed };
    struct LineRead {
        ReadStatus status;
        std::string line;  // too_long: the first bytes of the line
    };
    awaitable<LineRead> read_line(size_t limit);   // limit includes CRLF
    // More bytes into inbuf_; false: connection over. A read waits at most
    // until the inactivity deadline, which only touch() moves: a complete
    // command, or progress inside a message (ConnectionInactivityTimeOut is
    // "no command", not "no byte": a byte a second must not hold a session).
    // The deadline is the earlier of the core's backstop and the plugins'
    // inactivity timers (limit-timers); one of those falling due fires on
    // the strand and the read goes on unless it closed the session.
    awaitable<bool> fill();
    void touch();
    std::chrono::steady_clock::time_point read_deadline();
    void deadline_passed();
    awaitable<void> flush();                        // sends queued replies
    void queue(const Reply& r);                     // + log line
    awaitable<void> send(Reply r);                  // queue, REPLY hook, delays
    // A verdict's delay (tarpit): flushes, then waits on a timer that a stop cancels.
    awaitable<void> hold_reply(uint32_t delay_ms);
    boost::asio::steady_timer* hold_timer_ = nullptr;  // while hold_reply waits
    awaitable<bool> start_tls();
    // The I/O about to start must be done by `at` (lazy: see session_io.cpp).
    void arm_deadline(std::chrono::steady_clock::time_point at);
    std::chrono::steady_clock::time_point idle_from_now() const;
    void disarm_deadline();  // the I/O is done
    void wait_for_deadline(std::chrono::steady_clock::time_point until);
    void deadline_reached();
    void stop_deadline();  // the session is over: cancels the wait
    void close_transport();
    awaitable<void> linger_close();  // FIN after the last reply, drain, then close
    // Runs a plugin call that may block on a worker pool (ctx_->auth_pool
    // for SASL steps, ctx_->delivery_pool for disk work); the session resumes
    // on its strand with the result. `call` must outlive the co_await. The
    // coroutine itself takes only trivially copyable arguments: g++ 12.2
    // destroys a class-type prvalue argument of a coroutine twice (seen with
    // std::function).
    template <class F>
    awaitable<int> off_thread(F& call, boost::asio::thread_pool* pool) {
        return off_thread_raw([](void* f) { return (*static_cast<F*>(f))(); }, &call, pool);
    }
    awaitable<int> off_thread_raw(int (*fn)(void*), void* arg, boost::asio::thread_pool* pool);
    std::string_view buffered() const { return std::string_view(inbuf_).substr(inpos_); }
    void consume(size_t n);

    // ---- the command loop (session.cpp)
    awaitable<void> run();
    // The steps of run(), each a coroutine of its own (see run()).
    awaitable<bool> open_session();    // TLS, CONNECT, greeting; false: no command loop
    awaitable<bool> talks_before_greeting();  // greet_pause: true when refused (554 5.5.0)
    awaitable<bool> end_if_asked();    // a plugin's close or a shutdown: said goodbye
    awaitable<bool> input_closed();    // the read ended: true to go round again
    awaitable<void> handle_line(LineRead& in);
    awaitable<void> close_session();   // DISCONNECT, timers, linger, the last log line
    // The one dispatcher: the phase table (session_state.hpp) refuses what
    // is out of sequence, the command table (kHandlers) runs the rest.
    awaitable<void> dispatch(const Command& cmd);
    SessionFacts facts() const;
    void set_phase(Phase p);
    using Handler = awaitable<void> (Session::*)(const Command&);
    static Handler handler_for(Verb v);
    awaitable<void> cmd_ehlo(const Command& cmd);
    awaitable<void> cmd_starttls(const Command& cmd);
    awaitable<void> cmd_help(const Command& cmd);
    awaitable<void> cmd_rset(const Command& cmd);
    awaitable<void> cmd_noop(const Command& cmd);
    awaitable<void> cmd_quit(const Command& cmd);
    awaitable<void> cmd_vrfy(const Command& cmd);
    awaitable<void> cmd_expn(const Command& cmd);
    awaitable<void> cmd_unknown(const Command& cmd);
    std::vector<std::string> ehlo_keywords() const;
    bool mechanism_offered(const ServerMech& m) const;  // its plugin says it can serve (1.2)
    bool mechanism_usable(const ServerMech& m) const;   // and this session may use it (TLS)
    awaitable<bool> hook_rejects(mailfw_event ev);  // sends the reply; true: stop
    awaitable<bool> act_on(const Verdict& v, uint32_t hook);  // the same for a verdict in hand
    awaitable<void> refuse_at_connect(const Verdict& v);
    // The one way a session ends: the last reply (if any) goes out, the
    // reason is logged, the phase becomes closing and the loop stops; run()
    // then tears down (DISCONNECT, timers, lingering close).
    awaitable<void> end_session(Reply last, const char* why);
    void end_session_silently(const char* why);
    void reset_transaction();

    // ---- AUTH (session_auth.cpp), in steps
    struct AuthRequest {
        const ServerMech* mech = nullptr;
        std::string mechanism_upper;
        size_t line_limit = 0;  // the mechanism's, CRLF excluded
        bool had_initial_response = false;
        bool relaxed = false;  // "334 <MECH> supported" for an empty first challenge
        SecretString input;    // the next client data for the mechanism
    };
    struct AuthStep {
        int result = MAILFW_SASL_ERROR;  // the mechanism's last answer
        std::string reason;              // its text for the log, never sent
        bool answered = false;           // a reply already ended the exchange
    };
    awaitable<void> cmd_auth(const Command& cmd);
    std::optional<Reply> auth_request(const Command& cmd, AuthRequest& req);
    awaitable<void> auth_exchange(AuthRequest& req, void* state, AuthStep& last);
    awaitable<void> auth_finish(const ServerMech& mech, const AuthStep& last);

    // ---- transactions (session_data.cpp)
    awaitable<void> cmd_mail(const Command& cmd);
    awaitable<void> cmd_rcpt(const Command& cmd);
    awaitable<void> cmd_data(const Command& cmd);
    awaitable<void> cmd_bdat(const Command& cmd);
    awaitable<void> discard_bytes(uint64_t n);
    // BDAT bytes count as progress (touch) per kChunkProgressOctets.
    void chunk_progress(size_t bytes);
    static constexpr size_t kChunkProgressOctets = 1000;  // a text line's worth (RFC 5321 §4.5.3.1.6)
    size_t chunk_bytes_unseen_ = 0;
    awaitable<void> input_ended(const char* phase);  // the client's input ended mid-message
    // end_message(), its reply, and the check for input sent ahead of it.
    awaitable<void> answer_message();
    // RFC 2920 pipelining where the client must wait (listener key
    // improper_pipelining): true when the session was ended with 554 5.5.0.
    awaitable<bool> refuse_improper_pipelining(const char* where);
    bool pipelining_forbidden() const;  // for this client, on this listener
    bool input_waiting() const;         // bytes read or in the socket, not yet used
    bool begin_message();
    void take_message_bytes(std::string_view bytes);
    // DATA_HEADERS as soon as the header block has ended (at its blank
    // line): a refusal stops storing and is answered after the terminator.
    awaitable<void> headers_checkpoint();
    awaitable<Verdict> fire_data_headers();
    awaitable<std::optional<Reply>> end_message();  // nullopt: a hook already answered
    awaitable<Reply> deliver();
    // The most this session stores of a message: the backstop, or less when
    // a handler advertises a smaller EHLO SIZE (limit-size). Asked once.
    uint64_t size_limit();
    std::optional<uint64_t> size_limit_;

    // Routing (plugin.h "Routing"): which delivery takes a recipient. Sets
    // `delivery` and returns nullopt when one claims it, else the refusal.
    awaitable<std::optional<Reply>> route_recipient(const std::string& address, size_t& delivery);
    bool may_relay() const;
    // One delivery's answer for its share of the message.
    struct Outcome {
        int status = MAILFW_DELIVERY_TEMPFAIL;
        uint32_t code = 0;
        std::string enhanced, text, receipt;
        bool queued = false;  // it had said QUEUED: a failure still left a copy to discard
        bool ok() const { return status == MAILFW_DELIVERY_DURABLE || status == MAILFW_DELIVERY_ACCEPTED; }
    };
    // `spool_done`: the last delivery to read the spool file, and every one
    // promised to keep nothing of it: it is emptied as soon as deliver()
    // returns, before a PENDING answer (a group commit) is waited for, so
    // its pages are never written to disk.
    awaitable<void> deliver_to(const Delivery& d, const mailfw_message& m, Outcome& out, bool spool_done);

    struct Transaction {
        struct Recipient {
            std::string address;
            size_t delivery = 0;  // index into ctx_->plugins->deliveries()
        };
        std::string mail_from;
        std::vector<Recipient> rcpts;
        bool rcpt_attempted = false;
        bool eight_bit = false;
        // the message being received (DATA or a BDAT sequence)
        std::string id;
        std::unique_ptr<SpoolFile> spool;
        std::unique_ptr<HeaderScanner> headers;
        bool headers_reported = false;
        std::optional<Verdict> header_refusal;  // DATA_HEADERS said no: answered at the end
        std::string added_headers;              // header_prepend, CRLF each, newest on top
        LineEndingCheck bdat_endings;  // DATA's decoder checks its own
        uint64_t bytes = 0;
        bool too_big = false;
        bool write_failed = false;
        bool nul_found = false;    // nul_characters = refuse: answered 554 5.6.0 at the end
        uint64_t nul_stripped = 0; // nul_characters = strip: how many were removed
        Notes notes;
    };

    // connection
    std::unique_ptr<Transport> transport_;
    boost::asio::any_io_executor executor_;  // the session's strand
    std::shared_ptr<const ListenerContext> ctx_;
    const uint64_t id_;
    std::string client_;        // "ip:port" for logs
    std::string remote_ip_, local_ip_;
    uint16_t remote_port_ = 0, local_port_ = 0;
    std::unique_ptr<EventPipeline> events_;

    // I/O state
    std::string inbuf_;
    size_t inpos_ = 0;
    std::string outbuf_;
    boost::asio::steady_timer deadline_;
    std::chrono::steady_clock::time_point deadline_at_;          // of the I/O in flight, while deadline_armed_
    std::chrono::steady_clock::time_point deadline_wait_until_;  // when deadline_'s wait ends, while deadline_waiting_
    bool deadline_armed_ = false;
    bool deadline_waiting_ = false;
    std::chrono::steady_clock::time_point idle_deadline_;  // moved by touch()
    bool timed_out_ = false;
    bool reading_command_ = false;
    bool reading_ = false;  // a read is in flight (fill())
    bool open_ = true;

    // lifecycle requests from outside the coroutine
    bool shutdown_requested_ = false;
    bool forced_ = false;
    bool close_requested_ = false;
    std::optional<Reply> close_reply_;

    // SMTP state
    Phase phase_ = Phase::greeting;
    bool connect_announced_ = false;  // the CONNECT hook ran: DISCONNECT pairs with it
    bool header_hooks_open_ = false;  // DATA_HEADERS / DATA_END running: header_prepend allowed
    size_t read_limit_ = 0;           // a command line: the longest AUTH line + CRLF
    std::string helo_;
    bool esmtp_ = false;
    std::string auth_user_, auth_mechanism_, auth_detail_;
    std::string pending_identity_, pending_detail_;
    std::unique_ptr<Transaction> txn_;  // only while one is open: an idle session keeps none
    Notes connection_notes_;
    unsigned commands_ = 0;
    std::string log_command_;  // the command being answered, as logged
    uint64_t deadline_generation_ = 0;

    // Plugin timers. A plugin may start or cancel one from any call the
    // host makes, including those on a worker pool (a SASL step, a blocking
    // delivery), so the map is locked. While such a call runs, timers that
    // fall due are held back and fired when it returns: a plugin's calls for
    // one session never overlap (plugin.h), so it needs no locks of its own.
    struct DueTimer {
        uint64_t id;
        mailfw_timer_fn fire;
        void* user_data;
    };
    void fire_held_timers();
    std::mutex timers_mutex_;
    std::map<uint64_t, std::unique_ptr<boost::asio::steady_timer>> timers_;
    uint64_t next_timer_id_ = 1;
    bool in_worker_call_ = false;
    std::vector<DueTimer> held_timers_;
    // Plugins' inactivity timers: no asio timer of their own; their due
    // times shorten the read deadline (fill) and touch() moves them.
    struct InactivityTimer {
        uint64_t id;
        std::chrono::milliseconds delay;
        std::chrono::steady_clock::time_point due;
        mailfw_timer_fn fire;
        void* user_data;
    };
    std::vector<InactivityTimer> inactivity_timers_;
};

}  // namespace mailfw::smtp
