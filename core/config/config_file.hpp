// An INI file as mailfw reads it: [sections] of key = value lines, read with
// Boost.Program_options, every entry remembering its line so that errors
// can say file:line. Comments start with '#' or ';' (whole line, or after
// whitespace at the end of a line). Keys may repeat (order is kept).
#pragma once
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mailfw {

// An operator's mistake. what() is one line: "FILE:LINE: what is wrong; the fix".
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ConfigEntry {
    std::string section;  // "server", "listener.submission", "store-sqlite"
    std::string key;
    std::string value;    // trimmed, comment removed
    int line = 0;
};

class ConfigFile {
public:
    // Throws ConfigError "FILE: cannot read (reason)" or a syntax error with file:line.
    static ConfigFile load(const std::filesystem::path& file);
    // `origin` names the text in messages ("<embedded defaults>");
    // relative paths resolve against `base_dir`.
    static ConfigFile parse(std::string_view text, std::string origin, std::filesystem::path base_dir);

    const std::string& origin() const { return origin_; }
    const std::filesystem::path& base_dir() const { return base_dir_; }
    // Section names in order of first appearance.
    std::vector<std::string> sections() const;
    // Entries of one section in file order.
    std::vector<const ConfigEntry*> entries(std::string_view section) const;
    const std::vector<ConfigEntry>& all() const { return entries_; }
    // "FILE:LINE" for messages.
    std::string where(const ConfigEntry& e) const;
    // The line of the [section] header, 0 if absent.
    int section_line(std::string_view section) const;

private:
    std::string origin_;
    std::filesystem::path base_dir_;
    std::vector<ConfigEntry> entries_;
    std::vector<std::pair<std::string, int>> section_lines_;
};

}  // namespace mailfw
