# -*- coding: utf-8 -*-
from __future__ import annotations

import smtplib

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC
from ansible_collections.flint.smtp.plugins.module_utils._bulk import Pace, prepare_items, summarize
from ansible_collections.flint.smtp.plugins.module_utils._send import run

from .conftest import answers as replies


def params(**overrides):
    base = {name: spec.get("default") for name, spec in ARGUMENT_SPEC.items()}
    base.update({"target": "mail.example.com", "from": "ops@example.com", "security": "none", "subject": "s",
                 "body": "task body"})
    base.update(overrides)
    return base


def mails(script):
    return [c for inst in script["instances"] for c in inst.calls if isinstance(c, tuple) and c[0] == "mail"]


def connects(script):
    return [c for inst in script["instances"] for c in inst.calls if isinstance(c, tuple) and c[0] == "connect"]


def test_items_override_the_task_and_share_one_session(fake_smtp):
    items = [{"to": "a@example.com", "subject": "for a"}, {"to": ["b@example.com"], "body": "only b"},
             {"to": "c@example.com", "cc": "d@example.com"}]
    result = run(params(messages=items))
    assert result.get("failed") is None and result["rc"] == 0
    assert result["totals"] == {"total": 3, "sent": 3, "failed": 0, "unknown": 0}
    assert result["output"] == {"result": "sent 3 of 3"} and result["changed"] is True
    assert [m["index"] for m in result["messages"]] == [0, 1, 2]
    assert result["messages"][2]["accepted"] == ["c@example.com", "d@example.com"]
    assert len(connects(fake_smtp)) == 1 and len(mails(fake_smtp)) == 3


def test_a_bad_item_fails_alone_before_any_connection(fake_smtp):
    items = [{"to": "a@example.com"}, {"to": "not an address"}, {"to": "c@example.com", "bogus": 1}, "text",
             {"to": "d@example.com", "port": 25}]
    result = run(params(messages=items, deliver=False))
    assert fake_smtp["instances"] == []
    errors = {m["index"]: m["error"]["msg"] for m in result["messages"] if m["error"]}
    assert set(errors) == {1, 2, 3, 4}
    assert errors[1].startswith("messages[1]: to:") and "bogus" in errors[2] and "must be a dict" in errors[3]
    assert "port cannot be set per message" in errors[4]


@pytest.mark.parametrize("fail_on, failed", [("any", True), ("all", False), ("never", False)])
def test_fail_on_decides_the_outcome(fake_smtp, fail_on, failed):
    items = [{"to": "a@example.com"}, {"to": "bad"}]
    result = run(params(messages=items, fail_on=fail_on))
    assert bool(result.get("failed")) is failed
    assert result["totals"]["sent"] == 1 and result["output"]["result"].startswith("sent 1 of 2; 1 failed")
    assert result["rc"] == (1 if failed else 0)


def test_fail_on_all_fails_when_everything_failed(fake_smtp):
    fake_smtp["rcpt"] = {"a@example.com": (550, b"no"), "b@example.com": (550, b"no")}
    result = run(params(messages=[{"to": "a@example.com"}, {"to": "b@example.com"}], fail_on="all"))
    assert result["failed"] and result["rc"] == -1 and result["totals"]["failed"] == 2


def test_reconnects_after_max_per_connection(fake_smtp):
    items = [{"to": "r%d@example.com" % i} for i in range(5)]
    result = run(params(messages=items, max_per_connection=2))
    assert result["totals"]["sent"] == 5 and len(connects(fake_smtp)) == 3


def test_a_refused_recipient_does_not_stop_the_batch(fake_smtp):
    fake_smtp["rcpt"] = {"b@example.com": (550, b"5.1.1 unknown")}
    items = [{"to": "a@example.com"}, {"to": "b@example.com"}, {"to": "c@example.com"}]
    result = run(params(messages=items, fail_on="never"))
    assert [m["sent"] for m in result["messages"]] == [True, False, True]
    assert result["messages"][1]["error"]["smtp_code"] == 550 and len(connects(fake_smtp)) == 1


def test_server_closing_the_session_reconnects_and_never_resends_an_unknown(fake_smtp):
    answers = iter([smtplib.SMTPServerDisconnected("gone"), (250, b"ok"), (250, b"ok")])
    fake_smtp["data"] = lambda: next(answers)
    items = [{"to": "a@example.com"}, {"to": "b@example.com"}, {"to": "c@example.com"}]
    result = run(params(messages=items, fail_on="never", retries=2))
    # the first message's final dot went out with no reply: unknown, not sent again
    assert [m["sent"] for m in result["messages"]] == [None, True, True]
    assert result["totals"]["unknown"] == 1 and len(connects(fake_smtp)) == 2
    assert len(mails(fake_smtp)) == 3


def test_preview_writes_one_eml_per_message(fake_smtp, tmp_path):
    items = [{"to": "a@example.com"}, {"to": "b@example.com", "subject": "x"}]
    result = run(params(messages=items, deliver=False, save_eml_dir=str(tmp_path)), check_mode=False)
    assert fake_smtp["instances"] == [] and result["changed"] is False
    assert sorted(p.name[:5] for p in tmp_path.iterdir()) == ["0000-", "0001-"]
    assert result["msg"].startswith("built (deliver is false, not sent) 2 of 2")


def test_check_mode_sends_nothing(fake_smtp):
    result = run(params(messages=[{"to": "a@example.com"}]), check_mode=True)
    assert fake_smtp["instances"] == [] and result["changed"] is True and result["totals"]["sent"] == 0


def test_empty_list_and_save_eml_are_input_errors(fake_smtp):
    assert "list is empty" in run(params(messages=[]))["msg"]
    assert "save_eml_dir" in run(params(messages=[{"to": "a@example.com"}], save_eml="/tmp/x.eml"))["msg"]


def test_pace_spaces_sends_without_sleeping_the_first():
    now, slept = [0.0], []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    pace = Pace(120, clock=lambda: now[0], sleep=sleep)
    pace.wait()
    pace.wait()
    now[0] += 0.2
    pace.wait()
    assert slept == [0.5, pytest.approx(0.3)]


def test_summary_text():
    items = prepare_items(params(messages=[{"to": "a@example.com"}, {"to": "b"}]))
    failed, code, text, totals = summarize(items, "any")
    assert failed and code == 1 and text.startswith("sent 0 of 2; 1 failed (first: messages[1]: to:")


def test_a_transient_refusal_is_retried_for_that_message_only_and_sent_once(fake_smtp):
    fake_smtp["rcpt"] = {"b@example.com": replies((451, b"4.3.0 later"), (250, b"ok"))}
    items = [{"to": "a@example.com"}, {"to": "b@example.com"}, {"to": "c@example.com"}]
    result = run(params(messages=items, retries=2, retry_delay=0))
    assert [m["sent"] for m in result["messages"]] == [True, True, True] and result["totals"]["sent"] == 3
    assert [len(m["attempts"]) for m in result["messages"]] == [0, 1, 0]
    assert result["messages"][1]["attempts"][0]["smtp_code"] == 451
    # the session survived the 451 (RSET), so the retry rode it; one DATA per message
    datas = [c for inst in fake_smtp["instances"] for c in inst.calls if c == ("data", 3)]  # final dots: content is streamed in chunks
    assert len(datas) == 3 and len(connects(fake_smtp)) == 1


def test_bulk_retries_respect_retries_0_and_never_resend_after_the_final_dot(fake_smtp):
    fake_smtp["data"] = replies((451, b"4.3.0 not taken"), smtplib.SMTPServerDisconnected("gone"), (250, b"ok"))
    items = [{"to": "a@example.com"}, {"to": "b@example.com"}]
    result = run(params(messages=items, fail_on="never", retries=0, retry_delay=0))
    assert [m["sent"] for m in result["messages"]] == [False, None]
    assert [len(m["attempts"]) for m in result["messages"]] == [1, 1]
