// The chain of event-handler plugins for one session (Envoy-style filter
// chain): each handler subscribed to a hook is asked in load order; CONTINUE
// passes to the next, anything else stops the chain. A handler may answer
// later (MAILFW_PENDING): the session waits on the completion token up to
// the handler's deadline, then applies its timeout_action. A delay asked for
// by any handler on the way (CONTINUE included) is kept: the result carries
// the longest one.
#pragma once
#include <mailfw/plugin.h>

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "plugin/plugin_host.hpp"
#include "smtp/completion.hpp"
#include "smtp/verdict.hpp"

namespace mailfw::smtp {

class EventPipeline {
public:
    EventPipeline(const std::vector<EventHandler>& handlers, mailfw_session* session);
    ~EventPipeline();  // closes transaction and connection states
    EventPipeline(const EventPipeline&) = delete;
    EventPipeline& operator=(const EventPipeline&) = delete;

    bool wants(mailfw_hook hook) const { return (mask_ & MAILFW_HOOK_BIT(hook)) != 0; }
    void open_transaction();
    void close_transaction();

    // `event.hook` selects the handlers; struct_size is set here.
    boost::asio::awaitable<Verdict> fire(mailfw_event event);

    // The EHLO lines the handlers add, in load order, each with its plugin
    // (a line that is not one printable line of at most 500 octets is
    // dropped and logged).
    std::vector<std::pair<std::string, std::string>> ehlo_keywords();

private:
    struct Entry {
        const EventHandler* handler;
        void* connection = nullptr;
        void* transaction = nullptr;
    };
    std::vector<Entry> entries_;
    uint32_t mask_ = 0;
    mailfw_session* session_;
    std::vector<std::shared_ptr<Completion>> tokens_;  // kept until the session ends
};

}  // namespace mailfw::smtp
