// Mail transactions: MAIL, RCPT, DATA (RFC 5321 §4.1.1), BDAT (RFC 3030),
// streaming the message to the spool and handing it to the deliveries.
// The 250 goes out only once every delivery reports its copy durable.
//
// Threads: the spool file is written here, on the session's network thread:
// buffered writes into the page cache, never an fsync (measured: about
// 150 us per 100 KB message, create to unlink). What blocks -- fsync, a
// store lookup -- runs on the delivery pool (BLOCKING deliveries) or the
// auth pool (SASL steps).
#include <mailfw/plugin.hpp>

#include <algorithm>
#include <strings.h>

#include "smtp/data_decoder.hpp"
#include "smtp/session.hpp"
#include "smtp/trace_header.hpp"
#include "smtp/verdict.hpp"
#include "util/log.hpp"

namespace mailfw::smtp {

namespace asio = boost::asio;

namespace {
constexpr uint32_t kDefaultDeliveryTimeoutMs = 60000;

Reply too_big_reply(uint64_t limit, const char* also = "") {
    return Reply(552, "5.3.4", "Message size exceeds fixed maximum message size (limit " + std::to_string(limit) +
                                   " octets)" + also);
}

// The parameters of MAIL / RCPT as handlers see them: "KEY=VALUE KEY2",
// keywords upper-cased, values as sent.
std::string params_text(const std::vector<EsmtpParam>& params) {
    std::string out;
    for (const auto& p : params) {
        if (!out.empty()) out += ' ';
        out += p.keyword;
        if (p.value) out += "=" + *p.value;
    }
    return out;
}

std::optional<uint64_t> parse_size_param(std::string_view v) {
    if (v.empty() || v.size() > 19) return std::nullopt;
    uint64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    return n;
}
}  // namespace

// The phase table (session_state.cpp) has already checked the sequence
// (EHLO first, no nested MAIL, AUTH when required, recipients before DATA).
asio::awaitable<void> Session::cmd_mail(const Command& cmd) {
    if (shutdown_requested_) {
        co_await end_session(Reply(421, "4.3.2", ctx_->server->hostname + " Service shutting down, closing connection"),
                             "shutting down");
        co_return;
    }
    PathResult parsed = parse_mail_from(cmd.args);
    if (!parsed.path) {
        co_await send(Reply(501, "5.5.4", "Syntax: MAIL FROM:<address>: " + parsed.error));
        co_return;
    }
    const Path& path = *parsed.path;
    bool eight_bit = false;
    uint64_t declared = 0;
    for (const auto& p : path.params) {
        if (!esmtp_) {
            co_await send(Reply(555, "5.5.4", "MAIL parameters need EHLO"));
            co_return;
        }
        if (p.keyword == "SIZE") {  // RFC 1870 §6
            auto n = p.value ? parse_size_param(*p.value) : std::nullopt;
            if (!n) {
                co_await send(Reply(501, "5.5.4", "Syntax: SIZE=<octets>"));
                co_return;
            }
            declared = *n;  // checked after the MAIL hook: limit-size answers first
        } else if (p.keyword == "BODY") {  // RFC 6152
            std::string v = p.value.value_or("");
            for (auto& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (v != "7BIT" && v != "8BITMIME") {
                co_await send(Reply(501, "5.5.4", "Syntax: BODY=7BIT or BODY=8BITMIME"));
                co_return;
            }
            eight_bit = v == "8BITMIME";
        } else if (p.keyword == "AUTH") {
            // RFC 4954 §5: accepted; we do not relay the identity onwards.
        } else if (!ctx_->plugins->takes_mail_param(p.keyword)) {  // else a handler's (MAIL hook)
            co_await send(Reply(555, "5.5.4", "Unsupported MAIL parameter " + p.keyword));
            co_return;
        }
    }
    // The transaction MAIL opens exists during its hook (handlers' transaction
    // state and notes); a rejection ends it again.
    txn_ = std::make_unique<Transaction>();
    txn_->mail_from = path.address;
    txn_->eight_bit = eight_bit;
    set_phase(Phase::transaction);
    events_->open_transaction();
    if (events_->wants(MAILFW_HOOK_MAIL)) {
        mailfw_event ev{};
        ev.hook = MAILFW_HOOK_MAIL;
        ev.text = {path.address.data(), path.address.size()};
        const std::string params = params_text(path.params);
        ev.params = {params.data(), params.size()};
        ev.bytes = declared;
        const bool rejected = co_await hook_rejects(ev);
        if (rejected) {
            reset_transaction();
            co_return;
        }
    }
    if (declared > size_limit()) {  // RFC 1870 §6
        log::write(log::Level::info, "SIZE=" + std::to_string(declared) + " over the limit of " +
                                         std::to_string(size_limit()) + " octets", id_, client_);
        reset_transaction();
        co_await send(too_big_reply(size_limit()));
        co_return;
    }
    co_await send(Reply(250, "2.1.0", "Sender <" + path.address + "> OK"));
}

asio::awaitable<void> Session::cmd_rcpt(const Command& cmd) {
    txn_->rcpt_attempted = true;
    PathResult parsed = parse_rcpt_to(cmd.args);
    if (!parsed.path) {
        co_await send(Reply(501, "5.5.4", "Syntax: RCPT TO:<address>: " + parsed.error));
        co_return;
    }
    const Path& path = *parsed.path;
    for (const auto& p : path.params) {
        if (!esmtp_) {
            co_await send(Reply(555, "5.5.4", "RCPT parameters need EHLO"));
            co_return;
        }
        if (!ctx_->plugins->takes_rcpt_param(p.keyword)) {
            co_await send(Reply(555, "5.5.4", "Unsupported RCPT parameter " + p.keyword));
            co_return;
        }
    }
    if (txn_->rcpts.size() >= backstop::kMaxRecipients) {  // the backstop; policy is limit-recipients'
        co_await send(Reply(452, "4.5.3", "Too many recipients (limit " + std::to_string(backstop::kMaxRecipients) + ")"));
        co_return;
    }
    // Decided now, never assumed: a delivery claims it, or it is refused.
    size_t delivery = 0;
    std::optional<Reply> refusal = co_await route_recipient(path.address, delivery);
    if (refusal) {
        co_await send(std::move(*refusal));
        co_return;
    }
    if (events_->wants(MAILFW_HOOK_RCPT)) {
        mailfw_event ev{};
        ev.hook = MAILFW_HOOK_RCPT;
        ev.text = {path.address.data(), path.address.size()};
        const std::string params = params_text(path.params);
        ev.params = {params.data(), params.size()};
        ev.count = static_cast<uint32_t>(txn_->rcpts.size());
        const bool rejected = co_await hook_rejects(ev);
        if (rejected) co_return;
    }
    txn_->rcpts.push_back({path.address, delivery});
    co_await send(Reply(250, "2.1.5", "Recipient <" + path.address + "> OK"));
}

bool Session::may_relay() const {
    if (!auth_user_.empty()) return true;
    const auto& l = *ctx_->listener;
    return l.role == Role::relay && in_any_range(l.remote_ip_ranges, remote_ip_);
}

asio::awaitable<std::optional<Reply>> Session::route_recipient(const std::string& address, size_t& delivery) {
    const auto& deliveries = ctx_->plugins->deliveries();
    const bool relay_allowed = may_relay();
    for (size_t i = 0; i < deliveries.size(); ++i) {
        const Delivery& d = deliveries[i];
        if (d.relay() && !relay_allowed) continue;
        if (!d.table.claim_rcpt) {  // a 1.0 delivery takes whatever it is offered
            delivery = i;
            co_return std::nullopt;
        }
        mailfw_delivery_result result{};
        result.struct_size = sizeof result;
        const mailfw_str a = mailfw::str(address);
        // What the delivery can decide from memory it decides here, on
        // this thread; only the rest costs a round trip to the disk pool.
        int decision = d.table.claim_rcpt_inline ? d.table.claim_rcpt_inline(d.instance, this, a, &result)
                                                 : MAILFW_RCPT_UNDECIDED;
        if (decision == MAILFW_RCPT_UNDECIDED) {
            result = mailfw_delivery_result{};
            result.struct_size = sizeof result;
            if (d.blocking()) {
                auto call = [&] { return d.table.claim_rcpt(d.instance, this, a, &result); };
                const int asked = co_await off_thread(call, ctx_->delivery_pool);
                decision = asked;
            } else {
                decision = d.table.claim_rcpt(d.instance, this, a, &result);
            }
        }
        if (decision == MAILFW_RCPT_PASS) continue;
        if (decision == MAILFW_RCPT_CLAIM) {
            delivery = i;
            co_return std::nullopt;
        }
        // Anything but a clear REFUSE is temporary: a confused plugin never bounces mail.
        const bool perm = decision == MAILFW_RCPT_REFUSE;
        Reply r = failure_reply(perm, result.code, mailfw::view(result.enhanced), mailfw::view(result.text),
                                perm ? ReplyDefaults{550, "5.1.1", "Mailbox unavailable"}
                                     : ReplyDefaults{451, "4.3.0", "Recipient cannot be verified now, try again later"});
        r.lines.front() = "<" + address + ">: " + r.lines.front();
        log::write(log::Level::info, "recipient <" + address + "> refused by " + d.plugin, id_, client_);
        co_return r;
    }
    // Nobody claims it as local: relaying (Postfix reject_unauth_destination).
    log::write(log::Level::info,
               "recipient <" + address + "> refused: relay access denied" +
                   (relay_allowed ? " (no relay delivery loaded)" : " (client may not relay)"),
               id_, client_);
    co_return Reply(554, "5.7.1", "<" + address + ">: Relay access denied");
}

uint64_t Session::size_limit() {
    if (size_limit_) return *size_limit_;
    uint64_t limit = ctx_->listener->message_size_backstop;
    // RFC 1870: "SIZE <n>", n = 0 meaning no fixed maximum.
    for (const auto& [line, plugin] : events_->ehlo_keywords()) {
        if (line.size() < 6 || strncasecmp(line.c_str(), "SIZE ", 5) != 0) continue;
        auto n = parse_size_param(std::string_view(line).substr(5));
        if (n && *n > 0) limit = std::min(limit, *n);
        break;  // the first handler's SIZE is the one advertised
    }
    size_limit_ = limit;
    return limit;
}

bool Session::begin_message() {
    txn_->id = make_queue_id();
    try {
        txn_->spool = std::make_unique<SpoolFile>(*ctx_->spool_pool, txn_->id);
    } catch (const std::exception& e) {
        log::write(log::Level::error, std::string("spool: ") + e.what(), id_, client_);
        return false;
    }
    txn_->headers = std::make_unique<HeaderScanner>(ctx_->server->hostname);
    return true;
}

void Session::take_message_bytes(std::string_view bytes) {
    Transaction& t = *txn_;
    // RFC 5322 forbids NUL in a message, and a next hop that drops NULs
    // would see "\r\n\0.\r\n" as an end of data: refused, or removed.
    std::string without_nul;
    if (bytes.find('\0') != std::string_view::npos) {
        if (ctx_->listener->nul_characters == NulCharacters::refuse) {
            t.nul_found = true;
        } else {
            without_nul.reserve(bytes.size());
            for (char c : bytes)
                if (c != '\0') without_nul += c;
            t.nul_stripped += bytes.size() - without_nul.size();
            bytes = without_nul;
        }
    }
    t.bytes += bytes.size();
    if (!t.headers->headers_complete()) t.headers->feed(bytes);
    if (t.bytes > size_limit()) t.too_big = true;
    // Keep reading to stay in step, but store nothing that will not be kept.
    if (t.too_big || t.write_failed || t.header_refusal || t.nul_found) return;
    try {
        t.spool->append(bytes);
    } catch (const std::exception& e) {
        log::write(log::Level::error, std::string("spool: ") + e.what(), id_, client_);
        t.write_failed = true;
    }
}

asio::awaitable<void> Session::cmd_data(const Command& cmd) {
    if (!cmd.args.empty()) {
        co_await send(Reply(501, "5.5.4", "Syntax: DATA takes no parameters"));
        co_return;
    }
    // RFC 2920: DATA ends a pipelined group; the text waits for the 354.
    const bool sent_ahead = co_await refuse_improper_pipelining("after DATA, before the 354");
    if (sent_ahead) co_return;
    if (!begin_message()) {
        co_await send(Reply(451, "4.3.0", "Cannot store the message now, try again later"));
        co_return;
    }
    co_await send(Reply(354, "", "End data with <CR><LF>.<CR><LF>"));
    set_phase(Phase::data);

    DataDecoder decoder;
    std::string chunk;
    for (;;) {
        if (!buffered().empty()) {
            chunk.clear();
            consume(decoder.feed(buffered(), chunk));
            if (!chunk.empty()) take_message_bytes(chunk);
            co_await headers_checkpoint();
            if (decoder.status() != DataDecoder::Status::need_more) break;
            continue;
        }
        const size_t before = buffered().size();
        const bool more = co_await fill();
        if (!more) {
            co_await input_ended("DATA");
            co_return;
        }
        // Progress is a completed line, not a byte: a trickle cannot hold the session.
        if (buffered().find('\n', before) != std::string_view::npos) touch();
    }
    log_command_ = "DATA (end of message)";
    if (decoder.status() == DataDecoder::Status::failed) {
        // SMTP smuggling defence: a bare CR or LF may hide a second message
        // behind a fake end of data, so we cannot resynchronise: close.
        log::write(log::Level::warning,
                   std::string("rejected DATA: bare ") +
                       (decoder.error() == DataDecoder::Error::bare_cr ? "CR" : "LF") + " in message text",
                   id_, client_);
        reset_transaction();
        co_await end_session(Reply(554, "5.5.2", "Bare CR or LF in message text; lines must end with CRLF"),
                             "bare CR or LF in DATA");
        co_return;
    }
    if (decoder.error() == DataDecoder::Error::line_too_long) {
        reset_transaction();
        co_await send(Reply(500, "5.5.2", "Line too long in message text (limit 1000 octets with CRLF)"));
        co_return;
    }
    co_await answer_message();
}

asio::awaitable<void> Session::answer_message() {
    std::optional<Reply> reply = co_await end_message();
    // The end of a message ends a pipelined group too: what the client sent
    // before hearing how its message went is refused once it has heard.
    const bool ahead = pipelining_forbidden() && input_waiting();
    if (reply) co_await send(std::move(*reply));
    if (ahead) co_await refuse_improper_pipelining("after the end of a message, before its reply");
}

bool Session::pipelining_forbidden() const {
    switch (ctx_->listener->improper_pipelining) {
        case ImproperPipelining::allow: return false;
        case ImproperPipelining::refuse: return true;
        case ImproperPipelining::refuse_unauthenticated: break;
    }
    return auth_user_.empty();
}

bool Session::input_waiting() const { return inpos_ < inbuf_.size() || transport_->input_pending(); }

asio::awaitable<bool> Session::refuse_improper_pipelining(const char* where) {
    if (!pipelining_forbidden() || !input_waiting()) co_return false;
    // As Postfix's smtpd_forbid_unauth_pipelining: a client that does not
    // wait where it must is a bot or a smuggling relay; nothing it sent
    // ahead is read as commands.
    const std::string_view ahead = buffered().substr(0, 60);
    log::write(log::Level::warning,
               std::string("improper pipelining ") + where + ": \"" + mailfw::printable(ahead) +
                   (buffered().size() > 60 ? "...\"" : "\""),
               id_, client_);
    reset_transaction();
    co_await end_session(Reply(554, "5.5.0", "Improper use of SMTP command pipelining"), "improper pipelining");
    co_return true;
}

asio::awaitable<void> Session::input_ended(const char* phase) {
    // Nothing of the message is kept. When we ended the input ourselves
    // (inactivity, the end of the shutdown grace) the client is told why; a
    // plugin's close is answered by the command loop with the plugin's reply.
    reset_transaction();
    const std::string during = std::string(" during ") + phase;
    if (close_requested_) {
        log::write(log::Level::info, "session closed by a plugin" + during + "; nothing kept", id_, client_);
        co_return;
    }
    log::write(log::Level::info, "connection lost" + during + "; nothing kept", id_, client_);
    const auto& host = ctx_->server->hostname;
    if (timed_out_) {
        Reply bye(421, "4.4.2", host + " Timeout" + during + ", closing connection");
        co_await end_session(std::move(bye), "idle timeout in a message");
    } else if (forced_) {
        Reply bye(421, "4.3.2", host + " Service shutting down, closing connection");
        co_await end_session(std::move(bye), "shutdown grace over in a message");
    }
    end_session_silently("input ended in a message");
}

void Session::chunk_progress(size_t bytes) {
    // Progress inside a BDAT chunk is a line's worth of octets, as a line is
    // in DATA: a client sending a byte now and then makes none.
    chunk_bytes_unseen_ += bytes;
    if (chunk_bytes_unseen_ < kChunkProgressOctets) return;
    chunk_bytes_unseen_ = 0;
    touch();
}

asio::awaitable<void> Session::discard_bytes(uint64_t n) {
    while (n > 0) {
        if (buffered().empty()) {
            const bool more = co_await fill();
            if (!more) {
                co_await input_ended("BDAT");
                co_return;
            }
        }
        size_t take = static_cast<size_t>(std::min<uint64_t>(n, buffered().size()));
        chunk_progress(take);
        consume(take);
        n -= take;
    }
}

asio::awaitable<void> Session::cmd_bdat(const Command& cmd) {
    auto args = parse_bdat(cmd.args);
    if (!args) {
        // Without a valid size we cannot find the end of the chunk; its
        // bytes must never be read as commands, so the session ends here.
        co_await end_session(Reply(501, "5.5.4", "Syntax: BDAT size [LAST]; closing connection"), "bad BDAT syntax");
        co_return;
    }
    // The phase table's refusal, or a spool that cannot take the message.
    Reply refusal = command_refusal(Verb::bdat, phase_, facts()).value_or(Reply());
    if (!refusal.code && phase_ != Phase::data && !begin_message())
        refusal = Reply(451, "4.3.0", "Cannot store the message now, try again later");
    const uint64_t cap = ctx_->listener->message_size_backstop;
    if (args->size > cap) {
        // A chunk larger than the hard cap (BDAT 9223372036854775807) cannot
        // keep us in step: reading it would take forever, so the session
        // ends. Smaller ones are read (not stored) and refused at their end.
        log::write(log::Level::info, "BDAT chunk of " + std::to_string(args->size) + " octets exceeds the cap of " +
                                         std::to_string(cap), id_, client_);
        reset_transaction();
        co_await end_session(too_big_reply(cap, "; closing connection"), "BDAT chunk over the size cap");
        co_return;
    }
    if (refusal.code) {
        co_await discard_bytes(args->size);  // RFC 3030 §2: the chunk is read regardless
        co_await send(std::move(refusal));
        co_return;
    }
    set_phase(Phase::data);  // until LAST: only BDAT, RSET, NOOP, QUIT, EHLO
    uint64_t left = args->size;
    while (left > 0) {
        bool more = true;
        if (buffered().empty()) more = co_await fill();
        if (!more) {
            co_await input_ended("BDAT");
            co_return;
        }
        size_t take = static_cast<size_t>(std::min<uint64_t>(left, buffered().size()));
        chunk_progress(take);
        txn_->bdat_endings.feed(buffered().substr(0, take));
        take_message_bytes(buffered().substr(0, take));
        consume(take);
        left -= take;
        co_await headers_checkpoint();
        if (!txn_) co_return;  // a handler closed the session meanwhile
    }
    if (txn_->too_big) {  // the message ends here, LAST or not: its end hooks answer
        std::optional<Reply> reply = co_await end_message();
        if (reply) co_await send(std::move(*reply));
        co_return;
    }
    const auto ending = args->last ? txn_->bdat_endings.finish() : txn_->bdat_endings.error();
    if (ending != LineEndingCheck::Error::none) {
        // The same rule as DATA (no bare CR or LF: SMTP smuggling). BDAT is
        // framed by counts, so the session stays in step and stays open.
        log::write(log::Level::warning,
                   std::string("rejected BDAT: bare ") + (ending == LineEndingCheck::Error::bare_cr ? "CR" : "LF") +
                       " in message text",
                   id_, client_);
        reset_transaction();
        co_await send(Reply(554, "5.5.2", "Bare CR or LF in message text; lines must end with CRLF"));
        co_return;
    }
    if (!args->last) {
        co_await send(Reply(250, "2.0.0", std::to_string(args->size) + " octets received"));
        co_return;
    }
    co_await answer_message();  // BDAT LAST ends a pipelined group as DATA's end does
}

asio::awaitable<Verdict> Session::fire_data_headers() {
    Transaction& t = *txn_;
    t.headers_reported = true;
    mailfw_event ev{};
    ev.hook = MAILFW_HOOK_DATA_HEADERS;
    ev.bytes = t.headers->header_bytes();
    ev.count = t.headers->received_count();
    ev.local_count = t.headers->local_received_count();
    header_hooks_open_ = true;
    Verdict v = co_await events_->fire(ev);
    header_hooks_open_ = false;
    co_return v;
}

asio::awaitable<void> Session::headers_checkpoint() {
    if (!txn_ || txn_->headers_reported || !txn_->headers->headers_complete()) co_return;
    if (!events_->wants(MAILFW_HOOK_DATA_HEADERS)) {
        txn_->headers_reported = true;
        co_return;
    }
    Verdict v = co_await fire_data_headers();
    // A refusal waits for the end of the message (RFC 5321 §4.1.1.4).
    if (txn_ && v.stops() && v.action != MAILFW_ACCEPT) {
        log::write(log::Level::info,
                   "header block refused by " + v.plugin + "; the body is not stored, the reply follows its end", id_,
                   client_);
        txn_->header_refusal = v;
    }
}

asio::awaitable<std::optional<Reply>> Session::end_message() {
    Transaction& t = *txn_;
    if (t.write_failed && !t.too_big) {
        reset_transaction();
        co_return Reply(451, "4.3.0", "Local error storing the message, try again later");
    }
    if (t.nul_found) {
        log::write(log::Level::warning, "rejected message " + t.id + ": NUL character in message text", id_, client_);
        reset_transaction();
        co_return Reply(554, "5.6.0", "Message contains NUL characters, which RFC 5322 forbids");
    }
    if (t.nul_stripped)
        log::write(log::Level::info,
                   "message " + t.id + ": " + std::to_string(t.nul_stripped) + " NUL character(s) removed", id_,
                   client_);
    // A message without a blank line is all header: it ends here.
    if (!t.headers_reported && events_->wants(MAILFW_HOOK_DATA_HEADERS)) {
        Verdict v = co_await fire_data_headers();
        if (v.stops() && v.action != MAILFW_ACCEPT) t.header_refusal = v;
    }
    if (t.header_refusal) {
        const Verdict v = *t.header_refusal;
        reset_transaction();
        co_await act_on(v, MAILFW_HOOK_DATA_HEADERS);
        co_return std::nullopt;
    }
    if (events_->wants(MAILFW_HOOK_DATA_END)) {
        mailfw_event ev{};
        ev.hook = MAILFW_HOOK_DATA_END;
        ev.bytes = t.bytes;
        header_hooks_open_ = true;
        Verdict v = co_await events_->fire(ev);
        header_hooks_open_ = false;
        // A message over the size limit was not kept: it is refused whatever
        // the handlers say (plugin.h), by the owner of the limit if loaded.
        const Verdict refusal = v.action == MAILFW_ACCEPT && t.too_big ? Verdict{} : v;
        const bool rejected = co_await act_on(refusal, MAILFW_HOOK_DATA_END);
        if (rejected) {
            reset_transaction();
            co_return std::nullopt;
        }
    }
    if (t.too_big) {
        const uint64_t limit = size_limit();
        log::write(log::Level::info, "message of " + std::to_string(t.bytes) + " octets over the limit of " +
                                         std::to_string(limit), id_, client_);
        reset_transaction();
        co_return too_big_reply(limit);
    }
    Reply r = co_await deliver();
    reset_transaction();
    co_return r;
}

asio::awaitable<Reply> Session::deliver() {
    Transaction& t = *txn_;
    const auto& deliveries = ctx_->plugins->deliveries();
    // What the deliveries of this message promise about its spool file.
    auto all_deliveries = [&](uint32_t flag) {
        return std::all_of(t.rcpts.begin(), t.rcpts.end(),
                           [&](const Transaction::Recipient& r) { return deliveries[r.delivery].table.flags & flag; });
    };
    // A message no delivery reads (a sink), or a small one every delivery
    // takes from memory, need not reach the file.
    const std::optional<std::string_view> content =
        all_deliveries(MAILFW_DELIVERY_READS_CONTENT) ? t.spool->in_memory() : std::nullopt;
    try {
        if (!content && !all_deliveries(MAILFW_DELIVERY_SPOOL_UNREAD)) t.spool->finish();
    } catch (const std::exception& e) {
        log::write(log::Level::error, std::string("spool: ") + e.what(), id_, client_);
        co_return Reply(451, "4.3.0", "Local error storing the message, try again later");
    }
    std::vector<std::string> all;
    for (const auto& r : t.rcpts) all.push_back(r.address);
    TraceInfo ti;
    ti.helo = helo_;
    ti.client_address = remote_ip_;
    ti.server_hostname = ctx_->server->hostname;
    ti.queue_id = t.id;
    ti.esmtp = esmtp_;
    ti.tls = transport_->tls_active();
    ti.auth_user = auth_user_;
    ti.recipients = all;
    ti.when = std::chrono::system_clock::now();
    // Fields plugins prepended go on top, above this hop's Received:.
    const std::string trace = t.added_headers + received_header(ti);
    const std::string& spool_path = t.spool->path();
    const std::string summary = "message " + t.id + " from <" + t.mail_from + "> to " +
                                std::to_string(t.rcpts.size()) + " recipient(s), " + std::to_string(t.spool->size()) +
                                " bytes: ";

    // One deliver() per delivery, with its own recipients, in load order.
    struct Share {
        size_t delivery;
        std::vector<mailfw_str> rcpts;
        mailfw_message message{};
        Outcome outcome;
    };
    std::vector<Share> shares;
    for (const auto& r : t.rcpts) {
        auto it = std::find_if(shares.begin(), shares.end(), [&](const Share& s) { return s.delivery == r.delivery; });
        if (it == shares.end()) {
            shares.push_back(Share{r.delivery, {}, {}, {}});
            it = shares.end() - 1;
        }
        it->rcpts.push_back(mailfw::str(r.address));
    }
    std::sort(shares.begin(), shares.end(), [](const Share& a, const Share& b) { return a.delivery < b.delivery; });

    // Every delivery copies what it needs: the spool file can serve again.
    const bool spool_copied = all_deliveries(MAILFW_DELIVERY_SPOOL_COPIED);
    std::string names;
    size_t failed = shares.size();
    for (size_t i = 0; i < shares.size() && failed == shares.size(); ++i) {
        Share& s = shares[i];
        mailfw_message& m = s.message;
        m.struct_size = sizeof m;
        m.id = mailfw::str(t.id);
        m.mail_from = mailfw::str(t.mail_from);
        m.rcpts = s.rcpts.data();
        m.rcpt_count = s.rcpts.size();
        m.spool_path = mailfw::str(spool_path);
        m.size = t.spool->size();
        m.trace = mailfw::str(trace);
        m.eight_bit = t.eight_bit ? 1u : 0u;
        m.session = this;
        if (content) m.content = mailfw_str{content->data(), content->size()};
        co_await deliver_to(deliveries[s.delivery], m, s.outcome, spool_copied && i + 1 == shares.size());
        if (!s.outcome.ok()) failed = i;
        names += (names.empty() ? "" : ", ") + deliveries[s.delivery].plugin;
    }
    if (spool_copied) t.spool->allow_reuse();
    if (failed == shares.size()) {
        log::write(log::Level::info, summary + "delivered by " + names, id_, client_);
        co_return Reply(250, "2.0.0", "Ok: queued as " + t.id);
    }

    // All or nothing: take back the copies the others already made.
    const Share& bad = shares[failed];
    const Delivery& bd = deliveries[bad.delivery];
    const bool perm = bad.outcome.status == MAILFW_DELIVERY_PERMFAIL;
    log::write(log::Level::warning,
               summary + (perm ? "rejected" : "deferred") + " by " + bd.plugin + ": " + bad.outcome.text, id_,
               client_);
    // The failed one too when it had queued a copy (QUEUED, then PERMFAIL).
    const size_t last = bad.outcome.queued ? failed + 1 : failed;
    for (size_t i = 0; i < last; ++i) {
        const Delivery& d = deliveries[shares[i].delivery];
        const mailfw_message* m = &shares[i].message;
        const mailfw_str receipt = mailfw::str(shares[i].outcome.receipt);
        int r = MAILFW_INVALID;
        if (d.table.discard) {
            auto call = [&] { return d.table.discard(d.instance, m, receipt); };
            if (d.blocking()) {
                const int done = co_await off_thread(call, ctx_->delivery_pool);
                r = done;
            } else {
                r = call();
            }
        }
        if (r != MAILFW_OK)
            log::write(log::Level::error,
                       "message " + t.id + ": " + d.plugin + " could not take back its copy (" +
                           (d.table.discard ? "discard failed" : "it has no discard") +
                           "); its recipients may receive it again when the client retries",
                       id_, client_);
    }
    co_return failure_reply(perm, bad.outcome.code, bad.outcome.enhanced, bad.outcome.text,
                            perm ? ReplyDefaults{554, "5.3.0", "Delivery failed"}
                                 : ReplyDefaults{451, "4.3.0", "Delivery failed temporarily, try again later"});
}

asio::awaitable<void> Session::deliver_to(const Delivery& d, const mailfw_message& m, Outcome& out,
                                          bool spool_done) {
    mailfw_delivery_result result{};
    result.struct_size = sizeof result;
    auto token = std::make_shared<Completion>();
    int status;
    if (d.blocking()) {
        // The delivery's disk I/O and fsync happen on the delivery pool, never on a network thread.
        auto call = [&] { return d.table.deliver(d.instance, &m, &result, token.get()); };
        status = co_await off_thread(call, ctx_->delivery_pool);
    } else {
        status = d.table.deliver(d.instance, &m, &result, token.get());
    }
    if (spool_done) txn_->spool->empty_now();
    // Strings are copied now (plugin.h): the plugin's buffers may go.
    out.code = result.code;
    out.text = std::string(mailfw::view(result.text));
    out.enhanced = std::string(mailfw::view(result.enhanced));
    out.receipt = std::string(mailfw::view(result.receipt));
    if (status == MAILFW_PENDING) {
        token->hold_until_final_answer();  // the plugin may answer after we stop waiting
        auto deadline = std::chrono::milliseconds(d.table.timeout_ms ? d.table.timeout_ms : kDefaultDeliveryTimeoutMs);
        Completion::Arrived got = co_await token->wait_for(deadline, true);
        if (got == Completion::Arrived::queued) {
            // Durable here; AcknowledgementDelay: wait for the next hop at
            // most ack_timeout_ms, then acknowledge anyway (MS-OXSMTP 3.2.7).
            const auto ack = std::chrono::milliseconds(d.table.ack_timeout_ms);
            got = co_await token->wait_for(ack, false);
            if (got == Completion::Arrived::nothing) {
                log::write(log::Level::info,
                           d.plugin + ": no next-hop answer within " + std::to_string(ack.count()) +
                               " ms; acknowledged anyway (the message is queued)",
                           id_, client_);
                status = MAILFW_DELIVERY_DURABLE;
                out.receipt = token->delivery_receipt();
            }
        }
        if (got == Completion::Arrived::answer) {
            status = static_cast<int>(token->delivery().status);
            out.code = token->delivery().code;
            out.text = token->delivery_text();
            out.enhanced = token->delivery_enhanced();
            out.receipt = token->delivery_receipt();
            // Queued here: a next hop that defers changes nothing for the client.
            if (token->queued() && status == MAILFW_DELIVERY_TEMPFAIL) status = MAILFW_DELIVERY_DURABLE;
            out.queued = token->queued();
        } else if (got == Completion::Arrived::nothing && status == MAILFW_PENDING) {
            status = MAILFW_DELIVERY_TEMPFAIL;
            out.code = 451;
            out.enhanced = "4.3.0";
            out.text = "Delivery did not confirm in time, try again later";
        }
    }
    // Unknown statuses are temporary failures: never a 250 by accident.
    out.status = (status >= MAILFW_DELIVERY_DURABLE && status <= MAILFW_DELIVERY_PERMFAIL) ? status
                                                                                          : MAILFW_DELIVERY_TEMPFAIL;
}

}  // namespace mailfw::smtp
