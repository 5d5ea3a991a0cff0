# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""extras/awx/setup_awx.yml against the awx.awx modules it calls.

awx.awx is not a dependency (an example playbook cannot run here, without an AWX): the test takes
the pinned copy scripts/peers.sh fetches (or FLINT_AWX_COLLECTIONS), reads each module's real
argument spec and checks every option and every static value of the playbook's tasks.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from conftest import BIN, REPO_ROOT
from test_awx_project import EXTRAS, _load


def _awx_awx_root():
    """An installed awx.awx (its ansible_collections parent dir): FLINT_AWX_COLLECTIONS, or the pinned
    copy scripts/peers.sh fetches from PyPI (tests/requirements/awx.txt). None when neither can be had
    (offline, not CI); CI must have it, so there a failed fetch fails the test."""
    for base in filter(None, os.environ.get("FLINT_AWX_COLLECTIONS", "").split(os.pathsep)):
        if os.path.isdir(os.path.join(base, "ansible_collections", "awx", "awx", "plugins", "modules")):
            return base
    fetch = subprocess.run(["bash", os.path.join(REPO_ROOT, "scripts", "peers.sh"), "awx.awx"],
                           capture_output=True, text=True, timeout=600, check=False)
    if fetch.returncode == 0:
        return fetch.stdout.strip().splitlines()[-1]
    if os.environ.get("CI"):
        pytest.fail("scripts/peers.sh awx.awx failed:\n" + fetch.stderr[-2000:])
    return None


_CAPTURE_SPEC = """
import importlib, json, sys
from unittest import mock
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=[sys.argv[1]])._install()
api = importlib.import_module("ansible_collections.awx.awx.plugins.module_utils.controller_api")
captured = {}
class Stop(Exception):
    pass
def capture(self, argument_spec=None, **kwargs):
    captured.update(api.ControllerModule.AUTH_ARGSPEC)
    captured.update(argument_spec)
    raise Stop()
mod = importlib.import_module("ansible_collections.awx.awx.plugins.modules." + sys.argv[2])
with mock.patch.object(api.ControllerModule, "__init__", capture):
    try:
        mod.main()
    except Stop:
        pass
print(json.dumps(captured, default=str))
"""


def _awx_argument_spec(base, module):
    """The full argument spec an awx.awx module builds (its own options plus the controller auth ones).

    In a subprocess: this pytest's collection finder only knows flint.smtp's path.
    """
    out = subprocess.run([os.path.join(BIN, "python"), "-c", _CAPTURE_SPEC, base, module], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    spec = json.loads(out)
    for option in spec.values():
        option.pop("fallback", None)  # a callable, printed as text
    return spec


def test_setup_playbook_matches_the_awx_awx_modules():
    base = _awx_awx_root()
    if base is None:
        pytest.skip("awx.awx could not be fetched (offline?): set FLINT_AWX_COLLECTIONS to a dir holding "
                    "ansible_collections/awx/awx")
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel

    with open(os.path.join(EXTRAS, "setup_awx.yml"), encoding="utf-8") as handle:
        (setup,) = yaml.safe_load(handle)
    checked = []
    for task in setup["tasks"]:
        (action,) = [key for key in task if key.startswith("awx.awx.")]
        spec = _awx_argument_spec(base, action.split(".")[-1])
        args = task[action]
        assert set(args) <= set(spec), (action, sorted(set(args) - set(spec)))
        static = dict((k, v) for k, v in args.items() if not (isinstance(v, str) and "{{" in v))
        loose = dict((k, dict(spec[k], required=False)) for k in spec)
        errors = ArgumentSpecValidator(loose).validate(static).error_messages
        assert not errors, (action, errors)
        checked.append(action)
    assert checked == ["awx.awx.credential_type", "awx.awx.credential", "awx.awx.project", "awx.awx.job_template"]
    # Values that are templates: what they render to must fit too.
    ctype = _load("credential_type.yml")
    assert ctype["kind"] in _awx_argument_spec(base, "credential_type")["kind"]["choices"]
