// dlopen()s a built plugin from MAILFW_TEST_PLUGIN_DIR the way the host does
// (RTLD_NOW | RTLD_LOCAL) and creates one instance with a FakeHost.
#ifndef MAILFW_TESTS_PLUGINS_LOADED_PLUGIN_HPP
#define MAILFW_TESTS_PLUGINS_LOADED_PLUGIN_HPP

#include "fake_host.hpp"

#include <mailfw/plugin.h>

#include <string>

namespace mailfw::test {

class LoadedPlugin {
public:
    explicit LoadedPlugin(const std::string& name);  // throws on dlopen/dlsym failure
    ~LoadedPlugin();
    LoadedPlugin(const LoadedPlugin&) = delete;
    LoadedPlugin& operator=(const LoadedPlugin&) = delete;

    const mailfw_plugin& descriptor() const noexcept { return *descriptor_; }

    // create() with `host`; nullptr on refusal, with the reason in error().
    void* create(FakeHost& host);
    void destroy(void* instance);
    const std::string& error() const noexcept { return error_; }

private:
    void* handle_ = nullptr;
    const mailfw_plugin* descriptor_ = nullptr;
    std::string error_;
};

}  // namespace mailfw::test

#endif
