# shellcheck shell=bash
# Shared helpers for the flint.smtp build/test scripts. Source it; do not run it.
#
#   source "$(dirname "$0")/lib.sh"
#
# Stacks (in run order; the last one also runs the once-only steps):
#   py311      the machine's default python3 (3.11) + ansible-core 2.19.x
#   py311-216  the same python3 + ansible-core 2.16.x (the oldest supported core; AAP 2.5)
#   py313      pyenv's Python 3.13 + the newest ansible-core (2.21.x)

if [[ -z "${FLINT_LIB_SOURCED:-}" ]]; then
FLINT_LIB_SOURCED=1

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD_DIR="$REPO_ROOT/build"
VENV_ROOT="$REPO_ROOT/.venv"
# The stack matrix is this list plus tests/requirements/<stack>.txt (and stack_python below).
# It stays here rather than in nox/antsibull-nox: antsibull-nox runs ansible-test sanity and
# units with --docker (no container engine here) and installs ansible-core from GitHub
# (unreachable); plain nox would have to take over venv bootstrap (stamps, pyenv, the get-pip
# shim) and the step runner/summary of scripts/test.sh for no gain in what is tested.
STACKS=(py311 py311-216 py313)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# stack_python STACK: print the base interpreter for STACK, or return 1 if absent.
stack_python() {
    local stack="$1" cand=""
    case "$stack" in
        py311|py311-216)
            # the default python3 when it is 3.11 (it is on this machine), else any 3.11
            local c
            for c in "$(command -v python3 || true)" "$(command -v python3.11 || true)"; do
                if [[ -n "$c" ]] && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
                    >/dev/null 2>&1; then
                    cand="$c"; break
                fi
            done
            if [[ -z "$cand" ]] && command -v pyenv >/dev/null 2>&1; then
                for c in "$(pyenv root 2>/dev/null)"/versions/3.11.*/bin/python3; do
                    [[ -x "$c" ]] && cand="$c"
                done
            fi
            ;;
        py313)
            if command -v pyenv >/dev/null 2>&1; then
                local c
                for c in "$(pyenv root 2>/dev/null)"/versions/3.13.*/bin/python3; do
                    [[ -x "$c" ]] && cand="$c"   # last match = newest patch release
                done
            fi
            if [[ -z "$cand" ]] && command -v python3.13 >/dev/null 2>&1 \
                && python3.13 -c 'import sys' >/dev/null 2>&1; then
                cand="$(command -v python3.13)"
            fi
            ;;
        *) die "unknown stack: $stack (known: ${STACKS[*]})" ;;
    esac
    [[ -n "$cand" ]] || return 1
    "$cand" -c 'import sys, venv' >/dev/null 2>&1 || return 1
    printf '%s\n' "$cand"
}

# stack_pyver STACK: "3.11" / "3.13" (the MAJOR.MINOR of the stack's venv).
stack_pyver() {
    "$VENV_ROOT/$1/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])'
}

# stack_available STACK: true when STACK's venv was bootstrapped.
stack_available() {
    [[ -x "$VENV_ROOT/$1/bin/python" && -f "$VENV_ROOT/$1/.bootstrap-stamp" ]]
}

# available_stacks: print the bootstrapped stacks, one per line.
available_stacks() {
    local s
    for s in "${STACKS[@]}"; do
        stack_available "$s" && printf '%s\n' "$s"
    done
    return 0
}

# newest_stack: the last available stack (the one ansible-lint etc. run on).
newest_stack() {
    available_stacks | tail -n 1
}

# stack_env STACK: export PATH/VIRTUAL_ENV so STACK's tools come first.
stack_env() {
    local venv="$VENV_ROOT/$1"
    export VIRTUAL_ENV="$venv"
    export PATH="$venv/bin:${PATH}"
    unset PYTHONHOME
}

# collection_path: make build/collections/ansible_collections/flint/smtp a symlink to the
# repo root and print build/collections (the value for ANSIBLE_COLLECTIONS_PATH).
collection_path() {
    local base="$BUILD_DIR/collections"
    local link="$base/ansible_collections/flint/smtp"
    mkdir -p "$(dirname "$link")"
    if [[ -L "$link" ]]; then
        [[ "$(readlink "$link")" == "$REPO_ROOT" ]] || ln -sfn "$REPO_ROOT" "$link"
    elif [[ -e "$link" ]]; then
        die "$link exists and is not a symlink; run 'make clean'"
    else
        ln -s "$REPO_ROOT" "$link"
    fi
    printf '%s\n' "$base"
}

# build_tarball DIR: `ansible-galaxy collection build` into DIR (emptied of old tarballs)
# and print the tarball's path. Needs a stack venv on PATH.
build_tarball() {
    local out="$1"
    mkdir -p "$out"
    rm -f "$out"/flint-smtp-*.tar.gz
    ansible-galaxy collection build --force --output-path "$out" "$REPO_ROOT" >&2
    ls "$out"/flint-smtp-*.tar.gz
}

# copy_tree DEST: copy the collection into DEST (for ansible-test, which must run from
# .../ansible_collections/flint/smtp). Inside git, the file list is what git sees
# (tracked + untracked, minus .gitignore'd), which is also what ansible-test itself would
# use; outside git, a tar with explicit excludes. DEST's old content is replaced, except
# DEST/tests/output (ansible-test's results and caches) and DEST/.git (see below).
COPY_EXCLUDES_TOP=(.git .venv .venv-* build tests/output .ansible collections .pytest_cache .hypothesis)
COPY_EXCLUDES_ANY=(__pycache__ '*.pyc' '*.tar.gz')
copy_tree() {
    local dest="$1" e
    mkdir -p "$dest"
    find "$dest" -mindepth 1 -maxdepth 1 ! -name tests ! -name .git -exec rm -rf {} +
    if [[ -d "$dest/tests" ]]; then
        find "$dest/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} +
    fi
    if git -C "$REPO_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (
            cd "$REPO_ROOT" || exit 1
            git ls-files -z --cached --others --exclude-standard --deduplicate \
                | while IFS= read -r -d '' f; do
                    [[ -e "$f" || -L "$f" ]] || continue   # deleted but still tracked
                    case "$f" in tests/output/*|collections/*|.ansible/*|build/*|.venv*) continue ;; esac
                    printf '%s\0' "$f"
                done \
                | tar --null --no-recursion -T - -cf -
        ) | tar -C "$dest" -xf -
    else
        local -a tx=()
        for e in "${COPY_EXCLUDES_TOP[@]}"; do tx+=("--exclude=./$e"); done
        for e in "${COPY_EXCLUDES_ANY[@]}"; do tx+=("--exclude=$e"); done
        tar -C "$REPO_ROOT" "${tx[@]}" -cf - . | tar -C "$dest" -xf -
    fi
    # ansible-test looks for .git in the copy's parent dirs too; it would find this repo's
    # and skip every file (build/ is .gitignore'd). An empty repo of its own in the copy
    # stops that walk, and ansible-test then lists its files with `git ls-files --others`.
    if [[ ! -d "$dest/.git" ]]; then
        git init -q "$dest"
    fi
}

fi
