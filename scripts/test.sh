#!/usr/bin/env bash
# The full flint.smtp test suite (what `make test` and CI run).
#
#   scripts/test.sh                 every step, every bootstrapped stack
#   scripts/test.sh unit sanity     only those step groups
#   STACKS="py313" scripts/test.sh  only that stack
#
# Step groups (per stack unless noted):
#   unit         pytest tests/unit (plain pytest; pytest-ansible only injects the collection path)
#                + pytest tests/support (the shared SMTP test server's self-tests), once per Python
#   integration  pytest tests/integration (skipped when there are no test_*.py files)
#                + ansible-test integration (skipped when tests/integration/targets is empty)
#   sanity       ansible-test sanity --venv --python <stack's python>: all sanity tests
#                + on the oldest stack: compile and import on every installed target Python
#   units        ansible-test units --venv --python <stack's python>
#                (on the oldest stack: every installed Python that ansible-core supports)
#   lint         ansible-lint --offline                                   (once, newest stack)
#   docs         antsibull-docs lint-collection-docs --plugin-docs .      (once, newest stack)
#                + changelog: antsibull-changelog lint, CHANGELOG.md matches changelog.yaml
#                + docs site: antsibull-docs sphinx-init + Sphinx build, offline (scripts/docs-build.sh)
#   build        galaxy build + install to a temp dir + ansible-doc smoke (once, newest stack)
#                + galaxy-importer on the tarball, offline (scripts/galaxy-importer.sh)
#                + ansible-builder create on execution-environment.yml (scripts/ee-check.sh)
#   bench        python benchmarks/*.py --smoke (BENCH_ARGS replaces --smoke) (once, newest stack)
#
# Run scripts/bootstrap.sh first (make does). Each step's output is streamed and also kept
# in build/test-logs/. Prints a summary table and, as the very last line,
# "N passed, N failed". Exits non-zero if any step failed.
set -uo pipefail
STACKS_ENV="${STACKS:-}"   # read before lib.sh defines the STACKS array of known stacks
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_GROUPS=(unit integration sanity units lint docs build bench)
STEP_TIMEOUT="${STEP_TIMEOUT:-1200}"   # seconds; a hung step fails instead of eating CI's budget
LOG_DIR="$BUILD_DIR/test-logs"

declare -a R_STEP=() R_STACK=() R_RESULT=() R_SECS=()

want_group() {
    local g
    for g in "${GROUPS_WANTED[@]}"; do [[ "$g" == "$1" ]] && return 0; done
    return 1
}

record() {  # record STEP STACK RESULT SECONDS
    R_STEP+=("$1"); R_STACK+=("$2"); R_RESULT+=("$3"); R_SECS+=("$4")
}

skip_step() {  # skip_step STEP STACK REASON
    printf '\n==> SKIP %s [%s]: %s\n' "$1" "$2" "$3"
    record "$1" "$2" skipped 0
}

# run_step STEP STACK [--rc5-skip] -- CMD...   (CMD runs with STACK's venv first on PATH)
run_step() {
    local step="$1" stack="$2"; shift 2
    local rc5=fail
    if [[ "${1:-}" == --rc5-skip ]]; then rc5=skip; shift; fi
    [[ "${1:-}" == -- ]] && shift
    local log="$LOG_DIR/${step//[^A-Za-z0-9_.-]/_}-$stack.log"
    local t0 rc result
    printf '\n==> RUN  %s [%s]: %s\n' "$step" "$stack" "$*"
    t0=$(date +%s)
    (
        [[ "$stack" == - ]] || stack_env "$stack"
        cd "$REPO_ROOT" || exit 1
        exec timeout --kill-after=30 "$STEP_TIMEOUT" "$@"
    ) 2>&1 </dev/null | tee "$log"
    rc=${PIPESTATUS[0]}
    if [[ $rc -eq 0 ]]; then
        result=passed
    elif [[ $rc -eq 5 && $rc5 == skip ]]; then
        result=skipped
    elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
        result="failed(timeout)"
    else
        result="failed(rc=$rc)"
    fi
    printf '==> %s %s [%s] in %ss\n' "${result^^}" "$step" "$stack" "$(( $(date +%s) - t0 ))"
    record "$step" "$stack" "$result" "$(( $(date +%s) - t0 ))"
}

has_files() {  # has_files DIR FIND-ARGS...: true if find prints anything
    local dir="$1"; shift
    [[ -d "$dir" ]] && [[ -n "$(find "$dir" "$@" -print -quit 2>/dev/null)" ]]
}

per_stack_steps() {
    local stack="$1" pyver
    pyver="$(stack_pyver "$stack")"
    local -a pytest_common=(python -m pytest --ansible-unit-inject-only -p no:cacheprovider)

    if want_group unit; then
        # Exit 5 (no tests collected) is a failure here: there must be unit tests.
        run_step "pytest-unit" "$stack" -- \
            env ANSIBLE_COLLECTIONS_PATH="$COLL_PATH" "${pytest_common[@]}" tests/unit
    fi

    if want_group unit && has_files "$REPO_ROOT/tests/support" -type f -name 'test_*.py'; then
        # Self-tests of the shared SMTP test server/fixtures: they use no ansible-core, so once
        # per Python version is enough.
        if [[ " ${SUPPORT_PYVERS[*]} " == *" $pyver "* ]]; then
            skip_step "pytest-support" "$stack" "Python $pyver already ran them (they use no ansible-core)"
        else
            SUPPORT_PYVERS+=("$pyver")
            run_step "pytest-support" "$stack" -- \
                env ANSIBLE_COLLECTIONS_PATH="$COLL_PATH" "${pytest_common[@]}" tests/support
        fi
    fi

    if want_group integration; then
        if has_files "$REPO_ROOT/tests/integration" -path '*/targets' -prune -o -type f -name 'test_*.py'; then
            # The suite mostly waits (on servers, retries, timeouts), so four xdist workers beat two
            # even on CI's 2 cores; one file per worker (loadfile) runs each module's expensive
            # fixtures (one playbook for a whole table of cases) once, not once per worker.
            # Measured on 2 cores: -n 2 (load) 220 s, -n 3/4/6 (loadfile) 112/104/115 s.
            run_step "pytest-integration" "$stack" --rc5-skip -- \
                env ANSIBLE_COLLECTIONS_PATH="$COLL_PATH" "${pytest_common[@]}" \
                -n "${PYTEST_WORKERS:-4}" --dist loadfile tests/integration
        else
            skip_step "pytest-integration" "$stack" "no test_*.py under tests/integration"
        fi
        if has_files "$REPO_ROOT/tests/integration/targets" -mindepth 2 -maxdepth 2 -name aliases; then
            run_step "ansible-test-integration" "$stack" -- \
                bash "$REPO_ROOT/scripts/ansible-test.sh" "$stack" integration --venv --python "$pyver" --color no
        else
            skip_step "ansible-test-integration" "$stack" "no targets under tests/integration/targets"
        fi
    fi

    # The oldest stack (ansible-core 2.19) also covers every installed target Python it
    # supports (3.8-3.13) for the module-side checks; the others run on their own Python.
    local -a at_py=(--python "$pyver")
    local multi=0
    [[ "$stack" == "$FIRST_STACK" ]] && multi=1

    if want_group sanity; then
        run_step "ansible-test-sanity" "$stack" -- \
            bash "$REPO_ROOT/scripts/ansible-test.sh" "$stack" sanity --venv "${at_py[@]}" --color no
        if [[ $multi == 1 ]]; then
            run_step "ansible-test-sanity(compile,import;all-py)" "$stack" -- \
                bash "$REPO_ROOT/scripts/ansible-test.sh" "$stack" sanity --venv --test compile --test import --color no
        fi
    fi

    if want_group units; then
        if has_files "$REPO_ROOT/tests/unit" -type f -name 'test_*.py'; then
            if [[ $multi == 1 ]]; then
                run_step "ansible-test-units(all-py)" "$stack" -- \
                    bash "$REPO_ROOT/scripts/ansible-test.sh" "$stack" units --venv --color no
            else
                run_step "ansible-test-units" "$stack" -- \
                    bash "$REPO_ROOT/scripts/ansible-test.sh" "$stack" units --venv "${at_py[@]}" --color no
            fi
        else
            skip_step "ansible-test-units" "$stack" "no test_*.py under tests/unit"
        fi
    fi
}

once_steps() {
    local stack="$1"
    if want_group lint; then
        if [[ -x "$VENV_ROOT/$stack/bin/ansible-lint" ]]; then
            # ansible-lint must resolve flint.smtp.* in playbooks: give it the symlinked path
            # (without it, it cannot see this collection in --offline mode).
            run_step "ansible-lint" "$stack" -- \
                env ANSIBLE_COLLECTIONS_PATH="$COLL_PATH" ansible-lint --offline
        else
            skip_step "ansible-lint" "$stack" "ansible-lint is only installed on the newest stack (py313)"
        fi
    fi
    if want_group docs; then
        run_step "antsibull-docs-lint" "$stack" -- \
            env ANSIBLE_COLLECTIONS_PATH="$COLL_PATH" antsibull-docs lint-collection-docs --plugin-docs .
        run_step "changelog" "$stack" -- \
            env ANSIBLE_COLLECTIONS_PATH="$COLL_PATH" bash "$REPO_ROOT/scripts/changelog-check.sh"
        run_step "docs-site-build" "$stack" -- bash "$REPO_ROOT/scripts/docs-build.sh"
    fi
    if want_group build; then
        run_step "galaxy-build-install-doc" "$stack" -- bash "$REPO_ROOT/scripts/build-smoke.sh"
        run_step "galaxy-importer" "$stack" -- bash "$REPO_ROOT/scripts/galaxy-importer.sh"
        run_step "ee-builder-create" "$stack" -- bash "$REPO_ROOT/scripts/ee-check.sh"
        # the README's first command must keep working: it sends for real and checks the Flint exit-code
        run_step "make-demo" "$stack" -- bash "$REPO_ROOT/scripts/demo.sh"
    fi
    if want_group bench; then
        local b found=0
        local -a bench_args=()
        read -r -a bench_args <<<"${BENCH_ARGS---smoke}"   # BENCH_ARGS set (even empty) replaces --smoke
        for b in "$REPO_ROOT"/benchmarks/*.py; do
            [[ -f "$b" && "$(basename "$b")" != _* ]] || continue   # _common.py etc. are helpers
            found=1
            run_step "bench:$(basename "$b" .py)" "$stack" -- \
                env ANSIBLE_COLLECTIONS_PATH="$COLL_PATH" \
                PYTHONPATH="$COLL_PATH${PYTHONPATH:+:$PYTHONPATH}" \
                python "$b" "${bench_args[@]}"
        done
        [[ $found == 1 ]] || skip_step "benchmarks" "$stack" "no benchmarks/*.py"
    fi
}

summary() {
    local i passed=0 failed=0 skipped=0 total=0
    printf '\n%s\n' "================================ SUMMARY ================================"
    printf '%-44s %-7s %-18s %8s\n' STEP STACK RESULT SECONDS
    for i in "${!R_STEP[@]}"; do
        printf '%-44s %-7s %-18s %8s\n' "${R_STEP[$i]}" "${R_STACK[$i]}" "${R_RESULT[$i]}" "${R_SECS[$i]}"
        total=$(( total + R_SECS[i] ))
        case "${R_RESULT[$i]}" in
            passed) passed=$((passed + 1)) ;;
            skipped) skipped=$((skipped + 1)) ;;
            *) failed=$((failed + 1)) ;;
        esac
    done
    printf '%-44s %-7s %-18s %8s\n' "total" "" "" "$total"
    for s in "${SKIPPED_STACKS[@]}"; do
        printf 'SKIP: stack %s not available (python 3.13 not found?), its steps were not run\n' "$s"
    done
    printf 'logs: %s\n' "${LOG_DIR#"$REPO_ROOT"/}"
    printf '%d steps skipped\n' "$skipped"
    printf '%d passed, %d failed\n' "$passed" "$failed"
    [[ $failed -eq 0 ]]
}

main() {
    GROUPS_WANTED=("$@")
    [[ ${#GROUPS_WANTED[@]} -gt 0 ]] || GROUPS_WANTED=("${ALL_GROUPS[@]}")
    local g
    for g in "${GROUPS_WANTED[@]}"; do
        [[ " ${ALL_GROUPS[*]} " == *" $g "* ]] || die "unknown step group: $g (known: ${ALL_GROUPS[*]})"
    done

    mkdir -p "$LOG_DIR"
    rm -f "$LOG_DIR"/*.log
    COLL_PATH="$(collection_path)"
    export ANSIBLE_NOCOLOR=1 PY_COLORS=0

    local -a stacks=() want_stacks=()
    SKIPPED_STACKS=()
    read -r -a want_stacks <<<"${STACKS_ENV:-${STACKS[*]}}"
    local s
    for s in "${want_stacks[@]}"; do
        if stack_available "$s"; then stacks+=("$s"); else SKIPPED_STACKS+=("$s"); fi
    done
    [[ ${#stacks[@]} -gt 0 ]] || die "no stack bootstrapped; run scripts/bootstrap.sh"

    FIRST_STACK="${stacks[0]}"
    SUPPORT_PYVERS=()
    for s in "${stacks[@]}"; do
        per_stack_steps "$s"
    done
    once_steps "${stacks[-1]}"
    summary
}

main "$@"
