#include "smtp/event_pipeline.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "util/log.hpp"

namespace mailfw::smtp {

namespace asio = boost::asio;

namespace {
constexpr uint32_t kDefaultTimeoutMs = 30000;
}

EventPipeline::EventPipeline(const std::vector<EventHandler>& handlers, mailfw_session* session)
    : session_(session) {
    entries_.reserve(handlers.size());
    for (const auto& h : handlers) {
        Entry e{&h};
        if (h.table.connection_open) e.connection = h.table.connection_open(h.instance, session_);
        entries_.push_back(e);
        mask_ |= h.table.hooks;
    }
}

EventPipeline::~EventPipeline() {
    close_transaction();
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
        if (it->handler->table.connection_close) it->handler->table.connection_close(it->connection);
}

void EventPipeline::open_transaction() {
    for (auto& e : entries_)
        if (!e.transaction && e.handler->table.transaction_open)
            e.transaction = e.handler->table.transaction_open(e.connection);
}

void EventPipeline::close_transaction() {
    for (auto& e : entries_) {
        if (e.transaction && e.handler->table.transaction_close) e.handler->table.transaction_close(e.transaction);
        e.transaction = nullptr;
    }
}

std::vector<std::pair<std::string, std::string>> EventPipeline::ehlo_keywords() {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& e : entries_) {
        const auto& t = e.handler->table;
        if (!t.ehlo_keywords) continue;
        std::vector<mailfw_str> lines(8);
        size_t n = t.ehlo_keywords(e.handler->instance, e.connection, session_, lines.data(), lines.size());
        if (n > lines.size()) {
            lines.resize(std::min<size_t>(n, 64));
            n = t.ehlo_keywords(e.handler->instance, e.connection, session_, lines.data(), lines.size());
        }
        for (size_t i = 0; i < std::min(n, lines.size()); ++i) {
            std::string line = lines[i].ptr ? std::string(lines[i].ptr, lines[i].len) : std::string();
            // One EHLO line (RFC 5321 §4.1.1.1): an esmtp-keyword and printable parameters.
            const bool ok = !line.empty() && line.size() <= 500 && std::isalnum(static_cast<unsigned char>(line[0])) &&
                            std::all_of(line.begin(), line.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
            if (!ok) {
                log::warning(e.handler->plugin + ": dropped an EHLO keyword that is not one printable line");
                continue;
            }
            out.emplace_back(std::move(line), e.handler->plugin);
        }
    }
    return out;
}

asio::awaitable<Verdict> EventPipeline::fire(mailfw_event event) {
    event.struct_size = sizeof event;
    uint32_t delay_ms = 0;  // the longest delay any handler asked for, CONTINUE included
    for (auto& e : entries_) {
        const auto& t = e.handler->table;
        if (!(t.hooks & MAILFW_HOOK_BIT(event.hook)) || !t.on_event) continue;
        mailfw_verdict cv{};
        cv.struct_size = sizeof cv;
        auto token = std::make_shared<Completion>();
        int action = t.on_event(e.handler->instance, e.connection, e.transaction, session_, &event, &cv, token.get());
        Verdict v;
        if (action == MAILFW_PENDING) {
            tokens_.push_back(token);
            auto deadline = std::chrono::milliseconds(t.timeout_ms ? t.timeout_ms : kDefaultTimeoutMs);
            const bool answered = co_await token->wait(deadline);
            if (answered) {
                v = token->verdict();
            } else {
                log::warning(e.handler->plugin + ": no answer within " + std::to_string(deadline.count()) +
                             " ms; applying its timeout action");
                v.action = t.timeout_action <= MAILFW_DISCONNECT ? t.timeout_action
                                                                 : static_cast<uint32_t>(MAILFW_CONTINUE);
            }
        } else {
            cv.action = static_cast<uint32_t>(action);
            v = from_c(&cv);
        }
        v.plugin = e.handler->plugin;
        delay_ms = std::max(delay_ms, v.delay_ms);
        // DISCONNECT is a notification: every handler must see it (to release
        // per-connection counters), whatever an earlier one answered.
        if (v.stops() && event.hook != MAILFW_HOOK_DISCONNECT) {
            v.delay_ms = delay_ms;
            co_return v;
        }
    }
    Verdict none;
    none.delay_ms = delay_ms;  // e.g. a tarpit on the REPLY hook that lets the chain go on
    co_return none;
}

}  // namespace mailfw::smtp
