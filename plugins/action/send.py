# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for flint.smtp.send: send from the controller in-process, or run the module on the host.

Arguments are validated here with the module's own spec before either path runs, so bad
input gives the same Flint-shaped failure on both, and nothing is copied to a host for it.
With ``flint_input: true`` the options come from the play's variables (the Flint JSON),
read raw from ``task_vars``: input is data and is never rendered as a template.
"""

from __future__ import annotations

import os
import traceback

from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.flint.smtp.plugins.module_utils._attachments import (
    ATTACHMENT_DIRS_ENV,
    allowed_dirs_from,
    open_confined,
    split_paths,
)
from ansible_collections.flint.smtp.plugins.module_utils._argspec import NOT_FROM_INPUT
from ansible_collections.flint.smtp.plugins.module_utils._errors import EXIT_INPUT, InputError
from ansible_collections.flint.smtp.plugins.module_utils._options import default
from ansible_collections.flint.smtp.plugins.module_utils._result import JobInfo, flint_result
from ansible_collections.flint.smtp.plugins.module_utils._send import run
from ansible_collections.flint.smtp.plugins.plugin_utils._connectors import apply as apply_connector
from ansible_collections.flint.smtp.plugins.plugin_utils._pipelining import pipelining_by_default
from ansible_collections.flint.smtp.plugins.plugin_utils._piped_module import buffered_module_command
from ansible_collections.flint.smtp.plugins.plugin_utils._task_args import (
    check_input_ca_path,
    flint_input_args,
    normalize_flint_args,
    scrubber,
    validate,
)
from ansible_collections.flint.smtp.plugins.plugin_utils._worker_sessions import worker_sessions

MODULE = "flint.smtp.send"


def _text_or_none(value):
    return str(value) if value not in (None, "") else None


def _input_attachments(params):
    """True when the message or any item of messages names an attachment."""
    items = [item for item in params.get("messages") or [] if isinstance(item, dict)]
    return any(split_paths(source.get("attachments"), expand=False) for source in [params] + items)


def _confined(value, roots):
    return [open_confined(path, roots) for path in split_paths(value, expand=False)]


def _confined_item(item, index, roots):
    if isinstance(item, dict) and item.get("inline_images") not in (None, "", []):
        raise InputError("messages[%d]: inline_images cannot come from the Flint input (%s)"
                         % (index, NOT_FROM_INPUT["inline_images"]))
    if not isinstance(item, dict) or item.get("attachments") in (None, "", []):
        return item  # the bulk core reports a bad item on its own
    try:
        return dict(item, attachments=_confined(item["attachments"], roots))
    except InputError as exc:
        raise InputError("messages[%d]: %s" % (index, exc.message))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = dict(self._task.args)
        job = JobInfo()
        try:
            job = JobInfo.from_vars(task_vars, _text_or_none(args.get("job_id")), _text_or_none(args.get("job_user")))
            return self._run(args, job, task_vars)
        except Exception as exc:  # pylint: disable=broad-except
            # Whatever breaks, the answer keeps Flint's shape (the Flint playbook prints it).
            text = "unexpected error in %s: %s: %s" % (MODULE, type(exc).__name__, exc)
            result = self._input_failure(job, args, text)
            result.update(phase="internal", exception=traceback.format_exc())
            return scrubber(args).scrub(result)

    def _run(self, args, job, task_vars):
        error = None
        from_input = False
        try:
            from_input = boolean(args.get("flint_input", False), strict=True)
        except TypeError as exc:
            error = "flint_input: %s" % exc
        if from_input and error is None:
            args, error = flint_input_args(args, task_vars)
            if error is None and "ca_path" not in self._task.args:
                error = check_input_ca_path(args.get("ca_path"))
        if error is None:
            args, error = normalize_flint_args(args)
        connector = None
        if error is None:
            # Before validation: a connector may supply required options (target, from).
            manager = self._task.get_variable_manager() if from_input else None
            input_vars = manager.extra_vars if manager is not None else ()
            args, connector, error = apply_connector(args, task_vars, self._templar, os.environ, input_vars)
        secrets = scrubber(args)
        params = None
        if error is None:
            params, error = validate(args)
        if error is None and self._task.async_val and params["send_from"] == "controller":
            error = ("send_from: controller cannot run as an async task: the controller sends in-process, so "
                     "async would silently wait for the whole send. Use send_from: target (or auto) to send "
                     "asynchronously from the managed host, or drop async/poll")
        if error is not None:
            return secrets.scrub(self._input_failure(job, args, "Invalid options for %s: %s" % (MODULE, error)))

        where = self._where(params["send_from"])
        confined = from_input and not {"attachments", "messages"} & set(self._task.args)
        try:
            named = confined and _input_attachments(params)
        except InputError as exc:
            return secrets.scrub(self._input_failure(job, args, exc.message))
        if named and where != "controller":
            text = ("attachments from the Flint input are only read on the controller (send_from: controller), "
                    "where %s says which directories they may come from" % ATTACHMENT_DIRS_ENV)
            return secrets.scrub(self._input_failure(job, args, text))
        if where == "controller":
            result = self._send_here(params, job, args, confined)
        else:
            result = self._send_on_target(args, job, task_vars, params["timeout"])
        if connector is not None:
            result["connector"] = connector
        return secrets.scrub(result)

    def _where(self, send_from):
        if send_from != "auto":
            return send_from
        if self._task.async_val:
            return "target"
        local = getattr(self._connection, "transport", None) == "local"
        return "controller" if local and not self._play_context.become else "target"

    def _send_here(self, params, job, args, confined):
        warnings = []
        try:
            if confined:
                # From the Flint input: only what the job's owner allowed, checked and opened here,
                # for the message and for every item of messages alike.
                roots = allowed_dirs_from(os.environ.get(ATTACHMENT_DIRS_ENV))
                attachments = _confined(params["attachments"], roots)
                if params.get("messages"):
                    params = dict(params, messages=[_confined_item(item, index, roots)
                                                    for index, item in enumerate(params["messages"])])
            else:
                # Split Flint's comma form and drop empty entries first ("" is Flint's "no attachments",
                # " b.txt" after a comma must still be found in files/), then resolve each path.
                attachments = [self._controller_path(path) for path in split_paths(params["attachments"])]
        except InputError as exc:
            return self._input_failure(job, args, exc.message)
        # inline_images never come from the Flint input (NOT_FROM_INPUT): found like copy's src.
        images = [dict(item, path=self._controller_path(item["path"]))
                  if isinstance(item, dict) and isinstance(item.get("path"), str) and item["path"] else item
                  for item in params.get("inline_images") or []]
        params = dict(params, attachments=attachments, inline_images=images)
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

    def _is_pipelining_enabled(self, module_style, wrap_async=False):
        # One remote command per send instead of four where that is always safe (see _pipelining).
        if super(ActionModule, self)._is_pipelining_enabled(module_style, wrap_async):
            return True
        return module_style == "new" and pipelining_by_default(
            self._connection, self._play_context, wrap_async)

    def _low_level_execute_command(self, cmd, *args, **kwargs):
        # A pipelined module run reads its payload in one call, not a byte at a time (see _piped_module).
        in_data = kwargs.get("in_data", args[1] if len(args) > 1 else None)
        cmd = buffered_module_command(cmd, in_data, getattr(self._connection._shell, "SHELL_FAMILY", None))
        return super(ActionModule, self)._low_level_execute_command(cmd, *args, **kwargs)

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
            timeout = int(args.get("timeout", default("timeout")))
        except (TypeError, ValueError):
            timeout = default("timeout")  # the bad timeout is what the message is about
        result = flint_result(job, EXIT_INPUT, text, timeout)
        # send_from is returned always: where the task would have sent from, as far as it is known.
        send_from = args.get("send_from", "auto")
        send_from = self._where(send_from) if send_from in ("auto", "controller", "target") else "controller"
        connector = args.get("connector_name", "smtp")
        result.update(failed=True, changed=False, msg=text, phase="input", send_from=send_from,
                      connector_name=connector if isinstance(connector, str) else "smtp")
        return result
