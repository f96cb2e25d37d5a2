// MaildirWriter: exact bytes, durable layout, and all-or-nothing rollback.
#include "deliver-maildir/maildir_writer.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace {

using namespace mailfw::deliver_maildir;
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
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
    return out;
}

// Every regular file below `root`.
size_t count_files(const fs::path& root) {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file()) ++n;
    return n;
}

struct MaildirWriterTest : ::testing::Test {
    TempDir dir;
    std::string root = dir / "mail";
    std::string spool = dir / "spool";
    std::string body;
    std::string trace = "Received: from client by mx; Thu, 1 Jan 2024 00:00:00 +0000\r\n";

    void SetUp() override {
        ASSERT_EQ(make_directories(root, true), 0);
        // Binary-ish content over several 64 KiB chunks, not a multiple of it.
        std::mt19937 rng(7);
        body = "Subject: hi\r\n\r\n";
        for (int i = 0; i < 200 * 1024 + 123; ++i) body += static_cast<char>(rng() & 0xff);
        std::ofstream(spool, std::ios::binary) << body;
    }
    Envelope envelope(std::vector<std::string_view> rcpts, std::string_view from = "sender@example.org") {
        return Envelope{from, trace, spool, std::move(rcpts)};
    }
};

TEST_F(MaildirWriterTest, DeliversExactBytesToEachMailbox) {
    MaildirWriter writer(root, true, "mx.test");
    ASSERT_FALSE(writer.deliver(envelope({"alice@example.org", "bob@example.org"})));
    for (const char* who : {"alice@example.org", "bob@example.org"}) {
        const fs::path box = fs::path(root) / who;
        const auto fresh = files_in(box / "new");
        ASSERT_EQ(fresh.size(), 1u) << who;
        EXPECT_TRUE(files_in(box / "tmp").empty());
        EXPECT_TRUE(fs::is_directory(box / "cur"));
        EXPECT_EQ(read_file(fresh[0]), "Return-Path: <sender@example.org>\r\n" + trace + body);
        EXPECT_NE(fresh[0].filename().string().find(".mx.test"), std::string::npos);

        struct stat st {};
        ASSERT_EQ(::stat(fresh[0].c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        EXPECT_EQ(st.st_nlink, 1u);  // the tmp/ link is gone
        for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
            ASSERT_EQ(::stat((box.string() + sub).c_str(), &st), 0);
            EXPECT_EQ(st.st_mode & 0777, 0700u) << sub;
        }
    }
}

TEST_F(MaildirWriterTest, DeferredSyncLeavesEachFileAndItsNewDirectoryOpen) {
    MaildirWriter writer(root, true, "mx.test");
    DeferredSync deferred;
    std::vector<std::string> written;
    ASSERT_FALSE(writer.deliver(envelope({"alice@example.org", "bob@example.org"}), &written, &deferred));
    ASSERT_EQ(written.size(), 2u);
    // A file and the new/ it was linked into, for each copy, in that order.
    ASSERT_EQ(deferred.fds().size(), 4u);
    for (size_t i = 0; i < written.size(); ++i) {
        struct stat file {}, on_disk {}, dir {}, new_dir {};
        ASSERT_EQ(::fstat(deferred.fds()[2 * i], &file), 0);
        ASSERT_EQ(::stat(written[i].c_str(), &on_disk), 0);
        EXPECT_EQ(file.st_ino, on_disk.st_ino);
        ASSERT_EQ(::fstat(deferred.fds()[2 * i + 1], &dir), 0);
        ASSERT_EQ(::stat(fs::path(written[i]).parent_path().c_str(), &new_dir), 0);
        EXPECT_EQ(dir.st_ino, new_dir.st_ino);
        EXPECT_EQ(read_file(written[i]), "Return-Path: <sender@example.org>\r\n" + trace + body);
    }
    EXPECT_EQ(deferred.sync_now(), 0);
    // Without sync there is nothing to defer.
    MaildirWriter unsynced(root, false, "mx.test");
    DeferredSync none;
    ASSERT_FALSE(unsynced.deliver(envelope({"carol@example.org"}), nullptr, &none));
    EXPECT_TRUE(none.fds().empty());
}

TEST_F(MaildirWriterTest, AMaildirRemovedWhileRunningIsMadeAgain) {
    MaildirWriter writer(root, true, "mx.test");
    ASSERT_FALSE(writer.deliver(envelope({"alice@example.org"})));
    // The writer now knows the Maildir and skips its mkdirs; an operator removes it.
    fs::remove_all(fs::path(root) / "alice@example.org");
    ASSERT_FALSE(writer.deliver(envelope({"alice@example.org"})));
    EXPECT_EQ(files_in(fs::path(root) / "alice@example.org" / "new").size(), 1u);
    EXPECT_TRUE(fs::is_directory(fs::path(root) / "alice@example.org" / "cur"));
    // Only new/ gone: the delivery fails once (nothing kept), the next makes it again.
    fs::remove_all(fs::path(root) / "alice@example.org" / "new");
    const auto failure = writer.deliver(envelope({"alice@example.org"}));
    ASSERT_TRUE(failure);
    EXPECT_EQ(failure->kind, Failure::Kind::Io);
    EXPECT_TRUE(files_in(fs::path(root) / "alice@example.org" / "tmp").empty()) << "rolled back";
    ASSERT_FALSE(writer.deliver(envelope({"alice@example.org"})));
    EXPECT_EQ(files_in(fs::path(root) / "alice@example.org" / "new").size(), 1u);
}

TEST_F(MaildirWriterTest, NullReversePathAndNoFsync) {
    MaildirWriter writer(root, false, "mx");
    ASSERT_FALSE(writer.deliver(envelope({"alice"}, "")));
    const auto fresh = files_in(fs::path(root) / "alice/new");
    ASSERT_EQ(fresh.size(), 1u);
    EXPECT_EQ(read_file(fresh[0]).rfind("Return-Path: <>\r\nReceived: ", 0), 0u);
}

TEST_F(MaildirWriterTest, EmptySpoolStillGetsHeaders) {
    std::ofstream(spool, std::ios::binary | std::ios::trunc);
    MaildirWriter writer(root, true, "mx");
    ASSERT_FALSE(writer.deliver(envelope({"alice"})));
    EXPECT_EQ(read_file(files_in(fs::path(root) / "alice/new")[0]),
              "Return-Path: <sender@example.org>\r\n" + trace);
}

TEST_F(MaildirWriterTest, RepeatedRecipientGetsOneCopy) {
    MaildirWriter writer(root, true, "mx");
    ASSERT_FALSE(writer.deliver(envelope({"alice", "alice"})));
    EXPECT_EQ(files_in(fs::path(root) / "alice/new").size(), 1u);
}

TEST_F(MaildirWriterTest, SecondDeliveryAddsASecondFile) {
    MaildirWriter writer(root, true, "mx");
    ASSERT_FALSE(writer.deliver(envelope({"alice"})));
    ASSERT_FALSE(writer.deliver(envelope({"alice"})));
    EXPECT_EQ(files_in(fs::path(root) / "alice/new").size(), 2u);
}

TEST_F(MaildirWriterTest, BadRecipientRefusesTheWholeMessageBeforeWriting) {
    MaildirWriter writer(root, true, "mx");
    for (const std::string_view bad : {"a/b", "../x", ".x", "", "a\r\nb"}) {
        const auto f = writer.deliver(envelope({"alice", bad}));
        ASSERT_TRUE(f) << bad;
        EXPECT_EQ(f->kind, Failure::Kind::BadMailbox);
    }
    EXPECT_EQ(count_files(root), 0u);
    EXPECT_FALSE(fs::exists(fs::path(root) / "alice"));
}

TEST_F(MaildirWriterTest, BadReversePathIsRefused) {
    MaildirWriter writer(root, true, "mx");
    const auto f = writer.deliver(envelope({"alice"}, "a\r\nBcc: x"));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->kind, Failure::Kind::BadSender);
    EXPECT_EQ(count_files(root), 0u);
}

TEST_F(MaildirWriterTest, FailureAtTheSecondMailboxRemovesTheFirstCopy) {
    // bob's mailbox is a plain file: mkdir bob/tmp fails after alice's copy
    // is already in alice/new.
    std::ofstream(fs::path(root) / "bob") << "in the way";
    MaildirWriter writer(root, true, "mx");
    const auto f = writer.deliver(envelope({"alice", "bob"}));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->kind, Failure::Kind::Io);
    EXPECT_EQ(f->reason, "cannot create maildir: Not a directory");
    EXPECT_NE(f->detail.find(root + "/bob"), std::string::npos) << f->detail;
    EXPECT_TRUE(files_in(fs::path(root) / "alice/new").empty());
    EXPECT_TRUE(files_in(fs::path(root) / "alice/tmp").empty());
    EXPECT_EQ(count_files(root), 1u);  // only the obstacle
}

TEST_F(MaildirWriterTest, FailureWritingIntoTmpRemovesEverything) {
    fs::create_directories(fs::path(root) / "bob");
    std::ofstream(fs::path(root) / "bob/tmp") << "in the way";
    MaildirWriter writer(root, true, "mx");
    const auto f = writer.deliver(envelope({"alice", "bob"}));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->reason, "cannot write to maildir: Not a directory");
    EXPECT_TRUE(files_in(fs::path(root) / "alice/new").empty());
    EXPECT_EQ(count_files(root), 1u);
}

TEST_F(MaildirWriterTest, FailureLinkingIntoNewRemovesTheTmpFile) {
    fs::create_directories(fs::path(root) / "carol/tmp");
    fs::create_directories(fs::path(root) / "carol/cur");
    std::ofstream(fs::path(root) / "carol/new") << "in the way";
    MaildirWriter writer(root, true, "mx");
    const auto f = writer.deliver(envelope({"alice", "bob", "carol"}));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->reason, "cannot write to maildir: Not a directory");
    EXPECT_TRUE(files_in(fs::path(root) / "carol/tmp").empty());
    EXPECT_TRUE(files_in(fs::path(root) / "alice/new").empty());
    EXPECT_TRUE(files_in(fs::path(root) / "bob/new").empty());
    EXPECT_EQ(count_files(root), 1u);
}

TEST_F(MaildirWriterTest, MissingSpoolFileIsATemporaryFailure) {
    MaildirWriter writer(root, true, "mx");
    Envelope e = envelope({"alice"});
    e.spool_path = dir / "gone";
    const auto f = writer.deliver(e);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->kind, Failure::Kind::Io);
    EXPECT_EQ(f->reason, "cannot read the spool file: No such file or directory");
    EXPECT_EQ(count_files(root), 0u);
}

TEST(MaildirDirectories, MakeDirectoriesCreatesPrivateParents) {
    TempDir dir;
    ASSERT_EQ(make_directories(dir / "x/y/z", true), 0);
    struct stat st {};
    ASSERT_EQ(::stat((dir / "x/y").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(make_directories(dir / "x/y/z", true), 0);  // idempotent
    std::ofstream(dir / "f") << "x";
    EXPECT_EQ(make_directories(dir / "f", true), ENOTDIR);
    EXPECT_EQ(make_directories(dir / "f/g", true), ENOTDIR);
}

}  // namespace
