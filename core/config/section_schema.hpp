// A section's declared keys and the validated values read from the file.
// Used for the core's own sections and for every plugin's section alike.
#pragma once
#include <mailfw/plugin.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_file.hpp"

namespace mailfw {

struct KeySpec {
    std::string name;
    mailfw_key_type type = MAILFW_KEY_STRING;
    uint32_t flags = 0;                        // MAILFW_KEY_MULTI | MAILFW_KEY_REQUIRED
    std::optional<std::string> default_value;  // as written in a file
    std::string help;
    std::vector<std::string> choices;          // non-empty: value must be one of these (core keys)
};

// Values of one section after validation. Defaults are applied; PATH values
// are made absolute against the config file's directory.
class SectionValues {
public:
    size_t count(std::string_view key) const;
    std::optional<std::string> string(std::string_view key, size_t index = 0) const;
    // INT as is, BOOL 0/1, DURATION in ms, SIZE in bytes.
    std::optional<int64_t> number(std::string_view key, size_t index = 0) const;
    std::vector<std::string> strings(std::string_view key) const;
    // The entry behind a value, for file:line in later messages (nullptr for defaults).
    const ConfigEntry* entry(std::string_view key, size_t index = 0) const;

    struct Value {
        std::string text;
        int64_t number = 0;
        const ConfigEntry* entry = nullptr;
        bool numeric = false;  // INT, BOOL, DURATION or SIZE: `number` is meaningful
    };
    std::map<std::string, std::vector<Value>, std::less<>> values;
};

// Throws ConfigError with file:line for: an unknown key (naming the known
// keys and the closest one: "did you mean 'path'?"), a repeated key that is
// not MULTI, a value of the wrong type (naming the expected form), a value
// not among `choices`, a missing REQUIRED key.
// `owner` names who declared the schema ("plugin store-sqlite"); a default
// value that does not parse is blamed on it. Empty means the core.
SectionValues validate_section(const ConfigFile& file, std::string_view section,
                               const std::vector<KeySpec>& schema, std::string_view owner = {});

// "duration", "size", ... as printed in key listings.
const char* key_type_name(mailfw_key_type type);
// What a value of this key must look like: "a duration like 30s, 5m or 1h".
std::string expected_form(const KeySpec& spec);

}  // namespace mailfw
