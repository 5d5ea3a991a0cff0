#!/usr/bin/env bash
# Dev-only: community.general (for its `mail` module, the peer our benchmarks measure against),
# taken from the `ansible` package on PyPI. Nothing of it is a runtime dependency of flint.smtp.
#
#   scripts/peers.sh        # prints the directory to add to ANSIBLE_COLLECTIONS_PATH
#
# Installs once into build/peers/<version>/ansible_collections/community/general.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The pin (version and sha256) is tests/requirements/peers.txt; FLINT_PEER_ANSIBLE_VERSION tries
# another version (not hash-checked).
PEERS_REQ="$REPO_ROOT/tests/requirements/peers.txt"
PINNED="$(sed -n 's/^ansible==\([^ ]*\).*/\1/p' "$PEERS_REQ")"
ANSIBLE_PKG_VERSION="${FLINT_PEER_ANSIBLE_VERSION:-$PINNED}"
if [[ "$ANSIBLE_PKG_VERSION" == "$PINNED" ]]; then
    WANT=(--require-hashes -r "$PEERS_REQ")
else
    WANT=("ansible==$ANSIBLE_PKG_VERSION")
fi
DEST="$BUILD_DIR/peers/$ANSIBLE_PKG_VERSION"
MARK="$DEST/ansible_collections/community/general/plugins/modules/mail.py"

if [[ ! -f "$MARK" ]]; then
    py="$(command -v python3)"
    dl="$(mktemp -d)"
    trap 'rm -rf "$dl"' EXIT
    log "peers: downloading ansible==$ANSIBLE_PKG_VERSION from PyPI for community.general (dev only)"
    "$py" -m pip download --quiet --no-deps --disable-pip-version-check --only-binary=:all: --python-version 3.13 \
        -d "$dl" "${WANT[@]}" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    rm -rf "$DEST.tmp"
    mkdir -p "$DEST.tmp"
    "$py" - "$dl"/ansible-*.whl "$DEST.tmp" <<'PY'
import sys
import zipfile

wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    names = [n for n in archive.namelist() if n.startswith("ansible_collections/community/general/")]
    archive.extractall(dest, names)
PY
    rm -rf "$DEST"
    mv "$DEST.tmp" "$DEST"
fi
printf '%s\n' "$DEST"
