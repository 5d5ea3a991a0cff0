#!/usr/bin/env bash
# Make build/collections/ansible_collections/flint/smtp a symlink to this repo and print
# build/collections: the value for ANSIBLE_COLLECTIONS_PATH (ansible-playbook, ansible-doc,
# pytest --ansible-unit-inject-only).
#
#   export ANSIBLE_COLLECTIONS_PATH="$(scripts/collection-path.sh)"
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
collection_path
