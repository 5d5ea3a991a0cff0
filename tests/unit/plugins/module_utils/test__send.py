# -*- coding: utf-8 -*-
from __future__ import annotations

import json
import smtplib

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC
from ansible_collections.flint.smtp.plugins.module_utils._result import JobInfo
from ansible_collections.flint.smtp.plugins.module_utils._send import run

SECRET = "pa55-W0rd-never-shown"


def params(**overrides):
    """Every option at its spec default, as AnsibleModule would hand them over."""
    base = {name: spec.get("default") for name, spec in ARGUMENT_SPEC.items()}
    base.update({"target": "mail.example.com", "from": "ops@example.com", "to": ["a@example.com"],
                 "subject": "s", "body": "b"})
    base.update(overrides)
    return base


def test_success(fake_smtp):
    fake_smtp["features"] = {"starttls": "", "auth": "PLAIN"}
    result = run(params(username="u", password=SECRET), job=JobInfo("job-1", "alice"), send_from="controller")
    assert result["changed"] is True and "failed" not in result
    assert result["rc"] == 0 and result["meta"]["exit-code"] == 0
    assert result["output"] == {"result": "success"}
    assert result["meta"]["job-id"] == "job-1" and result["meta"]["username"] == "alice"
    assert result["accepted"] == ["a@example.com"] and result["send_from"] == "controller"
    assert result["session"]["authenticated"] is True and result["session"]["security"] == "starttls"
    assert SECRET not in json.dumps(result)


def test_check_mode_opens_no_connection(fake_smtp):
    result = run(params(), check_mode=True)
    assert result["changed"] is True and result["rc"] == 0
    assert result["msg"].startswith("would send") and result["recipients"] == ["a@example.com"]
    assert fake_smtp["instances"] == []


def test_check_connection_logs_in_and_sends_nothing(fake_smtp):
    fake_smtp["features"] = {"starttls": "", "auth": "PLAIN"}
    result = run(params(username="u", password=SECRET, check_connection=True), check_mode=True)
    assert result["rc"] == 0 and "login checked" in result["msg"]
    steps = [c[0] if isinstance(c, tuple) else c for c in fake_smtp["instances"][0].calls]
    assert "login" in steps and "quit" in steps and "mail" not in steps and "data" not in steps


def test_check_connection_reports_bad_credentials(fake_smtp):
    fake_smtp["features"] = {"starttls": "", "auth": "PLAIN"}
    fake_smtp["login"] = smtplib.SMTPAuthenticationError(535, b"5.7.8 bad")
    result = run(params(username="u", password=SECRET, check_connection=True), check_mode=True)
    assert result["failed"] and result["rc"] == -1 and result["phase"] == "auth"


def test_deliver_false_saves_preview_and_sends_nothing(fake_smtp, tmp_path):
    path = tmp_path / "preview.eml"
    result = run(params(save_eml=str(path), deliver=False, password=SECRET, username="u"))
    assert result["changed"] is False and result["eml_path"] == str(path)
    assert path.read_bytes().startswith(b"From: ops@example.com")
    assert SECRET.encode() not in path.read_bytes()
    assert fake_smtp["instances"] == []


def test_bad_input_fails_with_exit_code_1_before_connecting(fake_smtp):
    result = run(params(to=["not-an-address"]))
    assert result["failed"] and result["rc"] == 1 and result["meta"]["exit-code"] == 1
    assert result["phase"] == "input" and result["output"]["result"] == result["msg"]
    assert fake_smtp["instances"] == []


@pytest.mark.parametrize("override, phrase", [
    ({"port": 0}, "port must be"), ({"timeout": 0}, "milliseconds"),
    ({"security": "none", "target": "192.0.2.1", "username": "u", "password": "p"}, "without TLS"),
])
def test_settings_checked_before_connecting(fake_smtp, override, phrase):
    result = run(params(**override))
    assert result["rc"] == 1 and phrase in result["msg"] and fake_smtp["instances"] == []


def test_server_failure_is_exit_code_minus_1(fake_smtp):
    fake_smtp["connect_reply"] = ConnectionRefusedError(111, "Connection refused")
    result = run(params(port=2525))
    assert result["failed"] and result["rc"] == -1 and result["meta"]["exit-code"] == -1
    assert result["meta"]["message"] == result["msg"] and "mail.example.com:2525" in result["msg"]
    assert result["phase"] == "connect" and result["changed"] is False


def test_refused_recipient_warns_when_asked(fake_smtp):
    fake_smtp["features"] = {"starttls": ""}
    fake_smtp["rcpt"] = {"b@example.com": (550, b"5.1.1 unknown")}
    warnings = []
    result = run(params(to=["a@example.com", "b@example.com"], on_refused="warn"), warn=warnings.append)
    assert result["rc"] == 0 and result["changed"] and result["accepted"] == ["a@example.com"]
    assert "b@example.com" in warnings[0] and "550" in warnings[0]


def test_unexpected_error_is_exit_code_1_with_traceback(fake_smtp, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("surprise")
    monkeypatch.setattr("ansible_collections.flint.smtp.plugins.module_utils._send.prepare_message", boom)
    result = run(params())
    assert result["rc"] == 1 and result["phase"] == "internal"
    assert result["msg"] == "unexpected error while sending: RuntimeError: surprise"
    assert "Traceback" in result["exception"]


def test_timeout_is_echoed_in_meta(fake_smtp):
    assert run(params(timeout=1500), check_mode=True)["meta"]["timeout"] == 1500


@pytest.mark.parametrize("target, host, port", [
    ("mail.example.com:2525", "mail.example.com", 2525),
    ("[::1]:2525", "::1", 2525),
    ("::1", "::1", 587),
    ("10.0.0.5", "10.0.0.5", 587),
])
def test_target_may_carry_the_port(fake_smtp, target, host, port):
    result = run(params(target=target), check_mode=True)
    assert (result["session"]["host"], result["session"]["port"]) == (host, port)


def test_port_out_of_range_in_target(fake_smtp):
    assert "port must be" in run(params(target="mail.example.com:70000"))["msg"]
