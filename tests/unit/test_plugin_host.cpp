// The plugin host against the fixture plugins of tests/fixtures: every
// refusal is one line naming the config file:line, the plugin (and its
// file) and the fix; loaded plugins get their section and the services.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "plugin/host_handle.hpp"
#include "plugin/plugin_host.hpp"

using namespace mailfw;

namespace {

const std::filesystem::path kFixtures = MAILFW_TEST_FIXTURE_PLUGIN_DIR;
const std::string kListener = "[listener.smtp]\nbind = 127.0.0.1:2525\n";

std::string fixture(const std::string& name) { return (kFixtures / (name + ".so")).string(); }

// A parsed file and its core config, kept together (the host reads both).
struct Loaded {
    explicit Loaded(std::string_view text)
        : file(ConfigFile::parse(text, "test.conf", "/etc/mailfw")), config(load_server_config(file, kFixtures)) {}
    ConfigFile file;
    ServerConfig config;
};

std::string host_error(std::string_view text) {
    Loaded s(text);
    try {
        PluginHost host(s.config, s.file);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

std::string version_text(uint32_t major, uint32_t minor) { return std::to_string(major) + "." + std::to_string(minor); }

// A property the fixture-keys plugin recorded at create() (see its source).
std::string recorded(const std::string& property) {
    char buf[512];
    size_t len = 0;
    int r = PluginHost::api()->lookup_property(nullptr, "config", 6, property.data(), property.size(), buf,
                                               sizeof buf, &len);
    if (r != MAILFW_OK) return "<status " + std::to_string(r) + ">";
    return std::string(buf, len);
}

int verify(std::string_view user, std::string_view password) {
    return PluginHost::api()->verify_password(nullptr, user.data(), user.size(), password.data(), password.size());
}

int authorize(std::string_view authcid, std::string_view authzid) {
    return PluginHost::api()->authorize(nullptr, authcid.data(), authcid.size(), authzid.data(), authzid.size());
}

std::filesystem::path temp_file(const char* stem) {
    return std::filesystem::temp_directory_path() / (std::string(stem) + "-" + std::to_string(getpid()));
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

// ------------------------------------------------------------ refusals -----

TEST(PluginHostRefusal, NotFoundListsDirectoriesAndTheOption) {
    EXPECT_EQ(host_error("[server]\nload = nope\n" + kListener),
              "test.conf:2: plugin nope not found: no nope.so in " + kFixtures.string() +
                  "; set `plugin_dir =` in [server] to the directory that holds it, or fix the name");
    EXPECT_EQ(host_error("[server]\nplugin_dir = /a\nplugin_dir = /b\nload = nope\n" + kListener),
              "test.conf:4: plugin nope not found: no nope.so in /a, /b; set `plugin_dir =` in [server] to the "
              "directory that holds it, or fix the name");
}

TEST(PluginHostRefusal, FoundInALaterDirectory) {
    EXPECT_EQ(host_error("[server]\nplugin_dir = /nonexistent\nplugin_dir = " + kFixtures.string() +
                         "\nload = newer-minor\n" + kListener)
                  .find("test.conf:4: plugin newer-minor (" + fixture("newer-minor") + "): built for plugin ABI"),
              0u);
}

TEST(PluginHostRefusal, NotASharedLibraryGivesTheLoaderReason) {
    auto e = host_error("[server]\nload = not-a-library\n" + kListener);
    EXPECT_EQ(e.find("test.conf:2: plugin not-a-library (" + fixture("not-a-library") +
                     "): cannot be loaded as a shared library ("),
              0u)
        << e;
    EXPECT_NE(e.find("not-a-library.so"), e.rfind("not-a-library.so")) << "dlopen's text names the file: " << e;
    EXPECT_NE(e.find("); reinstall the plugin or remove the file from the plugin directory"), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(PluginHostRefusal, MissingEntrySymbol) {
    EXPECT_EQ(host_error("[server]\nload = no-entry\n" + kListener),
              "test.conf:2: plugin no-entry (" + fixture("no-entry") +
                  "): does not export mailfw_plugin_entry, so it is not a mailfw plugin; build it with the mailfw "
                  "SDK (MAILFW_PLUGIN) or remove it from the plugin directory");
}

TEST(PluginHostRefusal, EntryReturnsNull) {
    EXPECT_EQ(host_error("[server]\nload = returns-null\n" + kListener),
              "test.conf:2: plugin returns-null (" + fixture("returns-null") +
                  "): mailfw_plugin_entry returned no descriptor: the plugin cannot work with this mailfw (plugin "
                  "ABI " + version_text(MAILFW_ABI_MAJOR, MAILFW_ABI_MINOR) + "); rebuild it against this SDK");
}

TEST(PluginHostRefusal, DescriptorTooSmall) {
    EXPECT_EQ(host_error("[server]\nload = small-descriptor\n" + kListener),
              "test.conf:2: plugin small-descriptor (" + fixture("small-descriptor") +
                  "): its descriptor is 16 bytes, smaller than the " + std::to_string(sizeof(mailfw_plugin)) +
                  " of plugin ABI 1.0; rebuild it against this SDK");
}

TEST(PluginHostRefusal, AbiMajorMismatchNamesBothVersions) {
    EXPECT_EQ(host_error("[server]\nload = wrong-abi-major\n" + kListener),
              "test.conf:2: plugin wrong-abi-major (" + fixture("wrong-abi-major") + "): built for plugin ABI " +
                  version_text(MAILFW_ABI_MAJOR + 1, MAILFW_ABI_MINOR) + ", this mailfwd speaks " +
                  version_text(MAILFW_ABI_MAJOR, MAILFW_ABI_MINOR) + "; rebuild the plugin against this SDK");
}

TEST(PluginHostRefusal, NewerMinorNamesBothVersions) {
    EXPECT_EQ(host_error("[server]\nload = newer-minor\n" + kListener),
              "test.conf:2: plugin newer-minor (" + fixture("newer-minor") + "): built for plugin ABI " +
                  version_text(MAILFW_ABI_MAJOR, MAILFW_ABI_MINOR + 1) + ", this mailfwd speaks " +
                  version_text(MAILFW_ABI_MAJOR, MAILFW_ABI_MINOR) + "; rebuild the plugin against this SDK or upgrade mailfw");
}

TEST(PluginHostRefusal, DescriptorNameDiffersFromLoadName) {
    EXPECT_EQ(host_error("[server]\nload = misnamed\n" + kListener),
              "test.conf:2: plugin misnamed (" + fixture("misnamed") +
                  "): the library calls itself 'someone-else'; rename the file to someone-else.so and write "
                  "`load = someone-else`");
}

TEST(PluginHostRefusal, InlineClaimNeedsClaimRcptToFallBackOn) {
    EXPECT_EQ(host_error("[server]\nload = inline-claim-only\n" + kListener),
              "test.conf:2: plugin inline-claim-only (" + fixture("inline-claim-only") +
                  "): its delivery has claim_rcpt_inline but no claim_rcpt to ask when that is undecided; fix "
                  "the plugin");
}

TEST(PluginHostRefusal, DuplicateMechanismNamesBothPlugins) {
    EXPECT_EQ(host_error("[server]\nload = dup-mech-a\nload = dup-mech-b\n" + kListener),
              "test.conf:3: plugin dup-mech-b: server mechanism X-DUP is also provided by plugin dup-mech-a; load "
              "only one of dup-mech-a and dup-mech-b");
}

TEST(PluginHostRefusal, BadMechanismName) {
    EXPECT_EQ(host_error("[server]\nload = bad-mech-name\n" + kListener),
              "test.conf:2: plugin bad-mech-name (" + fixture("bad-mech-name") +
                  "): declares server mechanism 'Bad Name'; mechanism names are 1 to 20 of A-Z 0-9 - _, fix the "
                  "plugin");
}

TEST(PluginHostRefusal, BadConfigInThePluginSection) {
    const std::string head = "[server]\nload = fixture-keys\n" + kListener + "[fixture-keys]\n";
    EXPECT_EQ(host_error(head + "timout = 5s\n"),
              "test.conf:6: unknown key 'timout' in [fixture-keys]; did you mean 'timeout'? (known keys: name, count, "
              "enabled, timeout, limit, file, tag, trace)");
    EXPECT_EQ(host_error(head + "timeout = soon\n"),
              "test.conf:6: bad value 'soon' for 'timeout' in [fixture-keys]: expected a duration like 30s, 5m or 1h "
              "(units ms, s, m, h, d)");
    EXPECT_EQ(host_error(head + "name = a\nname = b\n"),
              "test.conf:7: 'name' is already set in [fixture-keys] at line 6; it may appear only once, remove one of "
              "the lines");
    EXPECT_EQ(host_error("[server]\nload = fixture-store2\n" + kListener),
              "test.conf: [fixture-store2] needs 'realm' (the realm users belong to); add a [fixture-store2] section "
              "with `realm = ...`");
}

TEST(PluginHostRefusal, BadDefaultIsThePluginsFault) {
    EXPECT_EQ(host_error("[server]\nload = bad-default\n" + kListener),
              "plugin bad-default declares the default 'soon' for 'timeout' in [bad-default], which is not a "
              "duration like 30s, 5m or 1h (units ms, s, m, h, d); this is a bug in plugin bad-default, report it to "
              "its author (or set `timeout =` explicitly)");
}

TEST(PluginHostRefusal, CreateFailurePrefixedWithThePluginName) {
    EXPECT_EQ(host_error("[server]\nload = create-fails\n" + kListener),
              "test.conf:2: plugin create-fails: cannot open /etc/mailfw/missing.db (No such file or directory); "
              "set path = to an existing database");
    // With a section, the line is the section's.
    EXPECT_EQ(host_error("[server]\nload = create-fails\n" + kListener + "[create-fails]\npath = /x.db\n"),
              "test.conf:5: plugin create-fails: cannot open /x.db (No such file or directory); set path = to an "
              "existing database");
}

TEST(PluginHostRefusal, FailedStartDestroysWhatWasCreatedInReverse) {
    auto trace = temp_file("mailfw-trace-fail");
    std::filesystem::remove(trace);
    auto e = host_error("[server]\nload = fixture-keys\nload = fixture-store2\nload = create-fails\n" + kListener +
                        "[fixture-keys]\ntrace = " + trace.string() + "\n[fixture-store2]\nrealm = r\ntrace = " +
                        trace.string() + "\n");
    EXPECT_NE(e.find("plugin create-fails: cannot open"), std::string::npos) << e;
    EXPECT_EQ(read_file(trace),
              "create fixture-keys\ncreate fixture-store2\ndestroy fixture-store2\ndestroy fixture-keys\n");
    EXPECT_EQ(PluginHost::live(), nullptr);
    std::filesystem::remove(trace);
}

TEST(PluginHostRefusal, NothingIsCreatedWhenALaterPluginIsRefused) {
    auto trace = temp_file("mailfw-trace-refused");
    std::filesystem::remove(trace);
    auto e = host_error("[server]\nload = fixture-keys\nload = wrong-abi-major\n" + kListener +
                        "[fixture-keys]\ntrace = " + trace.string() + "\n");
    EXPECT_NE(e.find("built for plugin ABI"), std::string::npos) << e;
    EXPECT_FALSE(std::filesystem::exists(trace));
}

// ------------------------------------------------------------- loading -----

TEST(PluginHost, LoadsAndIndexesWhatAPluginProvides) {
    Loaded s("[server]\nload = fixture-keys\n" + kListener);
    PluginHost host(s.config, s.file);
    EXPECT_EQ(PluginHost::live(), &host);

    ASSERT_EQ(host.server_mechs().size(), 1u);
    const ServerMech& m = host.server_mechs()[0];
    EXPECT_EQ(m.name, "X-FIXTURE");
    EXPECT_EQ(m.flags, MAILFW_MECH_CLIENT_FIRST);
    EXPECT_EQ(m.max_response, 4096u);
    EXPECT_EQ(m.plugin, "fixture-keys");
    EXPECT_NE(m.instance, nullptr);
    EXPECT_EQ(m.table.struct_size, sizeof(mailfw_server_mech));
    EXPECT_EQ(host.find_server_mech("x-fixture"), &m);
    EXPECT_EQ(host.find_server_mech("LOGIN"), nullptr);

    // The mechanism works through the copied table.
    void* state = m.table.start(m.instance, nullptr);
    ASSERT_NE(state, nullptr);
    const unsigned char* out = nullptr;
    size_t out_len = 0;
    EXPECT_EQ(m.table.step(state, nullptr, 0, &out, &out_len), MAILFW_SASL_OK);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(out), out_len), "ok");
    m.table.finish(state);

    ASSERT_EQ(host.client_mechs().size(), 1u);
    EXPECT_EQ(host.client_mechs()[0].name, "X-FIXTURE");
    ASSERT_EQ(host.stores().size(), 1u);
    EXPECT_NE(host.stores()[0].table.user_set, nullptr);
    ASSERT_EQ(host.event_handlers().size(), 1u);
    EXPECT_EQ(host.event_handlers()[0].table.hooks, MAILFW_HOOK_BIT(MAILFW_HOOK_CONNECT));
    ASSERT_EQ(host.deliveries().size(), 1u);
    EXPECT_EQ(host.deliveries()[0].plugin, "fixture-keys");
    EXPECT_EQ(host.deliveries()[0].table.flags, MAILFW_DELIVERY_BLOCKING);
    EXPECT_TRUE(host.deliveries()[0].relay());  // no claim_rcpt: a catch-all, for relaying clients only

    const mailfw_host* handle = host.host_handle("fixture-keys");
    ASSERT_NE(handle, nullptr);
    EXPECT_EQ(handle->plugin, "fixture-keys");
    EXPECT_EQ(handle->counters, &host.counters());
    EXPECT_EQ(host.host_handle("nope"), nullptr);
}

TEST(PluginHost, PluginReadsItsSectionThroughTheHostApi) {
    Loaded s("[server]\nload = fixture-keys\n" + kListener +
            "[fixture-keys]\nname = hello\ntimeout = 5m\nlimit = 1MiB\nenabled = off\ntag = a\ntag = b\n");
    PluginHost host(s.config, s.file);
    EXPECT_EQ(recorded("name.count"), "1");
    EXPECT_EQ(recorded("name.0"), "hello");
    EXPECT_EQ(recorded("name.number.0"), "<status 1>");  // a string has no number
    EXPECT_EQ(recorded("count.0"), "3");                  // default
    EXPECT_EQ(recorded("count.number.0"), "3");
    EXPECT_EQ(recorded("enabled.number.0"), "0");
    EXPECT_EQ(recorded("timeout.0"), "5m");
    EXPECT_EQ(recorded("timeout.number.0"), "300000");
    EXPECT_EQ(recorded("limit.number.0"), "1048576");
    EXPECT_EQ(recorded("file.0"), "/etc/mailfw/data/fixture.db");
    EXPECT_EQ(recorded("tag.count"), "2");
    EXPECT_EQ(recorded("tag.1"), "b");
    EXPECT_EQ(recorded("trace.count"), "0");
    EXPECT_EQ(recorded("undeclared"), "not-found");
    EXPECT_EQ(recorded("abi"), version_text(MAILFW_ABI_MAJOR, MAILFW_ABI_MINOR));
    EXPECT_EQ(recorded("clock"), "wall");
}

TEST(PluginHost, LargerStructsAreWalkedByStride) {
    Loaded s("[server]\nload = future-plugin\n" + kListener + "[future-plugin]\nbeta = x\nbeta = y\n");
    PluginHost host(s.config, s.file);
    ASSERT_EQ(host.server_mechs().size(), 2u);
    EXPECT_EQ(host.server_mechs()[0].name, "FUTURE-A");
    EXPECT_EQ(host.server_mechs()[0].max_response, 100u);
    EXPECT_EQ(host.server_mechs()[1].name, "FUTURE-B");
    EXPECT_EQ(host.server_mechs()[1].flags, MAILFW_MECH_PLAINTEXT);
    EXPECT_EQ(host.server_mechs()[1].max_response, 200u);
    EXPECT_EQ(host.server_mechs()[1].table.struct_size, sizeof(mailfw_server_mech));
    const mailfw_host* h = host.host_handle("future-plugin");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->config.number("alpha"), 7);
    EXPECT_EQ(h->config.strings("beta"), (std::vector<std::string>{"x", "y"}));
    EXPECT_TRUE(host.deliveries().empty());
}

TEST(PluginHost, DestroysInReverseOrderAndClearsTheLiveHost) {
    auto trace = temp_file("mailfw-trace-ok");
    std::filesystem::remove(trace);
    {
        Loaded s("[server]\nload = fixture-keys\nload = fixture-store2\n" + kListener + "[fixture-keys]\ntrace = " +
                trace.string() + "\n[fixture-store2]\nrealm = r\ntrace = " + trace.string() + "\n");
        PluginHost host(s.config, s.file);
        EXPECT_EQ(read_file(trace), "create fixture-keys\ncreate fixture-store2\n");
    }
    EXPECT_EQ(read_file(trace),
              "create fixture-keys\ncreate fixture-store2\ndestroy fixture-store2\ndestroy fixture-keys\n");
    EXPECT_EQ(PluginHost::live(), nullptr);
    EXPECT_EQ(verify("alice", "secret"), MAILFW_UNAVAILABLE);  // no host alive
    std::filesystem::remove(trace);
}

// ------------------------------------------------- stores through the api -----

TEST(PluginHostStores, VerifyAsksStoresInLoadOrder) {
    Loaded s("[server]\nload = fixture-keys\nload = fixture-store2\n" + kListener + "[fixture-store2]\nrealm = r\n");
    PluginHost host(s.config, s.file);
    EXPECT_EQ(verify("alice", "secret"), MAILFW_OK);
    EXPECT_EQ(verify("alice", "wrong"), MAILFW_DENIED);  // fixture-keys answers first
    EXPECT_EQ(verify("carol", "pw"), MAILFW_OK);         // fixture-keys does not know carol
    EXPECT_EQ(verify("carol", "nope"), MAILFW_DENIED);
    EXPECT_EQ(verify("down", "x"), MAILFW_UNAVAILABLE);
    EXPECT_EQ(verify("nobody", "x"), MAILFW_NOT_FOUND);
}

TEST(PluginHostStores, AuthorizeEqualNamesThenStores) {
    Loaded s("[server]\nload = fixture-keys\nload = fixture-store2\n" + kListener + "[fixture-store2]\nrealm = r\n");
    PluginHost host(s.config, s.file);
    EXPECT_EQ(authorize("zed", "zed"), MAILFW_OK);       // equal names, no store asked
    EXPECT_EQ(authorize("bob", "alice"), MAILFW_OK);     // fixture-keys
    EXPECT_EQ(authorize("eve", "alice"), MAILFW_DENIED); // fixture-keys says no before fixture-store2 says yes
    EXPECT_EQ(authorize("mallory", "alice"), MAILFW_OK); // only fixture-store2 has an opinion
    EXPECT_EQ(authorize("zed", "alice"), MAILFW_DENIED); // nobody has one
}

TEST(PluginHostStores, LookupProperty) {
    Loaded s("[server]\nload = fixture-store2\nload = fixture-keys\n" + kListener + "[fixture-store2]\nrealm = r\n");
    PluginHost host(s.config, s.file);
    const auto* api = PluginHost::api();
    char buf[64];
    size_t len = 0;
    EXPECT_EQ(api->lookup_property(nullptr, "alice", 5, "nthash", 6, buf, sizeof buf, &len), MAILFW_OK);
    EXPECT_EQ(std::string(buf, len), "0123456789abcdef");
    EXPECT_EQ(api->lookup_property(nullptr, "alice", 5, "nthash", 6, buf, 4, &len), MAILFW_TOO_SMALL);
    EXPECT_EQ(len, 16u);
    EXPECT_EQ(api->lookup_property(nullptr, "bob", 3, "nthash", 6, buf, sizeof buf, &len), MAILFW_NOT_FOUND);
    EXPECT_EQ(api->lookup_property(nullptr, "alice", 5, "nthash", 6, buf, sizeof buf, nullptr), MAILFW_INVALID);
}

TEST(PluginHostStores, UserAdministrationGoesToTheFirstStoreThatCan) {
    Loaded s("[server]\nload = fixture-store2\nload = fixture-keys\n" + kListener + "[fixture-store2]\nrealm = r\n");
    PluginHost host(s.config, s.file);
    EXPECT_EQ(host.user_list(), (std::vector<std::string>{"alice"}));
    EXPECT_EQ(host.user_set(MAILFW_USER_CREATE, "dan", "pw1"), MAILFW_OK);
    EXPECT_EQ(host.user_set(MAILFW_USER_CREATE, "dan", "pw2"), MAILFW_EXISTS);
    EXPECT_EQ(host.user_set(MAILFW_USER_UPDATE, "dan", "pw2"), MAILFW_OK);
    EXPECT_EQ(host.user_set(MAILFW_USER_UPDATE, "erin", "x"), MAILFW_NOT_FOUND);
    EXPECT_EQ(verify("dan", "pw2"), MAILFW_OK);
    EXPECT_EQ(host.user_list(), (std::vector<std::string>{"alice", "dan"}));
    EXPECT_EQ(host.user_delete("dan"), MAILFW_OK);
    EXPECT_EQ(host.user_delete("dan"), MAILFW_NOT_FOUND);
}

TEST(PluginHostStores, NoStoreThatCanManageUsers) {
    Loaded s("[server]\nload = fixture-store2\n" + kListener + "[fixture-store2]\nrealm = r\n");
    PluginHost host(s.config, s.file);
    const std::string expected = "no loaded plugin can manage users; load a store plugin such as store-sqlite";
    try {
        host.user_set(MAILFW_USER_CREATE, "a", "b");
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.what(), expected);
    }
    EXPECT_THROW(host.user_delete("a"), ConfigError);
    EXPECT_THROW(host.user_list(), ConfigError);
}

TEST(PluginHostStores, NoStoresMeansNotFound) {
    Loaded s("[server]\nload = future-plugin\n" + kListener);
    PluginHost host(s.config, s.file);
    EXPECT_EQ(verify("alice", "secret"), MAILFW_NOT_FOUND);
    EXPECT_EQ(authorize("a", "b"), MAILFW_DENIED);
}

// ------------------------------------------------------------ listings -----

TEST(PluginHostDiscover, ListsEveryLibraryWithErrorsPerFile) {
    auto list = PluginHost::discover({kFixtures, "/nonexistent-dir"});
    std::vector<std::string> names;
    for (const auto& s : list) names.push_back(s.file.filename().string());
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    auto find = [&](const std::string& file) -> const PluginSummary& {
        for (const auto& s : list)
            if (s.file.filename() == file) return s;
        throw std::runtime_error("not listed: " + file);
    };
    for (const char* f : {"fixture-keys.so", "fixture-store2.so", "future-plugin.so", "dup-mech-a.so",
                          "create-fails.so", "bad-default.so"})
        EXPECT_EQ(find(f).error, "") << f;
    EXPECT_NE(find("not-a-library.so").error.find("cannot be loaded as a shared library"), std::string::npos);
    EXPECT_NE(find("no-entry.so").error.find("does not export mailfw_plugin_entry"), std::string::npos);
    EXPECT_NE(find("returns-null.so").error.find("returned no descriptor"), std::string::npos);
    EXPECT_NE(find("wrong-abi-major.so").error.find("built for plugin ABI"), std::string::npos);
    EXPECT_NE(find("misnamed.so").error.find("calls itself 'someone-else'"), std::string::npos);
    EXPECT_TRUE(find("misnamed.so").name.empty());

    const PluginSummary& k = find("fixture-keys.so");
    EXPECT_EQ(k.name, "fixture-keys");
    EXPECT_EQ(k.version, "1.2.3");
    EXPECT_EQ(k.abi_major, MAILFW_ABI_MAJOR);
    EXPECT_EQ(k.abi_minor, MAILFW_ABI_MINOR);
    EXPECT_EQ(k.kinds, (std::vector<std::string>{"server-mech X-FIXTURE", "client-mech X-FIXTURE", "store", "events",
                                                 "delivery"}));
    ASSERT_EQ(k.keys.size(), 8u);
    EXPECT_EQ(k.keys[3].name, "timeout");
    EXPECT_EQ(k.keys[3].type, MAILFW_KEY_DURATION);
    EXPECT_EQ(k.keys[3].default_value, "30s");
}

TEST(PluginHostDiscover, DescribePrintsKindsVersionsAndKeys) {
    auto list = PluginHost::discover({kFixtures});
    std::string keys, failed;
    for (const auto& s : list) {
        if (s.file.filename() == "fixture-keys.so") keys = PluginHost::describe(s);
        if (s.file.filename() == "no-entry.so") failed = PluginHost::describe(s);
    }
    EXPECT_EQ(keys, "fixture-keys 1.2.3 (plugin ABI " + version_text(MAILFW_ABI_MAJOR, MAILFW_ABI_MINOR) + ") " +
                        fixture("fixture-keys") +
                        "\n"
                        "test fixture: every key type and kind\n"
                        "provides: server-mech X-FIXTURE, client-mech X-FIXTURE, store, events, delivery\n"
                        "keys in [fixture-keys]:\n"
                        "  name (string, default fixture): a string\n"
                        "  count (integer, default 3): an integer\n"
                        "  enabled (boolean, default true): a boolean\n"
                        "  timeout (duration, default 30s): a duration\n"
                        "  limit (size, default 64KiB): a size\n"
                        "  file (path, default data/fixture.db): a path\n"
                        "  tag (string, repeatable): a repeatable string\n"
                        "  trace (path): append create/destroy lines here\n");
    EXPECT_EQ(failed.find(fixture("no-entry") + ": does not export mailfw_plugin_entry"), 0u);
}

TEST(PluginHostServerInfo, NamesTheServerItsCapsAndWhetherItAccepts) {
    Loaded s("[server]\nhostname = mx.example.test\nspool = /var/spool/x\n" + kListener +
             "[listener.submission]\nbind = 127.0.0.1:2587\n");
    PluginHost host(s.config, s.file);
    mailfw_server_info info;
    host.fill_server_info(info);
    EXPECT_EQ(info.struct_size, sizeof info);
    EXPECT_EQ(std::string(info.hostname.ptr, info.hostname.len), "mx.example.test");
    EXPECT_EQ(std::string(info.spool_dir.ptr, info.spool_dir.len), "/var/spool/x");
    EXPECT_EQ(std::string(info.listeners.ptr, info.listeners.len), "smtp submission");
    EXPECT_EQ(info.max_recipients, backstop::kMaxRecipients);
    EXPECT_EQ(info.max_message_size, backstop::kMaxMessageSize);
    EXPECT_EQ(info.max_idle_ms, backstop::kMaxIdleMs);
    EXPECT_EQ(info.accepting, 1u);
    host.begin_shutdown();
    host.fill_server_info(info);
    EXPECT_EQ(info.accepting, 0u) << "a server that is stopping serves no new session";
}
