# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the send operation, from validated options to a Flint-shaped result.

The module (on the managed host) and the action plugin (on the controller) both call
``run()``; that is why both paths return identical results for identical input.
Only orchestration lives here: message building, TLS, auth, the SMTP session and result
shaping each have their own file. Do not use this from other collections.
"""

from __future__ import annotations

import re
import traceback

from ._auth import check_plaintext_auth, select_auth
from ._errors import EXIT_INPUT, FlintSmtpError, InputError
from ._message import prepare_message
from ._result import JobInfo, flint_result
from ._tls import resolve_security, tls_context
from ._transport import SmtpSession

__all__ = ["run"]

_HOST_PORT = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+)):(\d{1,5})$")


def _endpoint(params):
    """Host and port; ``target`` may carry the port as ``host:port`` or ``[v6]:port``."""
    host, port = params["target"].strip(), params["port"]
    match = _HOST_PORT.match(host)
    if match:
        host, port = match.group(1) or match.group(2), int(match.group(3))
    if not host:
        raise InputError("target: the SMTP server's host name or address is required")
    if not 0 < port < 65536:
        raise InputError("port must be between 1 and 65535, not %d" % port)
    if params["timeout"] <= 0:
        raise InputError("timeout is in milliseconds and must be above 0, not %d" % params["timeout"])
    return host, port


def _session(params, host, port, security):
    context = tls_context(params.get("validate_certs", True), params.get("ca_path")) if security != "none" else None
    return SmtpSession(host, port, security, params["timeout"], context, params.get("ehlo_name"))


def _deliver(params, session, auth, message, check_mode):
    """Open, authenticate and (unless check mode) send. Always closes the session."""
    try:
        session.open()
        if auth is not None:
            session.authenticate(auth)
        if check_mode:
            return [], {}
        return session.send(message, params.get("on_refused", "fail"))
    finally:
        session.close()


def run(params, check_mode=False, warn=None, job=None, send_from="target"):
    """Send one message as ``params`` (the argument spec's options) describe.

    Never raises for an expected failure: the result says ``failed`` with a human ``msg``.
    ``warn`` is called with warning text (partly refused recipients).
    """
    job = job or JobInfo()
    warn = warn or (lambda text: None)
    timeout_ms = params.get("timeout", 60000)
    extra = {"changed": False, "send_from": send_from, "connector_name": params.get("connector_name")}
    session = None
    try:
        host, port = _endpoint(params)
        security = resolve_security(params.get("security"), port)
        message = prepare_message(params)
        auth = select_auth(params)
        check_plaintext_auth(auth, security, host, params.get("allow_plaintext_auth", False))
        session = _session(params, host, port, security)
        extra.update(message.summary())
        if params.get("save_eml"):
            message.save(params["save_eml"])
            extra["eml_path"] = params["save_eml"]

        deliver = params.get("deliver", True)
        if check_mode or not deliver:
            probe = check_mode and params.get("check_connection")
            if probe:
                _deliver(params, session, auth, message, check_mode=True)
            extra.update(changed=bool(check_mode and deliver), accepted=[], refused={}, session=session.info())
            verb = "would send" if check_mode and deliver else "built (deliver is false, not sent)"
            text = "%s %d bytes to %d recipient(s) via %s (%s)%s" % (
                verb, message.size, len(message.recipients), session.where, security,
                "; connection, TLS and login checked" if probe else "")
            result = flint_result(job, 0, "success", timeout_ms)
            result.update(extra, msg=text)
            return result

        accepted, refused = _deliver(params, session, auth, message, check_mode=False)
        extra.update(changed=True, accepted=accepted, refused=refused, session=session.info())
        result = flint_result(job, 0, "success", timeout_ms)
        text = "sent %d bytes to %d recipient(s) via %s" % (message.size, len(accepted), session.where)
        if refused:
            warning = "the server refused %d recipient(s): %s" % (
                len(refused), ", ".join("%s (%s %s)" % (addr, why["code"], why["text"])
                                        for addr, why in sorted(refused.items())))
            warn(warning)
            text += "; " + warning
        result.update(extra, msg=text)
        return result
    except FlintSmtpError as exc:
        result = flint_result(job, exc.exit_code, exc.message, timeout_ms)
        result.update(extra, failed=True, msg=exc.message, phase=exc.phase)
        if session is not None:
            result["session"] = session.info()
        for key in ("smtp_code", "smtp_text", "sent"):
            if key in exc.details:
                result[key] = exc.details[key]
        return result
    except Exception as exc:  # pylint: disable=broad-except
        # Flint's exception branch: exit-code 1. Keep the traceback for -vvv, but the
        # message a human sees first is one line.
        text = "unexpected error while sending: %s: %s" % (type(exc).__name__, exc)
        result = flint_result(job, EXIT_INPUT, text, timeout_ms)
        result.update(extra, failed=True, msg=text, phase="internal", exception=traceback.format_exc())
        return result
