# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retries (issue 7) through real ansible-playbook runs against scripted loopback servers.

Each case has its own server (its "first N" fault counters and its store are the case's own),
so the server's store counts deliveries and its session log counts attempts. The point of
every case: a message is delivered at most once, whatever the fault, and only transient
faults before the end of DATA was acknowledged are tried again.
Both paths run: the controller (in-process) and the managed host over SSH (a subset).
"""

from __future__ import annotations

import contextlib
import datetime
import uuid

import pytest

from conftest import SMTP_PASSWORD, SMTP_USER, WRONG_PASSWORD, assert_flint_shape, play, send

import smtp_server  # pylint: disable=wrong-import-order

FAST = {"retry_delay": 100}  # the wait itself is unit-tested; here it only has to be short

# name: (server options, task args, expected). Expected: ok (task succeeded), attempts (failed
# ones in the result), codes (their smtp_code), sessions (connections the server saw),
# stored (deliveries), sent (on failure).
CASES = {
    "banner_421_once": ({"reply_at": {"connect": [421, 1]}}, FAST,
                        dict(ok=True, attempts=1, codes=[421], sessions=2, stored=1)),
    "mail_451_once": ({"reply_at": {"mail": [451, 1]}}, FAST,
                      dict(ok=True, attempts=1, codes=[451], sessions=2, stored=1)),
    "rcpt_451_once": ({"reply_at": {"rcpt": [451, 1]}}, FAST,
                      dict(ok=True, attempts=1, codes=[451], sessions=2, stored=1)),
    "data_451_once": ({"reply_at": {"data": [451, 1]}}, FAST,
                      dict(ok=True, attempts=1, codes=[451], sessions=2, stored=1)),
    "dot_451_twice": ({"reply_at": {"dot": [451, 2]}}, FAST,
                      dict(ok=True, attempts=2, codes=[451, 451], sessions=3, stored=1)),
    "defaults_rcpt_452_once": ({"reply_at": {"rcpt": [452, 1]}}, {},  # retries 2, retry_delay 1000
                               dict(ok=True, attempts=1, codes=[452], sessions=2, stored=1, min_gap=1.0)),
    "check_connection_421_once": ({"reply_at": {"connect": [421, 1]}}, dict(FAST, check_connection=True),
                                  dict(ok=True, attempts=1, codes=[421], sessions=2, stored=0, check=True)),
    "warn_partial_not_retried": ({"tempfail_rcpt": "^later@"},
                                 dict(FAST, to=["oncall@example.net", "later@example.net"], on_refused="warn"),
                                 dict(ok=True, attempts=0, codes=[], sessions=1, stored=1)),
    "rcpt_550": ({"reply_at": {"rcpt": [550, 0]}}, FAST,
                 dict(ok=False, attempts=1, codes=[550], sessions=1, stored=0, sent=False)),
    "dot_554": ({"reply_at": {"dot": [554, 0]}}, FAST,
                dict(ok=False, attempts=1, codes=[554], sessions=1, stored=0, sent=False)),
    "auth_535": ({"mode": "starttls", "auth_user": SMTP_USER, "auth_password": SMTP_PASSWORD},
                 dict(FAST, security="starttls", username=SMTP_USER, password=WRONG_PASSWORD),
                 dict(ok=False, attempts=1, codes=[535], sessions=1, stored=0, sent=False)),
    "dropped_after_dot": ({"drop_at": ["dot"]}, FAST, dict(ok=False, attempts=1, codes=[None], sessions=1,
                                                           stored=0, sent=None)),
    "dropped_after_queued": ({"drop_at": ["queued"]}, FAST, dict(ok=False, attempts=1, codes=[None], sessions=1,
                                                                 stored=1, sent=None)),
    "retries_0": ({"reply_at": {"connect": [421, 1]}}, dict(FAST, retries=0),
                  dict(ok=False, attempts=1, codes=[421], sessions=1, stored=0, sent=False)),
    "always_421": ({"reply_at": {"connect": [421, 0]}}, dict(FAST, retries=2),
                   dict(ok=False, attempts=3, codes=[421] * 3, sessions=3, stored=0, sent=False)),
    # Each greeting comes after 0.5 s and is a 421: a 4 s budget, retries that would go on for
    # minutes. The task must stop within the budget, and say why.
    "budget_runs_out": ({"reply_at": {"connect": [421, 0]}, "delay_ms_at": {"connect": 500}},
                        {"retries": 50, "retry_delay": 200, "timeout": 4000},
                        dict(ok=False, sent=False, stored=0)),
    "refused_connection": (None, dict(FAST, retries=1), dict(ok=False, attempts=2, codes=[None, None], sent=False)),
}
TARGET_CASES = ("rcpt_451_once", "dot_451_twice", "dot_554", "dropped_after_queued", "retries_0",
                "budget_runs_out")
PATHS = ("controller", "target")


def _cases_for(path):
    return [name for name in CASES if path == "controller" or name in TARGET_CASES]


@pytest.fixture(scope="module", params=PATHS)
def retries(request, ansible, tmp_path_factory, shared_dir, closed_port):
    path = request.param
    with contextlib.ExitStack() as stack:
        servers, tasks, tags = {}, [], {}
        for name in _cases_for(path):
            spec, extra, expected = CASES[name]
            tags[name] = "%s-%s.flint.test" % (name.replace("_", "-"), uuid.uuid4().hex[:8])
            args = {"target": "127.0.0.1", "port": closed_port, "security": "none", "from": "alerts@example.com",
                    "to": "oncall@example.net", "subject": "retry " + tags[name], "body": "exactly once",
                    "ehlo_name": tags[name], "timeout": 20000, "send_from": path}
            if spec is not None:
                spec = dict(spec)
                mode = spec.pop("mode", "plain")
                servers[name] = stack.enter_context(smtp_server.running_server(
                    mode, store=str(tmp_path_factory.mktemp("retry-" + name)), isolation="thread",
                    ca_dir=str(tmp_path_factory.mktemp("ca")) if mode != "plain" else None, max_seconds=900,
                    **spec))
                args.update(port=servers[name].port, ca_path=servers[name].ca_path)
            args.update(extra)
            task = send(name, {k: v for k, v in args.items() if v is not None})
            if expected.get("check"):
                task["check_mode"] = True
            tasks.append(task)
        if path == "target":
            managed_host = request.getfixturevalue("managed_host")
            if any(servers[n].ca_path for n in _cases_for(path) if n in servers):
                pytest.fail("target cases must not need a CA (the SSH user cannot read pytest's tmp dirs)")
            run = ansible.playbook([play(tasks, hosts=managed_host.host)], inventory=managed_host.inventory,
                                   name="retries-target")
            host = managed_host.host
        else:
            run = ansible.playbook([play(tasks)], name="retries-controller")
            host = None
        assert run.rc == 0, run.describe()
        for server in servers.values():
            server.wait_sessions_closed(timeout=10)
        yield {"run": run, "servers": servers, "tags": tags, "path": path, "host": host}


def _span(sessions):
    """Seconds from the first connection's first event to the last connection's last event."""
    times = [datetime.datetime.fromisoformat(e["t"]) for s in sessions for e in s["events"]]
    return (max(times) - min(times)).total_seconds() if times else 0.0


def _gaps(sessions):
    """Seconds between one connection's end and the next one's start."""
    bounds = [(datetime.datetime.fromisoformat(s["events"][0]["t"]),
               datetime.datetime.fromisoformat(s["events"][-1]["t"])) for s in sessions]
    return [(start - bounds[i][1]).total_seconds() for i, (start, _end) in enumerate(bounds[1:])]


@pytest.mark.parametrize("name", list(CASES))
def test_retry(retries, name):
    if name not in _cases_for(retries["path"]):
        pytest.skip("the controller path covers it; the target path runs one case of each kind")
    _spec, _extra, expected = CASES[name]
    run, host = retries["run"], retries["host"]
    result = run.result(name, host=host)
    server = retries["servers"].get(name)
    assert_flint_shape(result, 0 if expected["ok"] else -1, send_from=retries["path"])
    attempts = result["attempts"]
    if "attempts" in expected:
        assert len(attempts) == expected["attempts"], attempts
        assert [a["smtp_code"] for a in attempts] == expected["codes"], attempts
    assert [a["attempt"] for a in attempts] == list(range(1, len(attempts) + 1))
    for attempt in attempts:
        assert attempt["msg"].startswith("SMTP %s failed at 127.0.0.1:" % attempt["phase"]), attempt
        assert attempt["elapsed_ms"] >= 0 and attempt["started_ms"] >= 0
    assert "Traceback" not in run.stdout
    if expected["ok"]:
        assert run.status(name, host=host) == "ok", run.describe()
        assert result["changed"] is True and not result.get("failed"), result
        if attempts:
            assert "on attempt %d (" % (len(attempts) + 1) in result["msg"], result["msg"]
    else:
        assert result["sent"] is expected["sent"], result
        assert result["changed"] is False
    if server is None:
        return
    sessions = server.sessions()
    if "sessions" in expected:
        assert len(sessions) == expected["sessions"], [s["verbs"] for s in sessions]
    # Delivered exactly as often as expected: never twice.
    assert len(server.messages()) == expected["stored"], server.messages()
    if expected.get("min_gap"):
        assert min(_gaps(sessions)) >= expected["min_gap"] * 0.95, _gaps(sessions)


def test_final_dot_without_reply_is_not_sent_again(retries):
    """Dropped after the message was stored: 1 delivery, 1 session, sent null, "delivery state unknown"."""
    result = retries["run"].result("dropped_after_queued", host=retries["host"])
    assert "delivery state unknown" in result["msg"] and "not sent again" in result["msg"]
    assert "Gave up" not in result["msg"] and "attempt" not in result["msg"]


def test_gave_up_says_how_many(retries):
    if retries["path"] != "controller":
        pytest.skip("controller path only")
    result = retries["run"].result("always_421")
    assert result["msg"].endswith("Gave up after 3 attempts (retries: 2)."), result["msg"]
    assert result["phase"] == "connect" and result["smtp_code"] == 421


def test_budget_runs_out_in_time(retries):
    result = retries["run"].result("budget_runs_out", host=retries["host"])
    server = retries["servers"]["budget_runs_out"]
    msg = result["msg"]
    assert "the time budget (timeout 4000 ms) ran out" in msg and "Raise timeout" in msg, msg
    count = len(result["attempts"])
    assert count >= 2 and "Gave up after %d attempts" % count in msg, msg
    # every retry was started with at least a second of the budget left (the wait is cut to fit;
    # a loaded machine may oversleep it by some ms), and all of it fits in 4 s
    assert all(a["started_ms"] <= 3000 + 250 for a in result["attempts"]), result["attempts"]
    last = result["attempts"][-1]
    assert last["started_ms"] + last["elapsed_ms"] <= 4000 + 100, result["attempts"]
    sessions = server.sessions()
    assert len(sessions) == count and server.messages() == []
    assert _span(sessions) <= 4.0 + 0.3, _span(sessions)


def test_numbers(retries):
    """Not an assertion: the numbers of each case, for the report (pytest -rA shows them)."""
    lines = []
    for name in _cases_for(retries["path"]):
        result = retries["run"].result(name, host=retries["host"])
        server = retries["servers"].get(name)
        sessions = server.sessions() if server else []
        lines.append("%-28s %-10s ok=%-5s failed_attempts=%d sessions=%d stored=%s span=%.2fs" % (
            name, retries["path"], not result.get("failed"), len(result["attempts"]), len(sessions),
            len(server.messages()) if server else "-", _span(sessions)))
    print("\n" + "\n".join(lines))


@pytest.mark.parametrize("fault", [{"dot": [451, 1]}, {"connect": [421, 1]}])
def test_loop_and_bulk_retry_per_message_and_send_each_once(ansible, tmp_path_factory, fault):
    """A loop from the controller keeps its session between items, and ``messages`` sends many over
    one: a transient fault on the first message is retried for it alone; every message arrives once."""
    rcpts = ["l1@example.net", "l2@example.net", "l3@example.net"]
    with contextlib.ExitStack() as stack:
        loop_srv, bulk_srv = (stack.enter_context(smtp_server.running_server(
            "plain", store=str(tmp_path_factory.mktemp("retry-" + kind)), isolation="thread", reply_at=fault,
            max_seconds=300)) for kind in ("loop", "bulk"))
        base = {"target": "127.0.0.1", "security": "none", "from": "alerts@example.com", "retry_delay": 100}
        tasks = [send("loop", dict(base, port=loop_srv.port, to="{{ item }}", subject="loop {{ item }}"), loop=rcpts),
                 send("bulk", dict(base, port=bulk_srv.port, to="unused@example.net",
                                   messages=[{"to": r, "subject": "bulk " + r} for r in rcpts]))]
        run = ansible.playbook([play(tasks)], name="retries-loop")
        assert run.rc == 0, run.describe()
        looped = [r["result"] for r in run.records if r["task"] == "loop" and r["item"]]
        assert [len(r["attempts"]) for r in looped] == [1, 0, 0], [r["msg"] for r in looped]
        assert all(r["rc"] == 0 for r in looped)
        bulk = run.result("bulk")
        assert bulk["totals"] == {"total": 3, "sent": 3, "failed": 0, "unknown": 0}, bulk
        assert [len(m["attempts"]) for m in bulk["messages"]] == [1, 0, 0], bulk["messages"]
        for srv in (loop_srv, bulk_srv):
            assert sorted(r for m in srv.messages() for r in m["rcpt_tos"]) == rcpts  # each exactly once
