# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Flint-shaped results. Do not use this from other collections.

Flint's sample output (flint-util:smtp:operation:smtp.rb) is ``{"meta": {...}, "output":
{"result": "success"}}``; every result we return carries that shape, on success and on
every kind of failure, next to the keys Ansible users expect (changed, failed, msg, rc).
"""

from __future__ import annotations

import getpass
import os
import time
import uuid

__all__ = ["CONTEXT", "JobInfo", "flint_result"]

CONTEXT = "flint-util:smtp:operation:smtp.rb"


def _login_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):
        # Containers often run as a uid with no passwd entry (AWX execution environments do).
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


class JobInfo(object):
    """Who and which job a result belongs to: Flint's meta.job-id and meta.username."""

    def __init__(self, job_id=None, username=None):
        self.job_id = job_id or "job-%s" % uuid.uuid4()
        self.username = username or _login_user()

    @classmethod
    def from_vars(cls, task_vars, job_id=None, username=None):
        """Build from play vars: AWX passes awx_job_id/tower_job_id and awx_user_name.

        ``job_id``/``username`` given by the task win over both.
        """
        task_vars = task_vars or {}
        awx_id = task_vars.get("awx_job_id", task_vars.get("tower_job_id"))
        user = task_vars.get("awx_user_name", task_vars.get("tower_user_name"))
        if not job_id and awx_id not in (None, ""):
            job_id = "job-awx-%s-%s" % (awx_id, uuid.uuid4())
        return cls(job_id, username or (str(user) if user else None))


def flint_result(job, exit_code, message, timeout_ms, now=None):
    """The ``meta`` and ``output`` keys, plus Ansible's ``rc`` equal to meta.exit-code."""
    timestamp = int((now if now is not None else time.time()) * 1000)
    return {
        "meta": {
            "job-id": job.job_id,
            "exit-code": exit_code,
            "context": CONTEXT,
            "message": message,
            "timeout": timeout_ms,
            "timestamp": timestamp,
            "status": "complete",
            "content-type": "application/json",
            "username": job.username,
        },
        "output": {"result": message},
        "rc": exit_code,
    }
