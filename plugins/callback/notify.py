# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: notify
type: notification
short_description: Mail a summary of the run, or only of failed runs, through a flint.smtp connector
version_added: 0.2.0
description:
  - Sends one e-mail at the end of a playbook run with the hosts' counts, every failed or unreachable task
    with its message, and the run as Flint's output JSON (C(meta) with C(exit-code), C(output.result)).
  - By default it mails only when a host failed or was unreachable, see O(notify_on). With O(per_failure)
    it mails each failure as it happens instead, like C(community.general.mail) does.
  - It sends through the same code as M(flint.smtp.send) from the controller, so certificates are verified,
    a password is never sent in clear text, and errors name the server, the SMTP phase and what to do.
  - The server and the login come from a connector, see O(connector_name). There is no password option;
    put the secret in C(flint_smtp_connectors) with ansible-vault, or in C(FLINT_SMTP_PASSWORD) (the AWX
    credential type C(Flint SMTP connector) injects it).
  - If the mail cannot be sent the run's result does not change; a warning says why the mail did not go out.
  - Tasks with C(no_log) are listed without their output.
author:
  - flint.smtp contributors (@flint-smtp)
requirements:
  - Enable it in C(callbacks_enabled) (ansible.cfg C([defaults]) or C(ANSIBLE_CALLBACKS_ENABLED)).
options:
  connector_name:
    description:
      - The connector that sends, a profile in the variable C(flint_smtp_connectors) as the implicit
        C(localhost) sees it (inventory, group_vars, extra vars), or C(FLINT_SMTP_*) environment variables for
        the default connector. See O(flint.smtp.send#module:connector_name) for the precedence.
    type: str
    default: smtp
    env:
      - name: FLINT_NOTIFY_CONNECTOR_NAME
    ini:
      - section: callback_flint_smtp_notify
        key: connector_name
  to:
    description:
      - Recipients. A comma-separated string works, as in an environment variable.
      - Without recipients nothing is sent, and a warning says so at the start of the run.
    type: list
    elements: str
    env:
      - name: FLINT_NOTIFY_TO
    ini:
      - section: callback_flint_smtp_notify
        key: to
  cc:
    description: Copy recipients.
    type: list
    elements: str
    env:
      - name: FLINT_NOTIFY_CC
    ini:
      - section: callback_flint_smtp_notify
        key: cc
  bcc:
    description: Blind copy recipients.
    type: list
    elements: str
    env:
      - name: FLINT_NOTIFY_BCC
    ini:
      - section: callback_flint_smtp_notify
        key: bcc
  from:
    description: Sender address. Defaults to the connector's O(flint.smtp.send#module:from).
    type: str
    env:
      - name: FLINT_NOTIFY_FROM
    ini:
      - section: callback_flint_smtp_notify
        key: from
  notify_on:
    description:
      - V(failure) mails only a run in which some host failed or was unreachable. V(always) mails every run.
    type: str
    default: failure
    choices: [failure, always]
    env:
      - name: FLINT_NOTIFY_ON
    ini:
      - section: callback_flint_smtp_notify
        key: notify_on
  per_failure:
    description:
      - Mail each failed or unreachable task result when it happens, instead of one mail at the end.
      - With O(notify_on=always) the summary is mailed at the end as well.
      - A run with many failing hosts then sends many mails.
    type: bool
    default: false
    env:
      - name: FLINT_NOTIFY_PER_FAILURE
    ini:
      - section: callback_flint_smtp_notify
        key: per_failure
  subject_prefix:
    description: Put before every subject, for mail filters.
    type: str
    default: "[ansible]"
    env:
      - name: FLINT_NOTIFY_SUBJECT_PREFIX
    ini:
      - section: callback_flint_smtp_notify
        key: subject_prefix
notes:
  - Failures of tasks with C(ignore_errors) are not failures of the run and are not mailed.
seealso:
  - module: flint.smtp.send
  - name: community.general.mail callback
    description: The callback this one replaces; see the migration guide for the option mapping.
    link: https://docs.ansible.com/ansible/latest/collections/community/general/mail_callback.html
"""

import os

from ansible.plugins.callback import CallbackBase

from ansible_collections.flint.smtp.plugins.plugin_utils._notify import (
    Failure,
    RunSummary,
    job_info,
    run_flint_result,
    send_mail,
)


def _part(result, name):
    """``result.host`` / ``.task`` / ``.result`` on ansible-core 2.19+, the underscored names before."""
    value = getattr(result, name, None)
    return value if value is not None else getattr(result, "_" + name)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "flint.smtp.notify"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._playbooks = []
        self._failures = []
        self._play = None
        self._job = None  # one meta.job-id for every mail of the run

    def v2_playbook_on_start(self, playbook):
        self._playbooks.append(getattr(playbook, "_file_name", None) or "playbook")
        if not self.get_option("to"):
            self._display.warning("flint.smtp.notify: no recipients (set 'to' in [callback_flint_smtp_notify] "
                                  "or FLINT_NOTIFY_TO): this run will not be mailed")

    def v2_playbook_on_play_start(self, play):
        self._play = play

    def _context(self):
        """Variables as the implicit localhost sees them, and a templar over them (for the connector)."""
        from ansible.template import Templar  # pylint: disable=import-outside-toplevel

        play = self._play
        manager = getattr(play, "_variable_manager", None)
        loader = getattr(play, "_loader", None)
        if manager is None or loader is None:
            return {}, Templar(loader=loader)
        inventory = getattr(manager, "_inventory", None)
        host = inventory.get_host("localhost") if inventory is not None else None
        task_vars = manager.get_vars(play=play, host=host)
        return task_vars, Templar(loader=loader, variables=task_vars)

    def _mail(self, summary, subject=None):
        if not self.get_option("to"):
            return
        try:
            task_vars, templar = self._context()
        except Exception as exc:  # pylint: disable=broad-except
            self._display.warning("flint.smtp.notify: cannot read the connector variables (%s); "
                                  "using the environment only" % exc)
            task_vars, templar = {}, None
        job = self._job = self._job or job_info(task_vars, os.environ)
        flint = run_flint_result(summary, job)
        subject = subject or summary.subject(job)
        options = dict((key, self.get_option(key)) for key in ("connector_name", "to", "cc", "bcc", "from"))
        subject = "%s %s" % (self.get_option("subject_prefix") or "", subject)
        warnings = []
        result = send_mail(options, subject.strip(), summary.body(job, flint), task_vars, templar, os.environ,
                           job=job, warn=warnings.append)
        for text in warnings:
            self._display.warning("flint.smtp.notify: %s" % text)
        if result.get("failed"):
            self._display.warning("flint.smtp.notify: the notification was NOT sent: %s" % result["msg"])
        else:
            self._display.v("flint.smtp.notify: %s" % result["msg"])

    def _failed(self, result, unreachable=False):
        task = _part(result, "task")
        failure = Failure(_part(result, "host").get_name(), task.get_name(), getattr(task, "action", None),
                          _part(result, "result"), unreachable=unreachable, no_log=bool(getattr(task, "no_log", False)))
        self._failures.append(failure)
        if self.get_option("per_failure"):
            summary = RunSummary(self._playbooks, [failure], {})
            self._mail(summary, "FAILED: %s on %s" % (failure.task, failure.host))

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if not ignore_errors:
            self._failed(result)

    def v2_runner_on_unreachable(self, result):
        self._failed(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        hosts = sorted(stats.processed.keys())
        summary = RunSummary(self._playbooks, self._failures, dict((h, stats.summarize(h)) for h in hosts))
        if self.get_option("notify_on") == "always" or (summary.failed and not self.get_option("per_failure")):
            self._mail(summary)
