# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Flint JSON playbook: ``ansible-playbook flint.smtp.smtp -e @input.json``, as AWX runs it."""

from __future__ import annotations

import json
import os

from conftest import ANSIBLE_PLAYBOOK, SMTP_USER, WRONG_PASSWORD, SMTP_PASSWORD, assert_flint_shape

SEND_TASK = "Send the e-mail described by the Flint input"
OUTPUT_TASK = "Flint output JSON"


def _run_flint(ansible, flint_input, extra_vars=None, env=None):
    run_dir = ansible.new_dir("flint")
    path = os.path.join(run_dir, "input.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(flint_input, handle)
    argv = [ANSIBLE_PLAYBOOK, "flint.smtp.smtp", "-e", "@" + path]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    return ansible.run(argv, run_dir, env)


def _flint_output(run):
    """The {meta, output} the last task printed, as the callback got it."""
    out = run.result(OUTPUT_TASK)["msg"]
    assert set(out) == {"meta", "output"}, out
    return out


def test_flint_input_success_with_awx_vars(ansible, tag, starttls_server, tmp_path):
    report, notes = tmp_path / "report.txt", tmp_path / "notes.csv"
    report.write_bytes(b"Disk usage report\n/ 42%\n")
    notes.write_bytes(b"a,b\n1,2\n")
    flint_input = {
        # Flint's sample input, same keys (user_name is how the flintbit read the user) ...
        "connector_name": "smtp",
        "target": starttls_server.target,
        "from": "anurag.dubey@infiverve.com",
        "user_name": SMTP_USER,
        "password": SMTP_PASSWORD,
        "to": "pratap.patil@infiverve.com",
        "cc": "ops@infiverve.com",
        "bcc": "audit@infiverve.com",
        "subject": "Testing SMTP connector " + tag,
        "body": "<p>Hello ... from <b>Flint</b></p>",
        "content-type": "text/html",
        "attachments": "%s, %s" % (report, notes),
        "timeout": 20000,
        # ... plus this collection's additions.
        "ca_path": starttls_server.ca_path,
        "ehlo_name": tag,
    }
    # The job's owner allows attachments from tmp_path (none are allowed by default).
    run = _run_flint(ansible, flint_input, {"awx_job_id": 42, "awx_user_name": "alice"},
                     env={"FLINT_SMTP_ATTACHMENT_DIRS": str(tmp_path)})
    assert run.rc == 0, run.describe()
    out = _flint_output(run)
    meta = out["meta"]
    assert out["output"] == {"result": "success"}
    assert meta["exit-code"] == 0 and meta["message"] == "success"
    assert meta["job-id"].startswith("job-awx-42-"), meta
    assert meta["username"] == "alice"
    assert meta["timeout"] == 20000
    sent = run.result(SEND_TASK)
    assert_flint_shape(sent, 0, send_from="controller")
    assert sent["meta"] == meta and sent["connector_name"] == "smtp"
    # Printed for a human (and AWX's stdout), not only in the result.
    assert meta["job-id"] in run.stdout and '"exit-code": 0' in run.stdout

    (stored,) = starttls_server.messages_from(tag)
    assert stored["auth_user"] == SMTP_USER and stored["tls"] is True
    assert sorted(stored["rcpt_tos"]) == ["audit@infiverve.com", "ops@infiverve.com", "pratap.patil@infiverve.com"]
    msg = starttls_server.message_by_id(sent["message_id"])[1]
    assert msg["Bcc"] is None and msg["Cc"] == "ops@infiverve.com"
    assert msg.get_body(("html",)).get_content().strip() == "<p>Hello ... from <b>Flint</b></p>"
    assert [(p.get_filename(), p.get_payload(decode=True)) for p in msg.iter_attachments()] == [
        ("report.txt", report.read_bytes()), ("notes.csv", notes.read_bytes())]
    assert SMTP_PASSWORD not in run.output


def test_flint_input_failure_prints_the_json_and_fails_the_run(ansible, tag, starttls_server):
    flint_input = {
        "connector_name": "smtp", "target": starttls_server.target, "ca_path": starttls_server.ca_path,
        "from": "a@example.com", "username": SMTP_USER, "password": WRONG_PASSWORD, "to": "b@example.net",
        "subject": "must not arrive " + tag, "body": "x", "ehlo_name": tag, "timeout": 20000,
    }
    run = _run_flint(ansible, flint_input, {"awx_job_id": 7, "awx_user_name": "bob"})
    assert run.rc != 0, run.describe()
    assert run.status(OUTPUT_TASK) == "failed"
    out = _flint_output(run)
    meta = out["meta"]
    assert meta["exit-code"] == -1
    assert meta["job-id"].startswith("job-awx-7-") and meta["username"] == "bob"
    assert "127.0.0.1:%d" % starttls_server.port in meta["message"] and "auth" in meta["message"]
    assert out["output"] == {"result": meta["message"]}
    sent = run.result(SEND_TASK)
    assert_flint_shape(sent, -1, send_from="controller")
    assert sent["phase"] == "auth"
    assert meta["job-id"] in run.stdout and '"exit-code": -1' in run.stdout
    assert starttls_server.messages_from(tag) == []
    assert WRONG_PASSWORD not in run.output


def test_flint_input_empty_credentials_mean_an_open_relay(ansible, tag, plain_server):
    flint_input = {
        "connector_name": "smtp", "target": plain_server.target, "security": "none", "from": "a@example.com",
        "username": "", "password": "", "to": "b@example.net, c@example.net", "cc": "", "bcc": "",
        "subject": "relay " + tag, "body": "plain relay", "attachments": "", "ehlo_name": tag,
    }
    run = _run_flint(ansible, flint_input)
    assert run.rc == 0, run.describe()
    meta = _flint_output(run)["meta"]
    assert meta["exit-code"] == 0
    assert meta["job-id"].startswith("job-") and not meta["job-id"].startswith("job-awx-")
    (stored,) = plain_server.messages_from(tag)
    assert stored["rcpt_tos"] == ["b@example.net", "c@example.net"] and stored["auth_user"] is None
