#!/usr/bin/env bash
# Run galaxy-importer (what Galaxy / Automation Hub run on upload) on a fresh build of the
# collection, offline (scripts/galaxy-importer.cfg: no ansible-test container, ansible-lint
# --offline, flake8, changelog and tag checks). Any WARNING or ERROR line fails the step:
# Galaxy would show it on the collection's page. Run with the newest stack's venv active
# (galaxy-importer calls ansible-doc and ansible-lint from PATH).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/flint-smtp-importer.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
tarball="$(build_tarball "$tmp/dist")"
export GALAXY_IMPORTER_CONFIG="$REPO_ROOT/scripts/galaxy-importer.cfg"
# its temp dirs and ansible's local tmp stay in the scratch dir, whatever HOME is
export GALAXY_IMPORTER_TMP_ROOT_DIR="$tmp" GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="$tmp/ansible-tmp"
cd "$tmp"
python -m galaxy_importer.main "$tarball" 2>&1 | tee "$tmp/importer.log"
if grep -E '^(WARNING|ERROR|CRITICAL):' "$tmp/importer.log"; then
    die "galaxy-importer reported the problems above"
fi
grep -qx 'Importer processing completed successfully' "$tmp/importer.log" \
    || die "galaxy-importer did not report success"
echo "galaxy-importer: $(basename "$tarball") imports cleanly"
