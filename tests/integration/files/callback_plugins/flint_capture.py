# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: append every task result as one JSON line to $FLINT_CAPTURE_FILE.

The integration tests read results from this file instead of parsing the human output of
the default callback, which changes between ansible-core releases. Works for playbooks and,
with ANSIBLE_LOAD_CALLBACK_PLUGINS=1, for ad-hoc `ansible`.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: flint_capture
type: aggregate
short_description: Write task results as JSON lines to a file (flint.smtp integration tests)
description:
  - Test-only. Appends one JSON object per task result to the file named by C(FLINT_CAPTURE_FILE).
options: {}
"""

import json
import os

from ansible.plugins.callback import CallbackBase


def _plain(value):
    """Tagged/str-like values from ansible-core 2.19+ to JSON-able Python."""
    return json.loads(json.dumps(value, default=str))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "flint_capture"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._path = os.environ.get("FLINT_CAPTURE_FILE")

    def _write(self, status, result, item=False):
        if not self._path:
            return
        res = getattr(result, "result", None)
        if res is None:
            res = result._result  # ansible-core < 2.19
        host = getattr(result, "host", None) or result._host
        task = getattr(result, "task", None) or result._task
        record = {
            "status": status,
            "item": item,
            "host": host.get_name(),
            "task": task.get_name(),
            "result": _plain(dict(res)),
        }
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def v2_runner_on_ok(self, result, **kwargs):
        self._write("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._write("failed", result)

    def v2_runner_on_skipped(self, result, **kwargs):
        self._write("skipped", result)

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._write("unreachable", result)

    def v2_runner_item_on_ok(self, result, **kwargs):
        self._write("ok", result, item=True)

    def v2_runner_item_on_failed(self, result, **kwargs):
        self._write("failed", result, item=True)
