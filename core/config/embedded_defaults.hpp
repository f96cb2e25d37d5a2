// The configuration mailfwd runs with when no --config is given: everything
// under one data directory, a loopback listener, the four stock plugins.
#pragma once
#include <filesystem>
#include <string>

#include "config/config_file.hpp"

namespace mailfw {

inline constexpr const char* kDefaultDataDir = "mailfw-data";
inline constexpr const char* kDefaultListen = "127.0.0.1:2525";
inline constexpr const char* kSampleUser = "demo";

// Creates `data_dir` if needed. `listen` is "ADDR:PORT".
ConfigFile embedded_defaults(const std::filesystem::path& data_dir, const std::string& listen);

// The text behind embedded_defaults, for `mailfwd --print-defaults`.
std::string embedded_defaults_text(const std::filesystem::path& data_dir, const std::string& listen);

}  // namespace mailfw
