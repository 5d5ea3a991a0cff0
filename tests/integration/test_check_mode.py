# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode, check_connection and previews (save_eml, deliver: false): nothing is sent."""

from __future__ import annotations

import stat

from conftest import SMTP_USER, WRONG_PASSWORD, assert_flint_shape, auth_args, parse_email, play, send


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_check_mode_connects_to_nobody(ansible, tag, starttls_server):
    args = auth_args(starttls_server, **{"from": "a@example.com", "to": "b@example.net", "subject": "check " + tag,
                                         "ehlo_name": tag})
    run = ansible.playbook([play([send("check", args, check_mode=True)])])
    assert run.rc == 0, run.describe()
    result = run.result("check")
    assert_flint_shape(result, 0, send_from="controller")
    assert result["changed"] is True  # it would send
    assert result["msg"].startswith("would send ")
    assert result["accepted"] == [] and result["refused"] == {}
    assert result["recipients"] == ["b@example.net"]
    assert starttls_server.sessions_from(tag) == []
    assert starttls_server.messages_from(tag) == []
    assert not [e for e in run.net if e["event"] == "connect" and e["port"] == starttls_server.port]


def test_adhoc_check_flag(ansible, tag, plain_server):
    module_args = "target=%s security=none from=a@example.com to=b@example.net ehlo_name=%s" % (
        plain_server.target, tag)
    run = ansible.adhoc("localhost", "flint.smtp.send", module_args, args=["--check"])
    assert run.rc == 0, run.describe()
    (record,) = run.records
    assert_flint_shape(record["result"], 0, send_from="controller")
    assert record["result"]["msg"].startswith("would send ")
    assert plain_server.sessions_from(tag) == []


def test_check_connection_logs_in_but_sends_nothing(ansible, tag, starttls_server):
    good = auth_args(starttls_server, **{"from": "a@example.com", "to": "b@example.net", "check_connection": True,
                                         "ehlo_name": "good-" + tag})
    bad = dict(good, password=WRONG_PASSWORD, ehlo_name="bad-" + tag)
    run = ansible.playbook([play([send("probe", good, check_mode=True), send("probe bad", bad, check_mode=True)])])
    assert run.rc == 0, run.describe()

    result = run.result("probe")
    assert_flint_shape(result, 0, send_from="controller")
    assert "connection, TLS and login checked" in result["msg"]
    assert result["session"]["authenticated"] is True
    assert result["session"]["tls_version"].startswith("TLS")
    (sess,) = starttls_server.sessions_from("good-" + tag)
    assert "AUTH" in sess["verbs"] and sess["auth"][-1] == {
        "mechanism": sess["auth"][-1]["mechanism"], "success": True, "user": SMTP_USER}
    assert not {"MAIL", "RCPT", "DATA"} & set(sess["verbs"]), sess["verbs"]
    assert sess["verbs"][-1] == "QUIT"
    assert starttls_server.messages_from("good-" + tag) == []

    # Testing credentials is what check_connection is for: a wrong password fails the check.
    result = run.result("probe bad")
    assert_flint_shape(result, -1, send_from="controller")
    assert result["phase"] == "auth" and result["smtp_code"] == 535
    assert "127.0.0.1:%d" % starttls_server.port in result["msg"]
    (sess,) = starttls_server.sessions_from("bad-" + tag)
    assert not {"MAIL", "RCPT", "DATA"} & set(sess["verbs"]), sess["verbs"]


def test_save_eml_preview_without_delivery(ansible, tag, starttls_server, tmp_path):
    base = auth_args(starttls_server, **{"from": "Ops <ops@example.com>", "to": "b@example.net",
                                         "bcc": "hidden@example.org", "body": "preview body", "ehlo_name": tag})
    not_delivered, in_check = tmp_path / "deliver-false.eml", tmp_path / "check.eml"
    tasks = [
        send("deliver false", dict(base, subject="preview " + tag, save_eml=str(not_delivered), deliver=False)),
        send("check mode", dict(base, subject="check preview " + tag, save_eml=str(in_check)), check_mode=True),
    ]
    run = ansible.playbook([play(tasks)])
    assert run.rc == 0, run.describe()

    result = run.result("deliver false")
    assert_flint_shape(result, 0, send_from="controller")
    assert result["changed"] is False
    assert result["msg"].startswith("built (deliver is false, not sent)")
    assert result["eml_path"] == str(not_delivered)
    for path, res, subject in ((not_delivered, result, "preview " + tag),
                               (in_check, run.result("check mode"), "check preview " + tag)):
        assert _mode(path) == 0o600
        data = path.read_bytes()
        assert len(data) == res["size"]
        msg = parse_email(data)
        assert msg["Subject"] == subject
        assert msg["Message-ID"] == res["message_id"]
        assert msg["From"] == "Ops <ops@example.com>"
        assert msg["Bcc"] is None and b"hidden@example.org" not in data
        assert msg.get_content() == "preview body\n"
    assert starttls_server.sessions_from(tag) == []
    assert starttls_server.messages_from(tag) == []
