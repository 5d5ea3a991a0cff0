#!/usr/bin/env bash
# Dev-only: a collection taken from the `ansible` package on PyPI, hash-pinned. Nothing of it is
# a runtime dependency of flint.smtp.
#
#   scripts/peers.sh                      # community.general (its `mail` module: the peer our
#                                         # benchmarks measure against); pin: tests/requirements/peers.txt
#   scripts/peers.sh awx.awx              # awx.awx (extras/awx/setup_awx.yml is checked against it);
#                                         # pin: tests/requirements/awx.txt
#
# Prints the directory to add to ANSIBLE_COLLECTIONS_PATH. Installs once into
# build/peers/<collection>-<version>/ansible_collections/<namespace>/<name>.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COLLECTION="${1:-community.general}"
case "$COLLECTION" in
    community.general) PEERS_REQ="$REPO_ROOT/tests/requirements/peers.txt"; MARK_FILE=plugins/modules/mail.py ;;
    awx.awx) PEERS_REQ="$REPO_ROOT/tests/requirements/awx.txt"; MARK_FILE=plugins/modules/job_template.py ;;
    *) die "unknown collection: $COLLECTION (known: community.general, awx.awx)" ;;
esac
COLL_DIR="ansible_collections/${COLLECTION/./\/}"
# FLINT_PEER_ANSIBLE_VERSION tries another version of the package (not hash-checked).
PINNED="$(sed -n 's/^ansible==\([^ ]*\).*/\1/p' "$PEERS_REQ")"
ANSIBLE_PKG_VERSION="${FLINT_PEER_ANSIBLE_VERSION:-$PINNED}"
if [[ "$ANSIBLE_PKG_VERSION" == "$PINNED" ]]; then
    WANT=(--require-hashes -r "$PEERS_REQ")
else
    WANT=("ansible==$ANSIBLE_PKG_VERSION")
fi
DEST="$BUILD_DIR/peers/$COLLECTION-$ANSIBLE_PKG_VERSION"
MARK="$DEST/$COLL_DIR/$MARK_FILE"

if [[ ! -f "$MARK" ]]; then
    py="$(command -v python3)"
    dl="$(mktemp -d)"
    trap 'rm -rf "$dl"' EXIT
    log "peers: downloading ansible==$ANSIBLE_PKG_VERSION from PyPI for $COLLECTION (dev only)"
    "$py" -m pip download --quiet --no-deps --disable-pip-version-check --only-binary=:all: --python-version 3.13 \
        -d "$dl" "${WANT[@]}" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    rm -rf "$DEST.tmp"
    mkdir -p "$DEST.tmp"
    "$py" - "$dl"/ansible-*.whl "$DEST.tmp" "$COLL_DIR/" <<'PY'
import sys
import zipfile

wheel, dest, prefix = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive:
    names = [n for n in archive.namelist() if n.startswith(prefix)]
    if not names:
        sys.exit("%s is not in %s" % (prefix.rstrip("/"), wheel))
    archive.extractall(dest, names)
PY
    rm -rf "$DEST"
    mv "$DEST.tmp" "$DEST"
fi
printf '%s\n' "$DEST"
