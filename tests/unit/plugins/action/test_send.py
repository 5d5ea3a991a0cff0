# -*- coding: utf-8 -*-
from __future__ import annotations

import json
from unittest.mock import MagicMock

import pytest

from ansible.playbook.task import Task

from ansible_collections.flint.smtp.plugins.action.send import ActionModule

SECRET = "pa55-W0rd-never-shown"
BASE = {"target": "mail.example.com", "from": "ops@example.com", "to": "a@example.com"}


def action(args, transport="local", become=False, check_mode=None, async_val=0):
    # Check mode unless async: ansible-core < 2.19 refuses async together with check mode before
    # the action runs. Async cases either are refused or reach the mocked module: nothing is sent.
    if check_mode is None:
        check_mode = not async_val
    task = MagicMock(Task)
    task.args = dict(args)
    task.check_mode = check_mode
    task.async_val = async_val
    task.diff = False
    connection = MagicMock()
    connection.transport = transport
    play_context = MagicMock()
    play_context.become = become
    play_context.check_mode = check_mode
    plugin = ActionModule(task, connection, play_context, loader=None, templar=None, shared_loader_obj=None)

    def module(module_name, module_args, task_vars, wrap_async):
        # What the module does with the identity it is given.
        return {"changed": True, "rc": 0, "send_from": "target",
                "meta": {"job-id": module_args["job_id"], "username": module_args["job_user"], "exit-code": 0}}
    plugin._execute_module = MagicMock(side_effect=module)
    return plugin


@pytest.mark.parametrize("transport, become, async_val, send_from, expected", [
    ("local", False, 0, "auto", "controller"),
    ("ssh", False, 0, "auto", "target"),
    ("local", True, 0, "auto", "target"),
    ("local", False, 30, "auto", "target"),
    ("ssh", False, 0, "controller", "controller"),
    ("local", False, 0, "target", "target"),
])
def test_where_the_mail_is_sent_from(transport, become, async_val, send_from, expected):
    plugin = action(dict(BASE, send_from=send_from), transport, become, async_val=async_val)
    result = plugin.run(task_vars={})
    assert result["send_from"] == expected
    assert plugin._execute_module.called == (expected == "target")


def test_controller_check_mode_is_flint_shaped_with_awx_identity():
    result = action(BASE).run(task_vars={"awx_job_id": 42, "awx_user_name": "alice"})
    assert result["changed"] is True and result["rc"] == 0 and result["send_from"] == "controller"
    assert result["meta"]["job-id"].startswith("job-awx-42-") and result["meta"]["username"] == "alice"


def test_target_result_gets_the_controller_job_and_user():
    plugin = action(BASE, transport="ssh")
    result = plugin.run(task_vars={"awx_job_id": 7, "awx_user_name": "bob"})
    assert result["meta"]["job-id"].startswith("job-awx-7-") and result["meta"]["username"] == "bob"
    kwargs = plugin._execute_module.call_args.kwargs
    assert kwargs["module_name"] == "flint.smtp.send" and kwargs["module_args"]["send_from"] == "target"
    # The identity travels to the module, so async results (never seen here) carry it too.
    assert kwargs["module_args"]["job_id"] == result["meta"]["job-id"] and kwargs["module_args"]["job_user"] == "bob"


def test_task_given_job_identity_wins():
    result = action(dict(BASE, job_id="job-change-1234", job_user="carol")).run(task_vars={"awx_job_id": 7})
    assert result["meta"]["job-id"] == "job-change-1234" and result["meta"]["username"] == "carol"


def test_module_that_never_ran_still_answers_in_flint_shape():
    plugin = action(BASE, transport="ssh")
    plugin._execute_module.side_effect = None
    plugin._execute_module.return_value = {"failed": True, "msg": "MODULE FAILURE: no python", "rc": 127}
    result = plugin.run(task_vars={})
    assert result["failed"] and result["rc"] == 1 and result["meta"]["exit-code"] == 1
    assert result["output"]["result"] == "MODULE FAILURE: no python"


def test_flint_content_type_spelling_is_accepted():
    plugin = action(dict(BASE, **{"content-type": "text/html"}), transport="ssh")
    plugin.run(task_vars={})
    args = plugin._execute_module.call_args.kwargs["module_args"]
    assert args["content_type"] == "text/html" and "content-type" not in args


def test_both_content_type_spellings_is_an_error():
    result = action(dict(BASE, **{"content-type": "text/html", "content_type": "text/plain"})).run(task_vars={})
    assert result["failed"] and result["rc"] == 1 and "not both" in result["msg"]


def test_invalid_options_fail_before_any_module_runs_and_hide_secrets():
    plugin = action(dict(BASE, bogus=1, username="u", password=SECRET), transport="ssh")
    result = plugin.run(task_vars={})
    assert result["failed"] and result["rc"] == 1 and result["phase"] == "input"
    assert "bogus" in result["msg"] and result["meta"]["message"] == result["msg"]
    assert not plugin._execute_module.called
    assert SECRET not in json.dumps(result)


def test_secret_echoed_by_anything_is_scrubbed():
    # A user pasting the password into the subject must not see it come back.
    result = action(dict(BASE, username="u", password=SECRET, subject="pw " + SECRET)).run(task_vars={})
    assert SECRET not in json.dumps(result)


def test_missing_required_option():
    result = action({"from": "ops@example.com", "to": "a@example.com"}).run(task_vars={})
    assert result["failed"] and result["rc"] == 1 and "target" in result["msg"]


def test_input_failure_keeps_a_flint_string_timeout():
    result = action(dict(BASE, timeout="1500", bogus=1)).run(task_vars={})
    assert result["rc"] == 1 and result["meta"]["timeout"] == 1500


@pytest.mark.parametrize("send_from, refused", [("controller", True), ("auto", False), ("target", False)])
def test_async_with_controller_is_refused_not_run_sync(send_from, refused):
    plugin = action(dict(BASE, send_from=send_from), async_val=30)
    result = plugin.run(task_vars={})
    if refused:
        assert result["failed"] and result["rc"] == 1 and result["phase"] == "input"
        assert "send_from: controller cannot run as an async task" in result["msg"]
        assert not plugin._execute_module.called
    else:
        assert result["send_from"] == "target" and plugin._execute_module.called


def test_flint_input_reads_task_vars_untemplated():
    plugin = action({"flint_input": True, "send_from": "controller"})
    task_vars = dict(BASE, subject="Dear {{customer", body="{{ lookup('pipe', 'id') }}", cc=None,
                     **{"content-type": "Text/HTML"})
    result = plugin.run(task_vars=task_vars)
    assert result["rc"] == 0 and result["send_from"] == "controller", result
    assert result["recipients"] == ["a@example.com"]


def test_flint_input_attachments_need_the_owners_directories(tmp_path, monkeypatch):
    report = tmp_path / "report.txt"
    report.write_bytes(b"r")
    monkeypatch.delenv("FLINT_SMTP_ATTACHMENT_DIRS", raising=False)
    task_vars = dict(BASE, attachments=str(report))
    result = action({"flint_input": True, "send_from": "controller"}).run(task_vars=task_vars)
    assert result["rc"] == 1 and "FLINT_SMTP_ATTACHMENT_DIRS" in result["msg"]
    monkeypatch.setenv("FLINT_SMTP_ATTACHMENT_DIRS", str(tmp_path))
    result = action({"flint_input": True, "send_from": "controller"}).run(task_vars=task_vars)
    assert result["rc"] == 0 and result["attachments"][0]["filename"] == "report.txt", result
    # On the managed host the controller's setting cannot protect anything: refused.
    result = action({"flint_input": True, "send_from": "target"}).run(task_vars=task_vars)
    assert result["rc"] == 1 and "only read on the controller" in result["msg"]


def test_crash_in_the_plugin_still_answers_in_flint_shape(monkeypatch):
    plugin = action(dict(BASE, send_from="controller", password="S3cret-\xe4-value", username="u"))
    monkeypatch.setattr("ansible_collections.flint.smtp.plugins.action.send.validate",
                        MagicMock(side_effect=RuntimeError("boom S3cret-\xe4-value")))
    result = plugin.run(task_vars={})
    assert result["rc"] == 1 and result["meta"]["exit-code"] == 1 and result["phase"] == "internal"
    assert "S3cret" not in json.dumps(result) and "RuntimeError" in result["msg"]


def test_flint_input_messages_attachments_are_confined_too(tmp_path, monkeypatch):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "ok.txt").write_bytes(b"ok")
    monkeypatch.setenv("FLINT_SMTP_ATTACHMENT_DIRS", str(allowed))
    task = {"flint_input": True, "send_from": "controller"}
    outside = dict(BASE, messages=[{"subject": "a"}, {"subject": "b", "attachments": ["/etc/passwd"]}])
    result = action(task).run(task_vars=outside)
    assert result["rc"] == 1 and result["msg"].startswith("messages[1]: attachment /etc/passwd is outside"), result
    # The top-level attachment is shared by every item that does not name its own.
    inside = dict(BASE, attachments=str(allowed / "ok.txt"),
                  messages=[{"subject": "a"}, {"subject": "b", "attachments": [str(allowed / "ok.txt")]}])
    result = action(task).run(task_vars=inside)
    assert result["rc"] == 0, result
    assert result["totals"]["total"] == 2 and result["totals"]["failed"] == 0, result
    assert [item["error"] for item in result["messages"]] == [None, None]
    result = action({"flint_input": True, "send_from": "target"}).run(task_vars=inside)
    assert result["rc"] == 1 and "only read on the controller" in result["msg"]


@pytest.mark.parametrize("key", ["save_eml_dir"])
def test_flint_input_refuses_file_writing_bulk_options(key):
    result = action({"flint_input": True, "send_from": "controller"}).run(task_vars=dict(BASE, **{key: "/tmp/x"}))
    assert result["rc"] == 1 and "%s cannot come from the Flint input" % key in result["msg"]


def test_secret_in_a_failed_attempt_is_scrubbed(monkeypatch):
    # A server that echoes what it got (the user name field holding the password by mistake, say)
    # must not leak it through the attempts list either.
    def fake_run(params, **kwargs):
        echoed = "SMTP auth failed at mail.example.com:587: 454 4.7.0 busy for %s" % SECRET
        return {"failed": True, "msg": echoed, "attempts": [
            {"attempt": 1, "phase": "auth", "smtp_code": 454, "smtp_text": "busy for " + SECRET, "msg": echoed,
             "started_ms": 0, "elapsed_ms": 3}]}
    monkeypatch.setattr("ansible_collections.flint.smtp.plugins.action.send.run", fake_run)
    result = action(dict(BASE, username="u", password=SECRET), check_mode=False).run(task_vars={})
    assert result["attempts"][0]["phase"] == "auth"
    assert SECRET not in json.dumps(result)


def _with_templar(plugin, task_vars):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    plugin._templar = Templar(loader=DataLoader(), variables=task_vars)
    return plugin


def test_connector_profile_fills_the_task_and_its_secret_is_scrubbed():
    task_vars = {"flint_smtp_connectors": {"office": {"target": "mail.example.com", "username": "alerts",
                                                      "password": SECRET, "from": "ops@example.com"}}}
    plugin = _with_templar(action({"connector_name": "office", "to": "a@example.com", "subject": SECRET},
                                  transport="ssh"), task_vars)
    result = plugin.run(task_vars=task_vars)
    assert result["connector"] == {"name": "office", "sources": ["flint_smtp_connectors"],
                                   "options": ["from", "password", "target", "username"]}
    sent = plugin._execute_module.call_args.kwargs["module_args"]
    assert sent["password"] == SECRET and sent["target"] == "mail.example.com"
    assert SECRET not in json.dumps(result)  # echoed in the subject: no_log covers the profile's value too


def test_unknown_connector_is_an_input_failure_before_anything_runs():
    plugin = _with_templar(action(dict(BASE, connector_name="nope")), {})
    result = plugin.run(task_vars={"flint_smtp_connectors": {"office": {}}})
    assert result["failed"] and result["rc"] == 1 and result["phase"] == "input"
    assert result["msg"] == "Invalid options for flint.smtp.send: unknown connector 'nope': the known connectors are 'office'"
    assert result["connector_name"] == "nope" and not plugin._execute_module.called


def test_target_path_pipelines_new_style_modules_unless_the_user_says_otherwise(monkeypatch):
    import io

    from ansible.playbook.play_context import PlayContext
    from ansible.plugins.loader import connection_loader

    monkeypatch.delenv("ANSIBLE_PIPELINING", raising=False)
    from ansible_collections.flint.smtp.plugins.plugin_utils._pipelining import _ORIGINS_RELIABLE

    for var_options, expected in (({}, _ORIGINS_RELIABLE), ({"ansible_pipelining": False}, False)):
        play_context = PlayContext()
        conn = connection_loader.get("ssh", play_context, io.StringIO())
        conn.set_options(var_options=var_options)
        plugin = ActionModule(MagicMock(Task), conn, play_context, loader=None, templar=None, shared_loader_obj=None)
        assert plugin._is_pipelining_enabled("new") is expected
        assert plugin._is_pipelining_enabled("new", wrap_async=True) is False
        assert plugin._is_pipelining_enabled("old") is False
    # over the local connection too, now that the payload is read in one call (see _piped_module)
    conn = connection_loader.get("local", PlayContext(), io.StringIO())
    conn.set_options(var_options={})
    plugin = ActionModule(MagicMock(Task), conn, PlayContext(), loader=None, templar=None, shared_loader_obj=None)
    assert plugin._is_pipelining_enabled("new") is _ORIGINS_RELIABLE


def test_a_pipelined_module_run_goes_through_the_one_call_reader(monkeypatch):
    from ansible.plugins.action import ActionBase

    from ansible_collections.flint.smtp.plugins.plugin_utils._piped_module import READ_STDIN_AT_ONCE

    calls = []
    monkeypatch.setattr(ActionBase, "_low_level_execute_command",
                        lambda self, cmd, *args, **kwargs: calls.append((cmd, args, kwargs)) or {"rc": 0})
    conn = MagicMock()
    conn._shell.SHELL_FAMILY = "sh"
    plugin = ActionModule(MagicMock(Task), conn, MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    payload = b"#!/usr/bin/python3\n"
    plugin._low_level_execute_command("/usr/bin/python3", sudoable=False, in_data=payload)
    plugin._low_level_execute_command("/usr/bin/python3", False, payload)  # Ansible's positional order
    plugin._low_level_execute_command("echo ~", sudoable=False)
    assert [cmd for cmd, _args, _kwargs in calls] == ["/usr/bin/python3 -c '%s'" % READ_STDIN_AT_ONCE] * 2 + ["echo ~"]
    assert calls[0][2] == {"sudoable": False, "in_data": payload} and calls[1][1] == (False, payload)
