# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""send_from=target over real SSH with pipelining NOT configured (Ansible's default): the module
runs pipelined when nothing can stand in the way, and an explicit ``ansible_pipelining: false``
and become (sudo) are left to the user's setting. Each case must deliver its mail either way.
"""

from __future__ import annotations

import re
import uuid

import pytest

from ansible.release import __version__ as core_version

from conftest import play, send

pytestmark = pytest.mark.sshd
# ansible-core before 2.19 cannot tell an explicit false from "not set": we never pipeline on our own there
OWN_PIPELINING = tuple(int(part) for part in core_version.split(".")[:2]) >= (2, 19)

CASES = {
    # task name: (task keywords, pipelined?)
    "pipelining unset": ({}, OWN_PIPELINING),
    "pipelining false": ({"vars": {"ansible_pipelining": False}}, False),
    "pipelining unset with become": ({"become": True}, False),
}


@pytest.fixture(scope="module")
def unset_run(ansible, managed_host, plain_server, tmp_path_factory):
    # The harness's inventory turns pipelining on for speed; here it is not configured at all.
    inventory = str(tmp_path_factory.mktemp("inv") / "inventory.ini")
    with open(managed_host.inventory, encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("ansible_pipelining")]
    with open(inventory, "w", encoding="utf-8") as handle:
        handle.writelines(lines)
    tag = uuid.uuid4().hex[:10]
    tasks = [send(name, {"target": plain_server.target, "security": "none", "from": "mh@example.com",
                         "to": "ops@example.net", "subject": "%s %s" % (name, tag), "send_from": "target"}, **keywords)
             for name, (keywords, _pipelined) in CASES.items()]
    run = ansible.playbook([play(tasks, hosts=managed_host.host)], inventory=inventory, verbosity=3,
                           name="pipelining")  # the harness passes no ANSIBLE_* of ours
    assert run.rc == 0, run.describe()
    return run, tag


def _task_output(output, name):
    start = output.index("TASK [%s]" % name)
    end = output.find("TASK [", start + 1)
    return output[start:end if end != -1 else len(output)]


@pytest.mark.parametrize("name", list(CASES))
def test_target_sends_pipelined_only_where_nothing_can_stand_in_the_way(unset_run, plain_server, name):
    run, tag = unset_run
    result = run.result(name)
    assert result.get("failed") is not True, result
    assert result["send_from"] == "target" and result["meta"]["exit-code"] == 0
    subjects = [plain_server.message_by_id(result["message_id"])[1]["Subject"]]
    assert subjects == ["%s %s" % (name, tag)]
    text = _task_output(run.output, name)
    copied = re.search(r"PUT .*AnsiballZ_send\.py", text) is not None
    assert copied is not CASES[name][1], text[-3000:]
    # pipelined, the payload is read from stdin in one call (_piped_module), not a byte at a time
    assert ("sys.stdin.buffer.read()" in text) is CASES[name][1], text[-3000:]
