# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failures: each gives Flint's exit code, a message naming the server and the phase, and the
server stores nothing. All cases run as tasks of one playbook (one ansible-playbook process)."""

from __future__ import annotations

import uuid

import pytest

from conftest import SMTP_USER, WRONG_PASSWORD, assert_flint_shape, auth_args, play, send

BASE = {"from": "sender@example.com", "subject": "must not arrive", "body": "nobody may get this"}


def _tag(name):
    # An EHLO name is an RFC 5321 domain (checked before connecting): no underscores.
    return "%s-%s.flint.test" % (name.replace("_", "-"), uuid.uuid4().hex[:8])


@pytest.fixture(scope="module")
def cases(ansible, tmp_path_factory, plain_server, starttls_server, wrong_host_server, untrusted_server,
          closed_port, fault_servers):
    """name -> dict(args, server, phase, exit_code, says, code); then the run's results."""
    big = tmp_path_factory.mktemp("big") / "big.bin"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    table = {
        "refused_connection": dict(
            args={"target": "127.0.0.1", "port": closed_port, "security": "none", "to": "b@example.net"},
            server=None, port=closed_port, phase="connect", exit_code=-1, says="connection refused"),
        "bad_password": dict(
            args=auth_args(starttls_server, password=WRONG_PASSWORD, to="b@example.net"),
            server=starttls_server, phase="auth", exit_code=-1, says="rejected the credentials", code=535),
        "cert_wrong_host": dict(
            args=auth_args(wrong_host_server, to="b@example.net"),
            server=wrong_host_server, phase="starttls", exit_code=-1, says="certificate was not accepted"),
        "cert_untrusted_ca": dict(
            args=auth_args(untrusted_server, to="b@example.net"),
            server=untrusted_server, phase="connect", exit_code=-1, says="certificate was not accepted"),
        "starttls_missing": dict(
            # Default security (starttls) against a plain server, with credentials that must stay home.
            args=auth_args(plain_server, ca_path=None, to="b@example.net"),
            server=plain_server, phase="starttls", exit_code=-1, says="does not offer STARTTLS"),
        "partly_refused": dict(
            args={"target": plain_server.target, "security": "none",
                  "to": ["ok@example.net", "nobody@example.net"], "cc": "alsook@example.net"},
            server=plain_server, phase="rcpt", exit_code=-1, says="the message was not sent to anyone", code=550),
        "all_refused_warn": dict(
            args={"target": plain_server.target, "security": "none", "on_refused": "warn",
                  "to": ["nobody1@example.net", "nobody2@example.net"]},
            server=plain_server, phase="rcpt", exit_code=-1, says="2 of 2 recipients refused", code=550),
        "no_greeting_in_time": dict(
            args={"target": fault_servers["slow"].target, "security": "none", "to": "b@example.net", "timeout": 1000},
            server=fault_servers["slow"], phase="connect", exit_code=-1, says="no answer within the task's timeout of 1000 ms"),
        "dropped_after_data": dict(
            # The body went out but no answer came: the server may have queued it, so sent is null.
            args={"target": fault_servers["drop_dot"].target, "security": "none", "to": "b@example.net"},
            server=fault_servers["drop_dot"], phase="data", exit_code=-1, says="delivery state unknown",
            sent=None),
        "data_refused": dict(
            args={"target": fault_servers["reject_data"].target, "security": "none", "to": "b@example.net"},
            server=fault_servers["reject_data"], phase="data", exit_code=-1, says="refused the message", code=554),
        "utf8_address_without_smtputf8": dict(
            args={"target": fault_servers["no_smtputf8"].target, "security": "none", "to": u"j\u00f6rg@example.net"},
            server=fault_servers["no_smtputf8"], phase="mail", exit_code=-1, says="does not offer SMTPUTF8"),
        "both_content_type_spellings": dict(
            args={"target": plain_server.target, "security": "none", "to": "b@example.net",
                  "content_type": "text/html", "content-type": "text/plain"},
            server=plain_server, phase="input", exit_code=1, says="not both"),
        "attachment_too_big": dict(
            args={"target": plain_server.target, "security": "none", "to": "b@example.net",
                  "attachments": [str(big)], "max_attachment_size_mb": 1},
            server=plain_server, phase="input", exit_code=1, says="over the 1 MB limit"),
    }
    tasks = []
    for name, case in table.items():
        case["tag"] = _tag(name)
        args = dict(BASE, **case["args"])
        args = {k: v for k, v in args.items() if v is not None}
        args.update(ehlo_name=case["tag"], subject="must not arrive " + case["tag"])
        tasks.append(send(name, args))
    run = ansible.playbook([play(tasks)])
    # Every case failed, and ignore_errors kept the play going: the run itself succeeds.
    assert run.rc == 0, run.describe()
    return table, run


@pytest.mark.parametrize("name", ["refused_connection", "bad_password", "cert_wrong_host", "cert_untrusted_ca",
                                  "starttls_missing", "partly_refused", "all_refused_warn", "no_greeting_in_time",
                                  "dropped_after_data", "data_refused", "utf8_address_without_smtputf8",
                                  "both_content_type_spellings", "attachment_too_big"])
def test_failure(cases, name):
    table, run = cases
    case = table[name]
    assert run.status(name) == "failed", run.describe()
    result = run.result(name)
    assert_flint_shape(result, case["exit_code"], send_from="controller")
    assert result["phase"] == case["phase"]
    assert result["changed"] is False
    assert case["says"] in result["msg"], result["msg"]
    assert ".." not in result["msg"], result["msg"]
    server = case["server"]
    port = case.get("port") or server.port
    if case["exit_code"] == -1:
        # Names the server and the phase: "SMTP <phase> failed at 127.0.0.1:<port>: ..."
        assert result["msg"].startswith("SMTP %s failed at 127.0.0.1:%d: " % (case["phase"], port)), result["msg"]
        assert result["sent"] is case.get("sent", False)
        assert result["session"]["port"] == port
    if case.get("code"):
        assert result["smtp_code"] == case["code"]
    if server is not None:
        assert server.messages_from(case["tag"]) == []
        assert not [m for m in server.messages() if case["tag"] in server.email(m)["Subject"]]


def test_failed_servers_stored_nothing(cases, wrong_host_server, untrusted_server):
    del cases  # only needed to have run
    assert wrong_host_server.messages() == []
    assert untrusted_server.messages() == []


def test_bad_password_session(cases, starttls_server):
    table, _run = cases
    (sess,) = starttls_server.sessions_from(table["bad_password"]["tag"])
    # smtplib tries each mechanism the server offers; every attempt failed, none logged a user.
    assert sess["auth"] and all(a["success"] is False and "user" not in a for a in sess["auth"]), sess["auth"]
    assert not {"MAIL", "RCPT", "DATA"} & set(sess["verbs"]), sess["verbs"]


def test_wrong_host_certificate_stopped_before_auth(cases, wrong_host_server):
    table, run = cases
    (sess,) = wrong_host_server.sessions_from(table["cert_wrong_host"]["tag"])
    assert sess["verbs"] == ["EHLO", "STARTTLS"], sess["verbs"]
    assert "wrong.example" in run.result("cert_wrong_host")["msg"] or "match" in run.result("cert_wrong_host")["msg"]


def test_starttls_missing_sent_nothing_in_clear(cases, plain_server):
    table, _run = cases
    (sess,) = plain_server.sessions_from(table["starttls_missing"]["tag"])
    assert not {"AUTH", "MAIL", "RCPT", "DATA"} & set(sess["verbs"]), sess["verbs"]


def test_partly_refused_envelope_is_reset_before_data(cases, plain_server):
    table, run = cases
    (sess,) = plain_server.sessions_from(table["partly_refused"]["tag"])
    assert sess["verbs"].count("RCPT") == 3
    assert "RSET" in sess["verbs"] and "DATA" not in sess["verbs"], sess["verbs"]
    result = run.result("partly_refused")
    assert result["smtp_text"].startswith("5.1.1")
    assert "nobody@example.net" in result["msg"]


@pytest.mark.parametrize("name", ["attachment_too_big", "both_content_type_spellings"])
def test_input_failure_never_connected(cases, plain_server, name):
    table, run = cases
    assert plain_server.sessions_from(table[name]["tag"]) == []
    assert "session" not in run.result(name)


def test_on_refused_warn_delivers_to_the_others(ansible, tag, plain_server):
    args = dict(BASE, target=plain_server.target, security="none", on_refused="warn", ehlo_name=tag,
                to=["ok1@example.net", "nobody@example.net"], cc="ok2@example.net", subject="warn " + tag)
    run = ansible.playbook([play([send("send", args)])])
    assert run.rc == 0, run.describe()
    result = run.result("send")
    assert_flint_shape(result, 0, send_from="controller")
    assert result["changed"] is True
    assert result["accepted"] == ["ok1@example.net", "ok2@example.net"]
    assert list(result["refused"]) == ["nobody@example.net"]
    assert result["refused"]["nobody@example.net"]["code"] == 550
    assert any("nobody@example.net" in str(w) for w in result.get("warnings", [])) or "nobody" in run.output
    (meta,) = plain_server.messages_from(tag)
    assert meta["rcpt_tos"] == ["ok1@example.net", "ok2@example.net"]


def test_plaintext_auth_to_a_remote_host_is_refused_before_connecting(ansible, tag, plain_server):
    """192.0.2.1 (TEST-NET-1) is only ever a string here: the module must refuse before any
    network use, and the netguard in every ansible process would block a connect anyway."""
    tasks = [
        send("remote plaintext", {"target": "192.0.2.1", "port": 25, "security": "none", "username": SMTP_USER,
                                  "password": "never-sent", "from": "a@example.com", "to": "b@example.net",
                                  "ehlo_name": tag}),
        # A loopback send after it proves the guard was watching this very process.
        send("loopback", {"target": plain_server.target, "security": "none", "from": "a@example.com",
                          "to": "b@example.net", "ehlo_name": tag}),
    ]
    run = ansible.playbook([play(tasks)])
    assert run.rc == 0, run.describe()
    result = run.result("remote plaintext")
    assert_flint_shape(result, 1, send_from="controller")
    assert result["phase"] == "input"
    assert "refusing to send the password" in result["msg"] and "192.0.2.1" in result["msg"]
    assert "never-sent" not in run.output
    assert "session" not in result
    assert run.status("loopback") == "ok"
    connects = [e for e in run.net if e["event"] == "connect"]
    assert connects and all(e["allowed"] and e["host"] == "127.0.0.1" for e in connects), run.net
    assert [e for e in connects if e["port"] == plain_server.port]
    assert not [e for e in run.net if "192.0.2.1" in str(e.get("host"))], run.net
