// A fresh directory under $TMPDIR (or /tmp), removed with its content.
#ifndef MAILFW_TESTS_PLUGINS_TEMP_DIR_HPP
#define MAILFW_TESTS_PLUGINS_TEMP_DIR_HPP

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace mailfw::test {

class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base && *base ? base : "/tmp") + "/mailfw-plugin-test-XXXXXX";
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const noexcept { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

}  // namespace mailfw::test

#endif
