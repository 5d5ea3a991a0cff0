# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: what the flint.smtp.notify callback mails, and how. Do not use this from other collections.

The callback collects events; this file turns them into one message and sends it through the same
path as the send action: connector, spec validation, ``_send.run()`` and no_log scrubbing.
"""

from __future__ import annotations

import json
import os

from ansible_collections.flint.smtp.plugins.module_utils._errors import EXIT_INPUT
from ansible_collections.flint.smtp.plugins.module_utils._options import default
from ansible_collections.flint.smtp.plugins.module_utils._result import JobInfo, flint_result
from ansible_collections.flint.smtp.plugins.module_utils._send import run
from ansible_collections.flint.smtp.plugins.plugin_utils._connectors import apply as apply_connector
from ansible_collections.flint.smtp.plugins.plugin_utils._task_args import normalize_flint_args, scrubber, validate

__all__ = ["Failure", "RunSummary", "job_info", "run_flint_result", "send_mail"]

_MAX_MSG = 2000  # characters of one failure's message in the mail; the job log has the rest
_MAX_FAILURES = 100  # failures listed in one mail; a run that breaks everywhere must not send megabytes
_HIDDEN = "(output hidden: the task has no_log)"


class Failure(object):
    """One failed or unreachable task result, reduced to what a person needs in the mail."""

    def __init__(self, host, task, action, result, unreachable=False, no_log=False):
        self.host = host
        self.task = task
        self.action = action
        self.unreachable = unreachable
        result = result or {}
        if no_log:
            self.msg = _HIDDEN
            self.flint = None
        else:
            msg = result.get("msg") or result.get("stderr") or result.get("reason") or "failed without a message"
            text = msg if isinstance(msg, str) else json.dumps(msg, default=str)
            self.msg = text if len(text) <= _MAX_MSG else text[:_MAX_MSG] + " [...]"
            meta, output = result.get("meta"), result.get("output")
            # A flint.smtp.send result (or any Flint-shaped one) keeps its meta/output in the mail.
            self.flint = {"meta": meta, "output": output} if isinstance(meta, dict) and "exit-code" in meta else None

    def lines(self):
        kind = "UNREACHABLE" if self.unreachable else "FAILED"
        head = "- %s %s: task %r" % (kind, self.host, self.task) + (" (%s)" % self.action if self.action else "")
        out = [head] + ["    " + line for line in self.msg.splitlines() or [""]]
        if self.flint:
            out.append("    Flint result: " + json.dumps(self.flint, sort_keys=True, default=str))
        return out


class RunSummary(object):
    """Counts per host (from the run's stats) and the failures seen."""

    def __init__(self, playbooks, failures, stats):
        self.playbooks = playbooks
        self.failures = failures
        self.stats = stats  # {host: {"ok": n, "changed": n, "failures": n, "unreachable": n, ...}}

    @property
    def failed(self):
        # The stats know about rescued failures and ignore_errors; the failure list alone does not.
        if self.stats:
            return any(s.get("failures") or s.get("unreachable") for s in self.stats.values())
        return bool(self.failures)

    def result_text(self):
        if not self.failed:
            return "success"
        bad = sorted(h for h, s in self.stats.items() if s.get("failures") or s.get("unreachable"))
        bad = bad or sorted(set(f.host for f in self.failures))
        more = " and %d more" % (len(bad) - 20) if len(bad) > 20 else ""
        return "failed on %d host(s): %s%s" % (len(bad), ", ".join(bad[:20]), more)

    def subject(self, job):
        what = ", ".join(os.path.basename(p) for p in self.playbooks) or "ansible run"
        awx = " (job %s)" % job.awx_id if job.awx_id else ""
        return "%s: %s%s" % ("FAILED" if self.failed else "OK", what, awx)

    def body(self, job, flint):
        lines = ["Ansible run %s: %s" % ("FAILED" if self.failed else "succeeded", ", ".join(self.playbooks) or "-"),
                 "Job: %s, user %s" % (job.job_id, job.username), ""]
        lines.append("Hosts:")
        for host in sorted(self.stats):
            counts = self.stats[host]
            lines.append("  %s: %s" % (host, " ".join("%s=%s" % (key, counts.get(key, 0)) for key in (
                "ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored"))))
        if self.failures:
            lines += ["", "Failures:"]
            for failure in self.failures[:_MAX_FAILURES]:
                lines += failure.lines()
            if len(self.failures) > _MAX_FAILURES:
                lines.append("... and %d more failure(s): see the job's output" % (len(self.failures) - _MAX_FAILURES))
        lines += ["", "Flint result:", json.dumps(flint, indent=2, sort_keys=True, default=str), ""]
        return "\n".join(lines)


class _Job(JobInfo):
    def __init__(self, task_vars, environ):
        awx_id = task_vars.get("awx_job_id", task_vars.get("tower_job_id")) or environ.get("JOB_ID")
        base = JobInfo.from_vars(dict(task_vars, awx_job_id=awx_id) if awx_id else task_vars)
        super(_Job, self).__init__(base.job_id, base.username)
        self.awx_id = awx_id


def send_mail(options, subject, body, task_vars, templar, environ, job=None, warn=None):
    """Send one notification; returns the flint.smtp.send-shaped result (never raises for mail errors).

    ``options`` are the callback's: connector_name, to, cc, bcc, from. The server and login come
    from the connector only; secrets of the connector are scrubbed from the result.
    """
    job = job or _Job(task_vars, environ)
    args = dict((key, value) for key, value in options.items() if value not in (None, "", []))
    args.update(subject=subject, body=body, send_from="controller")
    args, error = normalize_flint_args(args)
    connector = None
    if error is None:
        args, connector, error = apply_connector(args, task_vars, templar, environ)
    secrets = scrubber(args)
    params = None
    if error is None:
        params, error = validate(args)
    if error is not None:
        result = flint_result(job, EXIT_INPUT, "invalid options: %s" % error, default("timeout"))
        result.update(failed=True, msg=result["meta"]["message"], phase="input")
    else:
        # The body may quote task output; never let the connector's own secret travel in it.
        params = dict(params, body=secrets.text(params["body"]))
        result = run(params, warn=warn, job=job, send_from="controller")
    if connector is not None:
        result["connector"] = connector
    return secrets.scrub(result)


def job_info(task_vars, environ):
    return _Job(task_vars, environ)


def run_flint_result(summary, job, timeout_ms=None):
    """The whole run as Flint's output JSON: exit-code 0 when every host was fine, else 1."""
    result = flint_result(job, 0 if not summary.failed else EXIT_INPUT, summary.result_text(),
                          default("timeout") if timeout_ms is None else timeout_ms)
    return {"meta": result["meta"], "output": result["output"]}
