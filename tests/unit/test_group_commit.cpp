// The group commit stage (core/spool/group_commit): every request answered
// exactly once, batches formed under concurrent load, a bad descriptor
// failing only its own request, everything taken before stop() finished.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "spool/group_commit.hpp"

namespace fs = std::filesystem;
using mailfw::GroupCommit;

namespace {

class GroupCommitTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/mailfw-commit-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        for (int fd : fds_) ::close(fd);
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    int written_file(const std::string& name) {
        const int fd = ::open((dir_ / name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        EXPECT_GE(fd, 0);
        EXPECT_EQ(::write(fd, "hello\r\n", 7), 7);
        fds_.push_back(fd);
        return fd;
    }
    int directory() {
        const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        EXPECT_GE(fd, 0);
        fds_.push_back(fd);
        return fd;
    }
    fs::path dir_;
    std::vector<int> fds_;
};

TEST_F(GroupCommitTest, AnswersEveryRequestOnceWithSuccess) {
    GroupCommit commit;
    std::atomic<int> answered{0}, failed{0};
    const int dir = directory();
    for (int i = 0; i < 50; ++i) {
        const int file = written_file("m" + std::to_string(i));
        ASSERT_TRUE(commit.submit({file, dir}, [&](int error) {
            ++answered;
            if (error) ++failed;
        }));
    }
    commit.stop();  // drains what was taken
    EXPECT_EQ(answered.load(), 50);
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(commit.requests(), 50u);
    EXPECT_GE(commit.batches(), 1u);
    EXPECT_LE(commit.batches(), 50u);
}

TEST_F(GroupCommitTest, ConcurrentRequestsShareBatches) {
    GroupCommit commit;
    const int dir = directory();
    constexpr int kThreads = 8, kEach = 25;
    std::vector<int> files;
    for (int i = 0; i < kThreads * kEach; ++i) files.push_back(written_file("c" + std::to_string(i)));
    std::atomic<int> answered{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                // Each waits for its own answer, as a session waits for its 250.
                std::mutex m;
                std::condition_variable cv;
                bool done = false;
                ASSERT_TRUE(commit.submit({files[t * kEach + i], dir}, [&](int error) {
                    EXPECT_EQ(error, 0);
                    std::lock_guard lock(m);
                    done = true;
                    cv.notify_one();
                }));
                std::unique_lock lock(m);
                cv.wait(lock, [&] { return done; });
                ++answered;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(answered.load(), kThreads * kEach);
    EXPECT_EQ(commit.requests(), uint64_t{kThreads * kEach});
}

TEST_F(GroupCommitTest, RequestsArrivingDuringASyncFormTheNextBatch) {
    GroupCommit commit;
    const int dir = directory();
    std::mutex m;
    std::condition_variable cv;
    bool holding = false, release = false;
    // The first request's answer holds the commit thread, as a slow disk would.
    ASSERT_TRUE(commit.submit({written_file("first"), dir}, [&](int) {
        std::unique_lock lock(m);
        holding = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
    }));
    {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return holding; });
    }
    std::atomic<int> answered{0};
    for (int i = 0; i < 20; ++i)
        ASSERT_TRUE(commit.submit({written_file("next" + std::to_string(i)), dir}, [&](int e) {
            EXPECT_EQ(e, 0);
            ++answered;
        }));
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    commit.stop();
    EXPECT_EQ(answered.load(), 20);
    EXPECT_EQ(commit.requests(), 21u);
    EXPECT_EQ(commit.batches(), 2u);  // the first alone, then the twenty together
}

TEST_F(GroupCommitTest, BadDescriptorFailsOnlyItsOwnRequest) {
    GroupCommit commit;
    const int good = written_file("good");
    int bad = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(bad, 0);
    ::close(bad);  // a descriptor number that is no longer open
    std::atomic<int> good_error{-1}, bad_error{-1};
    ASSERT_TRUE(commit.submit({good}, [&](int e) { good_error = e; }));
    ASSERT_TRUE(commit.submit({good, bad}, [&](int e) { bad_error = e; }));
    commit.stop();
    EXPECT_EQ(good_error.load(), 0);
    EXPECT_EQ(bad_error.load(), EBADF);
}

TEST_F(GroupCommitTest, RefusesAfterStop) {
    GroupCommit commit;
    commit.stop();
    bool called = false;
    EXPECT_FALSE(commit.submit({written_file("late")}, [&](int) { called = true; }));
    EXPECT_FALSE(called);
    EXPECT_EQ(commit.batches(), 0u);
}

}  // namespace
