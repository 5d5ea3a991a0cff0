#!/usr/bin/env bash
# Build the collection's docs site (plugin pages + docs/docsite guides) with antsibull-docs
# and Sphinx, offline, into build/docsite/build/html. Run with the newest stack's venv active.
#
# sphinx-init's conf.py fetches intersphinx inventories from docs.python.org and
# docs.ansible.com; there is no network here, so intersphinx gets an empty mapping and the
# build runs without -W. What is left are links into Ansible's own docs (labels such as
# 'common_return_values'). They are counted and listed; any other warning (a broken link
# or bad markup in our own pages) fails the step.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

site="$BUILD_DIR/docsite"
rm -rf "$site"
mkdir -p "$BUILD_DIR"
mkdir -m 700 "$site"   # antsibull-docs insists: owned by us, writable only by us
ANSIBLE_COLLECTIONS_PATH="$(collection_path)"
export ANSIBLE_COLLECTIONS_PATH
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --lenient \
    --project flint.smtp --copyright "flint.smtp contributors" --title "flint.smtp" \
    --dest-dir "$site" flint.smtp
cat >>"$site/conf.py" <<'PY'

# flint.smtp: offline build, no intersphinx inventories (scripts/docs-build.sh)
intersphinx_mapping = {}
PY
# (--lenient already leaves out -W; drop it anyway should a later antsibull-docs add it back)
sed -i -E '/^sphinx-build /{s/ -W( |$)/\1/; s/$/ -w warnings.log/}' "$site/build.sh"
grep -q -- '-w warnings.log' "$site/build.sh" || die "build.sh from sphinx-init changed; adapt scripts/docs-build.sh"
bash "$site/build.sh"

[[ -f "$site/build/html/index.html" ]] || die "no index.html in $site/build/html"
[[ -f "$site/build/html/send_module.html" ]] || die "no page for the send module"
for guide in "$REPO_ROOT"/docs/docsite/rst/*.rst; do
    page="$site/build/html/docsite/$(basename "$guide" .rst).html"
    [[ -f "$page" ]] || die "guide $(basename "$guide") was not built ($page missing)"
done

external=0 other=0
while IFS= read -r line; do
    [[ -n "$line" ]] || continue
    if [[ "$line" =~ WARNING:\ undefined\ label:\ \'([^\']+)\' && "${BASH_REMATCH[1]}" != ansible_collections.flint.smtp.* ]]; then
        external=$((external + 1))
    else
        other=$((other + 1))
    fi
    echo "  $line"
done <"$site/warnings.log"
echo "docs site: $site/build/html ($(find "$site/build/html" -name '*.html' | wc -l) pages);" \
    "$external warnings for links into Ansible's docs (no intersphinx offline), $other other warnings"
[[ $other -eq 0 ]] || die "$other warnings from our own pages (see above)"
