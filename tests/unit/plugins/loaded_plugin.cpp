#include "loaded_plugin.hpp"

#include <dlfcn.h>

#include <stdexcept>

namespace mailfw::test {

LoadedPlugin::LoadedPlugin(const std::string& name) {
    const std::string path = std::string(MAILFW_TEST_PLUGIN_DIR) + "/" + name + ".so";
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
    auto entry = reinterpret_cast<mailfw_plugin_entry_fn>(::dlsym(handle_, MAILFW_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error(std::string("dlsym: ") + ::dlerror());
    FakeHost probe;
    descriptor_ = entry(MAILFW_ABI_MAJOR, MAILFW_ABI_MINOR, probe.api());
    if (!descriptor_) throw std::runtime_error("entry returned NULL");
}

// Plugins are never unloaded while a server runs; tests follow the same rule
// and keep the library mapped.
LoadedPlugin::~LoadedPlugin() = default;

void* LoadedPlugin::create(FakeHost& host) {
    char err[512] = {};
    void* instance = descriptor_->create(host.host(), host.api(), err, sizeof err);
    error_ = err;
    return instance;
}

void LoadedPlugin::destroy(void* instance) { descriptor_->destroy(instance); }

}  // namespace mailfw::test
