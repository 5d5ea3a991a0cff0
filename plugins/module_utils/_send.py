# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the send operation, from validated options to a Flint-shaped result.

The module (on the managed host) and the action plugin (on the controller) both call
``run()``; that is why both paths return identical results for identical input.
Only orchestration lives here: options, message building, TLS, auth, the SMTP session and
result shaping each have their own file. Do not use this from other collections.
"""

from __future__ import annotations

import traceback

from ._auth import check_plaintext_auth, select_auth
from ._deadline import Deadline
from ._errors import EXIT_INPUT, FlintSmtpError
from ._message import prepare_message
from ._options import build_options, default
from ._result import JobInfo, flint_result
from ._retry import Retrier
from ._scrub import Scrubber
from ._tls import tls_context
from ._transport import SmtpSession

__all__ = ["run"]


def _session(server, deadline):
    context = tls_context(server.validate_certs, server.ca_path) if server.security != "none" else None
    return SmtpSession(server, context, deadline)


class _Tries(object):
    """The sessions of one send's attempts. The first is made up front (the result names it even
    when nothing connected); every later attempt gets a fresh one: connect, TLS, EHLO, AUTH again."""

    def __init__(self, server, deadline, auth=None):
        self.server = server
        self.deadline = deadline
        self.auth = auth
        self.last = _session(server, deadline)
        self._unused = True

    def new(self, deadline=None):
        deadline = deadline or self.deadline
        if self.auth is not None:
            # A fetched OAuth2 token is got (once per task) when a session is about to connect: before
            # any SMTP connection, and not at all for check mode, deliver: false or a reused session.
            self.auth.prepare(deadline)
        if not self._unused:
            self.last = _session(self.server, deadline)
        self._unused = False
        return self.last


def _send_once(opts, tries, auth, message, cache):
    """One attempt; in a loop (``cache``) it may ride the kept session. Returns (accepted, refused, reused)."""
    if cache is None:
        accepted, refused = _deliver(opts, tries.new(), auth, message, check_mode=False)
        return accepted, refused, False
    try:
        accepted, refused, _session_used, reused = cache.send(
            cache.key(opts.server, auth), tries.new, auth, tries.deadline, message, opts.delivery.on_refused)
    finally:
        tries.last = cache.last or tries.last  # the result describes the session that failed or carried it
    return accepted, refused, reused


def _session_factory(server, auth):
    """New sessions for the session cache and for batches. A fetched OAuth2 token is got (once
    per task) when the first new session is made, so before any SMTP connection, and not at all
    when a kept session is reused."""
    def make(deadline):
        if auth is not None:
            auth.prepare(deadline)
        return _session(server, deadline)
    return make


def _deliver(opts, session, auth, message, check_mode):
    """Open, authenticate and (unless check mode) send. Always closes the session.
    ``session`` comes from _Tries.new or _session_factory, which got a fetched token first."""
    try:
        session.open()
        if auth is not None:
            session.authenticate(auth)
        if check_mode:
            return [], {}
        return session.send(message, opts.delivery.on_refused)
    finally:
        session.close()


def _preview(opts, tries, retrier, auth, message, check_mode, result):
    """Check mode or deliver: false: report what would go out; check_connection probes the server,
    retried like a real send would be, so the probe answers "would this task get through"."""
    probe = check_mode and opts.delivery.check_connection
    if probe:
        retrier.run(lambda: _deliver(opts, tries.new(), auth, message, check_mode=True))
    deliver = opts.delivery.deliver
    session = tries.last
    result.update(changed=bool(check_mode and deliver), accepted=[], refused={}, session=session.info())
    verb = "would send" if check_mode and deliver else "built (deliver is false, not sent)"
    return "%s %d bytes to %d recipient(s) via %s (%s)%s" % (
        verb, message.size, len(message.recipients), session.where, session.security,
        "; connection, TLS and login checked" + retrier.summary() if probe else "")


def _refusal_warning(refused):
    return "the server refused %d recipient(s): %s" % (
        len(refused), ", ".join("%s (%s %s)" % (addr, why["code"], why["text"])
                                for addr, why in sorted(refused.items())))


def _timeout_of(params):
    """meta.timeout echoes the budget, also for input that failed before options were built."""
    value = params.get("timeout")
    return value if isinstance(value, int) else default("timeout")


def run(params, check_mode=False, warn=None, job=None, send_from="target", sessions=None):
    """Send one message as ``params`` (the argument spec's options) describe.

    Never raises for an expected failure: the result says ``failed`` with a human ``msg``.
    ``warn`` is called with warning text (partly refused recipients). ``sessions`` (a
    SessionCache) lets consecutive sends of one process share an open session.
    """
    used = []
    result = _run(params, check_mode, warn, job, send_from, sessions, used)
    # A fetched OAuth2 token is in no task argument, so neither AnsibleModule nor the action
    # plugin knows to hide it: whatever a server echoed, it leaves here scrubbed.
    return Scrubber([secret for auth in used for secret in auth.secrets()]).scrub(result)


def _run(params, check_mode, warn, job, send_from, sessions, used):  # pylint: disable=too-many-arguments
    job = job or JobInfo()
    warn = warn or (lambda text: None)
    timeout_ms = _timeout_of(params)
    extra = {"changed": False, "send_from": send_from, "connector_name": params.get("connector_name")}
    tries = None
    try:
        opts = build_options(params)
        if opts.delivery.messages is not None:
            return _run_bulk(opts, params, check_mode, job, extra, used)
        # The budget starts before anything slow (file reads, DNS for the loopback check).
        deadline = Deadline(opts.server.timeout_ms)
        message = prepare_message(opts.message)
        auth = select_auth(opts.auth)
        used.extend([auth] if auth is not None else [])
        check_plaintext_auth(auth, opts.server.security, opts.server.host, opts.server.allow_plaintext_auth)
        tries = _Tries(opts.server, deadline, auth)
        retrier = Retrier(opts.retry.retries, opts.retry.delay_ms, deadline)
        extra.update(message.summary())
        extra["attempts"] = retrier.failures
        if opts.delivery.save_eml:
            message.save(opts.delivery.save_eml)
            extra["eml_path"] = opts.delivery.save_eml

        if check_mode or not opts.delivery.deliver:
            text = _preview(opts, tries, retrier, auth, message, check_mode, extra)
            result = flint_result(job, 0, "success", timeout_ms)
            result.update(extra, msg=text)
            return result

        accepted, refused, reused = retrier.run(lambda: _send_once(opts, tries, auth, message, sessions))
        session = tries.last
        extra["session"] = dict(session.info(), reused=reused)
        extra.update(changed=True, accepted=accepted, refused=refused)
        for warning in session.warnings:  # this send's (DSN not offered)
            warn(warning)
        result = flint_result(job, 0, "success", timeout_ms)
        text = "sent %d bytes to %d recipient(s) via %s%s" % (message.size, len(accepted), session.where,
                                                              retrier.summary())
        if refused:
            warning = _refusal_warning(refused)
            warn(warning)
            text += "; " + warning
        result.update(extra, msg=text)
        return result
    except FlintSmtpError as exc:
        result = flint_result(job, exc.exit_code, exc.message, timeout_ms)
        result.update(extra, failed=True, msg=exc.message, **exc.result_fields())
        if "accepted" in exc.details:  # a refusal, or a batch after others went out (see _transactions)
            result.update(accepted=exc.details["accepted"], refused=exc.details.get("refused", {}),
                          changed=bool(exc.details["accepted"]))
        if tries is not None:
            result["session"] = tries.last.info()
        return result
    except Exception as exc:  # pylint: disable=broad-except
        # Flint's exception branch: exit-code 1. Keep the traceback for -vvv, but the
        # message a human sees first is one line.
        text = "unexpected error while sending: %s: %s" % (type(exc).__name__, exc)
        result = flint_result(job, EXIT_INPUT, text, timeout_ms)
        result.update(extra, failed=True, msg=text, phase="internal", exception=traceback.format_exc())
        return result


def _run_bulk(opts, params, check_mode, job, extra, used):
    """``messages``: every item checked and rendered first, then one session carries them all."""
    # Imported here: a single send (every item of a loop on the managed host) never compiles it.
    from ._bulk import Pace, prepare_items, preview_path, send_all, summarize

    items = prepare_items(params)
    auth = select_auth(opts.auth)
    used.extend([auth] if auth is not None else [])
    check_plaintext_auth(auth, opts.server.security, opts.server.host, opts.server.allow_plaintext_auth)
    delivery = opts.delivery
    if delivery.save_eml_dir:
        for item in items:
            if item.message is not None:
                item.message.save(preview_path(delivery.save_eml_dir, item))
    if check_mode or not delivery.deliver:
        if check_mode and delivery.check_connection:
            deadline = Deadline(opts.server.timeout_ms)
            Retrier(opts.retry.retries, opts.retry.delay_ms, deadline).run(
                lambda: _deliver(opts, _session_factory(opts.server, auth)(deadline), auth, None, check_mode=True))
        verb = "would send" if check_mode and delivery.deliver else "built (deliver is false, not sent)"
        ready = sum(1 for item in items if item.message is not None)
        extra.update(changed=bool(check_mode and delivery.deliver and ready))
        failed, code, text, totals = summarize(items, delivery.fail_on)
        text = "%s %d of %d message(s) via %s" % (verb, ready, len(items), opts.server.where) + (
            "" if ready == len(items) else "; " + text.split("; ", 1)[1])
        totals["sent"] = 0
    else:
        send_all(items, _session_factory(opts.server, auth), auth, delivery,
                 retries=opts.retry.retries, retry_delay_ms=opts.retry.delay_ms, pace=Pace(delivery.rate),
                 max_per_connection=delivery.max_per_connection, timeout_ms=opts.server.timeout_ms)
        failed, code, text, totals = summarize(items, delivery.fail_on)
        extra.update(changed=totals["sent"] > 0)
    # Flint's output.result is the one line a caller reads: for a batch, the count.
    result = flint_result(job, code, text, opts.server.timeout_ms)
    result.update(extra, msg=text, messages=[item.result() for item in items], totals=totals)
    if failed:
        result["failed"] = True
    return result
