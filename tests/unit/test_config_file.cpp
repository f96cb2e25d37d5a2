#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

#include "config/config_file.hpp"

using namespace mailfw;

namespace {

ConfigFile parse(std::string_view text) { return ConfigFile::parse(text, "test.conf", "/etc/mailfw"); }

std::string error_of(std::string_view text) {
    try {
        parse(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(ConfigFile, EntriesKeepSectionsOrderAndLines) {
    auto f = parse(
        "# a comment\n"
        "[server]\n"
        "hostname = mx.example.org\n"
        "load = sasl-login\n"
        "\n"
        "load = store-sqlite   ; inline comment\n"
        "[listener.smtp]\n"
        "  bind   =   127.0.0.1:2525  # inline\n"
        "; another comment\n"
        "bind = [::1]:2525\n"
        "[store-sqlite]\n"
        "path = users.db\n");
    ASSERT_EQ(f.all().size(), 6u);
    const auto& e = f.all();
    EXPECT_EQ(e[0].section, "server");
    EXPECT_EQ(e[0].key, "hostname");
    EXPECT_EQ(e[0].value, "mx.example.org");
    EXPECT_EQ(e[0].line, 3);
    EXPECT_EQ(e[2].value, "store-sqlite");
    EXPECT_EQ(e[2].line, 6);
    EXPECT_EQ(e[3].section, "listener.smtp");
    EXPECT_EQ(e[3].value, "127.0.0.1:2525");
    EXPECT_EQ(e[3].line, 8);
    EXPECT_EQ(e[4].value, "[::1]:2525");
    EXPECT_EQ(e[4].line, 10);
    EXPECT_EQ(e[5].line, 12);

    EXPECT_EQ(f.sections(), (std::vector<std::string>{"server", "listener.smtp", "store-sqlite"}));
    EXPECT_EQ(f.section_line("server"), 2);
    EXPECT_EQ(f.section_line("listener.smtp"), 7);
    EXPECT_EQ(f.section_line("missing"), 0);
    auto loads = f.entries("server");
    ASSERT_EQ(loads.size(), 3u);
    EXPECT_EQ(loads[1]->key, "load");
    EXPECT_EQ(f.where(*loads[2]), "test.conf:6");
    EXPECT_EQ(f.origin(), "test.conf");
    EXPECT_EQ(f.base_dir(), "/etc/mailfw");
}

TEST(ConfigFile, CrlfEmptyValuesRepeatedSectionsAndBom) {
    auto f = parse("\xEF\xBB\xBF[a]\r\nx =\r\n[b]\r\ny = 1\r\n[a]\r\nz = 2");
    ASSERT_EQ(f.all().size(), 3u);
    EXPECT_EQ(f.all()[0].value, "");
    EXPECT_EQ(f.all()[2].section, "a");
    EXPECT_EQ(f.all()[2].line, 6);
    EXPECT_EQ(f.sections(), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(f.section_line("a"), 1);
    EXPECT_EQ(f.entries("a").size(), 2u);
}

TEST(ConfigFile, ValuesMayContainSemicolonsAndEqualsSigns) {
    auto f = parse("[s]\nurl = a=b;c\n");
    EXPECT_EQ(f.all()[0].value, "a=b;c");
}

TEST(ConfigFile, SyntaxErrorsNameFileAndLine) {
    EXPECT_EQ(error_of("hostname = x\n"),
              "test.conf:1: 'hostname' is outside any section; put it under a section header such as [server]");
    EXPECT_EQ(error_of("[server]\n\njust words\n"),
              "test.conf:3: expected `key = value` or `[section]`, got 'just words'");
    EXPECT_EQ(error_of("[server\n"), "test.conf:1: unterminated section header '[server'; write it as [name]");
    EXPECT_NE(error_of("[]\n").find("test.conf:1: bad section name ''"), std::string::npos);
    EXPECT_NE(error_of("[a b]\n").find("test.conf:1: bad section name 'a b'"), std::string::npos);
    EXPECT_NE(error_of("[listener.]\n").find("test.conf:1: bad section name"), std::string::npos);
    EXPECT_NE(error_of("[s]\n= v\n").find("test.conf:2: bad key name ''"), std::string::npos);
    EXPECT_NE(error_of("[s]\nmy key = v\n").find("test.conf:2: bad key name 'my key'"), std::string::npos);
    EXPECT_NE(error_of("[s]\na.b = v\n").find("test.conf:2: bad key name 'a.b'"), std::string::npos);
    EXPECT_EQ(error_of("[s]\npassword = ab#cd\n"),
              "test.conf:2: '#' inside the value of 'password' would be read as a comment; remove it from the value");
}

TEST(ConfigFile, LoadUsesPathAsOriginAndItsDirectoryAsBase) {
    char dir_template[] = "/tmp/mailfw-config-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    std::filesystem::path dir = dir_template;
    {
        std::ofstream out(dir / "mailfw.conf");
        out << "[server]\nspool = data\n";
    }
    auto f = ConfigFile::load(dir / "mailfw.conf");
    EXPECT_EQ(f.origin(), (dir / "mailfw.conf").string());
    EXPECT_EQ(f.base_dir(), dir);
    EXPECT_EQ(f.all().size(), 1u);

    // A relative path still gets an absolute base directory.
    auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir);
    auto rel = ConfigFile::load("mailfw.conf");
    std::filesystem::current_path(cwd);
    EXPECT_EQ(rel.origin(), "mailfw.conf");
    EXPECT_TRUE(rel.base_dir().is_absolute());
    EXPECT_EQ(std::filesystem::canonical(rel.base_dir()), std::filesystem::canonical(dir));

    try {
        ConfigFile::load(dir / "missing.conf");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  (dir / "missing.conf").string() +
                      ": cannot read (No such file or directory); check the path and its permissions");
    }
    std::filesystem::remove_all(dir);
}
