#include <gtest/gtest.h>

#include "config/section_schema.hpp"

using namespace mailfw;

namespace {

KeySpec spec(std::string name, mailfw_key_type type, std::optional<std::string> def = std::nullopt,
             uint32_t flags = 0, std::vector<std::string> choices = {}) {
    KeySpec k;
    k.name = std::move(name);
    k.type = type;
    k.default_value = std::move(def);
    k.flags = flags;
    k.help = "help for " + k.name;
    k.choices = std::move(choices);
    return k;
}

const std::vector<KeySpec>& schema() {
    static const std::vector<KeySpec> s = {
        spec("path", MAILFW_KEY_PATH, "users.db"),
        spec("timeout", MAILFW_KEY_DURATION, "30s"),
        spec("limit", MAILFW_KEY_SIZE, "1MiB"),
        spec("count", MAILFW_KEY_INT),
        spec("strict", MAILFW_KEY_BOOL, "no"),
        spec("name", MAILFW_KEY_STRING),
        spec("tag", MAILFW_KEY_STRING, std::nullopt, MAILFW_KEY_MULTI),
        spec("mode", MAILFW_KEY_STRING, "fast", 0, {"fast", "safe"}),
    };
    return s;
}

std::string error_of(std::string_view text, const std::vector<KeySpec>& s = schema(), std::string_view owner = {}) {
    auto f = ConfigFile::parse(text, "test.conf", "/etc/mailfw");
    try {
        validate_section(f, "store", s, owner);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(SectionSchema, ValuesTypedDefaultsAppliedPathsAbsolute) {
    auto f = ConfigFile::parse(
        "[store]\n"
        "timeout = 5m\n"
        "limit = 10kB\n"
        "count = -3\n"
        "strict = on\n"
        "tag = a\n"
        "tag = b\n"
        "mode = SAFE\n",
        "test.conf", "/etc/mailfw");
    auto v = validate_section(f, "store", schema());
    EXPECT_EQ(v.string("path"), "/etc/mailfw/users.db");  // default, made absolute
    EXPECT_EQ(v.entry("path"), nullptr);
    EXPECT_EQ(v.number("path"), std::nullopt);  // not a numeric key
    EXPECT_EQ(v.number("timeout"), 300000);
    EXPECT_EQ(v.string("timeout"), "5m");
    EXPECT_EQ(v.entry("timeout")->line, 2);
    EXPECT_EQ(v.number("limit"), 10000);
    EXPECT_EQ(v.number("count"), -3);
    EXPECT_EQ(v.number("strict"), 1);
    EXPECT_EQ(v.string("strict"), "true");
    EXPECT_EQ(v.count("tag"), 2u);
    EXPECT_EQ(v.strings("tag"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(v.string("tag", 1), "b");
    EXPECT_EQ(v.string("tag", 2), std::nullopt);
    EXPECT_EQ(v.string("mode"), "safe");  // canonical spelling of the choice
    EXPECT_EQ(v.count("name"), 0u);       // no value, no default
    EXPECT_EQ(v.string("name"), std::nullopt);
}

TEST(SectionSchema, AbsoluteAndParentPathsAreNormalised) {
    auto f = ConfigFile::parse("[store]\npath = /var/lib/x.db\n[other]\n", "t", "/etc/mailfw");
    EXPECT_EQ(validate_section(f, "store", schema()).string("path"), "/var/lib/x.db");
    auto g = ConfigFile::parse("[store]\npath = ../data/./x.db\n", "t", "/etc/mailfw");
    EXPECT_EQ(validate_section(g, "store", schema()).string("path"), "/etc/data/x.db");
}

TEST(SectionSchema, UnknownKeySuggestsClosestAndListsKnown) {
    EXPECT_EQ(error_of("[store]\npth = x\n"),
              "test.conf:2: unknown key 'pth' in [store]; did you mean 'path'? "
              "(known keys: path, timeout, limit, count, strict, name, tag, mode)");
    EXPECT_EQ(error_of("[store]\ntimout = 1s\n").find("test.conf:2: unknown key 'timout' in [store]; did you mean "
                                                      "'timeout'?"),
              0u);
    auto unrelated = error_of("[store]\nfrobnicate = 1\n");
    EXPECT_EQ(unrelated.find("did you mean"), std::string::npos) << unrelated;
    EXPECT_NE(unrelated.find("known keys: path,"), std::string::npos) << unrelated;
    EXPECT_EQ(error_of("[store]\nx = 1\n", {}), "test.conf:2: unknown key 'x' in [store]; this section takes no keys, "
                                                "remove the line");
}

TEST(SectionSchema, WrongTypeNamesKeyValueAndExpectedForm) {
    EXPECT_EQ(error_of("[store]\n\ntimeout = soon\n"),
              "test.conf:3: bad value 'soon' for 'timeout' in [store]: expected a duration like 30s, 5m or 1h "
              "(units ms, s, m, h, d)");
    EXPECT_NE(error_of("[store]\nlimit = big\n").find("test.conf:2: bad value 'big' for 'limit' in [store]: expected "
                                                      "a size like 512, 64KiB or 36MiB"),
              std::string::npos);
    EXPECT_NE(error_of("[store]\ncount = 1.5\n").find("expected a whole number like 42"), std::string::npos);
    EXPECT_NE(error_of("[store]\nstrict = maybe\n").find("expected true or false"), std::string::npos);
    EXPECT_EQ(error_of("[store]\nmode = slow\n"),
              "test.conf:2: bad value 'slow' for 'mode' in [store]: expected one of: fast, safe");
    EXPECT_NE(error_of("[store]\npath =\n").find("expected a file or directory path"), std::string::npos);
    // Sizes beyond int64 cannot be handed to plugins as numbers.
    EXPECT_NE(error_of("[store]\nlimit = 16000000000GiB\n").find("bad value"), std::string::npos);
}

TEST(SectionSchema, RepeatedSingleKeyAndMissingRequiredKey) {
    EXPECT_EQ(error_of("[store]\nname = a\nname = b\n"),
              "test.conf:3: 'name' is already set in [store] at line 2; it may appear only once, remove one of the "
              "lines");
    std::vector<KeySpec> s = {spec("bind", MAILFW_KEY_STRING, std::nullopt, MAILFW_KEY_REQUIRED | MAILFW_KEY_MULTI)};
    EXPECT_EQ(error_of("[other]\n\n[store]\n", s),
              "test.conf:3: [store] needs 'bind' (help for bind); add `bind = ...` to it");
    EXPECT_EQ(error_of("[other]\n", s),
              "test.conf: [store] needs 'bind' (help for bind); add a [store] section with `bind = ...`");
}

TEST(SectionSchema, BadDefaultIsBlamedOnItsOwner) {
    std::vector<KeySpec> s = {spec("timeout", MAILFW_KEY_DURATION, "soon")};
    EXPECT_EQ(error_of("[store]\n", s, "plugin bad-default"),
              "plugin bad-default declares the default 'soon' for 'timeout' in [store], which is not a duration like "
              "30s, 5m or 1h (units ms, s, m, h, d); this is a bug in plugin bad-default, report it to its author (or "
              "set `timeout =` explicitly)");
    // An explicit value hides the bad default.
    EXPECT_EQ(error_of("[store]\ntimeout = 1s\n", s, "plugin bad-default"), "(no error)");
    EXPECT_NE(error_of("[store]\n", s).find("mailfw core declares the default"), std::string::npos);
}

TEST(SectionSchema, TypeNames) {
    EXPECT_STREQ(key_type_name(MAILFW_KEY_DURATION), "duration");
    EXPECT_STREQ(key_type_name(MAILFW_KEY_PATH), "path");
    EXPECT_EQ(expected_form(spec("m", MAILFW_KEY_STRING, std::nullopt, 0, {"a", "b"})), "one of: a, b");
}
