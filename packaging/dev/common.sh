# Shared by run-server.sh and run-tests.sh (sourced, not run).
# Installs missing Debian packages and configures/builds the tree into build/.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${MAILFW_BUILD_DIR:-$REPO_ROOT/build}
BUILD_TYPE=${MAILFW_BUILD_TYPE:-RelWithDebInfo}
JOBS=${MAILFW_JOBS:-$(nproc 2>/dev/null || echo 2)}

BUILD_DEPS=(cmake g++ make libboost-dev libboost-program-options-dev libssl-dev
            libsqlite3-dev googletest libgtest-dev pkg-config)
TEST_DEPS=(python3 swaks openssl curl binutils gsasl)

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
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" </dev/null
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
