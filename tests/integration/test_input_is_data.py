# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flint input is data (issue 6, items 1, 2 and 13), through ``ansible-playbook flint.smtp.smtp -e @input.json``.

Nothing in the input is rendered as a template, whatever it holds; whatever fails, the Flint
JSON is printed and the run fails; attachments come only from the directories the job's
owner listed in FLINT_SMTP_ATTACHMENT_DIRS, and nothing from the input writes a file.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml

from conftest import ANSIBLE_PLAYBOOK, SMTP_USER, Server, assert_flint_shape, play, send

import smtp_server

SEND_TASK = "Send the e-mail described by the Flint input"
OUTPUT_TASK = "Flint output JSON"
TEMPLATE_PASSWORD = "Ab{{ 7*7 }}zz"


@pytest.fixture(scope="module")
def template_password_server(tmp_path_factory):
    """Implicit TLS; the one account's password looks like a template."""
    store = str(tmp_path_factory.mktemp("smtp-template-pw"))
    with smtp_server.running_server("tls", store=store, auth_user=SMTP_USER, auth_password=TEMPLATE_PASSWORD,
                                    require_auth=True, max_seconds=1800) as info:
        yield Server(info)


def run_flint(ansible, flint_input, env=None, raw=None):
    run_dir = ansible.new_dir("flint")
    path = os.path.join(run_dir, "input.json")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(raw if raw is not None else json.dumps(flint_input))
    return ansible.run([ANSIBLE_PLAYBOOK, "flint.smtp.smtp", "-e", "@" + path], run_dir, env)


def flint_output(run):
    out = run.result(OUTPUT_TASK)["msg"]
    assert set(out) == {"meta", "output"}, run.describe()
    assert out["output"] == {"result": out["meta"]["message"]}
    return out


def assert_failed_with_flint_json(run, text):
    """exit-code 1 printed by the last task, and the run failed."""
    assert run.rc != 0, run.describe()
    assert run.status(OUTPUT_TASK) == "failed", run.describe()
    meta = flint_output(run)["meta"]
    assert meta["exit-code"] == 1 and text in meta["message"], meta
    assert '"exit-code": 1' in run.stdout
    return meta


def test_templates_in_the_input_reach_the_server_byte_exact(ansible, tag, tmp_path, template_password_server):
    server = template_password_server
    marker = tmp_path / "pwned"
    body = "{{ lookup('pipe', 'touch %s') }}\n{%% if true %%}x{%% endif %%} {# c #} ${HOME}" % marker
    flint_input = {
        "target": server.target, "ca_path": server.ca_path, "security": "tls", "timeout": 20000,
        "from": "a@example.com", "user_name": SMTP_USER, "password": TEMPLATE_PASSWORD,
        "to": "b@example.net", "cc": None, "bcc": None, "attachments": None,
        "subject": "Dear {{customer " + tag, "body": body, "ehlo_name": tag,
        "connector_name": "{{ 'smtp' | upper }}",
    }
    # A connector of that literal name (from the controller's environment): the name is matched as data.
    run = run_flint(ansible, flint_input, env={"FLINT_SMTP_CONNECTOR_NAME": "{{ 'smtp' | upper }}",
                                               "FLINT_SMTP_TIMEOUT": "20000"})
    assert run.rc == 0, run.describe()
    assert not marker.exists(), "the input ran a command on the controller"
    sent = run.result(SEND_TASK)
    assert_flint_shape(sent, 0, send_from="controller")
    assert sent["connector_name"] == "{{ 'smtp' | upper }}"
    (stored,) = server.messages_from(tag)
    assert stored["auth_user"] == SMTP_USER  # the server checked TEMPLATE_PASSWORD, byte for byte
    msg = server.message_by_id(sent["message_id"])[1]
    assert msg["Subject"] == "Dear {{customer " + tag
    assert msg.get_body(("plain",)).get_content().rstrip("\n") == body


@pytest.mark.parametrize("case, change, text", [
    ("unparsable template", {"subject": "Dear {{customer", "to": "{{ lookup('pipe', 'touch MARKER') }}"},
     "is not an e-mail address"),
    ("null for a required key", {"to": None}, "to"),
    ("missing key", {"from": None, "target": None}, "missing required arguments"),
    ("wrong type", {"timeout": [1, 2]}, "timeout"),
    ("wrong type in a list", {"to": [{"a": 1}]}, "to"),
    ("mapping as attachments", {"attachments": {"a": "b"}}, "attachments must be a list"),
    ("save_eml from the input", {"save_eml": "MARKER", "deliver": False}, "save_eml cannot come from the Flint input"),
    ("send_from from the input", {"send_from": "target"}, "send_from cannot come from the Flint input"),
    ("device as ca_path", {"ca_path": "/dev/zero"}, "ca_path /dev/zero is not a regular file"),
])
def test_every_failure_prints_the_flint_json_and_fails_the_run(ansible, tag, tmp_path, plain_server, case, change,
                                                               text):
    marker = str(tmp_path / "marker")
    flint_input = {"target": plain_server.target, "security": "none", "from": "a@example.com",
                   "to": "b@example.net", "subject": case, "body": "{{ lookup('pipe', 'touch %s') }}" % marker,
                   "ehlo_name": tag}
    flint_input.update(json.loads(json.dumps(change).replace("MARKER", marker)))
    run = run_flint(ansible, flint_input, env={"FLINT_SMTP_ATTACHMENT_DIRS": str(tmp_path)})
    assert_failed_with_flint_json(run, text)
    assert not os.path.exists(marker), "%s: the input ran or wrote something" % case
    assert plain_server.sessions_from(tag) == []  # failed before connecting


def test_input_that_is_not_json_data_still_prints_flint_json(ansible, plain_server):
    # YAML extra vars can carry types JSON cannot (a date): refused as data, in Flint's shape.
    raw = "target: %s\nsecurity: none\nfrom: a@example.com\nto: b@example.net\nsubject: 2024-01-01\n" % (
        plain_server.target)
    run = run_flint(ansible, None, raw=raw)
    assert_failed_with_flint_json(run, "subject")


def _attach_input(server, tag, attachments):
    return {"target": server.target, "security": "none", "from": "a@example.com", "to": "b@example.net",
            "subject": "attach " + tag, "ehlo_name": tag, "attachments": attachments}


def test_input_attachments_need_a_directory_the_owner_allowed(ansible, tag, plain_server):
    run = run_flint(ansible, _attach_input(plain_server, tag, "/etc/shadow, /proc/self/environ"))
    meta = assert_failed_with_flint_json(run, "FLINT_SMTP_ATTACHMENT_DIRS")
    assert "none are" in meta["message"]
    assert plain_server.sessions_from(tag) == []


def test_input_attachments_are_confined_after_resolving_links(ansible, tag, plain_server, tmp_path):
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (allowed / "report, Q3.txt").write_bytes(b"allowed\n")
    (outside / "secret.txt").write_bytes(b"secret\n")
    (allowed / "link.txt").symlink_to(outside / "secret.txt")
    env = {"FLINT_SMTP_ATTACHMENT_DIRS": "%s%s/nonexistent" % (allowed, os.pathsep)}
    for path in (str(outside / "secret.txt"), str(allowed / "link.txt"), "%s/../outside/secret.txt" % allowed,
                 "/etc/passwd"):
        run = run_flint(ansible, _attach_input(plain_server, tag, [path]), env=env)
        assert_failed_with_flint_json(run, "is outside the directories allowed by FLINT_SMTP_ATTACHMENT_DIRS")
    assert plain_server.sessions_from(tag) == []

    run = run_flint(ansible, _attach_input(plain_server, tag, [str(allowed / "report, Q3.txt")]), env=env)
    assert run.rc == 0, run.describe()
    msg = plain_server.message_by_id(run.result(SEND_TASK)["message_id"])[1]
    assert [(p.get_filename(), p.get_payload(decode=True)) for p in msg.iter_attachments()] == [
        ("report, Q3.txt", b"allowed\n")]


@pytest.mark.parametrize("key", ["content-type", "content_type"])
@pytest.mark.parametrize("given, subtype", [("text/HTML", "html"), ("Text/Plain", "plain"), ("TEXT/html", "html")])
def test_flint_content_type_any_case(ansible, tag, plain_server, key, given, subtype):
    flint_input = {"target": plain_server.target, "security": "none", "from": "a@example.com",
                   "to": "b@example.net", "subject": "ct " + tag, "body": "<b>x</b>", "ehlo_name": tag, key: given}
    run = run_flint(ansible, flint_input)
    assert run.rc == 0, run.describe()
    msg = plain_server.message_by_id(run.result(SEND_TASK)["message_id"])[1]
    # HTML goes with its derived text version (multipart/alternative); plain text is one part.
    expected = "multipart/alternative" if subtype == "html" else "text/plain"
    assert msg.get_content_type() == expected
    assert msg.get_body((subtype,)).get_content() == "<b>x</b>\n"


def test_a_send_task_that_crashes_without_a_result_still_prints_flint_json(ansible):
    """The playbook's always: section, with the send task swapped for one that fails like a crash
    (no meta in its result): the Flint JSON is still printed, exit-code 1, and the run fails."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "playbooks", "smtp.yml"), encoding="utf-8") as handle:
        plays = yaml.safe_load(handle)
    (send_task,) = plays[0]["tasks"][0]["block"]
    del send_task["flint.smtp.send"]
    send_task["ansible.builtin.fail"] = {"msg": "simulated crash"}
    run = ansible.playbook(plays, name="crash")
    meta = assert_failed_with_flint_json(run, "simulated crash")
    assert meta["job-id"].startswith("job-") and meta["context"] == "flint-util:smtp:operation:smtp.rb"


def test_input_messages_attachments_are_confined_too(ansible, tag, plain_server, tmp_path):
    (tmp_path / "ok.txt").write_bytes(b"ok\n")
    env = {"FLINT_SMTP_ATTACHMENT_DIRS": str(tmp_path)}
    base = _attach_input(plain_server, tag, None)
    bad = dict(base, messages=[{"subject": "one"}, {"subject": "two", "attachments": "/etc/passwd"}])
    assert_failed_with_flint_json(run_flint(ansible, bad, env=env), "messages[1]: attachment /etc/passwd is outside")
    assert plain_server.sessions_from(tag) == []
    good = dict(base, attachments=str(tmp_path / "ok.txt"), messages=[{"subject": "one"}, {"subject": "two"}])
    run = run_flint(ansible, good, env=env)
    assert run.rc == 0, run.describe()
    stored = [plain_server.email(meta) for meta in plain_server.messages_from(tag)]
    assert sorted(msg["Subject"] for msg in stored) == ["one", "two"]
    assert all([p.get_payload(decode=True) for p in msg.iter_attachments()] == [b"ok\n"] for msg in stored)


@pytest.mark.parametrize("attachments", ["%s/a\u0000b.txt", ["%s/report\n.txt"]])
def test_input_paths_with_control_characters_are_input_errors(ansible, tag, plain_server, tmp_path, attachments):
    """A NUL in a path made the OS raise ValueError: 'unexpected error' before, now an input error."""
    given = attachments % tmp_path if isinstance(attachments, str) else [attachments[0] % tmp_path]
    run = run_flint(ansible, _attach_input(plain_server, tag, given), env={"FLINT_SMTP_ATTACHMENT_DIRS": str(tmp_path)})
    meta = assert_failed_with_flint_json(run, "contains the control character")
    assert "unexpected" not in meta["message"]
    assert plain_server.sessions_from(tag) == []


def test_task_paths_with_control_characters_are_input_errors(ansible, tag, plain_server, tmp_path):
    base = {"target": plain_server.target, "security": "none", "from": "a@example.com", "to": "b@example.net",
            "ehlo_name": tag}
    tasks = [send("attachment", dict(base, attachments=["%s/a\u0000b" % tmp_path])),
             send("save_eml", dict(base, save_eml="%s/x\u0000.eml" % tmp_path, deliver=False)),
             send("item", dict(base, messages=[{"to": "c@example.net", "attachments": ["/tmp/\u0000"]}]))]
    run = ansible.playbook([play(tasks)])
    for name in ("attachment", "save_eml"):
        result = run.result(name)
        assert result["rc"] == 1 and result["phase"] == "input", result
        assert "contains the control character" in result["msg"], result
    item = run.result("item")["messages"][0]["error"]
    assert item["phase"] == "input" and "contains the control character" in item["msg"], item
    assert plain_server.sessions_from(tag) == []
