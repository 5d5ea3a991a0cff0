# -*- coding: utf-8 -*-
from __future__ import annotations

import json
import smtplib

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC
from ansible_collections.flint.smtp.plugins.module_utils._result import JobInfo
from ansible_collections.flint.smtp.plugins.module_utils._send import run

from .conftest import answers

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


def test_server_failure_is_exit_code_minus_1(fake_smtp, clock):
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


# -- retries (plugins/module_utils/_retry.py) through run(), on a fake clock --------------------------


def _retry_case(fake_smtp, step, first):
    """Script ``step`` to fail once with ``first``, then answer normally."""
    normal = {"connect_reply": (220, b"ready"), "mail": (250, b"ok"), "data_cmd": (354, b"go ahead"),
              "data": (250, b"queued")}
    if step == "rcpt":
        fake_smtp["rcpt"] = {"a@example.com": answers(first, (250, b"ok"))}
    else:
        fake_smtp[step] = answers(first, normal[step])


@pytest.mark.parametrize("step, first, phase, code", [
    ("connect_reply", smtplib.SMTPConnectError(421, b"4.3.2 busy"), "connect", 421),
    ("connect_reply", ConnectionRefusedError(111, "Connection refused"), "connect", None),
    ("mail", (451, b"4.3.0 later"), "mail", 451),
    ("rcpt", (452, b"4.3.1 full"), "rcpt", 452),
    ("data_cmd", (451, b"4.3.0 later"), "data", 451),
    ("data", (451, b"4.3.0 not taken"), "data", 451),  # 4xx to the final dot
])
def test_transient_failure_is_retried_in_a_fresh_session_and_sent_once(fake_smtp, clock, step, first, phase, code):
    fake_smtp["features"] = {"starttls": "", "auth": "PLAIN"}
    _retry_case(fake_smtp, step, first)
    result = run(params(username="u", password=SECRET, retry_delay=500))
    assert result["rc"] == 0 and result["changed"] is True, result["msg"]
    sessions = fake_smtp["instances"]
    assert len(sessions) == 2 and clock.sleeps == [0.5]
    # the message went out whole (content and final dot) at most twice, and was accepted once
    sent = [s for s in sessions if any(isinstance(c, tuple) and c[0] == "data" for c in s.calls)]
    assert len(sent) == (2 if step == "data" else 1)
    # the second session logged in again: a fresh connection, TLS, EHLO, AUTH
    assert [c[0] for c in sessions[1].calls if isinstance(c, tuple)].count("login") == 1
    (failure,) = result["attempts"]
    assert (failure["attempt"], failure["phase"], failure["smtp_code"]) == (1, phase, code)
    assert "on attempt 2 (%s %s)" % (phase, code if code else "failed") in result["msg"]
    assert SECRET not in json.dumps(result)


def test_no_reply_after_the_final_dot_is_never_sent_again(fake_smtp, clock):
    fake_smtp["data"] = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    result = run(params(retries=5, security="none"))
    assert result["rc"] == -1 and result["sent"] is None and "delivery state unknown" in result["msg"]
    assert len(fake_smtp["instances"]) == 1 and clock.sleeps == [] and len(result["attempts"]) == 1


@pytest.mark.parametrize("script", [
    {"data": (554, b"5.6.0 spam")}, {"mail": (550, b"5.7.1 no")}, {"rcpt": {"a@example.com": (550, b"no")}},
    {"login": smtplib.SMTPAuthenticationError(535, b"5.7.8 bad"), "features": {"starttls": "", "auth": "PLAIN"}},
])
def test_permanent_failures_are_one_attempt(fake_smtp, clock, script):
    fake_smtp.update(script)
    result = run(params(retries=5, username="u", password=SECRET))
    assert result["rc"] == -1 and len(fake_smtp["instances"]) == 1 and clock.sleeps == []
    assert "attempt" not in result["msg"] and len(result["attempts"]) == 1


def test_partial_send_with_warn_is_not_retried(fake_smtp, clock):
    fake_smtp["rcpt"] = {"b@example.com": (451, b"4.2.0 later")}
    result = run(params(to=["a@example.com", "b@example.com"], on_refused="warn", security="none"))
    assert result["rc"] == 0 and result["accepted"] == ["a@example.com"] and "b@example.com" in result["refused"]
    assert len(fake_smtp["instances"]) == 1 and result["attempts"] == []


def test_retries_exhausted_says_how_many(fake_smtp, clock):
    fake_smtp["connect_reply"] = smtplib.SMTPConnectError(421, b"4.3.2 busy")
    result = run(params(retries=3, security="none"))
    assert result["rc"] == -1 and result["phase"] == "connect" and result["smtp_code"] == 421
    assert result["msg"].endswith("Gave up after 4 attempts (retries: 3).") and ".." not in result["msg"]
    assert len(fake_smtp["instances"]) == 4 and [a["attempt"] for a in result["attempts"]] == [1, 2, 3, 4]
    assert result["meta"]["message"] == result["msg"]


def test_budget_exhausted_says_so_and_stops_in_time(fake_smtp, clock):
    start = clock.now

    def slow_refusal():
        clock.now += 1.8  # each attempt burns 1.8 s of a 5 s budget
        raise smtplib.SMTPConnectError(421, b"4.3.2 busy")
    fake_smtp["connect_reply"] = slow_refusal
    result = run(params(retries=10, retry_delay=1000, timeout=5000, security="none"))
    assert result["rc"] == -1 and "the time budget (timeout 5000 ms) ran out" in result["msg"]
    assert len(result["attempts"]) == 2 and "Gave up after 2 attempts" in result["msg"]
    assert clock.now - start <= 5.0


def test_check_connection_probe_is_retried_too(fake_smtp, clock):
    fake_smtp["features"] = {"starttls": "", "auth": "PLAIN"}
    fake_smtp["connect_reply"] = answers(smtplib.SMTPConnectError(421, b"4.3.2 busy"), (220, b"ready"))
    result = run(params(username="u", password=SECRET, check_connection=True), check_mode=True)
    assert result["rc"] == 0 and "login checked" in result["msg"] and len(fake_smtp["instances"]) == 2
    assert result["attempts"][0]["smtp_code"] == 421


def test_success_first_time_has_no_failed_attempts(fake_smtp, clock):
    result = run(params(security="none"))
    assert result["attempts"] == [] and clock.sleeps == [] and "attempt" not in result["msg"]


def test_in_a_loop_a_kept_session_that_fails_is_dropped_and_the_retry_connects_anew(fake_smtp, clock):
    from ansible_collections.flint.smtp.plugins.module_utils._sessions import SessionCache
    cache = SessionCache(clock=clock)
    first = run(params(security="none"), sessions=cache)
    assert first["rc"] == 0 and first["session"]["reused"] is False
    fake_smtp["rcpt"] = {"b@example.com": answers((451, b"4.3.0 later"), (250, b"ok"))}
    second = run(params(security="none", to=["b@example.com"]), sessions=cache)
    assert second["rc"] == 0 and len(fake_smtp["instances"]) == 2, second["msg"]
    assert [(a["phase"], a["smtp_code"]) for a in second["attempts"]] == [("rcpt", 451)]
    assert second["session"]["reused"] is False  # the message went over the new session
    datas = [c for inst in fake_smtp["instances"] for c in inst.calls if c == ("data", 3)]  # final dots: content is streamed in chunks
    assert len(datas) == 2  # one per message: the retried one was sent once
    cache.close()
