# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many messages in one task (``messages``): one session, each message once, bad items alone."""

from __future__ import annotations

import os

import pytest

from conftest import auth_args, play, send

TEAMS = [{"name": "db", "lead": "db-lead@example.net"}, {"name": "web", "lead": "web-lead@example.net"},
         {"name": "ops", "lead": "ops-lead@example.net"}, {"name": "net", "lead": "net-lead@example.net"}]


def _personalise(tag):
    """The documented way: build the list with a set_fact loop, one dict per team."""
    expression = ("{{ reports | default([]) + [{'to': item.lead, 'subject': 'Report for ' ~ item.name ~ ' %s',"
                  " 'body': 'Dear ' ~ item.name ~ ' team,'}] }}" % tag)
    return {"name": "build messages", "ansible.builtin.set_fact": {"reports": expression}, "loop": "{{ teams }}"}


def _check_batch(server, tag, result, sessions_expected):
    assert result["totals"] == {"total": 4, "sent": 4, "failed": 0, "unknown": 0}, result
    assert result["output"] == {"result": "sent 4 of 4"} and result["meta"]["message"] == "sent 4 of 4"
    assert [m["index"] for m in result["messages"]] == [0, 1, 2, 3]
    for team, entry in zip(TEAMS, result["messages"]):
        found = [m for m in server.messages_from(tag) if m["rcpt_tos"] == [team["lead"]]]
        assert len(found) == 1, "%s got %d copies" % (team["lead"], len(found))  # each exactly once
        msg = server.email(found[0])
        assert msg["Subject"] == "Report for %s %s" % (team["name"], tag)
        assert msg.get_content() == "Dear %s team,\n" % team["name"]
        assert msg["Message-ID"] == entry["message_id"] and entry["sent"] is True and entry["error"] is None
    assert len(server.sessions_from(tag)) == sessions_expected


def test_one_task_one_session(ansible, tag, starttls_server):
    args = auth_args(starttls_server, **{"from": "reports@example.com", "ehlo_name": tag, "messages": "{{ reports }}"})
    run = ansible.playbook([play([_personalise(tag), send("batch", args)], vars={"teams": TEAMS})])
    assert run.rc == 0, run.describe()
    result = run.result("batch")
    assert result["changed"] is True and result["send_from"] == "controller"
    _check_batch(starttls_server, tag, result, sessions_expected=1)


def test_max_per_connection_reconnects(ansible, tag, plain_server):
    args = {"target": plain_server.target, "security": "none", "from": "reports@example.com", "ehlo_name": tag,
            "messages": "{{ reports }}", "max_per_connection": 3}
    run = ansible.playbook([play([_personalise(tag), send("batch", args)], vars={"teams": TEAMS})])
    _check_batch(plain_server, tag, run.result("batch"), sessions_expected=2)


def test_bad_items_fail_alone(ansible, tag, plain_server):
    base = {"target": plain_server.target, "security": "none", "from": "reports@example.com", "ehlo_name": tag,
            "subject": "batch " + tag}
    items = [{"to": "ok1@example.net"}, {"to": "not an address"}, {"to": "ok2@example.net", "target": "elsewhere"},
             {"to": "nobody@example.net"}, {"to": "ok3@example.net", "body": "third"}]
    run = ansible.playbook([play([send("never", dict(base, messages=items, fail_on="never")),
                                  send("any", dict(base, messages=items[:2], subject="any " + tag))])])
    never = run.result("never")
    assert run.status("never") == "ok" and never["rc"] == 0 and never["meta"]["exit-code"] == 0  # fail_on: never
    assert never["meta"]["message"] == never["output"]["result"]
    assert [m["sent"] for m in never["messages"]] == [True, False, False, False, True]
    errors = [m["error"] for m in never["messages"]]
    assert errors[1]["phase"] == "input" and errors[1]["msg"].startswith("messages[1]: to:")
    assert "target cannot be set per message" in errors[2]["msg"]
    assert errors[3]["phase"] == "rcpt" and errors[3]["smtp_code"] == 550
    assert never["totals"] == {"total": 5, "sent": 2, "failed": 3, "unknown": 0}
    assert never["output"]["result"].startswith("sent 2 of 5; 3 failed (first: messages[1]: to:")
    got = sorted(r for m in plain_server.messages_from(tag) for r in m["rcpt_tos"])
    assert got == ["ok1@example.net", "ok1@example.net", "ok3@example.net"]  # twice: both tasks sent item 0

    failing = run.result("any")
    assert run.status("any") == "failed" and failing["rc"] == 1 and failing["totals"]["sent"] == 1


def test_preview_dir_and_check_mode(ansible, tag, plain_server, tmp_path):
    out = tmp_path / "previews"
    out.mkdir()
    base = {"target": plain_server.target, "security": "none", "from": "reports@example.com", "ehlo_name": tag,
            "messages": [{"to": "a@example.net", "subject": "one"}, {"to": "b@example.net", "subject": "two"}]}
    run = ansible.playbook([play([send("preview", dict(base, deliver=False, save_eml_dir=str(out))),
                                  send("check", base, check_mode=True)])])
    preview = run.result("preview")
    assert preview["changed"] is False and preview["msg"].startswith("built (deliver is false, not sent) 2 of 2")
    files = sorted(os.listdir(str(out)))
    assert [f[:5] for f in files] == ["0000-", "0001-"]
    assert all(os.stat(str(out / f)).st_mode & 0o777 == 0o600 for f in files)
    check = run.result("check")
    assert check["changed"] is True and check["msg"].startswith("would send 2 of 2")
    assert plain_server.sessions_from(tag) == []


@pytest.mark.sshd
def test_target_path_is_one_module_run(ansible, tag, managed_host, starttls_server):
    args = auth_args(starttls_server, **{"from": "reports@example.com", "ehlo_name": tag, "messages": "{{ reports }}",
                                         "send_from": "target"})
    run = ansible.playbook([play([_personalise(tag), send("batch", args)], hosts=managed_host.host,
                                 vars={"teams": TEAMS})], inventory=managed_host.inventory)
    assert run.rc == 0, run.describe()
    result = run.result("batch")
    assert result["send_from"] == "target"
    _check_batch(starttls_server, tag, result, sessions_expected=1)


def test_a_loop_reuses_one_session(ansible, tag, starttls_server, plain_server, fault_servers):
    """Consecutive loop items to the same server share a session; other servers or users never do."""
    same = auth_args(starttls_server, **{"from": "loop@example.com", "to": "{{ item }}@example.net",
                                         "subject": "loop " + tag, "ehlo_name": tag})
    other_user = dict(same, username="someone-else", ehlo_name=tag)
    loop = ["r1", "r2", "r3", "r4", "r5"]
    tasks = [
        send("loop", same, register="looped", loop=loop),
        # an idle pause: the kept session is checked with NOOP and still reused
        send("paused", same, loop=["p1", "p2"], loop_control={"pause": 3}),
        # two servers alternating: each switch closes the kept session (never reused across servers)
        send("alternating", {"target": "{{ item.t }}", "security": "none", "from": "loop@example.com",
                             "to": "{{ item.r }}@example.net", "subject": "alt " + tag, "ehlo_name": tag},
             loop=[{"t": plain_server.target, "r": "a1"}, {"t": fault_servers["no_smtputf8"].target, "r": "a2"},
                   {"t": plain_server.target, "r": "a3"}]),
        send("wrong user", other_user, loop=["w1"]),
    ]
    run = ansible.playbook([play(tasks)])
    results = run.record("loop")["result"]["results"]
    assert [r["session"]["reused"] for r in results] == [False, True, True, True, True]
    got = sorted(r for m in starttls_server.messages_from(tag) for r in m["rcpt_tos"])
    assert got == sorted("%s@example.net" % x for x in loop + ["p1", "p2"])
    paused = run.record("paused")["result"]["results"]
    assert [r["session"]["reused"] for r in paused] == [False, True]
    commands = [c["verb"] for s in starttls_server.sessions_from(tag) for c in s["commands"]]
    assert "NOOP" in commands
    alternating = run.record("alternating")["result"]["results"]
    assert [r["session"]["reused"] for r in alternating] == [False, False, False]
    assert len(plain_server.sessions_from(tag)) == 2 and len(fault_servers["no_smtputf8"].sessions_from(tag)) == 1
    wrong = run.record("wrong user")["result"]["results"][0]
    assert wrong["rc"] == -1 and "SMTP auth failed" in wrong["msg"], wrong
    # one session per task on the STARTTLS server, + 1 for the failed login
    assert len(starttls_server.sessions_from(tag)) == 3
    # every kept session ended with QUIT when its worker ended
    assert all(s["commands"][-1]["verb"] == "QUIT" for s in starttls_server.sessions_from(tag)[:2])
