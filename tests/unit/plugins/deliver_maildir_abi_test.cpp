// deliver-maildir loaded as the host loads it, driven through mailfw_delivery.
#include "fake_host.hpp"
#include "loaded_plugin.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace {

using mailfw::test::FakeHost;
using mailfw::test::LoadedPlugin;
using mailfw::test::TempDir;
namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> out;
    if (fs::exists(dir))
        for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
    return out;
}

std::string text(mailfw_str s) { return std::string(s.ptr ? s.ptr : "", s.len); }

struct DeliverAbi : ::testing::Test {
    TempDir dir;
    LoadedPlugin plugin{"deliver-maildir"};
    FakeHost host;
    void* instance = nullptr;
    std::string spool = dir / "spool.eml";
    std::string body = "From: a@example.org\r\nSubject: test\r\n\r\nline 1\r\n.line 2\r\n";
    std::string trace = "Received: from c.example (c.example [192.0.2.1])\r\n\tby mx; Mon, 1 Jan 2024 00:00:00 +0000\r\n";
    std::vector<std::string> rcpt_store;
    std::vector<mailfw_str> rcpts;
    std::optional<std::string> content;  // (1.4) the message in memory, passed as m.content

    void SetUp() override {
        std::ofstream(spool, std::ios::binary) << body;
        host.strings["root"] = dir / "maildirs";
        host.numbers["fsync"] = 1;
        instance = plugin.create(host);
        ASSERT_NE(instance, nullptr) << plugin.error();
    }
    void TearDown() override {
        if (instance) plugin.destroy(instance);
    }

    mailfw_delivery_result deliver(std::vector<std::string> to, int* rc = nullptr) {
        rcpt_store = std::move(to);
        rcpts.clear();
        for (const auto& r : rcpt_store) rcpts.push_back({r.data(), r.size()});
        mailfw_message m{};
        m.struct_size = sizeof m;
        m.id = {"Q1", 2};
        m.mail_from = {"a@example.org", 13};
        m.rcpts = rcpts.data();
        m.rcpt_count = rcpts.size();
        m.spool_path = {spool.c_str(), spool.size()};
        m.size = body.size();
        m.trace = {trace.data(), trace.size()};
        if (content) m.content = {content->data(), content->size()};
        mailfw_delivery_result result{};
        result.struct_size = sizeof result;
        int r = plugin.descriptor().delivery->deliver(instance, &m, &result, host.completion());
        if (r == MAILFW_PENDING && !host.delivery_answers.empty()) {
            // The helper answers through the completion so the host copies its texts.
            last = host.delivery_answers.back();
            r = static_cast<int>(last.status);
            result.status = last.status;
            result.code = last.code;
            result.enhanced = {last.enhanced.data(), last.enhanced.size()};
            result.text = {last.text.data(), last.text.size()};
            result.receipt = {last.receipt.data(), last.receipt.size()};
        }
        if (rc) *rc = r;
        return result;
    }
    mailfw_message message_for(const std::vector<std::string>& to) {
        rcpt_store = to;
        rcpts.clear();
        for (const auto& r : rcpt_store) rcpts.push_back({r.data(), r.size()});
        mailfw_message m{};
        m.struct_size = sizeof m;
        m.id = {"Q1", 2};
        m.rcpts = rcpts.data();
        m.rcpt_count = rcpts.size();
        return m;
    }
    // claim_rcpt, or with `inline_slot` claim_rcpt_inline (ABI 1.4).
    int claim(const std::string& address, mailfw_delivery_result* out = nullptr, bool inline_slot = false) {
        mailfw_delivery_result r{};
        r.struct_size = sizeof r;
        const mailfw_delivery& d = *plugin.descriptor().delivery;
        const int decision = (inline_slot ? d.claim_rcpt_inline : d.claim_rcpt)(
            instance, host.session(), {address.data(), address.size()}, &r);
        if (out) *out = r;
        return decision;
    }
    int claim_inline(const std::string& address, mailfw_delivery_result* out = nullptr) {
        return claim(address, out, true);
    }
    mailfw::test::FakeHost::DeliveryAnswer last;
    fs::path box(const std::string& who) const { return fs::path(dir / "maildirs") / who; }
};

TEST_F(DeliverAbi, Descriptor) {
    const mailfw_plugin& d = plugin.descriptor();
    EXPECT_STREQ(d.name, "deliver-maildir");
    ASSERT_NE(d.delivery, nullptr);
    EXPECT_EQ(d.delivery->flags, MAILFW_DELIVERY_BLOCKING | MAILFW_DELIVERY_SPOOL_COPIED | MAILFW_DELIVERY_READS_CONTENT);
    ASSERT_EQ(d.key_count, 4u);
    EXPECT_STREQ(d.keys[2].name, "domains");
    EXPECT_EQ(d.keys[2].flags & MAILFW_KEY_MULTI, MAILFW_KEY_MULTI);
    EXPECT_STREQ(d.keys[3].name, "require_known_user");
    EXPECT_STREQ(d.keys[3].default_value, "false");
    EXPECT_NE(d.delivery->claim_rcpt, nullptr);
    EXPECT_NE(d.delivery->claim_rcpt_inline, nullptr);
    EXPECT_NE(d.delivery->discard, nullptr);
    EXPECT_EQ(d.delivery->flags & MAILFW_DELIVERY_RELAY, 0u);
    EXPECT_STREQ(d.keys[0].name, "root");
    EXPECT_EQ(d.keys[0].type, static_cast<uint32_t>(MAILFW_KEY_PATH));
    EXPECT_EQ(d.keys[0].flags & MAILFW_KEY_REQUIRED, MAILFW_KEY_REQUIRED);
    EXPECT_STREQ(d.keys[1].name, "fsync");
    EXPECT_EQ(d.keys[1].type, static_cast<uint32_t>(MAILFW_KEY_BOOL));
    EXPECT_STREQ(d.keys[1].default_value, "true");
    EXPECT_NE(std::string(d.keys[1].help).find("power failure"), std::string::npos);
    EXPECT_TRUE(fs::is_directory(dir / "maildirs"));  // root made at create()
}

TEST_F(DeliverAbi, DurableCopiesAreByteIdentical) {
    int rc = 0;
    const mailfw_delivery_result r = deliver({"alice@example.org", "bob@example.org"}, &rc);
    EXPECT_EQ(rc, MAILFW_DELIVERY_DURABLE);
    EXPECT_EQ(r.status, static_cast<uint32_t>(MAILFW_DELIVERY_DURABLE));
    for (const char* who : {"alice@example.org", "bob@example.org"}) {
        const auto fresh = files_in(box(who) / "new");
        ASSERT_EQ(fresh.size(), 1u);
        EXPECT_EQ(read_file(fresh[0]), "Return-Path: <a@example.org>\r\n" + trace + body);
        EXPECT_TRUE(files_in(box(who) / "tmp").empty());
    }
}

TEST_F(DeliverAbi, TheMessageInMemoryIsUsedAndTheSpoolFileNotOpened) {
    // The host kept a small message in memory and never wrote the file.
    fs::remove(spool);
    content = "Subject: from memory\r\n\r\nbody\r\n";
    int rc = 0;
    deliver({"alice@example.org", "bob@example.org"}, &rc);
    EXPECT_EQ(rc, MAILFW_DELIVERY_DURABLE);
    for (const char* who : {"alice@example.org", "bob@example.org"}) {
        const auto fresh = files_in(box(who) / "new");
        ASSERT_EQ(fresh.size(), 1u);
        EXPECT_EQ(read_file(fresh[0]), "Return-Path: <a@example.org>\r\n" + trace + *content);
    }
    content = "";  // an empty message is content too (ptr set, length 0)
    deliver({"carol@example.org"}, &rc);
    EXPECT_EQ(rc, MAILFW_DELIVERY_DURABLE);
    const auto fresh = files_in(box("carol@example.org") / "new");
    ASSERT_EQ(fresh.size(), 1u);
    EXPECT_EQ(read_file(fresh[0]), "Return-Path: <a@example.org>\r\n" + trace);
}

TEST_F(DeliverAbi, FailureAtTheSecondRecipientLeavesNothing) {
    fs::create_directories(box("bob@example.org"));
    std::ofstream(box("bob@example.org") / "new") << "in the way";  // link() into new/ fails
    int rc = 0;
    const mailfw_delivery_result r = deliver({"alice@example.org", "bob@example.org"}, &rc);
    EXPECT_EQ(rc, MAILFW_DELIVERY_TEMPFAIL);
    EXPECT_EQ(r.code, 451u);
    EXPECT_EQ(text(r.enhanced), "4.3.0");
    EXPECT_EQ(text(r.text), "cannot write to maildir: Not a directory");
    EXPECT_TRUE(files_in(box("alice@example.org") / "new").empty());
    EXPECT_TRUE(files_in(box("alice@example.org") / "tmp").empty());
    EXPECT_TRUE(files_in(box("bob@example.org") / "tmp").empty());
    EXPECT_TRUE(host.logged("message Q1 not delivered"));
    EXPECT_TRUE(host.logged(box("bob@example.org").string()));

    EXPECT_TRUE(last.receipt.empty());  // nothing to take back
}

TEST_F(DeliverAbi, RecipientWithSlashIsPermanentAndWritesNothing) {
    int rc = 0;
    const mailfw_delivery_result r = deliver({"alice@example.org", "../../etc/passwd"}, &rc);
    EXPECT_EQ(rc, MAILFW_DELIVERY_PERMFAIL);
    EXPECT_EQ(r.code, 550u);
    EXPECT_EQ(text(r.enhanced), "5.1.3");
    EXPECT_FALSE(text(r.text).empty());
    EXPECT_TRUE(files_in(box("alice@example.org") / "new").empty());
    EXPECT_TRUE(host.logged("../../etc/passwd"));
}

TEST_F(DeliverAbi, CreateErrorsNameTheRootAndTheFix) {
    FakeHost missing;
    EXPECT_EQ(plugin.create(missing), nullptr);
    EXPECT_NE(plugin.error().find("`root =`"), std::string::npos) << plugin.error();

    std::ofstream(dir / "file") << "x";
    FakeHost blocked;
    blocked.strings["root"] = dir / "file/maildirs";
    EXPECT_EQ(plugin.create(blocked), nullptr);
    EXPECT_NE(plugin.error().find(dir / "file/maildirs"), std::string::npos) << plugin.error();
    EXPECT_NE(plugin.error().find("check `root =` in [deliver-maildir]"), std::string::npos)
        << plugin.error();
}

TEST_F(DeliverAbi, FsyncOffWarnsAndStillDelivers) {
    FakeHost fast;
    fast.strings["root"] = dir / "fast";
    fast.numbers["fsync"] = 0;
    void* inst = plugin.create(fast);
    ASSERT_NE(inst, nullptr) << plugin.error();
    EXPECT_TRUE(fast.logged("power failure"));
    std::swap(inst, instance);
    int rc = 0;
    deliver({"alice"}, &rc);
    EXPECT_EQ(rc, MAILFW_DELIVERY_DURABLE);
    EXPECT_EQ(files_in(dir / "fast/alice/new").size(), 1u);
    std::swap(inst, instance);
    plugin.destroy(inst);
}

// ---------------------------------------------------- ABI 1.1: routing -----

TEST_F(DeliverAbi, ClaimsOnlyLocalDomainsByDefaultTheServerName) {
    // No domains configured: the server's own name and localhost (Postfix mydestination).
    EXPECT_EQ(claim("bob@mx.example.test"), MAILFW_RCPT_CLAIM);
    EXPECT_EQ(claim("bob@MX.Example.TEST"), MAILFW_RCPT_CLAIM);
    EXPECT_EQ(claim("bob@localhost"), MAILFW_RCPT_CLAIM);
    EXPECT_EQ(claim("postmaster"), MAILFW_RCPT_CLAIM);  // RFC 5321 §4.5.1
    EXPECT_EQ(claim("bob@elsewhere.example"), MAILFW_RCPT_PASS);
    EXPECT_TRUE(files_in(dir / "maildirs").empty());  // deciding creates nothing
}

TEST_F(DeliverAbi, RefusesNamesItCannotStoreAtRcpt) {
    mailfw_delivery_result r{};
    EXPECT_EQ(claim("a/b@mx.example.test", &r), MAILFW_RCPT_REFUSE);
    EXPECT_EQ(r.code, 550u);
    EXPECT_EQ(text(r.enhanced), "5.1.3");
    EXPECT_EQ(claim(".hidden@mx.example.test"), MAILFW_RCPT_REFUSE);
    EXPECT_TRUE(files_in(dir / "maildirs").empty());
}

TEST_F(DeliverAbi, WithoutAStoreEveryRecipientIsDecidedInline) {
    // The network thread's answer is claim_rcpt's, so no recipient goes to the pool.
    for (const char* a : {"bob@mx.example.test", "postmaster", "bob@elsewhere.example", "a/b@mx.example.test"}) {
        mailfw_delivery_result pooled{}, inline_r{};
        EXPECT_EQ(claim_inline(a, &inline_r), claim(a, &pooled)) << a;
        EXPECT_EQ(inline_r.code, pooled.code) << a;
        EXPECT_EQ(text(inline_r.enhanced), text(pooled.enhanced)) << a;
    }
    EXPECT_EQ(claim_inline("bob@mx.example.test"), MAILFW_RCPT_CLAIM);
    EXPECT_EQ(host.user_exists_calls, 0);
}

struct DeliverAbiDomains : DeliverAbi {
    void SetUp() override {
        std::ofstream(spool, std::ios::binary) << body;
        host.strings["root"] = dir / "maildirs";
        host.strings["domains"] = "Example.ORG";
        host.numbers["fsync"] = 1;
        host.numbers["require_known_user"] = 1;
        host.known_users = {"alice", "bob@example.org"};
        instance = plugin.create(host);
        ASSERT_NE(instance, nullptr) << plugin.error();
    }
};

TEST_F(DeliverAbiDomains, KnownUsersOnlyByAddressOrLocalPart) {
    EXPECT_EQ(claim("alice@example.org"), MAILFW_RCPT_CLAIM);  // by local part
    EXPECT_EQ(claim("bob@EXAMPLE.org"), MAILFW_RCPT_CLAIM);    // by address, domain folded
    mailfw_delivery_result r{};
    EXPECT_EQ(claim("ghost@example.org", &r), MAILFW_RCPT_REFUSE);
    EXPECT_EQ(r.code, 550u);
    EXPECT_EQ(text(r.enhanced), "5.1.1");
    EXPECT_EQ(claim("alice@mx.example.test"), MAILFW_RCPT_PASS);  // configured domains replace the default
    host.user_exists_override = MAILFW_UNAVAILABLE;
    EXPECT_EQ(claim("alice@example.org", &r), MAILFW_RCPT_TEMPFAIL);
    EXPECT_EQ(r.code, 451u);
}

TEST_F(DeliverAbiDomains, TheStoreLookupIsLeftToTheBlockingClaim) {
    // Inline: everything but the lookup, which may block, so it is not made there.
    EXPECT_EQ(claim_inline("alice@example.org"), MAILFW_RCPT_UNDECIDED);
    EXPECT_EQ(claim_inline("ghost@example.org"), MAILFW_RCPT_UNDECIDED);
    EXPECT_EQ(claim_inline("alice@mx.example.test"), MAILFW_RCPT_PASS);
    mailfw_delivery_result r{};
    EXPECT_EQ(claim_inline("a/b@example.org", &r), MAILFW_RCPT_REFUSE);
    EXPECT_EQ(text(r.enhanced), "5.1.3");
    EXPECT_EQ(host.user_exists_calls, 0);
    EXPECT_EQ(claim("alice@example.org"), MAILFW_RCPT_CLAIM);
    EXPECT_GT(host.user_exists_calls, 0);
}

TEST_F(DeliverAbi, DomainCaseMakesOneMailbox) {
    deliver({"Bob@Example.ORG"});
    deliver({"Bob@example.org"});
    EXPECT_EQ(files_in(box("Bob@example.org") / "new").size(), 2u);
    EXPECT_FALSE(fs::exists(box("Bob@Example.ORG")));
}

TEST_F(DeliverAbi, ReceiptLetsDiscardTakeTheCopiesBack) {
    int rc = 0;
    deliver({"alice@example.org", "bob@example.org"}, &rc);
    ASSERT_EQ(rc, MAILFW_DELIVERY_DURABLE);
    ASSERT_FALSE(last.receipt.empty());
    ASSERT_EQ(files_in(box("alice@example.org") / "new").size(), 1u);
    const std::string receipt = last.receipt;
    const mailfw_message m = message_for({"alice@example.org", "bob@example.org"});
    EXPECT_EQ(plugin.descriptor().delivery->discard(instance, &m, {receipt.data(), receipt.size()}), MAILFW_OK);
    EXPECT_TRUE(files_in(box("alice@example.org") / "new").empty());
    EXPECT_TRUE(files_in(box("bob@example.org") / "new").empty());
    // A receipt naming anything else is refused, and nothing outside is touched.
    const std::string outside = spool;
    EXPECT_NE(plugin.descriptor().delivery->discard(instance, &m, {outside.data(), outside.size()}), MAILFW_OK);
    EXPECT_TRUE(fs::exists(spool));
}

TEST_F(DeliverAbi, StaleTmpFilesAreRemovedAtStart) {
    deliver({"alice@example.org"});
    const fs::path stale = box("alice@example.org") / "tmp" / "1.M1P1Q1.host";
    const fs::path fresh = box("alice@example.org") / "tmp" / "2.M2P2Q2.host";
    std::ofstream(stale) << "left by a crash";
    std::ofstream(fresh) << "being written";
    fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(37));
    plugin.destroy(instance);
    instance = plugin.create(host);
    ASSERT_NE(instance, nullptr);
    EXPECT_FALSE(fs::exists(stale));
    EXPECT_TRUE(fs::exists(fresh));
    EXPECT_TRUE(host.logged("removed 1 file(s) older than 36 hours"));
}

}  // namespace
