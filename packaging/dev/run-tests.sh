#!/usr/bin/env bash
# Installs what is missing, builds everything (with tests) into build/ and
# runs every test with ctest: GoogleTest units, fuzz corpus replays and the
# integration tests (real clients against the built mailfwd on loopback).
# Exits with ctest's status. Extra arguments go to ctest, e.g. -R integration.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_packages "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}"
configure -DMAILFW_BUILD_TESTS=ON
build

cd "$REPO_ROOT"
say "running ctest"
status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@" || status=$?
exit "$status"
