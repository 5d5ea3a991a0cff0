# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the SMTP session a controller worker keeps between loop items. Do not use this from other collections.

Ansible runs every item of a task's loop for one host in one forked worker process, and the
action plugin's module stays imported there, so a module-level cache lives exactly as long
as the loop. multiprocessing runs its finalizers when a worker's run() returns (after the
task result was sent), which is where the kept session says QUIT; atexit covers a plain
process (ansible-console, tests).
"""

from __future__ import annotations

import atexit
import multiprocessing.util
import os

from ansible_collections.flint.smtp.plugins.module_utils._sessions import SessionCache

__all__ = ["worker_sessions"]

_CACHE = {}


def worker_sessions():
    """This process's SessionCache (a forked worker never uses its parent's)."""
    pid = os.getpid()
    cache = _CACHE.get(pid)
    if cache is None:
        _CACHE.clear()  # a parent's cache came along with fork(): never touch its sockets
        cache = _CACHE[pid] = SessionCache()
        multiprocessing.util.Finalize(None, cache.close, exitpriority=10)
        atexit.register(cache.close)
    return cache
