# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The same addresses give the same answer on every target Python (issue 6, item 5).

The module runs over real SSH on the loopback managed host once per pyenv interpreter
3.8-3.13 (``ansible_python_interpreter`` pinned per inventory host; become, because pyenv
lives in root's home). ansible-core 2.20+ refuses 3.8 targets, so under such a stack the 3.8
host is run by the ansible-core 2.19 stack (.venv/py311) when it is there.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess

import pytest

from ansible.release import __version__ as CORE_VERSION
from conftest import REPO_ROOT, assert_flint_shape, play, send

pytestmark = pytest.mark.sshd

WANTED = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
OLD_STACK = os.path.join(REPO_ROOT, ".venv", "py311", "bin", "ansible-playbook")

# name -> (to, expected envelope recipients, or the text the error must hold)
CASES = {
    "issue_example": (["bob@example.com (on-call team", "carol@example.com"], "unclosed comment"),
    "closed_comment": ("bob@example.com (on-call team)", ["bob@example.com"]),
    "quoted": ('"Doe, John" <john@example.net>, "a b"@example.net', ["john@example.net", '"a b"@example.net']),
    "literals": ("x@[127.0.0.1], y@[IPv6:::1]", ["x@[127.0.0.1]", "y@[IPv6:::1]"]),
    "dotted_name": ("J. Doe <j@example.com>", "must be quoted"),
    "idna": ("ops@bücher.example, jörg@exämple.de", ["ops@xn--bcher-kva.example", "jörg@xn--exmple-cua.de"]),
    "two_ats": ("a@b@example.com", "',' expected"),
    "unbalanced": ('"unbalanced <a@example.com>', "unclosed quote"),
    "encoded_word_name": ("=?utf-8?q?x?= <x@example.net>", ["x@example.net"]),
    "second_address_in_item": (["a@example.com b@example.com"], "unexpected 'b'"),
}


def _pyenv_root():
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
    return root or os.path.expanduser("~/.pyenv")


def _interpreters():
    """{"3.8": path, ...}: the newest pyenv patch release of each wanted minor version."""
    found = {}
    for path in sorted(glob.glob(os.path.join(_pyenv_root(), "versions", "3.*", "bin", "python3"))):
        match = re.search(r"/versions/(3\.\d+)\.(\d+)/", path)
        if match and match.group(1) in WANTED:
            found[match.group(1)] = path
    return found


def _oldest_target(core_version):
    major, minor = (int(part) for part in core_version.split(".")[:2])
    return (3, 9) if (major, minor) >= (2, 20) else (3, 8)


def _inventory(managed_host, interpreters, path):
    """The managed host once per interpreter: same sshd, same user and key, its own Python."""
    with open(managed_host.inventory, encoding="utf-8") as handle:
        text = handle.read()
    host_line = re.search(r"^%s\s+(.*)$" % re.escape(managed_host.host), text, re.M).group(1)
    group_vars = text.split("[managed:vars]", 1)[1]
    group_vars = re.sub(r"^ansible_python_interpreter=.*$", "", group_vars, flags=re.M)
    lines = ["[pythons]"]
    for version, python in interpreters.items():
        lines.append("py%s %s ansible_python_interpreter=%s" % (version.replace(".", "_"), host_line, python))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n\n[pythons:vars]" + group_vars)
    return path


@pytest.fixture(scope="module")
def python_runs(ansible, managed_host, plain_server, tmp_path_factory):
    interpreters = _interpreters()
    missing = [v for v in WANTED if v not in interpreters]
    if missing:
        pytest.skip("pyenv interpreters missing: %s" % ", ".join(missing))
    tasks = []
    for name, (to, _expected) in CASES.items():
        tasks.append(send(name, {"target": plain_server.target, "security": "none", "from": "sender@example.com",
                                 "to": to, "subject": "python parity %s {{ inventory_hostname }}" % name,
                                 "ehlo_name": "{{ inventory_hostname | replace('_', '-') }}.flint.test",
                                 "send_from": "target"}))
    # No ehlo_name: the default is found on the target without DNS.
    tasks.append(send("default_ehlo", {"target": plain_server.target, "security": "none",
                                       "from": "sender@example.com", "to": "ops@example.net",
                                       "subject": "default ehlo {{ inventory_hostname }}", "send_from": "target"}))
    facts = {"gather_subset": ["min"], "filter": ["ansible_python_version"]}
    tasks.append({"name": "python", "ansible.builtin.setup": facts})
    plays = [play(tasks, hosts="pythons", become=True)]
    oldest = _oldest_target(CORE_VERSION)
    here = {v: p for v, p in interpreters.items() if tuple(int(x) for x in v.split(".")) >= oldest}
    older = {v: p for v, p in interpreters.items() if v not in here}
    work = str(tmp_path_factory.mktemp("pythons"))
    runs = [ansible.playbook(plays, inventory=_inventory(managed_host, here, os.path.join(work, "here.ini")),
                             name="pythons")]
    if older:
        if not os.path.exists(OLD_STACK):
            pytest.skip("ansible-core %s refuses Python %s targets and %s is missing"
                        % (CORE_VERSION, ", ".join(older), OLD_STACK))
        run_dir = ansible.new_dir("pythons-old")
        with open(os.path.join(run_dir, "playbook.yml"), "w", encoding="utf-8") as handle:
            json.dump(plays, handle)
        inventory = _inventory(managed_host, older, os.path.join(run_dir, "old.ini"))
        runs.append(ansible.run([OLD_STACK, os.path.join(run_dir, "playbook.yml"), "-i", inventory], run_dir))
    for run in runs:
        assert run.rc == 0, run.describe()
    by_host = {}
    for run in runs:
        for record in run.records:
            by_host.setdefault(record["host"], {})[record["task"]] = record["result"]
    assert sorted(by_host) == sorted("py" + v.replace(".", "_") for v in WANTED), sorted(by_host)
    for host, results in by_host.items():  # each host really ran its own interpreter
        version = results["python"]["ansible_facts"]["ansible_python_version"]
        assert host == "py" + "_".join(version.split(".")[:2]), (host, version)
    return by_host


def _essence(result):
    return {"exit": result["meta"]["exit-code"], "phase": result.get("phase"), "msg": result["msg"] if
            result.get("failed") else re.sub(r"\b\d+ bytes\b", "N bytes", result["msg"]),
            "recipients": result.get("recipients"), "accepted": result.get("accepted")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_target_python_gives_the_same_answer(python_runs, plain_server, case):
    answers = {host: _essence(results[case]) for host, results in python_runs.items()}
    first = answers["py3_13"]
    assert all(answer == first for answer in answers.values()), json.dumps(answers, indent=1, ensure_ascii=False)
    expected = CASES[case][1]
    result = python_runs["py3_8"][case]
    assert result["send_from"] == "target"
    if isinstance(expected, list):
        assert_flint_shape(result, 0)
        assert first["accepted"] == expected
        for host, results in python_runs.items():
            meta, _msg = plain_server.message_by_id(results[case]["message_id"])
            assert meta["rcpt_tos"] == expected, host
    else:
        assert_flint_shape(result, 1)
        assert first["phase"] == "input" and expected in first["msg"], first


def test_default_ehlo_name_on_every_target_python(python_runs, plain_server):
    helos = {}
    for host, results in python_runs.items():
        assert_flint_shape(results["default_ehlo"], 0)
        helos[host] = plain_server.message_by_id(results["default_ehlo"]["message_id"])[0]["helo"]
    assert len(set(helos.values())) == 1, helos
    helo = helos["py3_8"]
    assert "." in helo or helo.startswith("["), helo
