#!/usr/bin/env bash
# Build the collection tarball (into build/dist), install it into a temp dir and check that
# ansible-doc renders flint.smtp.send from the installed copy. Run with a stack venv active
# (scripts/test.sh does that).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/flint-smtp-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
out="$BUILD_DIR/dist"
mkdir -p "$out"
rm -f "$out"/flint-smtp-*.tar.gz

ansible-galaxy collection build --force --output-path "$out" "$REPO_ROOT"
tarball="$(ls "$out"/flint-smtp-*.tar.gz)"
echo "--- contents of $(basename "$tarball"):"
tar -tzf "$tarball" | sort

# Nothing from the dev tree may leak into the artifact.
if tar -tzf "$tarball" | grep -E '(^|/)(\.venv[^/]*|build|\.ansible|collections|tests/output|\.pytest_cache|\.hypothesis|__pycache__)(/|$)'; then
    die "the tarball contains dev-only paths (see above); fix build_ignore in galaxy.yml"
fi

# Galaxy shows these; COPYING is galaxy.yml's license_file.
listing="$(tar -tzf "$tarball")"
for f in COPYING README.md CHANGELOG.md meta/runtime.yml meta/execution-environment.yml; do
    grep -qx "$f" <<<"$listing" || die "the tarball lacks $f"
done
cmp -s <(tar -xzOf "$tarball" COPYING) "$REPO_ROOT/COPYING" || die "the tarball's COPYING differs from the repo's"
if ! grep -q "GNU GENERAL PUBLIC LICENSE" "$REPO_ROOT/COPYING" || ! grep -q "Version 3, 29 June 2007" "$REPO_ROOT/COPYING"; then
    die "COPYING is not the GNU GPL v3 text"
fi

ansible-galaxy collection install --offline --force -p "$tmp/collections" "$tarball"
export ANSIBLE_COLLECTIONS_PATH="$tmp/collections"
ansible-galaxy collection list flint.smtp
ansible-doc -l flint.smtp
ansible-doc flint.smtp.send | head -n 30
echo "..."
ansible-doc --json flint.smtp.send | python -c '
import json, sys
doc = json.load(sys.stdin)["flint.smtp.send"]["doc"]
assert doc["module"] == "send", doc.get("module")
assert doc.get("options"), "no options documented"
print("ansible-doc flint.smtp.send (installed copy): %d options documented" % len(doc["options"]))
'
