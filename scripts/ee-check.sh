#!/usr/bin/env bash
# Check execution-environment.yml with ansible-builder (no container engine here, so
# `ansible-builder create` only): the tarball it installs is the one just built, the build
# context holds it, the galaxy stage's own install command works on that context, and the
# installed collection declares no Python or system dependencies. Run with the newest
# stack's venv active (scripts/test.sh does that).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ee="$BUILD_DIR/ee"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/flint-smtp-ee.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

tarball="$(build_tarball "$tmp/dist")"
mkdir -p "$ee"
# execution-environment.yml names this stable path (the version is in the file's MANIFEST.json)
cp -f "$tarball" "$ee/flint-smtp.tar.gz"
rm -rf "$ee/context"
cd "$REPO_ROOT"
ansible-builder create -f execution-environment.yml -c "$ee/context" --output-filename Containerfile -v 2
ctx="$ee/context"
echo "--- build context:"
(cd "$ctx" && find . -type f | sort)

python - "$ctx" "$tarball" "$REPO_ROOT/galaxy.yml" <<'PY'
import filecmp, json, os, re, sys, tarfile
import yaml

ctx, tarball, galaxy_yml = sys.argv[1:]
galaxy = yaml.safe_load(open(galaxy_yml))
fail = []
copied = os.path.join(ctx, "_build", "collections", "flint-smtp.tar.gz")
if not os.path.isfile(copied) or not filecmp.cmp(copied, tarball, shallow=False):
    fail.append("the context does not hold the freshly built tarball at _build/collections/flint-smtp.tar.gz")
else:
    with tarfile.open(copied) as tar:
        info = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
        names = tar.getnames()
    want = (galaxy["namespace"], galaxy["name"], galaxy["version"])
    if (info["namespace"], info["name"], info["version"]) != want:
        fail.append("tarball is %s.%s %s, galaxy.yml says %s.%s %s" % ((info["namespace"], info["name"], info["version"]) + want))
    for must in ("COPYING", "meta/runtime.yml", "meta/execution-environment.yml", "plugins/modules/send.py"):
        if must not in names:
            fail.append("tarball lacks " + must)
reqs = yaml.safe_load(open(os.path.join(ctx, "_build", "requirements.yml")))
if reqs.get("collections") != [{"name": "collections/flint-smtp.tar.gz", "type": "file"}]:
    fail.append("_build/requirements.yml: %r" % reqs)
containerfile = open(os.path.join(ctx, "Containerfile")).read()
for pattern in (r"^COPY _build /build$", r"^WORKDIR /build$",
                r"ansible-galaxy collection install .*-r requirements\.yml",
                r'^ARG ANSIBLE_INSTALL_REFS="ansible-core==2\.16\.\d+ ansible-runner==[\d.]+"$',
                r'^ARG PYCMD="/usr/bin/python3\.11"$'):
    if not re.search(pattern, containerfile, re.M):
        fail.append("Containerfile lacks /%s/" % pattern)
for line in fail:
    print("FAIL: " + line)
if fail:
    sys.exit(1)
print("EE context: Containerfile, requirements.yml and the %s.%s %s tarball check out"
      % (info["namespace"], info["name"], info["version"]))
PY

# What the galaxy stage runs (in /build = _build), offline, into a scratch path.
(cd "$ctx/_build" && ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 \
    ansible-galaxy collection install --offline -r requirements.yml --collections-path "$tmp/installed")
# What the builder stage runs next: the collection's declared dependencies must be none.
deps="$(ansible-builder introspect "$tmp/installed")"
echo "$deps"
python - "$deps" <<'PY'
import sys
import yaml
deps = yaml.safe_load(sys.argv[1].split("\n", 1)[1])
assert deps == {"python": [], "system": []}, "flint.smtp must need nothing beyond the stdlib: %r" % deps
print("ansible-builder introspect: no Python or system dependencies")
PY
