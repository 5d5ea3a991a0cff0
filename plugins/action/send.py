# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for flint.smtp.send: send from the controller in-process, or run the module on the host.

Arguments are validated here with the module's own spec before either path runs, so bad
input gives the same Flint-shaped failure on both, and nothing is copied to a host for it.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.flint.smtp.plugins.module_utils._attachments import split_paths
from ansible_collections.flint.smtp.plugins.module_utils._errors import EXIT_INPUT
from ansible_collections.flint.smtp.plugins.module_utils._result import JobInfo, flint_result
from ansible_collections.flint.smtp.plugins.module_utils._send import run
from ansible_collections.flint.smtp.plugins.plugin_utils._task_args import (
    normalize_flint_args,
    scrub,
    secret_values,
    validate,
)
from ansible_collections.flint.smtp.plugins.plugin_utils._worker_sessions import worker_sessions

MODULE = "flint.smtp.send"


def _text_or_none(value):
    return str(value) if value not in (None, "") else None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args, error = normalize_flint_args(self._task.args)
        job = JobInfo.from_vars(task_vars, _text_or_none(args.get("job_id")), _text_or_none(args.get("job_user")))
        secrets = secret_values(args)
        params = None
        if error is None:
            params, error = validate(args)
        if error is not None:
            return scrub(self._input_failure(job, args, "Invalid options for %s: %s" % (MODULE, error)), secrets)

        if self._where(params["send_from"]) == "controller":
            result = self._send_here(params, job)
        else:
            result = self._send_on_target(args, job, task_vars, params["timeout"])
        return scrub(result, secrets)

    def _where(self, send_from):
        if send_from != "auto":
            return send_from
        if self._task.async_val:
            return "target"
        local = getattr(self._connection, "transport", None) == "local"
        return "controller" if local and not self._play_context.become else "target"

    def _send_here(self, params, job):
        warnings = []
        # Split Flint's comma form and drop empty entries first ("" is Flint's "no attachments",
        # " b.txt" after a comma must still be found in files/), then resolve each path.
        paths = split_paths(params["attachments"])
        params = dict(params, attachments=[self._controller_path(path) for path in paths])
        result = run(params, check_mode=bool(self._task.check_mode), warn=warnings.append, job=job,
                     send_from="controller", sessions=worker_sessions())
        if warnings:
            result["warnings"] = warnings
        return result

    def _controller_path(self, path):
        """Relative attachment paths are looked up like copy's src (role files/, playbook dir)."""
        if os.path.isabs(path):
            return path
        try:
            return self._find_needle("files", path)
        except AnsibleError:
            return path  # the core reports it as missing, with the path the user wrote

    def _send_on_target(self, args, job, task_vars, timeout_ms):
        # The job and the user are the controller's (or AWX's), not the managed host's login;
        # they travel as arguments so that async results, which we never see, carry them too.
        args = dict(args, send_from="target", job_id=job.job_id, job_user=job.username)
        result = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars,
                                      wrap_async=self._task.async_val)
        if self._task.async_val and "ansible_job_id" in result:
            return result
        meta = result.get("meta")
        if not isinstance(meta, dict):
            # The module never ran (no Python on the host, a crash): still answer in Flint's shape.
            text = result.get("msg") or "the module failed on the managed host without a result"
            shaped = dict(result)
            shaped.update(flint_result(job, EXIT_INPUT, text, timeout_ms))
            shaped.update(failed=True, msg=text, phase="internal", send_from="target")
            return shaped
        return result

    def _input_failure(self, job, args, text):
        try:
            timeout = int(args.get("timeout", 60000))
        except (TypeError, ValueError):
            timeout = 60000  # the bad timeout is what the message is about
        result = flint_result(job, EXIT_INPUT, text, timeout)
        # send_from is returned always: where the task would have sent from, as far as it is known.
        send_from = args.get("send_from", "auto")
        send_from = self._where(send_from) if send_from in ("auto", "controller", "target") else "controller"
        result.update(failed=True, changed=False, msg=text, phase="input", send_from=send_from,
                      connector_name=args.get("connector_name", "smtp"))
        return result
