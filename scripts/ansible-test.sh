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
# The stack venv's bin dir provides pythonX.Y for --python; PYENV_VERSION lets pyenv's
# pythonX.Y shims resolve too (for runs that ask for other versions, e.g. units on 3.9-3.13).
if [[ -z "${PYENV_VERSION:-}" ]] && command -v pyenv >/dev/null 2>&1; then
    PYENV_VERSION="$(pyenv versions --bare --skip-aliases 2>/dev/null | grep -E '^3\.[0-9]+\.[0-9]+$' \
        | sort -t. -k2,2nr -k3,3nr | paste -sd: - || true)"
    [[ -n "$PYENV_VERSION" ]] && export PYENV_VERSION
fi
cd "$dest"
log "[$stack] ansible-test $* (in ${dest#"$REPO_ROOT"/})"
exec ansible-test "$@"
