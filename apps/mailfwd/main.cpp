// mailfwd: the mailfw SMTP server.
//   mailfwd --config FILE [--check-config]
//   mailfwd [--data-dir DIR] [--listen ADDR:PORT]      (embedded defaults)
//   mailfwd --help-plugin NAME [--config FILE] | --version
// Every operator mistake ends start-up with one line on stderr naming the
// file or plugin and the fix, and exit code 1.
#include <mailfw/plugin.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <optional>

#include "config/embedded_defaults.hpp"
#include "config/server_config.hpp"
#include "net/tls_context.hpp"
#include "plugin/plugin_host.hpp"
#include "server/server.hpp"
#include "util/executable_dir.hpp"
#include "util/log.hpp"
#include "util/password_input.hpp"
#include "util/secret.hpp"

namespace po = boost::program_options;
using namespace mailfw;

namespace {

log::Level parse_level(const std::string& s) {
    if (s == "debug") return log::Level::debug;
    if (s == "warning") return log::Level::warning;
    if (s == "error") return log::Level::error;
    return log::Level::info;
}

// Embedded defaults come with a user to try: its password is new at every
// start and printed, so nothing secret is ever stored in the repo or docs.
void reset_sample_user(PluginHost& host) {
    std::string password = random_password(16);
    int r = host.user_set(MAILFW_USER_UPDATE, kSampleUser, password);
    if (r == MAILFW_NOT_FOUND) r = host.user_set(MAILFW_USER_CREATE, kSampleUser, password);
    if (r != MAILFW_OK) throw ConfigError("cannot set up the sample user in the store (status " + std::to_string(r) + ")");
    std::cout << "sample user: " << kSampleUser << "  password: " << password << std::endl;
    wipe(password);
}

int help_plugin(const std::string& name, const std::vector<std::filesystem::path>& dirs) {
    for (const auto& s : PluginHost::discover(dirs)) {
        if (s.name == name || s.file.stem() == name) {
            if (!s.error.empty()) throw ConfigError(s.file.string() + ": " + s.error);
            std::cout << PluginHost::describe(s);
            return 0;
        }
    }
    std::string searched;
    for (const auto& d : dirs) searched += (searched.empty() ? "" : ", ") + d.string();
    throw ConfigError("no plugin named " + name + " in " + searched + "; see `mailfw-admin plugins`");
}

int run(int argc, char** argv) {
    po::options_description opts("mailfwd options");
    opts.add_options()("help,h", "show this help")("version", "print the version and plugin ABI")(
        "config,c", po::value<std::string>(), "configuration file (INI); without it, embedded defaults")(
        "check-config", "load and check the configuration and plugins, then exit")(
        "help-plugin", po::value<std::string>(), "describe a plugin's configuration keys")(
        "data-dir", po::value<std::string>()->default_value(kDefaultDataDir),
        "embedded defaults only: where users.db, maildir/ and spool/ live")(
        "listen", po::value<std::string>()->default_value(kDefaultListen),
        "embedded defaults only: the listener address")(
        "print-defaults", "print the embedded default configuration and exit");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw ConfigError(std::string(e.what()) + "; see mailfwd --help");
    }
    if (vm.count("help")) {
        std::cout << opts;
        return 0;
    }
    if (vm.count("version")) {
        std::cout << "mailfwd " << MAILFW_VERSION << " (plugin ABI " << MAILFW_ABI_MAJOR << "." << MAILFW_ABI_MINOR
                  << ")\n";
        return 0;
    }
    const std::string data_dir = vm["data-dir"].as<std::string>();
    const std::string listen = vm["listen"].as<std::string>();
    if (vm.count("print-defaults")) {
        std::cout << embedded_defaults_text(std::filesystem::absolute(data_dir), listen);
        return 0;
    }
    const bool embedded = !vm.count("config");
    if (vm.count("help-plugin") && embedded)
        return help_plugin(vm["help-plugin"].as<std::string>(), {default_plugin_dir()});

    ConfigFile file = embedded ? embedded_defaults(data_dir, listen)
                               : ConfigFile::load(vm["config"].as<std::string>());
    ServerConfig config = load_server_config(file, default_plugin_dir());
    if (vm.count("help-plugin")) return help_plugin(vm["help-plugin"].as<std::string>(), config.plugin_dirs);
    log::set_level(parse_level(config.log_level));

    PluginHost plugins(config, file);
    if (vm.count("check-config")) {
        if (config.tls_certificate && config.tls_key) make_server_tls_context(*config.tls_certificate, *config.tls_key);
        if (plugins.deliveries().empty())
            throw ConfigError("no delivery plugin is loaded; add `load = deliver-maildir` to [server]");
        std::cout << "mailfwd: configuration OK (" << file.origin() << "): " << config.loads.size() << " plugin(s), "
                  << config.listeners.size() << " listener(s)\n";
        return 0;
    }
    Server server(config, plugins);
    if (embedded) reset_sample_user(plugins);
    return server.run();
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "mailfwd: " << e.what() << std::endl;
        return 1;
    }
}
