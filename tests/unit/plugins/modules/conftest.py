# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module-argument injection that works on every supported ansible-core (2.16 and up)."""

from __future__ import annotations

import contextlib
import json
from unittest import mock

import pytest

try:
    from ansible.module_utils.testing import patch_module_args as _core_patch_module_args
except ImportError:  # ansible-core < 2.19 has no public helper
    _core_patch_module_args = None


@contextlib.contextmanager
def _legacy_patch_module_args(args):
    """What ansible-core < 2.19 reads module arguments from: basic._ANSIBLE_ARGS (JSON bytes)."""
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel

    payload = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
    with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
        yield


@pytest.fixture
def patch_module_args():
    """A context manager factory: ``with patch_module_args({...}): module.main()``."""
    return _core_patch_module_args or _legacy_patch_module_args
