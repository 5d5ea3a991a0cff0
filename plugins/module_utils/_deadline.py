# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the one time budget of a send. Do not use this from other collections.

Flint's ``timeout`` is milliseconds for the whole operation. Socket timeouts are per call,
so every step asks the deadline how much is left instead of reusing a fixed value: a slow
server that answers each line just in time still cannot stretch the task past its budget.
"""

from __future__ import annotations

import time

__all__ = ["Deadline"]


class Deadline(object):
    """Started when built; ``remaining()`` is what is left, in seconds, never below 0."""

    def __init__(self, timeout_ms, clock=time.monotonic):
        self.timeout_ms = timeout_ms
        self._clock = clock
        self._end = clock() + timeout_ms / 1000.0

    def remaining(self):
        return max(0.0, self._end - self._clock())

    @property
    def expired(self):
        return self.remaining() <= 0.0

    def describe(self):
        return "%d ms" % self.timeout_ms
