// mailfw-admin: users, plugins and config checks.
//   mailfw-admin [--config FILE | --data-dir DIR] user add|passwd|del|list [NAME]
//   mailfw-admin [--config FILE] plugins
// Passwords come from stdin's first line when it is not a terminal.
#include <mailfw/plugin.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "config/embedded_defaults.hpp"
#include "config/server_config.hpp"
#include "plugin/plugin_host.hpp"
#include "util/executable_dir.hpp"
#include "util/password_input.hpp"
#include "util/secret.hpp"

namespace po = boost::program_options;
using namespace mailfw;

namespace {

const char* kUsage =
    "usage: mailfw-admin [--config FILE | --data-dir DIR] user add|passwd NAME   (password on stdin)\n"
    "       mailfw-admin [--config FILE | --data-dir DIR] user del NAME\n"
    "       mailfw-admin [--config FILE | --data-dir DIR] user list\n"
    "       mailfw-admin [--config FILE] plugins\n";

std::string status_text(int s) {
    switch (s) {
        case MAILFW_NOT_FOUND: return "no such user";
        case MAILFW_EXISTS: return "user already exists (use `user passwd` to change the password)";
        case MAILFW_INVALID: return "invalid user name or password";
        case MAILFW_UNAVAILABLE: return "the store is unavailable";
        default: return "store error " + std::to_string(s);
    }
}

int user_command(PluginHost& host, const std::vector<std::string>& args) {
    const std::string& verb = args.size() > 1 ? args[1] : std::string();
    if (verb == "list" && args.size() == 2) {
        for (const auto& u : host.user_list()) std::cout << u << "\n";
        return 0;
    }
    if (args.size() != 3) throw ConfigError(std::string("wrong arguments\n") + kUsage);
    const std::string& name = args[2];
    if (verb == "del") {
        int r = host.user_delete(name);
        if (r != MAILFW_OK) throw ConfigError("cannot delete " + name + ": " + status_text(r));
        std::cout << "user " << name << " deleted\n";
        return 0;
    }
    if (verb != "add" && verb != "passwd") throw ConfigError("unknown user command `" + verb + "`\n" + kUsage);
    auto password = read_new_password("password for " + name + ": ");
    if (!password || password->empty())
        throw ConfigError("no password given (or the two entries differ); pass it on stdin or type it twice");
    SecretString secret(std::move(*password));
    int r = host.user_set(verb == "add" ? MAILFW_USER_CREATE : MAILFW_USER_UPDATE, name, secret.str());
    if (r != MAILFW_OK) throw ConfigError("cannot " + verb + " " + name + ": " + status_text(r));
    std::cout << "user " << name << (verb == "add" ? " added" : " password changed") << "\n";
    return 0;
}

int run(int argc, char** argv) {
    po::options_description opts("mailfw-admin options");
    opts.add_options()("help,h", "show this help")("config,c", po::value<std::string>(), "configuration file")(
        "data-dir", po::value<std::string>()->default_value(kDefaultDataDir),
        "with no --config: the embedded defaults' data directory")(
        "command", po::value<std::vector<std::string>>(), "command words");
    po::positional_options_description pos;
    pos.add("command", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw ConfigError(std::string(e.what()) + "\n" + kUsage);
    }
    auto args = vm.count("command") ? vm["command"].as<std::vector<std::string>>() : std::vector<std::string>{};
    if (vm.count("help") || args.empty()) {
        std::cout << kUsage << opts;
        return args.empty() && !vm.count("help") ? 1 : 0;
    }
    ConfigFile file = vm.count("config") ? ConfigFile::load(vm["config"].as<std::string>())
                                         : embedded_defaults(vm["data-dir"].as<std::string>(), kDefaultListen);
    ServerConfig config = load_server_config(file, default_plugin_dir());
    if (args[0] == "plugins" && args.size() == 1) {
        for (const auto& s : PluginHost::discover(config.plugin_dirs)) std::cout << PluginHost::describe(s) << "\n";
        return 0;
    }
    if (args[0] == "user") {
        PluginHost host(config, file);
        return user_command(host, args);
    }
    throw ConfigError("unknown command `" + args[0] + "`\n" + kUsage);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "mailfw-admin: " << e.what() << std::endl;
        return 1;
    }
}
