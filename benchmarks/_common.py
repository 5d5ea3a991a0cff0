# -*- coding: utf-8 -*-
"""Shared by the benchmarks (not a benchmark itself: scripts/test.sh skips _*.py)."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUPPORT = os.path.join(ROOT, "tests", "support")
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)  # smtp_server, smtp_sink


def collections_path():
    """build/collections with flint.smtp linked in (as scripts/collection-path.sh makes it), also
    put on sys.path so that the benchmark can import the collection's module_utils."""
    base = os.path.join(ROOT, "build", "collections")
    link = os.path.join(base, "ansible_collections", "flint", "smtp")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)
    if base not in sys.path:
        sys.path.insert(0, base)
    return base


def peer_collections():
    """The directory with community.general: scripts/peers.sh (pinned in tests/requirements/peers.txt)."""
    return subprocess.run(["bash", os.path.join(ROOT, "scripts", "peers.sh")], check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]
