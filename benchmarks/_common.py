# -*- coding: utf-8 -*-
"""Shared by the benchmarks (not a benchmark itself: scripts/test.sh skips _*.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

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


def timed_batch(host, port, messages, body, **options):
    """Seconds the send core takes to deliver ``messages`` as one task's batch over one plain session."""
    from ansible_collections.flint.smtp.plugins.module_utils._send import run  # pylint: disable=import-outside-toplevel

    params = {"target": host, "port": port, "security": "none", "from": "bench@example.com", "body": body,
              "ehlo_name": "bench.example.com", "max_per_connection": 0, "messages": messages}
    params.update(options)
    start = time.perf_counter()
    result = run(params)
    elapsed = time.perf_counter() - start
    assert result["totals"]["sent"] == len(messages), result["msg"]
    return elapsed
