#include "fake_host.hpp"

#include <cstring>

namespace mailfw::test {

FakeHost::FakeHost() {
    api_.struct_size = sizeof api_;
    api_.abi_major = MAILFW_ABI_MAJOR;
    api_.abi_minor = MAILFW_ABI_MINOR;
    api_.log = &FakeHost::log;
    api_.config_count = &FakeHost::config_count;
    api_.config_string = &FakeHost::config_string;
    api_.config_number = &FakeHost::config_number;
    api_.verify_password = &FakeHost::verify_password;
    api_.authorize = &FakeHost::authorize;
    api_.set_auth_identity = &FakeHost::set_auth_identity;
    api_.user_exists = &FakeHost::user_exists;
    api_.lookup_property = &FakeHost::lookup_property;
    api_.session_info = &FakeHost::session_info;
    api_.complete_delivery = &FakeHost::complete_delivery;
}

int FakeHost::user_exists(mailfw_session* s, const char* u, size_t ul) {
    FakeHost& f = self(s);
    ++f.user_exists_calls;
    if (f.user_exists_override >= 0) return f.user_exists_override;
    return f.known_users.count(std::string(u, ul)) ? MAILFW_OK : MAILFW_NOT_FOUND;
}

int FakeHost::lookup_property(mailfw_session* s, const char* u, size_t ul, const char* n, size_t nl, char* buf,
                              size_t cap, size_t* out_len) {
    FakeHost& f = self(s);
    auto it = f.properties.find({std::string(u, ul), std::string(n, nl)});
    if (it == f.properties.end()) return MAILFW_NOT_FOUND;
    *out_len = it->second.size();
    if (cap < it->second.size()) return MAILFW_TOO_SMALL;
    std::memcpy(buf, it->second.data(), it->second.size());
    return MAILFW_OK;
}

int FakeHost::session_info(mailfw_session* s, mailfw_session_info* out) {
    FakeHost& f = self(s);
    mailfw_session_info info{};
    info.struct_size = out->struct_size < sizeof info ? out->struct_size : sizeof info;
    info.server_hostname = {f.server_hostname.data(), f.server_hostname.size()};
    std::memcpy(out, &info, info.struct_size);
    return MAILFW_OK;
}

int FakeHost::complete_delivery(mailfw_completion* c, const mailfw_delivery_result* r) {
    FakeHost& f = self(c);
    auto str = [](mailfw_str v) { return std::string(v.ptr ? v.ptr : "", v.len); };
    std::lock_guard lock(f.mutex_);
    f.delivery_answers.push_back({r->status, r->code, str(r->enhanced), str(r->text), str(r->receipt)});
    return MAILFW_OK;
}

std::vector<std::pair<int, std::string>> FakeHost::logs() const {
    std::lock_guard lock(mutex_);
    return logs_;
}

bool FakeHost::logged(const std::string& needle) const {
    for (const auto& [level, line] : logs())
        if (line.find(needle) != std::string::npos) return true;
    return false;
}

void FakeHost::log(mailfw_host* h, mailfw_session*, int level, const char* msg, size_t len) {
    FakeHost& f = self(h);
    std::lock_guard lock(f.mutex_);
    f.logs_.emplace_back(level, std::string(msg, len));
}

size_t FakeHost::config_count(mailfw_host* h, const char* key) {
    FakeHost& f = self(h);
    return f.strings.count(key) + f.numbers.count(key);
}

int FakeHost::config_string(mailfw_host* h, const char* key, size_t index, mailfw_str* out) {
    FakeHost& f = self(h);
    const auto it = f.strings.find(key);
    if (it == f.strings.end() || index != 0) return MAILFW_NOT_FOUND;
    *out = {it->second.data(), it->second.size()};
    return MAILFW_OK;
}

int FakeHost::config_number(mailfw_host* h, const char* key, size_t index, int64_t* out) {
    FakeHost& f = self(h);
    const auto it = f.numbers.find(key);
    if (it == f.numbers.end() || index != 0) return MAILFW_NOT_FOUND;
    *out = it->second;
    return MAILFW_OK;
}

int FakeHost::verify_password(mailfw_session* s, const char* u, size_t ul, const char* p, size_t pl) {
    FakeHost& f = self(s);
    f.verified_passwords.emplace_back(p, pl);
    if (f.verify_override >= 0) return f.verify_override;
    const auto it = f.passwords.find(std::string(u, ul));
    if (it == f.passwords.end()) return MAILFW_NOT_FOUND;
    return it->second == std::string(p, pl) ? MAILFW_OK : MAILFW_DENIED;
}

int FakeHost::authorize(mailfw_session* s, const char* c, size_t cl, const char* z, size_t zl) {
    FakeHost& f = self(s);
    const std::string authcid(c, cl), authzid(z, zl);
    return authcid == authzid || f.proxy_rights.count({authcid, authzid}) ? MAILFW_OK : MAILFW_DENIED;
}

void FakeHost::set_auth_identity(mailfw_session* s, const char* u, size_t ul, const char* d, size_t dl) {
    self(s).identities.push_back({std::string(u, ul), std::string(d, dl)});
}

}  // namespace mailfw::test
