# -*- coding: utf-8 -*-
from __future__ import annotations

import json

from ansible_collections.flint.smtp.plugins.plugin_utils import _notify
from ansible_collections.flint.smtp.plugins.plugin_utils._notify import (
    Failure,
    RunSummary,
    job_info,
    run_flint_result,
    send_mail,
)

SECRET = "n0tify-S3cret"


def test_failure_keeps_what_a_person_needs():
    long = Failure("web1", "t", "ansible.builtin.command", {"msg": "x" * 5000})
    assert long.msg.endswith(" [...]") and len(long.msg) < 2100
    assert Failure("h", "t", None, {"stderr": "boom"}).msg == "boom"
    assert Failure("h", "t", None, {"msg": {"a": 1}}).msg == '{"a": 1}'
    assert Failure("h", "t", None, {}).msg == "failed without a message"
    hidden = Failure("h", "t", None, {"msg": SECRET, "meta": {"exit-code": 1}}, no_log=True)
    assert SECRET not in "\n".join(hidden.lines()) and hidden.flint is None
    flint = Failure("h", "t", "flint.smtp.send", {"msg": "m", "meta": {"exit-code": -1}, "output": {"result": "m"}})
    assert '    Flint result: {"meta": {"exit-code": -1}, "output": {"result": "m"}}' in flint.lines()


def test_stats_decide_whether_the_run_failed():
    rescued = Failure("h", "t", None, {"msg": "rescued"})
    assert not RunSummary(["p.yml"], [rescued], {"h": {"ok": 2, "rescued": 1}}).failed
    assert RunSummary(["p.yml"], [], {"h": {"unreachable": 1}}).failed
    assert RunSummary(["p.yml"], [rescued], {}).failed  # per-failure mail: no stats yet


def test_run_result_is_flint_shaped_with_the_awx_job():
    job = job_info({"awx_job_id": 42, "awx_user_name": "alice"}, {})
    summary = RunSummary(["/x/site.yml"], [], {"a": {"failures": 1}, "b": {"ok": 1}})
    flint = run_flint_result(summary, job)
    assert flint["meta"]["exit-code"] == 1 and flint["meta"]["job-id"].startswith("job-awx-42-")
    assert flint["output"] == {"result": "failed on 1 host(s): a"}
    assert summary.subject(job) == "FAILED: site.yml (job 42)"
    assert json.loads(summary.body(job, flint).split("Flint result:\n", 1)[1]) == flint
    # AWX also sets JOB_ID in the environment; the extra var wins when both exist.
    assert job_info({}, {"JOB_ID": "9"}).awx_id == "9"


def test_send_mail_uses_the_connector_and_scrubs_its_secret(monkeypatch):
    seen = {}

    def fake_run(params, warn=None, job=None, send_from=None):
        seen.update(params)
        return {"failed": True, "msg": "login failed for %s" % params["password"], "meta": {}}

    monkeypatch.setattr(_notify, "run", fake_run)
    env = {"FLINT_SMTP_TARGET": "mail.example.com", "FLINT_SMTP_USERNAME": "u", "FLINT_SMTP_PASSWORD": SECRET,
           "FLINT_SMTP_FROM": "a@example.com"}
    result = send_mail({"connector_name": "smtp", "to": ["b@example.com"], "cc": None, "from": ""}, "s",
                       "body quoting %s" % SECRET, {}, None, env)
    assert seen["target"] == "mail.example.com" and seen["password"] == SECRET
    assert SECRET not in seen["body"] and seen["send_from"] == "controller" and seen["validate_certs"] is True
    assert SECRET not in json.dumps(result) and result["connector"]["sources"] == ["environment"]


def test_send_mail_bad_configuration_is_a_result_not_an_exception():
    result = send_mail({"connector_name": "nope", "to": ["b@example.com"]}, "s", "b", {}, None, {})
    assert result["failed"] and result["rc"] == 1
    assert result["msg"] == "invalid options: unknown connector 'nope': no connectors are defined. Define it in " \
        "the variable flint_smtp_connectors, or set FLINT_SMTP_* environment variables (the default connector is 'smtp')"


def test_a_run_failing_everywhere_lists_a_bounded_number_of_failures():
    failures = [Failure("h%d" % i, "t", None, {"msg": "m" * 3000}) for i in range(500)]
    summary = RunSummary(["p.yml"], failures, dict(("h%d" % i, {"failures": 1}) for i in range(500)))
    body = summary.body(job_info({}, {}), run_flint_result(summary, job_info({}, {})))
    assert "... and 400 more failure(s): see the job's output" in body and len(body) < 300000
    assert summary.result_text().startswith("failed on 500 host(s): h0, h1, h10,")
    assert summary.result_text().endswith(" and 480 more")
