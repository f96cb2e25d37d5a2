// The phase table without a session: every command in every phase.
#include <gtest/gtest.h>

#include "smtp/session_state.hpp"

using namespace mailfw::smtp;

namespace {
std::string code(Verb v, Phase p, SessionFacts f = {}) {
    auto r = command_refusal(v, p, f);
    return r ? std::to_string(r->code) + " " + r->enhanced + " " + r->lines.front() : "ok";
}
SessionFacts ehlo() {
    SessionFacts f;
    f.esmtp = true;
    return f;
}
}  // namespace

TEST(SessionState, BeforeEhloOnlyTheConversationCommands) {
    for (Verb v : {Verb::helo, Verb::ehlo, Verb::rset, Verb::noop, Verb::quit, Verb::vrfy, Verb::help,
                   Verb::starttls, Verb::unknown})
        EXPECT_EQ(code(v, Phase::greeting), "ok") << static_cast<int>(v);
    EXPECT_EQ(code(Verb::mail, Phase::greeting), "503 5.5.1 Send EHLO or HELO first");
    EXPECT_EQ(code(Verb::auth, Phase::greeting), "503 5.5.1 Send EHLO first");
    EXPECT_EQ(code(Verb::rcpt, Phase::greeting), "503 5.5.1 Need MAIL before RCPT");
    EXPECT_EQ(code(Verb::data, Phase::greeting), "503 5.5.1 Need MAIL command");
}

TEST(SessionState, RefusedGreetingServesOnlyQuit) {
    EXPECT_EQ(code(Verb::quit, Phase::refused), "ok");
    for (Verb v : {Verb::ehlo, Verb::helo, Verb::mail, Verb::noop, Verb::rset, Verb::starttls, Verb::unknown})
        EXPECT_EQ(code(v, Phase::refused), "503 5.5.1 No service here; send QUIT") << static_cast<int>(v);
}

TEST(SessionState, Transactions) {
    EXPECT_EQ(code(Verb::mail, Phase::ready, ehlo()), "ok");
    EXPECT_EQ(code(Verb::mail, Phase::transaction, ehlo()), "503 5.5.1 Nested MAIL command");
    EXPECT_EQ(code(Verb::rcpt, Phase::transaction, ehlo()), "ok");
    EXPECT_EQ(code(Verb::data, Phase::transaction, ehlo()), "503 5.5.1 Need RCPT before DATA");
    SessionFacts tried = ehlo();
    tried.rcpt_attempted = true;
    EXPECT_EQ(code(Verb::data, Phase::transaction, tried), "554 5.5.1 No valid recipients");
    EXPECT_EQ(code(Verb::bdat, Phase::transaction, tried), "554 5.5.1 No valid recipients");
    SessionFacts ok = tried;
    ok.has_recipients = true;
    EXPECT_EQ(code(Verb::data, Phase::transaction, ok), "ok");
    EXPECT_EQ(code(Verb::bdat, Phase::transaction, ok), "ok");
    // Between BDAT chunks.
    EXPECT_EQ(code(Verb::bdat, Phase::data, ok), "ok");
    EXPECT_EQ(code(Verb::data, Phase::data, ok), "503 5.5.1 DATA not allowed after BDAT");
    EXPECT_EQ(code(Verb::rcpt, Phase::data, ok), "503 5.5.1 RCPT not allowed after BDAT");
    EXPECT_EQ(code(Verb::mail, Phase::data, ok), "503 5.5.1 MAIL not allowed after BDAT");
    EXPECT_EQ(code(Verb::starttls, Phase::data, ok), "503 5.5.1 STARTTLS not permitted now");
    for (Verb v : {Verb::rset, Verb::noop, Verb::quit, Verb::ehlo}) EXPECT_EQ(code(v, Phase::data, ok), "ok");
}

TEST(SessionState, AuthRequiredAndAuthRules) {
    SessionFacts f = ehlo();
    f.auth_required = true;
    EXPECT_EQ(code(Verb::mail, Phase::ready, f), "530 5.7.0 Authentication required");
    EXPECT_EQ(code(Verb::rcpt, Phase::ready, f), "530 5.7.0 Authentication required");
    EXPECT_EQ(code(Verb::data, Phase::ready, f), "530 5.7.0 Authentication required");
    EXPECT_EQ(code(Verb::auth, Phase::ready, f), "ok");
    f.authenticated = true;
    EXPECT_EQ(code(Verb::mail, Phase::ready, f), "ok");
    EXPECT_EQ(code(Verb::auth, Phase::ready, f), "503 5.5.1 Already authenticated");
    SessionFacts helo;  // HELO, not EHLO
    EXPECT_EQ(code(Verb::auth, Phase::ready, helo), "503 5.5.1 Send EHLO first");
    EXPECT_EQ(code(Verb::auth, Phase::transaction, ehlo()), "503 5.5.1 AUTH not permitted during a mail transaction");
}

TEST(SessionState, NothingIsReadInTheInternalPhases) {
    for (Phase p : {Phase::auth, Phase::tls_handshake, Phase::closing})
        for (Verb v : {Verb::ehlo, Verb::mail, Verb::quit, Verb::noop})
            EXPECT_NE(code(v, p, ehlo()), "ok") << phase_name(p);
    EXPECT_STREQ(phase_name(Phase::tls_handshake), "tls-handshake");
}
