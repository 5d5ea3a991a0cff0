#!/usr/bin/env bash
# Create the dev/test virtualenvs, idempotently.
#
#   .venv/py311  default python3 (3.11)              + tests/requirements/py311.txt (ansible-core 2.19.x)
#   .venv/py311-216  the same python3                + tests/requirements/py311-216.txt (ansible-core 2.16.x)
#   .venv/py313  $(pyenv root)/versions/3.13.*/python3 + tests/requirements/py313.txt (newest ansible-core)
#
# A venv is rebuilt only when its stamp (hash of the requirements file, the interpreter and
# this script's install recipe) changes. Missing Python 3.13 is a SKIP, not an error.
# Also writes the ansible-test get-pip shims (see write_get_pip_shims below).
#
# Usage: scripts/bootstrap.sh [STACK...]      (default: all stacks)
#        FORCE=1 scripts/bootstrap.sh         (rebuild even if the stamp matches)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECIPE_VERSION=1   # bump when the install steps below change

# ansible-test's --venv/--local bootstrap pip in each fresh venv by downloading
# get-pip-<ver>.py from a host this machine cannot reach. It looks in its cache first, so
# put a stand-in there: ensurepip, then an ordinary `pip install` of what it asked for
# (from PyPI). ansible-core 2.16 asks for get_pip_23_1_2.py, 2.19 for get_pip_24_2.py,
# 2.20+ for get_pip_25_2.py.
write_get_pip_shims() {
    local cache="${HOME}/.ansible/test/cache" v f
    mkdir -p "$cache"
    for v in 23_1_2 24_2 25_2; do
        f="$cache/get_pip_${v}.py"
        cat >"$f.tmp" <<'PY'
# Stand-in for get-pip.py written by flint.smtp's scripts/bootstrap.sh: the real one is
# downloaded from a host that is unreachable here. Installs pip with ensurepip, then runs
# `pip install` with the requirements ansible-test asked for (from PyPI).
import subprocess
import sys

DROP = {"--no-setuptools", "--no-wheel"}
args = [a for a in sys.argv[1:] if a not in DROP]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
        mv -f "$f.tmp" "$f"
    done
}

stamp_for() {
    local stack="$1" py="$2" req="$3"
    {
        printf 'recipe=%s\n' "$RECIPE_VERSION"
        printf 'python=%s\n' "$py"
        "$py" -c 'import sys; print("version=" + sys.version.split()[0])'
        sha256sum <"$req"
    } | sha256sum | cut -d' ' -f1
}

bootstrap_stack() {
    local stack="$1" py req venv stamp_file want have t0
    req="$REPO_ROOT/tests/requirements/$stack.txt"
    venv="$VENV_ROOT/$stack"
    stamp_file="$venv/.bootstrap-stamp"
    [[ -f "$req" ]] || die "missing $req"

    if ! py="$(stack_python "$stack")"; then
        if [[ "$stack" == py313 ]]; then
            echo "SKIP: python 3.13 not found, newest-stack tests skipped"
            # a stale venv from an earlier machine would make the stack look available
            rm -rf "$venv"
            return 0
        fi
        die "no interpreter for stack $stack"
    fi

    want="$(stamp_for "$stack" "$py" "$req")"
    have="$(cat "$stamp_file" 2>/dev/null || true)"
    if [[ "${FORCE:-0}" != 1 && "$want" == "$have" && -x "$venv/bin/python" ]]; then
        log "$stack: up to date ($venv)"
        return 0
    fi

    t0=$SECONDS
    log "$stack: creating $venv from $py"
    rm -rf "$venv"
    mkdir -p "$VENV_ROOT"
    "$py" -m venv "$venv"
    # --no-input: CI has no stdin. Quiet, but keep errors.
    # (pip.conf here lists file:// indexes that lack most projects: drop those warnings.)
    "$venv/bin/python" -m pip install --no-input --quiet --disable-pip-version-check -r "$req" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    # Sanity check that the stack is what it claims to be.
    "$venv/bin/python" -c 'import sys; from ansible.release import __version__ as v; print("  python %s, ansible-core %s" % (sys.version.split()[0], v))' >&2
    printf '%s\n' "$want" >"$stamp_file"
    log "$stack: ready in $((SECONDS - t0))s"
}

main() {
    local -a stacks=("$@")
    [[ ${#stacks[@]} -gt 0 ]] || stacks=("${STACKS[@]}")
    write_get_pip_shims
    local s
    for s in "${stacks[@]}"; do
        bootstrap_stack "$s"
    done
}

main "$@"
