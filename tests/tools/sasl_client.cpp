// mailfw-test-sasl-client: drives a plugin's client SASL mechanism against
// an SMTP server over TCP, through the C ABI, the way the coming client role
// will -- so a mechanism's client side is tested against our server (and
// any other) before that role exists. A test tool, not a product.
//
//   mailfw-test-sasl-client --plugin sasl-gssapi --mech GSSAPI --port 2525
//       [--host localhost] [--user U --password P] [--authzid Z]
//       [--set key=value]...      (the plugin's config section)
//
// Prints the dialogue (AUTH data as lengths only) and exits 0 when the
// server answered 235 *and* the mechanism was satisfied first (a 235 to a
// client that has not verified the server is a failure: mutual
// authentication), 1 otherwise, 2 on bad usage.
#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "fake_host.hpp"
#include "loaded_plugin.hpp"

namespace {

std::string b64encode(const std::string& in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    out.resize(n);
    return out;
}

bool b64decode(const std::string& in, std::string& out) {
    if (in.size() % 4) return false;
    out.assign(3 * in.size() / 4 + 1, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
    if (n < 0) return false;
    size_t pad = 0;
    if (!in.empty() && in.back() == '=') ++pad;
    if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
    out.resize(static_cast<size_t>(n) - pad);
    return true;
}

class Line {
public:
    explicit Line(int fd) : fd_(fd) {}
    // `secret` (SASL data) is logged as its length only.
    bool send(const std::string& text, const std::string& secret = {}) {
        std::cout << "C: " << text << (secret.empty() ? "" : "<" + std::to_string(secret.size()) + " octets>") << "\n";
        const std::string wire = text + secret + "\r\n";
        return ::send(fd_, wire.data(), wire.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(wire.size());
    }
    // One reply: its code and the text of its last line.
    bool reply(int& code, std::string& text) {
        for (;;) {
            const size_t nl = buf_.find("\r\n");
            if (nl == std::string::npos) {
                char chunk[65536];
                const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
                if (n <= 0) return false;
                buf_.append(chunk, static_cast<size_t>(n));
                continue;
            }
            const std::string line = buf_.substr(0, nl);
            buf_.erase(0, nl + 2);
            std::cout << "S: " << (line.size() > 120 ? line.substr(0, 40) + "...<" + std::to_string(line.size()) + ">" : line)
                      << "\n";
            if (line.size() < 3) return false;
            if (line.size() > 3 && line[3] == '-') continue;
            code = std::atoi(line.substr(0, 3).c_str());
            text = line.size() > 4 ? line.substr(4) : "";
            return true;
        }
    }

private:
    int fd_;
    std::string buf_;
};

int connect_to(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
    int fd = -1;
    for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

int usage() {
    std::cerr << "usage: mailfw-test-sasl-client --plugin NAME --mech MECH --port N [--host H] [--user U] "
                 "[--password P] [--authzid Z] [--set key=value]...\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> opt{{"host", "localhost"}};
    mailfw::test::FakeHost host;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k.rfind("--", 0) != 0) return usage();
        if (k == "--set") {
            const size_t eq = v.find('=');
            if (eq == std::string::npos) return usage();
            const std::string key = v.substr(0, eq), value = v.substr(eq + 1);
            host.strings[key] = value;
            if (value == "true" || value == "false") host.numbers[key] = value == "true";
            continue;
        }
        opt[k.substr(2)] = v;
    }
    if (argc % 2 == 0 || !opt.count("plugin") || !opt.count("mech") || !opt.count("port")) return usage();

    mailfw::test::LoadedPlugin plugin(opt["plugin"]);
    void* instance = plugin.create(host);
    if (!instance) {
        std::cerr << "create: " << plugin.error() << "\n";
        return 1;
    }
    const mailfw_plugin& d = plugin.descriptor();
    const mailfw_client_mech* mech = nullptr;
    for (size_t i = 0; i < d.client_mech_count; ++i)
        if (opt["mech"] == d.client_mechs[i].name) mech = &d.client_mechs[i];
    int status = 1;
    const int fd = mech ? connect_to(opt["host"], opt["port"]) : -1;
    if (!mech) std::cerr << "no client mechanism " << opt["mech"] << " in " << opt["plugin"] << "\n";
    if (fd >= 0) {
        Line line(fd);
        int code = 0;
        std::string text;
        const auto s = [&](const char* key) { return mailfw_str{opt[key].data(), opt[key].size()}; };
        mailfw_client_params params{sizeof params, s("user"), s("password"), s("authzid"), {"smtp", 4}, s("host")};
        void* state = mech->start(instance, &params);
        bool satisfied = false, ok = state && line.reply(code, text) && code == 220 &&
                                         line.send("EHLO tool.example.test") && line.reply(code, text) && code == 250;
        const unsigned char* out = nullptr;
        size_t out_len = 0;
        int r = ok ? mech->step(state, nullptr, 0, &out, &out_len) : MAILFW_SASL_ERROR;
        if (ok && r != MAILFW_SASL_CONTINUE && r != MAILFW_SASL_OK) {
            std::cerr << "mechanism: " << std::string(reinterpret_cast<const char*>(out), out_len) << "\n";
            ok = false;
        }
        satisfied = r == MAILFW_SASL_OK;
        const std::string first = out_len ? b64encode(std::string(reinterpret_cast<const char*>(out), out_len)) : "";
        ok = ok && line.send("AUTH " + opt["mech"] + (first.empty() ? "" : " "), first) && line.reply(code, text);
        while (ok && code == 334 && !satisfied) {
            std::string challenge;
            // "334 <MECH> supported" (MS-OXSMTP) is an empty challenge.
            if (text != opt["mech"] + " supported" && !b64decode(text, challenge)) {
                std::cerr << "bad base64 in a 334\n";
                ok = false;
                break;
            }
            r = mech->step(state, reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(), &out,
                           &out_len);
            if (r != MAILFW_SASL_CONTINUE && r != MAILFW_SASL_OK) {
                std::cerr << "mechanism: " << std::string(reinterpret_cast<const char*>(out), out_len) << "\n";
                line.send("*");
                line.reply(code, text);
                ok = false;
                break;
            }
            satisfied = r == MAILFW_SASL_OK;
            ok = line.send("", b64encode(std::string(reinterpret_cast<const char*>(out), out_len))) &&
                 line.reply(code, text);
        }
        if (ok && code == 235 && satisfied) status = 0;
        if (ok && code == 235 && !satisfied) std::cerr << "235 before the mechanism was satisfied\n";
        if (state) mech->finish(state);
        line.send("QUIT");
        line.reply(code, text);
        ::close(fd);
    } else if (mech) {
        std::cerr << "cannot connect to " << opt["host"] << ":" << opt["port"] << "\n";
    }
    for (const auto& [level, msg] : host.logs()) std::cerr << "plugin log: " << msg << "\n";
    plugin.destroy(instance);
    return status;
}
