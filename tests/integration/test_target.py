# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sending from the managed host over real SSH (scripts/testhosts/sshd.sh), and parity with the
controller: the same input gives the same result on both paths.

Everything runs as one ``ansible-playbook -vvvv`` against host mh1 (module scope), so the
verbose output of both paths, success and failure, can be searched for the password.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest

from conftest import (SMTP_PASSWORD, SMTP_USER, WRONG_PASSWORD, assert_flint_shape, auth_args, parse_email, play,
                      secret_forms, send)

pytestmark = pytest.mark.sshd

PARITY_CASES = ("success", "refused_warn", "bad_password", "bad_input", "invalid_option", "check_connection")
SECRET_TEXT = "only %s may read this: %s\n"


@pytest.fixture(scope="module")
def target_run(ansible, managed_host, mh_dir, shared_dir, starttls_server, plain_server):
    tag = uuid.uuid4().hex[:10]
    home_rel = "~/" + os.path.basename(mh_dir)  # "~" is the SSH test user's home only on the target
    secret = os.path.join(mh_dir, "secret.txt")
    secret_text = SECRET_TEXT % (managed_host.user, tag)
    with open(secret, "w", encoding="utf-8") as handle:
        handle.write(secret_text)
    os.chown(secret, managed_host.uid, managed_host.gid)
    os.chmod(secret, 0o600)
    shared_attachment = os.path.join(shared_dir, "parity-report.txt")  # same path, readable on both paths
    with open(shared_attachment, "w", encoding="utf-8") as handle:
        handle.write("same file for both paths\n")
    os.chmod(shared_attachment, 0o644)

    def secure(**more):
        args = auth_args(starttls_server, **{"from": "%s@example.com" % managed_host.host, "to": "ops@example.net"})
        args.update(more)
        return args

    on_target = {"attachments": home_rel + "/secret.txt"}
    tasks = [
        send("send_from target", secure(send_from="target", subject="explicit " + tag, ehlo_name="explicit-" + tag,
                                        save_eml=home_rel + "/explicit.eml", **on_target)),
        send("auto over ssh", secure(subject="auto " + tag, ehlo_name="auto-" + tag,
                                     save_eml=home_rel + "/auto.eml", **on_target)),
        # The same attachment path from the controller: "~" is root's home there, the file is not.
        send("auto delegated to localhost", secure(subject="delegated " + tag, ehlo_name="delegated-" + tag,
                                                   **on_target), delegate_to="localhost"),
        send("auto with become", secure(subject="become " + tag, ehlo_name="become-" + tag), become=True),
    ]
    parity = {
        "success": secure(**{"to": "To <to@example.net>, to2@example.net", "cc": ["cc@example.net"],
                             "bcc": "bcc@example.org", "subject": "parity " + tag, "body": "<b>same</b>",
                             "content_type": "text/html", "attachments": [shared_attachment]}),
        "refused_warn": {"target": plain_server.target, "security": "none", "from": "a@example.com",
                         "to": ["ok@example.net", "nobody@example.net"], "on_refused": "warn",
                         "subject": "parity warn " + tag},
        "bad_password": secure(password=WRONG_PASSWORD, subject="parity bad password " + tag),
        "bad_input": secure(to="not an address", subject="parity bad input " + tag),  # found by the core
        "invalid_option": secure(content_type="text/rtf", subject="parity invalid " + tag),  # by the spec
        "check_connection": secure(check_connection=True, subject="parity check " + tag),
    }
    for case in PARITY_CASES:
        for where in ("target", "controller"):
            task = send("parity %s %s" % (case, where), dict(parity[case], send_from=where))
            if case == "check_connection":
                task["check_mode"] = True
            tasks.append(task)
    # Run from AWX, asynchronously: async always sends from the host; the job and user stay AWX's.
    awx_play = play([send("async from awx", secure(subject="async " + tag, ehlo_name="async-" + tag),
                          **{"async": 60, "poll": 1})],
                    hosts=managed_host.host, vars={"awx_job_id": 42, "awx_user_name": "alice"})
    run = ansible.playbook([play(tasks, hosts=managed_host.host), awx_play], inventory=managed_host.inventory,
                           verbosity=4, name="target")
    assert run.rc == 0, run.describe()
    return {"run": run, "tag": tag, "home_rel": home_rel, "secret_text": secret_text}


def _attachment_texts(server, result):
    _meta, msg = server.message_by_id(result["message_id"])
    return [(p.get_filename(), p.get_payload(decode=True).decode()) for p in msg.iter_attachments()]


@pytest.mark.parametrize("task", ["send_from target", "auto over ssh"])
def test_sent_from_the_managed_host(target_run, managed_host, mh_dir, starttls_server, task):
    run = target_run["run"]
    result = run.result(task)
    assert_flint_shape(result, 0, send_from="target")
    # The job and user are the controller's, not the SSH login's.
    assert result["meta"]["username"] != managed_host.user
    # The attachment is a 0600 file of the SSH user, named by a path relative to *their* home.
    assert _attachment_texts(starttls_server, result) == [("secret.txt", target_run["secret_text"])]
    meta, _msg = starttls_server.message_by_id(result["message_id"])
    assert meta["auth_user"] == SMTP_USER and meta["tls"] is True
    # The .eml was written by the module's process: it belongs to the SSH user, not to root.
    eml = os.path.join(mh_dir, os.path.basename(result["eml_path"]))
    assert result["eml_path"] == os.path.join(managed_host.home, os.path.basename(mh_dir), os.path.basename(eml))
    assert managed_host.owner_of(eml) == managed_host.uid
    assert managed_host.mode_of(eml) == 0o600
    with open(eml, "rb") as handle:
        assert handle.read() == starttls_server.raw(meta)


def test_same_task_delegated_to_localhost_runs_on_the_controller(target_run):
    result = target_run["run"].result("auto delegated to localhost")
    # Sent from the controller, where "~" is root's home: the SSH user's file is not there.
    assert_flint_shape(result, 1, send_from="controller")
    assert result["phase"] == "input"
    assert "secret.txt" in result["msg"] and "cannot be read" in result["msg"]


def test_auto_with_become_runs_on_the_target(target_run, starttls_server):
    result = target_run["run"].result("auto with become")
    assert_flint_shape(result, 0, send_from="target")
    assert starttls_server.message_by_id(result["message_id"]) is not None


def test_async_sends_from_the_target(target_run, starttls_server):
    result = target_run["run"].result("async from awx")
    assert_flint_shape(result, 0, send_from="target")
    assert starttls_server.message_by_id(result["message_id"]) is not None


def test_async_result_keeps_the_awx_job_and_user(target_run):
    meta = target_run["run"].result("async from awx")["meta"]
    assert meta["job-id"].startswith("job-awx-42-"), meta
    assert meta["username"] == "alice", meta


def _normalized(result):
    """Drop what may differ between two sends of the same input: where it ran, the job id and
    time, Ansible's own bookkeeping (module invocation echo, _ansible_* keys), and the
    Message-ID (unique per message by design; its length changes the size by a few bytes), and
    the timings of failed attempts."""
    out = {k: v for k, v in result.items()
           if k not in ("send_from", "invocation", "message_id", "size") and not k.startswith("_ansible")}
    out["meta"] = {k: v for k, v in result["meta"].items() if k not in ("job-id", "timestamp")}
    if "attempts" in out:
        out["attempts"] = [{k: v for k, v in a.items() if not k.endswith("_ms")} for a in out["attempts"]]
    out["msg"] = re.sub(r"\b\d+ bytes\b", "N bytes", out["msg"])
    return out


@pytest.mark.parametrize("case", PARITY_CASES)
def test_same_input_same_result_on_both_paths(target_run, case, starttls_server, plain_server):
    run = target_run["run"]
    on_target = run.result("parity %s target" % case)
    on_controller = run.result("parity %s controller" % case)
    assert on_target["send_from"] == "target" and on_controller["send_from"] == "controller"
    assert on_target["meta"]["job-id"] != on_controller["meta"]["job-id"]
    assert _normalized(on_target) == _normalized(on_controller)
    if "message_id" in on_target:
        # The only size difference allowed is the Message-ID's length.
        assert (on_target["size"] - len(on_target["message_id"])
                == on_controller["size"] - len(on_controller["message_id"]))
    expected_exit = {"bad_password": -1, "bad_input": 1, "invalid_option": 1}.get(case, 0)
    assert_flint_shape(on_target, expected_exit)
    assert_flint_shape(on_controller, expected_exit)
    if case == "success":
        # And what the server got is the same too, apart from Message-ID and Date.
        received = []
        for result in (on_target, on_controller):
            meta, msg = starttls_server.message_by_id(result["message_id"])
            received.append((sorted(meta["rcpt_tos"]), meta["auth_user"], msg["To"], msg["Cc"], msg["Bcc"],
                             msg.get_body(("html",)).get_content(), _attachments(msg)))
        assert received[0] == received[1]
        assert received[0][4] is None
    if case == "refused_warn":
        for result in (on_target, on_controller):
            meta, _msg = plain_server.message_by_id(result["message_id"])
            assert meta["rcpt_tos"] == ["ok@example.net"]


def _attachments(msg):
    return [(p.get_filename(), p.get_payload(decode=True)) for p in msg.iter_attachments()]


def test_check_connection_on_the_target_sends_nothing(target_run, starttls_server):
    result = target_run["run"].result("parity check_connection target")
    assert "connection, TLS and login checked" in result["msg"]
    assert result["session"]["authenticated"] is True
    # (or "": a mail without a subject has no Subject header at all)
    assert not [m for m in starttls_server.messages() if "parity check " + target_run["tag"] in
                (parse_email(starttls_server.raw(m))["Subject"] or "")]


def test_password_not_in_verbose_output(target_run):
    """-vvvv of both paths, with successful and failed logins: no form of either password."""
    run = target_run["run"]
    assert "-vvvv" in run.argv
    assert "ESTABLISH SSH CONNECTION" in run.output  # it really was verbose, over SSH
    captured = "\n".join(str(r) for r in run.records)
    for secret in secret_forms(SMTP_PASSWORD, WRONG_PASSWORD):
        assert secret not in run.stdout
        assert secret not in run.stderr
        assert secret not in captured
