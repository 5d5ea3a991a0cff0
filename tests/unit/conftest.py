# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests run on every supported ansible-core, 2.16 included.

ansible-core 2.19 added ``ansible.module_utils.testing.patch_module_args``; the unit tests use it
as they would on a current core. Before 2.19 this conftest registers a stand-in module under
that name, doing what older cores read module arguments from: ``basic._ANSIBLE_ARGS`` (JSON
bytes). pytest imports conftest.py before it collects the test modules beside and below it.
"""

from __future__ import annotations

import contextlib
import json
import sys
import types
from unittest import mock

try:
    import ansible.module_utils.testing  # noqa: F401  pylint: disable=unused-import
except ImportError:  # ansible-core < 2.19
    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Make AnsibleModule() read ``args`` as its module arguments (ansible-core < 2.19)."""
        from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel

        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode("utf-8")
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield

    _backport = types.ModuleType("ansible.module_utils.testing")
    _backport.__doc__ = "flint.smtp tests: patch_module_args for ansible-core < 2.19 (tests/unit/conftest.py)"
    _backport.patch_module_args = patch_module_args
    sys.modules["ansible.module_utils.testing"] = _backport
