# Shared by run-server.sh and run-tests.sh (sourced, not run).
# Installs missing Debian packages and configures/builds the tree into build/.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${MAILFW_BUILD_DIR:-$REPO_ROOT/build}
BUILD_TYPE=${MAILFW_BUILD_TYPE:-RelWithDebInfo}
JOBS=${MAILFW_JOBS:-$(nproc 2>/dev/null || echo 2)}

BUILD_DEPS=(cmake g++ make libboost-dev libboost-program-options-dev libssl-dev
            libsqlite3-dev googletest libgtest-dev pkg-config libkrb5-dev)
# The GSSAPI tests start their own MIT realm (tests/integration/krb5_realm.py).
TEST_DEPS=(python3 swaks openssl curl binutils gsasl
           krb5-kdc krb5-admin-server krb5-user gss-ntlmssp libauthen-ntlm-perl python3-gssapi)

say() { printf '==> %s\n' "$*" >&2; }

# ensure_packages PKG... : apt-get update + install only when something is missing.
ensure_packages() {
    local missing=() p
    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "not a Debian system (no dpkg-query): make sure these are installed: $*"
        return 0
    fi
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "run-*.sh: missing packages ${missing[*]}; run as root or install sudo" >&2
            exit 1
        fi
        sudo=(sudo)
    fi
    say "installing: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # krb5-kdc and krb5-admin-server start their services on install, and the
    # latter's postinst fails where that cannot work (a container or chroot
    # without systemd). The tests start their own KDC: keep services from
    # starting during the install (the policy-rc.d convention), then undo it.
    local policy=/usr/sbin/policy-rc.d own_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        own_policy=1
    fi
    local status=0
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" </dev/null || status=$?
    if [ -n "$own_policy" ]; then "${sudo[@]}" rm -f "$policy"; fi
    return "$status"
}

# configure [cmake -D args...]
configure() {
    say "configuring $BUILD_DIR ($BUILD_TYPE)"
    cmake -S "$REPO_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "$@"
}

# build [target...]
build() {
    local args=()
    local t
    for t in "$@"; do args+=(--target "$t"); done
    say "building with $JOBS jobs"
    cmake --build "$BUILD_DIR" -j"$JOBS" "${args[@]}"
}
