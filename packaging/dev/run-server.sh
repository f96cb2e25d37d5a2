#!/usr/bin/env bash
# Installs what is missing, builds mailfwd and its plugins into build/, and
# runs mailfwd on its embedded defaults: a listener on 127.0.0.1:2525, users
# in ./mailfw-data/users.db, mail in ./mailfw-data/maildir/<recipient>/new/.
# It prints a sample user (demo) with a fresh password at every start.
# Extra arguments go to mailfwd, e.g.: --listen 127.0.0.1:2526
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_packages "${BUILD_DEPS[@]}"
configure
build mailfw-runtime

cd "$REPO_ROOT"
say "starting $BUILD_DIR/bin/mailfwd (Ctrl-C stops it)"
exec "$BUILD_DIR/bin/mailfwd" --data-dir ./mailfw-data "$@"
