# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server that takes 2 recipients per transaction and answers 452 4.5.3 to the third
(RFC 5321 4.5.3.1.10): nobody is dropped, nobody gets the message twice (issue 6, item 7)."""

from __future__ import annotations

import uuid

import pytest

from conftest import assert_flint_shape, play, send

RCPTS = {"to": ["t1@example.net", "t2@example.net"], "cc": ["c1@example.net", "c2@example.net"],
         "bcc": ["b1@example.net"]}
EVERYONE = RCPTS["to"] + RCPTS["cc"] + RCPTS["bcc"]


@pytest.fixture(scope="module")
def limit_run(ansible, fault_servers):
    server = fault_servers["rcpt_limit"]
    base = {"target": server.target, "security": "none", "from": "sender@example.com", "body": "once each"}
    cases = {
        "fail_mode": dict(RCPTS),
        "warn_mode_with_refused": dict(RCPTS, to=["t1@example.net", "nobody-a@example.net", "t2@example.net"],
                                       on_refused="warn"),
        "fail_mode_refused_in_a_later_batch": dict(RCPTS, bcc=["b1@example.net", "nobody-b@example.net"]),
    }
    tags, tasks = {}, []
    for name, args in cases.items():
        tags[name] = "%s-%s.flint.test" % (name.replace("_", "-"), uuid.uuid4().hex[:8])
        tasks.append(send(name, dict(base, ehlo_name=tags[name], subject="limit " + tags[name], **args)))
    run = ansible.playbook([play(tasks)], name="rcpt-limit")
    assert run.rc == 0, run.describe()
    return {"run": run, "tags": tags, "server": server}


def _delivered(server, tag):
    """Every stored copy of this test's message: (session, recipients)."""
    return [(m["session"], m["rcpt_tos"]) for m in server.messages_from(tag)]


def test_every_recipient_gets_the_message_exactly_once(limit_run):
    server, tag = limit_run["server"], limit_run["tags"]["fail_mode"]
    result = limit_run["run"].result("fail_mode")
    assert_flint_shape(result, 0)
    assert result["accepted"] == EVERYONE and result["refused"] == {}
    copies = _delivered(server, tag)
    got = [rcpt for _session, rcpts in copies for rcpt in rcpts]
    assert sorted(got) == sorted(EVERYONE)  # nobody twice, nobody missing
    assert [len(rcpts) for _session, rcpts in copies] == [2, 2, 1]
    assert len({session for session, _rcpts in copies}) == 1  # further transactions of the same session
    ids = {server.email(m)["Message-ID"] for m in server.messages_from(tag)}
    assert ids == {result["message_id"]}
    [session] = server.sessions_from(tag)
    assert any(line.startswith("452 4.5.3") for line in session["replies"])


def test_warn_mode_sends_to_the_others_across_transactions(limit_run):
    server, tag = limit_run["server"], limit_run["tags"]["warn_mode_with_refused"]
    result = limit_run["run"].result("warn_mode_with_refused")
    assert_flint_shape(result, 0)
    assert list(result["refused"]) == ["nobody-a@example.net"] and result["refused"]["nobody-a@example.net"][
        "code"] == 550
    assert result["accepted"] == EVERYONE
    got = [rcpt for _session, rcpts in _delivered(server, tag) for rcpt in rcpts]
    assert sorted(got) == sorted(EVERYONE)


def test_fail_mode_refusal_in_a_later_batch_reaches_nobody(limit_run):
    server, tag = limit_run["server"], limit_run["tags"]["fail_mode_refused_in_a_later_batch"]
    result = limit_run["run"].result("fail_mode_refused_in_a_later_batch")
    assert_flint_shape(result, -1)
    assert result["phase"] == "rcpt" and result["sent"] is False and result["changed"] is False
    assert "1 of 6 recipients refused (nobody-b@example.net); the message was not sent to anyone" in result["msg"]
    assert result["accepted"] == [] and list(result["refused"]) == ["nobody-b@example.net"]
    assert _delivered(server, tag) == []
    [session] = server.sessions_from(tag)
    assert "DATA" not in session["verbs"]
