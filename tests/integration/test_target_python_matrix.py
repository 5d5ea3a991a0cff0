# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The target path on every target Python that the running ansible-core supports.

module_utils run on the managed host, so they must work on the oldest Python there. One play
runs the module (send_from: target, a local connection per host) with each pyenv interpreter
from 3.8 up that this ansible-core supports as a target (2.16: 3.8-3.12, 2.19: 3.8-3.13,
2.21: 3.9-3.13 here), through STARTTLS with a verified certificate and AUTH, with a non-ASCII
subject, display names, Bcc and an attachment, and once with a wrong password.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess

import pytest

from conftest import WRONG_PASSWORD, assert_flint_shape, auth_args, play, send

OLDEST = (3, 8)  # tests/config.yml: python_requires '>=3.8'


def _core_target_pythons():
    """The Python versions ansible-test of this ansible-core accepts for targets (and controllers)."""
    from ansible_test._util.target.common.constants import (  # pylint: disable=import-outside-toplevel
        CONTROLLER_PYTHON_VERSIONS, REMOTE_ONLY_PYTHON_VERSIONS)
    return {tuple(int(p) for p in v.split(".")) for v in CONTROLLER_PYTHON_VERSIONS + REMOTE_ONLY_PYTHON_VERSIONS}


def _pyenv_pythons():
    """{(3, 8): '/root/.pyenv/versions/3.8.18/bin/python3.8', ...}: the newest patch of each minor."""
    root = os.environ.get("PYENV_ROOT")
    if not root:
        try:
            root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            root = os.path.expanduser("~/.pyenv")
    found = {}
    for exe in sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3.*"))):
        match = re.search(r"/python(3)\.(\d+)$", exe)
        if match and os.access(exe, os.X_OK):
            found[(3, int(match.group(2)))] = exe
    return found


def _interpreters():
    supported = _core_target_pythons()
    return {v: exe for v, exe in sorted(_pyenv_pythons().items()) if v >= OLDEST and v in supported}


def test_target_path_on_every_supported_python(ansible, tag, starttls_server, tmp_path, capsys):
    pythons = _interpreters()
    if not pythons:
        pytest.skip("no pyenv interpreters found (PYENV_ROOT or ~/.pyenv)")
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[pythons]\n" + "".join(
        "py%d%d ansible_connection=local ansible_python_interpreter=%s\n" % (v[0], v[1], exe)
        for v, exe in pythons.items()), encoding="utf-8")
    attachment = tmp_path / "r\u00e9sum\u00e9.txt"
    attachment.write_bytes(b"line 1\r\nline 2\n\x00binary tail")

    ehlo = "{{ inventory_hostname }}-" + tag
    args = auth_args(starttls_server, **{
        "send_from": "target", "ehlo_name": ehlo,
        "from": "Ops \u00e9quipe <ops@example.com>", "to": "Z\u00fcrich desk <desk@example.net>, two@example.net",
        "bcc": "audit@example.net", "subject": "target on {{ inventory_hostname }} \u2014 " + tag,
        "body": "sent by Python {{ ansible_facts.python_version }}\n", "attachments": str(attachment)})
    tasks = [
        {"name": "which python", "ansible.builtin.setup": {"gather_subset": ["!all"]}},
        send("send", args),
        send("bad password", dict(args, password=WRONG_PASSWORD, subject="refused " + tag)),
    ]
    run = ansible.playbook([play(tasks, hosts="pythons")], inventory=str(inventory))
    assert run.rc == 0, run.describe()

    for version, exe in pythons.items():
        host = "py%d%d" % version
        facts = run.result("which python", host)["ansible_facts"]
        assert tuple(int(p) for p in facts["ansible_python_version"].split(".")[:2]) == version, facts
        assert facts["ansible_python"]["executable"] == exe

        result = run.result("send", host)
        assert_flint_shape(result, 0, send_from="target")
        assert result["accepted"] == ["desk@example.net", "two@example.net", "audit@example.net"], result
        meta, msg = starttls_server.message_by_id(result["message_id"])
        assert meta["helo"] == "%s-%s" % (host, tag)
        assert meta["tls"] is True and meta["auth_user"] is not None
        assert msg["Subject"] == "target on %s \u2014 %s" % (host, tag)
        assert msg["Bcc"] is None
        assert msg.get_body(("plain",)).get_content() == "sent by Python %s\n" % facts["ansible_python_version"]
        (part,) = list(msg.iter_attachments())
        assert part.get_filename() == "r\u00e9sum\u00e9.txt"
        assert part.get_payload(decode=True) == b"line 1\r\nline 2\n\x00binary tail"

        failed = run.result("bad password", host)
        assert_flint_shape(failed, -1, send_from="target")
        assert failed["phase"] == "auth", failed
        assert "Traceback" not in failed["msg"]
        assert WRONG_PASSWORD not in run.output
    with capsys.disabled():  # into the CI log: which target Pythons this core was shown to work on
        print("\n  target path OK on Python " + ", ".join("%d.%d" % v for v in pythons), end=" ")
