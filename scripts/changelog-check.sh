#!/usr/bin/env bash
# The changelog is consistent: fragments and changelogs/changelog.yaml pass antsibull-changelog's
# linters, and CHANGELOG.md is exactly what antsibull-changelog generates from changelog.yaml
# (edit changelog.yaml or fragments, never CHANGELOG.md by hand). Needs ansible-doc on PATH
# and ANSIBLE_COLLECTIONS_PATH (scripts/test.sh gives both).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/flint-smtp-changelog.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cd "$REPO_ROOT"
antsibull-changelog lint
antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
antsibull-changelog generate --output "$tmp/CHANGELOG.md" --output-format md
if ! diff -u CHANGELOG.md "$tmp/CHANGELOG.md"; then
    die "CHANGELOG.md is not what antsibull-changelog generates (run: antsibull-changelog generate)"
fi
pending="$(find changelogs/fragments -name '*.yml' -o -name '*.yaml' | wc -l)"
echo "changelog: CHANGELOG.md up to date; $pending fragment(s) wait for the next release"
