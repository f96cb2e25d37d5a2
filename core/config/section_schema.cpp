#include "config/section_schema.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "config/value_parsers.hpp"

namespace mailfw {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t subst = prev[j - 1] + (std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                                  std::tolower(static_cast<unsigned char>(b[j - 1]))
                                              ? 0
                                              : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) {
        if (!out.empty()) out += ", ";
        out += s;
    }
    return out;
}

std::string unknown_key_message(const ConfigFile& file, const ConfigEntry& e, std::string_view section,
                                const std::vector<KeySpec>& schema) {
    std::string msg = file.where(e) + ": unknown key '" + e.key + "' in [" + std::string(section) + "]";
    if (schema.empty()) return msg + "; this section takes no keys, remove the line";
    const KeySpec* best = nullptr;
    size_t best_d = std::numeric_limits<size_t>::max();
    std::vector<std::string> names;
    for (const auto& k : schema) {
        names.push_back(k.name);
        size_t d = edit_distance(e.key, k.name);
        if (d < best_d) best_d = d, best = &k;
    }
    // Suggest only what looks like a typo, not an unrelated word.
    if (best && best_d <= std::max<size_t>(2, best->name.size() / 3))
        msg += "; did you mean '" + best->name + "'?";
    else
        msg += "; remove it or use one of the known keys";
    return msg + " (known keys: " + join(names) + ")";
}

// Parses `text` as `spec` wants; false when it does not fit.
bool parse_value(const KeySpec& spec, const std::filesystem::path& base_dir, SectionValues::Value& v) {
    if (!spec.choices.empty()) {
        for (const auto& c : spec.choices)
            if (iequals(v.text, c)) {
                v.text = c;  // canonical spelling
                return true;
            }
        return false;
    }
    auto fits = [&](auto n) {
        if (!n || static_cast<uint64_t>(*n) > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return false;
        v.number = static_cast<int64_t>(*n);
        v.numeric = true;
        return true;
    };
    switch (spec.type) {
        case MAILFW_KEY_STRING: return true;
        case MAILFW_KEY_PATH: {
            if (v.text.empty()) return false;
            std::filesystem::path p(v.text);
            if (p.is_relative()) p = base_dir / p;
            v.text = p.lexically_normal().string();
            return true;
        }
        case MAILFW_KEY_INT: {
            auto n = parse_int(v.text);
            if (!n) return false;
            v.number = *n;
            v.numeric = true;
            return true;
        }
        case MAILFW_KEY_BOOL: {
            auto b = parse_bool(v.text);
            if (!b) return false;
            v.number = *b ? 1 : 0;
            v.text = *b ? "true" : "false";
            v.numeric = true;
            return true;
        }
        case MAILFW_KEY_DURATION: return fits(parse_duration_ms(v.text));
        case MAILFW_KEY_SIZE: return fits(parse_size_bytes(v.text));
    }
    return false;
}

}  // namespace

const char* key_type_name(mailfw_key_type type) {
    switch (type) {
        case MAILFW_KEY_STRING: return "string";
        case MAILFW_KEY_INT: return "integer";
        case MAILFW_KEY_BOOL: return "boolean";
        case MAILFW_KEY_DURATION: return "duration";
        case MAILFW_KEY_SIZE: return "size";
        case MAILFW_KEY_PATH: return "path";
    }
    return "unknown";
}

std::string expected_form(const KeySpec& spec) {
    if (!spec.choices.empty()) return "one of: " + join(spec.choices);
    switch (spec.type) {
        case MAILFW_KEY_STRING: return "a string";
        case MAILFW_KEY_PATH: return "a file or directory path";
        case MAILFW_KEY_INT: return "a whole number like 42";
        case MAILFW_KEY_BOOL: return "true or false (also yes/no, on/off, 1/0)";
        case MAILFW_KEY_DURATION: return "a duration like 30s, 5m or 1h (units ms, s, m, h, d)";
        case MAILFW_KEY_SIZE: return "a size like 512, 64KiB or 36MiB (units B, KiB, MiB, GiB, kB, MB, GB)";
    }
    return "a value of a known type";
}

size_t SectionValues::count(std::string_view key) const {
    auto it = values.find(key);
    return it == values.end() ? 0 : it->second.size();
}

std::optional<std::string> SectionValues::string(std::string_view key, size_t index) const {
    auto it = values.find(key);
    if (it == values.end() || index >= it->second.size()) return std::nullopt;
    return it->second[index].text;
}

std::optional<int64_t> SectionValues::number(std::string_view key, size_t index) const {
    auto it = values.find(key);
    if (it == values.end() || index >= it->second.size() || !it->second[index].numeric) return std::nullopt;
    return it->second[index].number;
}

std::vector<std::string> SectionValues::strings(std::string_view key) const {
    std::vector<std::string> out;
    auto it = values.find(key);
    if (it != values.end())
        for (const auto& v : it->second) out.push_back(v.text);
    return out;
}

const ConfigEntry* SectionValues::entry(std::string_view key, size_t index) const {
    auto it = values.find(key);
    if (it == values.end() || index >= it->second.size()) return nullptr;
    return it->second[index].entry;
}

SectionValues validate_section(const ConfigFile& file, std::string_view section, const std::vector<KeySpec>& schema,
                               std::string_view owner) {
    SectionValues out;
    const std::string sec(section);
    for (const ConfigEntry* e : file.entries(section)) {
        auto spec = std::find_if(schema.begin(), schema.end(), [&](const KeySpec& k) { return k.name == e->key; });
        if (spec == schema.end()) throw ConfigError(unknown_key_message(file, *e, section, schema));
        auto& list = out.values[spec->name];
        if (!list.empty() && !(spec->flags & MAILFW_KEY_MULTI))
            throw ConfigError(file.where(*e) + ": '" + e->key + "' is already set in [" + sec + "] at line " +
                              std::to_string(list.front().entry->line) +
                              "; it may appear only once, remove one of the lines");
        SectionValues::Value v;
        v.text = e->value;
        v.entry = e;
        if (!parse_value(*spec, file.base_dir(), v))
            throw ConfigError(file.where(*e) + ": bad value '" + e->value + "' for '" + e->key + "' in [" + sec +
                              "]: expected " + expected_form(*spec));
        list.push_back(std::move(v));
    }
    for (const auto& spec : schema) {
        if (out.count(spec.name) > 0) continue;
        if (spec.flags & MAILFW_KEY_REQUIRED) {
            int line = file.section_line(section);
            if (line == 0)
                throw ConfigError(file.origin() + ": [" + sec + "] needs '" + spec.name + "' (" + spec.help +
                                  "); add a [" + sec + "] section with `" + spec.name + " = ...`");
            throw ConfigError(file.origin() + ":" + std::to_string(line) + ": [" + sec + "] needs '" + spec.name +
                              "' (" + spec.help + "); add `" + spec.name + " = ...` to it");
        }
        if (!spec.default_value) continue;
        SectionValues::Value v;
        v.text = *spec.default_value;
        if (!parse_value(spec, file.base_dir(), v)) {
            std::string who = owner.empty() ? std::string("mailfw core") : std::string(owner);
            throw ConfigError(who + " declares the default '" + *spec.default_value + "' for '" + spec.name +
                              "' in [" + sec + "], which is not " + expected_form(spec) + "; this is a bug in " +
                              who + ", report it to its author (or set `" + spec.name + " =` explicitly)");
        }
        out.values[spec.name].push_back(std::move(v));
    }
    return out;
}

}  // namespace mailfw
