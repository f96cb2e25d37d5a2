// util/log: a thread that defers its lines keeps them until the flush it
// scheduled runs; warnings, a full buffer and handing work elsewhere write
// them at once, in order. stderr is redirected to a file for each test.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "util/log.hpp"

namespace {

using mailfw::log::Level;

class LogDeferral : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/mailfw-log-XXXXXX";
        const int fd = ::mkstemp(tmpl);
        ASSERT_GE(fd, 0);
        path_ = tmpl;
        saved_ = ::dup(STDERR_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
        mailfw::log::set_level(Level::info);
    }
    void TearDown() override {
        mailfw::log::defer_on_this_thread(nullptr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        ::unlink(path_.c_str());
    }
    std::string written() const {
        std::string out;
        const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        char buf[4096];
        for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
        ::close(fd);
        return out;
    }
    // The event loop stand-in: the flushes the log asked to have run.
    void defer() {
        mailfw::log::defer_on_this_thread([this](void (*flush)()) { scheduled_.push_back(flush); });
    }
    void run_scheduled() {
        auto pending = std::move(scheduled_);
        scheduled_.clear();
        for (auto* f : pending) f();
    }

    std::string path_;
    int saved_ = -1;
    std::vector<void (*)()> scheduled_;
};

TEST_F(LogDeferral, WithoutDeferralEveryLineIsWrittenAtOnce) {
    mailfw::log::write(Level::info, "first", 7, "127.0.0.1:1");
    EXPECT_NE(written().find("info  [c7 127.0.0.1:1] first\n"), std::string::npos) << written();
}

TEST_F(LogDeferral, LinesWaitForTheScheduledFlushAndKeepTheirOrder) {
    defer();
    mailfw::log::write(Level::info, "one");
    mailfw::log::write(Level::info, "two");
    EXPECT_EQ(written(), "") << "held until the loop runs the flush";
    ASSERT_EQ(scheduled_.size(), 1u) << "one flush per batch, not per line";
    run_scheduled();
    const std::string out = written();
    ASSERT_NE(out.find("one\n"), std::string::npos) << out;
    EXPECT_LT(out.find("one\n"), out.find("two\n"));
}

TEST_F(LogDeferral, AWarningGoesOutAtOnceAfterWhatWaitedBeforeIt) {
    defer();
    mailfw::log::write(Level::info, "before");
    mailfw::log::write(Level::warning, "trouble");
    const std::string out = written();
    ASSERT_NE(out.find("trouble\n"), std::string::npos) << out;
    EXPECT_LT(out.find("before\n"), out.find("trouble\n"));
}

TEST_F(LogDeferral, AFullBufferAndAnExplicitFlushWriteAtOnce) {
    defer();
    const std::string big(1000, 'x');
    for (int i = 0; i < 17; ++i) mailfw::log::write(Level::info, big);  // past 16 KiB
    EXPECT_GE(written().size(), 16u * 1000) << "written once the buffer is full";
    mailfw::log::write(Level::info, "handed on");
    mailfw::log::flush_this_thread();
    EXPECT_NE(written().find("handed on\n"), std::string::npos);
}

TEST_F(LogDeferral, EndingTheDeferralWritesWhatWaits) {
    defer();
    mailfw::log::write(Level::info, "last words");
    mailfw::log::defer_on_this_thread(nullptr);
    EXPECT_NE(written().find("last words\n"), std::string::npos);
    mailfw::log::write(Level::info, "after");
    EXPECT_NE(written().find("after\n"), std::string::npos) << "at once again";
}

}  // namespace
