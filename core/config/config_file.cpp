#include "config/config_file.hpp"

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mailfw {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// Key and section names: letters, digits, '-', '_' and '.' (listener.NAME).
bool valid_name(std::string_view s) {
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

// Removes a whole-line comment ('#' or ';' first) or an inline one
// (whitespace followed by '#' or ';').
std::string_view strip_comment(std::string_view line) {
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#' || t.front() == ';') return {};
    for (size_t i = 1; i < t.size(); ++i)
        if ((t[i] == '#' || t[i] == ';') && is_space(t[i - 1])) return trim(t.substr(0, i));
    return t;
}

// One line of the file after cleaning, as we understood it.
struct Line {
    enum class Kind { blank, section, key } kind = Kind::blank;
    std::string section;  // for key lines: the section it belongs to
    std::string key;
};

}  // namespace

ConfigFile ConfigFile::load(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        int err = errno;
        throw ConfigError(file.string() + ": cannot read (" + std::strerror(err) +
                          "); check the path and its permissions");
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ConfigError(file.string() + ": cannot read (I/O error); check the file");
    std::error_code ec;
    auto abs = std::filesystem::absolute(file, ec);
    if (ec) abs = file;
    return parse(text.str(), file.string(), abs.lexically_normal().parent_path());
}

ConfigFile ConfigFile::parse(std::string_view text, std::string origin, std::filesystem::path base_dir) {
    ConfigFile cf;
    cf.origin_ = std::move(origin);
    cf.base_dir_ = std::move(base_dir);
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM

    // Pass 1: clean every line (one output line per input line) and check its
    // shape, so syntax errors carry line numbers Boost cannot give.
    std::vector<std::string_view> raw_lines;
    for (size_t pos = 0; pos < text.size();) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        raw_lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    std::vector<Line> lines;
    std::string cleaned;
    std::string current;
    int number = 0;
    for (std::string_view raw : raw_lines) {
        ++number;
        auto at = [&] { return cf.origin_ + ":" + std::to_string(number) + ": "; };
        std::string_view s = strip_comment(raw);
        Line line;
        if (s.empty()) {
            // blank or comment
        } else if (s.front() == '[') {
            if (s.back() != ']')
                throw ConfigError(at() + "unterminated section header '" + std::string(s) +
                                  "'; write it as [name]");
            std::string name(trim(s.substr(1, s.size() - 2)));
            if (!valid_name(name) || name.front() == '.' || name.back() == '.' ||
                name.find("..") != std::string::npos)
                throw ConfigError(at() + "bad section name '" + name +
                                  "'; use letters, digits, '-', '_' and '.' only, e.g. [listener.smtp]");
            current = name;
            line.kind = Line::Kind::section;
            line.section = name;
            cf.section_lines_.emplace_back(name, number);
            cleaned += "[" + name + "]";
        } else {
            auto eq = s.find('=');
            if (eq == std::string_view::npos)
                throw ConfigError(at() + "expected `key = value` or `[section]`, got '" + std::string(s) + "'");
            std::string key(trim(s.substr(0, eq)));
            std::string_view value = trim(s.substr(eq + 1));
            if (!valid_name(key) || key.find('.') != std::string::npos)
                throw ConfigError(at() + "bad key name '" + key +
                                  "'; keys use letters, digits, '-' and '_' only, as in `key = value`");
            if (current.empty())
                throw ConfigError(at() + "'" + key +
                                  "' is outside any section; put it under a section header such as [server]");
            // Boost cuts a line at any '#'; refuse rather than silently lose the rest.
            if (value.find('#') != std::string_view::npos)
                throw ConfigError(at() + "'#' inside the value of '" + key +
                                  "' would be read as a comment; remove it from the value");
            line.kind = Line::Kind::key;
            line.section = current;
            line.key = key;
            cleaned += key;
            cleaned += " = ";
            cleaned += value;
        }
        cleaned += '\n';
        lines.push_back(std::move(line));
    }

    // Pass 2: Boost.Program_options reads the cleaned text; the i-th option
    // it returns is the i-th key line of pass 1.
    namespace po = boost::program_options;
    po::options_description none;
    std::istringstream in(cleaned);
    po::parsed_options parsed(&none);
    try {
        parsed = po::parse_config_file(in, none, true);
    } catch (const std::exception& e) {
        throw ConfigError(cf.origin_ + ": " + e.what() + "; fix the syntax to `key = value` lines under [sections]");
    }
    size_t option = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        const Line& l = lines[i];
        if (l.kind != Line::Kind::key) continue;
        std::string where = cf.origin_ + ":" + std::to_string(i + 1);
        if (option >= parsed.options.size() || parsed.options[option].string_key != l.section + "." + l.key)
            throw ConfigError(where + ": the INI reader disagrees about this line; rewrite it as `key = value`");
        const auto& o = parsed.options[option++];
        ConfigEntry e;
        e.section = l.section;
        e.key = l.key;
        e.value = o.value.empty() ? std::string() : std::string(trim(o.value.front()));
        e.line = static_cast<int>(i + 1);
        cf.entries_.push_back(std::move(e));
    }
    if (option != parsed.options.size())
        throw ConfigError(cf.origin_ + ": the INI reader found more entries than lines; check the file's syntax");
    return cf;
}

std::vector<std::string> ConfigFile::sections() const {
    std::vector<std::string> out;
    for (const auto& [name, line] : section_lines_)
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    return out;
}

std::vector<const ConfigEntry*> ConfigFile::entries(std::string_view section) const {
    std::vector<const ConfigEntry*> out;
    for (const auto& e : entries_)
        if (e.section == section) out.push_back(&e);
    return out;
}

std::string ConfigFile::where(const ConfigEntry& e) const { return origin_ + ":" + std::to_string(e.line); }

int ConfigFile::section_line(std::string_view section) const {
    for (const auto& [name, line] : section_lines_)
        if (name == section) return line;
    return 0;
}

}  // namespace mailfw
