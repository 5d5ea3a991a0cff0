# -*- coding: utf-8 -*-
from __future__ import annotations

import re

from ansible_collections.flint.smtp.plugins.module_utils._result import CONTEXT, JobInfo, flint_result

UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def test_success_shape_matches_flint_sample():
    result = flint_result(JobInfo(username="admin"), 0, "success", 60000, now=1469599876.0125)
    assert result["output"] == {"result": "success"}
    assert result["rc"] == 0
    meta = result["meta"]
    assert set(meta) == {"job-id", "exit-code", "context", "message", "timeout", "timestamp", "status",
                         "content-type", "username"}
    assert re.match("^job-%s$" % UUID4, meta["job-id"])
    assert meta["exit-code"] == 0 and meta["message"] == "success" and meta["status"] == "complete"
    assert meta["context"] == CONTEXT == "flint-util:smtp:operation:smtp.rb"
    assert meta["timestamp"] == 1469599876012 and isinstance(meta["timestamp"], int)
    assert meta["content-type"] == "application/json" and meta["username"] == "admin"
    assert meta["timeout"] == 60000


def test_failure_carries_the_text_in_message_and_result():
    result = flint_result(JobInfo(), -1, "SMTP auth failed", 5000)
    assert result["meta"]["exit-code"] == result["rc"] == -1
    assert result["meta"]["message"] == result["output"]["result"] == "SMTP auth failed"


def test_job_ids_are_unique():
    assert JobInfo().job_id != JobInfo().job_id


def test_awx_vars_give_job_id_and_user():
    job = JobInfo.from_vars({"awx_job_id": 42, "awx_user_name": "alice", "tower_job_id": 42})
    assert re.match("^job-awx-42-%s$" % UUID4, job.job_id)
    assert job.username == "alice"
    assert JobInfo.from_vars({"tower_job_id": 7}).job_id.startswith("job-awx-7-")


def test_without_awx_the_login_user_is_used(monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "opsuser")
    job = JobInfo.from_vars({})
    assert job.username == "opsuser" and job.job_id.startswith("job-") and "awx" not in job.job_id


def test_login_user_without_passwd_entry(monkeypatch):
    def no_user():
        raise KeyError("getpwuid(): uid not found: 1000")
    monkeypatch.setattr("getpass.getuser", no_user)
    assert JobInfo().username.isdigit()
