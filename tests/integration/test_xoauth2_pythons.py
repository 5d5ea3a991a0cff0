# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The module's token fetch and XOAUTH2 login on the oldest and newest target Python this
ansible-core supports (pyenv interpreters, module run locally with send_from: target)."""

from __future__ import annotations

import glob
import os
import subprocess

import pytest

from conftest import BIN, assert_flint_shape, play, send
from oauth_servers import OAUTH_USER, SECRETS, leak_forms
from oauth_servers import oauth_env  # noqa: F401  pylint: disable=unused-import


def _core_version():
    out = subprocess.run([os.path.join(BIN, "python"), "-c", "import ansible.release as r; print(r.__version__)"],
                         capture_output=True, text=True, check=True).stdout
    return tuple(int(part) for part in out.strip().split(".")[:2])


def _interpreter(minor):
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
    found = sorted(glob.glob(os.path.join(root, "versions", "3.%d.*" % minor, "bin", "python3.%d" % minor)))
    return found[-1] if found else None


# ansible-core 2.19 still runs modules on 3.8; 2.20 and later need 3.9.
OLDEST = 8 if _core_version() < (2, 20) else 9
NEWEST = 13


@pytest.mark.parametrize("minor", [OLDEST, NEWEST])
def test_xoauth2_module_on_oldest_and_newest_python(ansible, oauth_env, minor):  # noqa: F811  pylint: disable=redefined-outer-name
    python = _interpreter(minor)
    if python is None:
        pytest.skip("no pyenv Python 3.%d here" % minor)
    env = oauth_env
    smtp = dict(env.smtp_args(env.smtp), send_from="target")
    tasks = [
        send("given token", dict(smtp, username=OAUTH_USER, oauth2_token=SECRETS["given_token"])),
        send("client credentials grant", dict(smtp, **env.token_args(grant="client_credentials"))),
        send("refused grant", dict(env.smtp_args(env.untouched), send_from="target", **env.token_args("/refuse"))),
        {"name": "interpreter", "ansible.builtin.command": "{{ ansible_python_interpreter }} --version",
         "register": "version"},
    ]
    run = ansible.playbook([play(tasks, vars={"ansible_python_interpreter": python})], verbosity=4,
                           name="xoauth2-py3%d" % minor)
    assert run.rc == 0, run.describe()
    assert run.result("interpreter")["stdout"].startswith("Python 3.%d." % minor)
    for task in ("given token", "client credentials grant"):
        result = run.result(task)
        assert_flint_shape(result, 0, send_from="target")
        meta, _msg = env.smtp.message_by_id(result["message_id"])
        assert meta["auth_mechanism"] == "XOAUTH2" and meta["auth_user"] == OAUTH_USER
    refused = run.result("refused grant")
    assert_flint_shape(refused, -1, send_from="target")
    assert refused["phase"] == "oauth2_token" and "invalid_grant" in refused["msg"]
    assert env.untouched.sessions() == []
    texts = (run.stdout, run.stderr, "\n".join(str(r) for r in run.records))
    assert not [form for form in leak_forms() for text in texts if form in text]
