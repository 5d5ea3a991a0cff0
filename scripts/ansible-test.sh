#!/usr/bin/env bash
# Run ansible-test from one stack's venv on a copy of the collection.
#
#   scripts/ansible-test.sh STACK ARGS...
#   scripts/ansible-test.sh py313 sanity --venv --python 3.13
#   scripts/ansible-test.sh py311 units --venv --python 3.11
#
# ansible-test only works with the collection at .../ansible_collections/<ns>/<name> (the
# real cwd, so a symlink does not do), so the tree is copied to
# build/ansible-test/<STACK>/ansible_collections/flint/smtp first (minus .git, venvs,
# build output and caches; tests/output of earlier runs is kept there). Results land in
# that copy's tests/output/.
#
# --venv and --local need the get-pip shim that scripts/bootstrap.sh writes.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 ]] || die "usage: $0 STACK ANSIBLE-TEST-ARGS..."
stack="$1"; shift
stack_available "$stack" || die "stack $stack is not bootstrapped (run scripts/bootstrap.sh)"

ns="$(awk '/^namespace:/ {print $2}' "$REPO_ROOT/galaxy.yml")"
name="$(awk '/^name:/ {print $2}' "$REPO_ROOT/galaxy.yml")"
dest="$BUILD_DIR/ansible-test/$stack/ansible_collections/$ns/$name"

copy_tree "$dest"
stack_env "$stack"
# ansible-test finds interpreters as pythonX.Y on PATH (the stack's own comes from its venv).
# pyenv's pythonX.Y shims fail for versions that are not selected, and ansible-test does not
# pass PYENV_VERSION on, so expose pyenv's real interpreters through a dir of symlinks; runs
# that cover several Pythons (no --python) then find all of them.
pybin="$BUILD_DIR/pythons/bin"
mkdir -p "$pybin"
if command -v pyenv >/dev/null 2>&1; then
    for exe in "$(pyenv root 2>/dev/null)"/versions/3.*/bin/python3.*; do
        [[ "$exe" =~ /python3\.[0-9]+$ && -x "$exe" ]] || continue
        ln -sfn "$exe" "$pybin/$(basename "$exe")"
    done
fi
export PATH="$VIRTUAL_ENV/bin:$pybin:$PATH"
cd "$dest"
log "[$stack] ansible-test $* (in ${dest#"$REPO_ROOT"/})"
exec ansible-test "$@"
