#include "auth/password_check.hpp"

#include <mailfw/plugin.h>

#include <optional>

#include "auth/credential_cache.hpp"
#include "plugin/plugin_host.hpp"

namespace mailfw {
namespace {

// Which store holds the user now, with its credential stamp; nullopt when
// the answer cannot be cached (a store without stamps comes first, or one
// is unavailable). A name no store knows is {kNoStore, 0}.
struct Holder {
    size_t store;
    uint64_t stamp;
};
std::optional<Holder> holder_of(const std::vector<Store>& stores, std::string_view user) {
    for (size_t i = 0; i < stores.size(); ++i) {
        const Store& s = stores[i];
        if (!s.table.credential_stamp) return std::nullopt;
        uint64_t stamp = 0;
        const int r = s.table.credential_stamp(s.instance, user.data(), user.size(), &stamp);
        if (r == MAILFW_NOT_FOUND) continue;
        if (r != MAILFW_OK) return std::nullopt;
        return Holder{i, stamp};
    }
    return Holder{CredentialCache::kNoStore, 0};
}

int verify_in_stores(const std::vector<Store>& stores, std::string_view user, std::string_view password) {
    for (const Store& s : stores) {
        const int r = s.table.verify(s.instance, user.data(), user.size(), password.data(), password.size());
        if (r == MAILFW_NOT_FOUND) continue;
        // Anything outside the documented answers is a store failure, never a success.
        return r == MAILFW_OK || r == MAILFW_DENIED ? r : MAILFW_UNAVAILABLE;
    }
    return MAILFW_NOT_FOUND;
}

}  // namespace

int check_password(PluginHost& host, std::string_view user, std::string_view password) {
    const auto& stores = host.stores();
    CredentialCache& cache = host.credential_cache();
    if (!cache.enabled() || stores.empty()) return verify_in_stores(stores, user, password);
    const std::optional<Holder> holder = holder_of(stores, user);
    if (!holder) return verify_in_stores(stores, user, password);
    const CredentialCache::Key key = cache.key(user, password);
    if (const auto known = cache.find(key, holder->store, holder->stamp, CredentialCache::Clock::now())) return *known;
    const int r = verify_in_stores(stores, user, password);
    // Remembered only when the store that answered is the one that held the
    // user before the check (nothing changed in between that we could see).
    const auto after = holder_of(stores, user);
    if (after && after->store == holder->store && after->stamp == holder->stamp)
        cache.put(key, holder->store, holder->stamp, r, CredentialCache::Clock::now());
    return r;
}

}  // namespace mailfw
