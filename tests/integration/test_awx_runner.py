# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX path, reproduced with ansible-runner the way AWX drives it.

AWX writes the job's extra vars (with its own awx_*/tower_* meta vars, strings tagged
!unsafe) to env/extravars, runs the project's playbook with ansible-runner, and shows the
job's events and set_stats artifacts. See shared/reference/awx.md.
"""

from __future__ import annotations

import os

import pytest

from conftest import BIN, SMTP_PASSWORD, SMTP_USER, assert_flint_shape, secret_forms

ansible_runner = pytest.importorskip("ansible_runner")

EXTRAVARS = """\
!unsafe 'connector_name': !unsafe 'smtp'
!unsafe 'target': !unsafe '{target}'
!unsafe 'from': !unsafe 'anurag.dubey@infiverve.com'
!unsafe 'user_name': !unsafe '{user}'
!unsafe 'password': !unsafe '{password}'
!unsafe 'to': !unsafe 'pratap.patil@infiverve.com'
!unsafe 'subject': !unsafe 'AWX job {tag}'
!unsafe 'body': !unsafe 'Hello from an AWX job template'
!unsafe 'ca_path': !unsafe '{ca}'
!unsafe 'ehlo_name': !unsafe '{tag}'
!unsafe 'timeout': 20000
awx_job_id: 4242
tower_job_id: 4242
awx_job_launch_type: manual
awx_user_name: !unsafe 'alice'
tower_user_name: !unsafe 'alice'
awx_job_template_name: !unsafe 'Flint SMTP'
"""


def _private_data_dir(tmp_path, server, tag, password):
    root = tmp_path / "pdd"
    (root / "project").mkdir(parents=True)
    (root / "inventory").mkdir()
    (root / "env").mkdir()
    # A project playbook that hands over to the collection's Flint playbook, as a job template would.
    (root / "project" / "send.yml").write_text("---\n- name: Flint SMTP\n  ansible.builtin.import_playbook: flint.smtp.smtp\n")
    (root / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter={{ ansible_playbook_python }}\n")
    (root / "env" / "extravars").write_text(EXTRAVARS.format(
        target=server.target, user=SMTP_USER, password=password, ca=server.ca_path, tag=tag))
    return str(root)


def _run(ansible, pdd, ident):
    env = ansible.env(os.path.join(pdd, "artifacts"))
    # Only what AWX would set for a local run; the capture callback is the suite's, not AWX's.
    envvars = {key: value for key, value in env.items()
               if key.startswith("ANSIBLE_") and "CALLBACK" not in key and key != "ANSIBLE_NOCOLOR"}
    envvars.update({"JOB_ID": ident, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")})
    return ansible_runner.run(private_data_dir=pdd, playbook="send.yml", ident=ident, envvars=envvars,
                              suppress_env_files=True, quiet=True, settings={"suppress_ansible_output": True})


def _event(runner, name, action="flint.smtp.send"):
    events = [e for e in runner.events if e["event"] == name and e["event_data"].get("task_action") == action]
    assert len(events) == 1, [e["event"] for e in runner.events]
    return events[0]["event_data"]["res"]


def test_awx_job_success_event_and_artifact(ansible, tmp_path, tag, starttls_server):
    runner = _run(ansible, _private_data_dir(tmp_path, starttls_server, tag, SMTP_PASSWORD), "4242")
    assert (runner.status, runner.rc) == ("successful", 0), runner.stdout.read()
    res = _event(runner, "runner_on_ok")
    assert_flint_shape(res, 0, send_from="controller")
    assert res["meta"]["job-id"].startswith("job-awx-4242-") and res["meta"]["username"] == "alice"
    stats = [e for e in runner.events if e["event"] == "playbook_on_stats"][0]["event_data"]
    assert stats["artifact_data"]["flint_output"]["meta"]["job-id"] == res["meta"]["job-id"]
    stored = starttls_server.messages_from(tag)
    assert len(stored) == 1 and stored[0]["auth_user"] == SMTP_USER and stored[0]["tls"]


def test_awx_job_failure_is_a_failed_job_with_flint_output(ansible, tmp_path, tag, starttls_server):
    wrong = "Wrong-" + tag
    pdd = _private_data_dir(tmp_path, starttls_server, tag, wrong)
    runner = _run(ansible, pdd, "4243")
    assert (runner.status, runner.rc) == ("failed", 2)
    res = _event(runner, "runner_on_failed", action="ansible.builtin.debug")
    assert res["msg"]["meta"]["exit-code"] == -1 and "535" in res["msg"]["meta"]["message"]
    assert starttls_server.messages_from(tag) == []
    # AWX shows job stdout and events unmasked: the password must not be in either.
    everything = runner.stdout.read() + "".join(str(e) for e in runner.events)
    for form in secret_forms(wrong):
        assert form not in everything
