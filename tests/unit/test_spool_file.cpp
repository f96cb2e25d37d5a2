// The spool file a message streams into while it arrives, the spool
// directory's start-up clean-up, and queue ids.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "config/config_file.hpp"
#include "spool/spool_file.hpp"

namespace fs = std::filesystem;
using mailfw::SpoolFile;

namespace {

class SpoolTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/mailfw-spool-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(dir_, ec);
    }
    // 512-byte blocks holding data (a hole holds none).
    static long data_blocks(const fs::path& p) {
        struct stat st {};
        return ::stat(p.c_str(), &st) == 0 ? static_cast<long>(st.st_blocks) : -1;
    }
    static std::string slurp(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    static void touch(const fs::path& p, const std::string& content = "x") {
        std::ofstream(p, std::ios::binary) << content;
    }
    fs::path dir_;
    std::unique_ptr<mailfw::SpoolPool> pool_;
    mailfw::SpoolPool& pool() {
        if (!pool_) pool_ = std::make_unique<mailfw::SpoolPool>(dir_, 2);
        return *pool_;
    }
};

}  // namespace

TEST_F(SpoolTest, CreatesTheFileExclusivelyWithMode0600) {
    SpoolFile f(pool(), "ABC");
    EXPECT_EQ(f.path(), (dir_ / "ABC.msg").string());
    ASSERT_TRUE(fs::exists(f.path()));
    struct stat st {};
    ASSERT_EQ(::stat(f.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_THROW(SpoolFile(pool(), "ABC"), std::system_error) << "a second file with the same id";
}

TEST_F(SpoolTest, ThrowsWhenTheDirectoryIsMissing) {
    mailfw::SpoolPool missing(dir_ / "nope");
    EXPECT_THROW(SpoolFile(missing, "X"), std::system_error);
}

TEST_F(SpoolTest, StreamsSmallAndLargeAppendsInOrder) {
    std::string expected;
    {
        SpoolFile f(pool(), "S1");
        std::string big(200 * 1024, 'b');
        for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
        std::vector<std::string> pieces{"Subject: x\r\n", "\r\n", std::string(70 * 1024, 'm'), "tail\r\n", big,
                                        std::string(1, '\0'), std::string(64 * 1024 - 1, 'z'), "end\r\n"};
        for (const auto& p : pieces) {
            f.append(p);
            expected += p;
        }
        EXPECT_EQ(f.size(), expected.size());
        f.finish();
        EXPECT_EQ(slurp(f.path()), expected);
        // More after finish() is still kept in order.
        f.append("late");
        expected += "late";
        f.finish();
        EXPECT_EQ(slurp(f.path()), expected);
        EXPECT_EQ(f.size(), expected.size());
    }
}

TEST_F(SpoolTest, FinishWritesASmallAppend) {
    SpoolFile f(pool(), "S2");
    f.append("hello");
    f.finish();
    EXPECT_EQ(slurp(f.path()), "hello");
}

TEST_F(SpoolTest, RemovedOnDestruction) {
    fs::path p;
    {
        SpoolFile f(pool(), "GONE");
        p = f.path();
        f.append("partial message");
        ASSERT_TRUE(fs::exists(p));
    }
    EXPECT_FALSE(fs::exists(p));
    {
        auto f = std::make_unique<SpoolFile>(pool(), "GONE2");
        p = f->path();
        f->append(std::string(100 * 1024, 'x'));
        f->finish();
        f.reset();
    }
    EXPECT_FALSE(fs::exists(p));
    EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SpoolTest, ReusedEmptyWhenAllowedAndRemovedOtherwise) {
    std::string first;
    {
        SpoolFile f(pool(), "R1");
        first = f.path();
        f.append("first message, longer than the next\r\n");
        f.finish();
        f.allow_reuse();
    }
    ASSERT_TRUE(fs::exists(first)) << "kept for the next message";
    EXPECT_EQ(data_blocks(first), 0) << "emptied: a hole, nothing of the message left on disk";
    EXPECT_EQ(pool().idle(), 1u);
    {
        SpoolFile f(pool(), "R2");
        EXPECT_EQ(f.path(), first) << "the idle file serves again";
        EXPECT_EQ(pool().idle(), 0u);
        f.append("second\r\n");
        f.finish();
        EXPECT_EQ(slurp(f.path()), "second\r\n") << "written from its start, cut to its own size";
        // Not allowed (a delivery may still read or have linked it): removed.
    }
    EXPECT_FALSE(fs::exists(first));
    EXPECT_EQ(pool().idle(), 0u);
}

TEST_F(SpoolTest, AnEmptyMessageInAReusedFileReadsAsEmpty) {
    std::string first;
    {
        SpoolFile f(pool(), "Z1");
        first = f.path();
        f.append(std::string(3000, 'z'));
        f.finish();
        f.allow_reuse();
    }
    {
        SpoolFile f(pool(), "Z2");
        ASSERT_EQ(f.path(), first);
        f.finish();  // DATA then "." at once: nothing appended
        EXPECT_EQ(slurp(f.path()), "") << "not the last message's size in zeros";
        f.allow_reuse();
    }
    EXPECT_EQ(pool().idle(), 1u) << "still reused";
}

TEST_F(SpoolTest, EmptiedAtOnceWhenTheLastReaderIsDone) {
    std::string path;
    {
        SpoolFile f(pool(), "E1");
        path = f.path();
        f.append(std::string(100 * 1024, 'e'));
        f.finish();
        f.empty_now();
        EXPECT_EQ(data_blocks(path), 0) << "emptied before a sync could write its pages";
        EXPECT_EQ(slurp(path).find('e'), std::string::npos) << "nothing of the message left to read";
        EXPECT_EQ(f.size(), 100u * 1024) << "the message's size is still known";
    }
    EXPECT_TRUE(fs::exists(path));
    EXPECT_EQ(pool().idle(), 1u) << "and kept for reuse";
}

TEST_F(SpoolTest, ASmallMessageNobodyReadsNeverReachesTheFile) {
    std::string path;
    {
        SpoolFile f(pool(), "U1");
        path = f.path();
        f.append("Subject: sink\r\n\r\nbody\r\n");  // in the buffer; no finish(): no delivery reads it
        EXPECT_EQ(f.size(), 23u);
        f.allow_reuse();
    }
    EXPECT_EQ(fs::file_size(path), 0u);
    EXPECT_EQ(pool().idle(), 1u);
    {
        SpoolFile f(pool(), "U2");
        EXPECT_EQ(f.path(), path);
        f.append("next\r\n");
        f.finish();
        EXPECT_EQ(slurp(path), "next\r\n");
    }
}

TEST_F(SpoolTest, PoolKeepsAtMostItsCapacity) {
    std::vector<std::string> paths;
    {
        std::vector<std::unique_ptr<SpoolFile>> files;
        for (const char* id : {"C1", "C2", "C3"}) {
            files.push_back(std::make_unique<SpoolFile>(pool(), id));
            files.back()->allow_reuse();
            paths.push_back(files.back()->path());
        }
    }
    EXPECT_EQ(pool().idle(), 2u);  // the capacity this fixture gives it
    size_t left = 0;
    for (const auto& p : paths) left += fs::exists(p) ? 1 : 0;
    EXPECT_EQ(left, 2u);
    pool_.reset();  // the pool removes its idle files when it goes
    EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SpoolTest, PrepareCreatesTheDirectory0700) {
    fs::path d = dir_ / "a" / "b" / "spool";
    mailfw::prepare_spool_directory(d);
    ASSERT_TRUE(fs::is_directory(d));
    struct stat st {};
    ASSERT_EQ(::stat(d.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_TRUE(fs::is_empty(d)) << "the write probe is removed";
}

TEST_F(SpoolTest, PrepareRemovesStaleMessagesOnly) {
    touch(dir_ / "OLD1.msg");
    touch(dir_ / "OLD2.msg", std::string(10000, 'q'));
    touch(dir_ / "keep.txt");
    touch(dir_ / "notes.msg.bak");
    fs::create_directory(dir_ / "sub");
    touch(dir_ / "sub" / "inner.msg");
    mailfw::prepare_spool_directory(dir_);
    EXPECT_FALSE(fs::exists(dir_ / "OLD1.msg"));
    EXPECT_FALSE(fs::exists(dir_ / "OLD2.msg"));
    EXPECT_TRUE(fs::exists(dir_ / "keep.txt"));
    EXPECT_TRUE(fs::exists(dir_ / "notes.msg.bak"));
    EXPECT_TRUE(fs::exists(dir_ / "sub" / "inner.msg")) << "not recursive";
    EXPECT_FALSE(fs::exists(dir_ / ".write-test"));
}

TEST_F(SpoolTest, PrepareRefusesAnUnusableDirectoryWithTheFix) {
    fs::path file = dir_ / "plainfile";
    touch(file);
    try {
        mailfw::prepare_spool_directory(file / "spool");
        FAIL() << "no ConfigError";
    } catch (const mailfw::ConfigError& e) {
        std::string what = e.what();
        EXPECT_NE(what.find((file / "spool").string()), std::string::npos) << what;
        EXPECT_NE(what.find("spool ="), std::string::npos) << what;
    }
    if (::geteuid() != 0) {  // root writes anywhere
        fs::path ro = dir_ / "ro";
        fs::create_directory(ro);
        fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
        // prepare_spool_directory chmods to 0700, so make the parent the obstacle instead.
        fs::path inner = ro / "spool";
        EXPECT_THROW(mailfw::prepare_spool_directory(inner), mailfw::ConfigError);
        fs::permissions(ro, fs::perms::owner_all);
    }
}

TEST(SpoolQueueId, UniqueAndAtomSafe) {
    std::set<std::string> ids;
    for (int i = 0; i < 20000; ++i) {
        std::string id = mailfw::make_queue_id();
        ASSERT_FALSE(id.empty());
        for (char c : id) ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) << id;
        ASSERT_TRUE(ids.insert(id).second) << "duplicate " << id;
    }
}

TEST(SpoolQueueId, UniqueAcrossThreads) {
    constexpr int kThreads = 4, kEach = 5000;
    std::vector<std::vector<std::string>> got(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&got, t] {
            for (int i = 0; i < kEach; ++i) got[t].push_back(mailfw::make_queue_id());
        });
    for (auto& t : threads) t.join();
    std::set<std::string> all;
    for (const auto& v : got)
        for (const auto& id : v) EXPECT_TRUE(all.insert(id).second) << "duplicate " << id;
    EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
}
