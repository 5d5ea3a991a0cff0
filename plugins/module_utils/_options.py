# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the task's options as small typed objects, built once. Do not use this from other collections.

``build_options(params)`` turns the validated ``params`` dict (option names of the argument
spec) into groups the core passes around: ``server``, ``auth``, ``message`` and ``delivery``.
Defaults come from the argument spec only, so a partial dict (unit tests, the callback
plugin) means the same as a full one. Checks that need no connection but more than the spec
can say (ports, timeouts, host:port in target) happen here, so bad input fails first.
"""

from __future__ import annotations

import re

from ._argspec import ARGUMENT_SPEC
from ._domains import ehlo_option
from ._errors import InputError, shown
from ._tls import resolve_security

__all__ = ["check_paths", "Options", "ServerOptions", "AuthOptions", "MessageOptions", "DeliveryOptions", "RetryOptions",
           "build_options", "MIN_TIMEOUT_MS", "MAX_TIMEOUT_MS"]

# Flint's timeout is milliseconds; below a second is almost always seconds typed by mistake.
MIN_TIMEOUT_MS = 1000
# One day: far above any real send, far below what socket.settimeout() overflows on.
MAX_TIMEOUT_MS = 24 * 3600 * 1000

_HOST_PORT = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+)):(\d{1,5})$")


def default(option):
    """The spec's default for ``option`` (None when it has none)."""
    return ARGUMENT_SPEC[option].get("default")


# Options that name files: type path, a path suboption (inline_images), and attachments (raw:
# a list, or Flint's comma string). The OS refuses a NUL in a path with a ValueError, and no real
# file name needs a control character: refuse them all here, before anything is opened.
_PATH_OPTIONS = frozenset(
    ["attachments"] + [
        name for name, spec in ARGUMENT_SPEC.items()
        if spec.get("type") == "path" or any(sub.get("type") == "path" for sub in spec.get("options", {}).values())])
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_paths(option, value):
    """InputError when a path in ``value`` (a path, a list of them, or a {path: ...} dict) has a control character."""
    if isinstance(value, dict):
        value = value.get("path")
    if isinstance(value, (list, tuple)):
        for item in value:
            check_paths(option, item)
    elif isinstance(value, str):
        found = _CONTROL.search(value)
        if found:
            raise InputError("%s: the path %s contains the control character U+%04X at position %d; no file to "
                             "send or write is named that way"
                             % (option, shown(value), ord(found.group()), found.start()))


class _Group(object):
    """Attributes named by FIELDS ((attribute, option name) pairs), filled from params or the spec."""

    FIELDS = ()
    __slots__ = ()

    def __init__(self, params):
        for attribute, option in self.FIELDS:
            value = params.get(option)
            if option in _PATH_OPTIONS:
                check_paths(option, value)
            setattr(self, attribute, default(option) if value is None else value)

    def __repr__(self):
        # Secrets never reach a repr: AuthOptions overrides this.
        shown = ", ".join("%s=%r" % (attr, getattr(self, attr)) for attr, _opt in self.FIELDS)
        return "%s(%s)" % (type(self).__name__, shown)


class ServerOptions(_Group):
    FIELDS = (("target", "target"), ("port", "port"), ("security", "security"), ("timeout_ms", "timeout"),
              ("validate_certs", "validate_certs"), ("ca_path", "ca_path"),
              ("allow_plaintext_auth", "allow_plaintext_auth"), ("ehlo_name", "ehlo_name"))
    __slots__ = tuple(attr for attr, _opt in FIELDS) + ("host",)

    def __init__(self, params):
        super().__init__(params)
        self.host, self.port = self._endpoint()
        self._check_timeout()
        self.ehlo_name = ehlo_option(self.ehlo_name)
        self.security = resolve_security(self.security, self.port)

    def _endpoint(self):
        """``target`` may carry the port as ``host:port`` or ``[v6]:port``; that port wins."""
        host, port = (self.target or "").strip(), self.port
        match = _HOST_PORT.match(host)
        if match:
            host, port = match.group(1) or match.group(2), int(match.group(3))
        if not host:
            raise InputError("target: the SMTP server's host name or address is required")
        if not 0 < port < 65536:
            raise InputError("port must be between 1 and 65535, not %d" % port)
        return host, port

    def _check_timeout(self):
        timeout = self.timeout_ms
        if timeout < MIN_TIMEOUT_MS:
            raise InputError(
                "timeout is %d, but it is in milliseconds (Flint's unit) and must be at least %d: for %d seconds "
                "write %d. (The task keyword 'timeout:' is in seconds; this option is not.)"
                % (timeout, MIN_TIMEOUT_MS, max(timeout, 1), max(timeout, 1) * 1000))
        if timeout > MAX_TIMEOUT_MS:
            raise InputError("timeout is %d ms, more than one day (%d ms): give the budget for the whole send "
                             "in milliseconds, e.g. 60000 for a minute" % (timeout, MAX_TIMEOUT_MS))

    @property
    def where(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s:%d" % (host, self.port)


class AuthOptions(_Group):
    FIELDS = (("username", "username"), ("password", "password"), ("method", "auth_method"),
              ("oauth2_token", "oauth2_token"), ("oauth2_token_url", "oauth2_token_url"),
              ("oauth2_client_id", "oauth2_client_id"), ("oauth2_client_secret", "oauth2_client_secret"),
              ("oauth2_refresh_token", "oauth2_refresh_token"), ("oauth2_scope", "oauth2_scope"),
              ("oauth2_ca_path", "oauth2_ca_path"))
    __slots__ = tuple(attr for attr, _opt in FIELDS)

    def __repr__(self):
        return "AuthOptions(username=%r)" % self.username


class MessageOptions(_Group):
    FIELDS = (("sender", "from"), ("to", "to"), ("cc", "cc"), ("bcc", "bcc"), ("subject", "subject"),
              ("body", "body"), ("content_type", "content_type"), ("attachments", "attachments"),
              ("max_attachment_size_mb", "max_attachment_size_mb"),
              # 0.2.0, the message (plugins/doc_fragments/_message.py)
              ("body_text", "body_text"), ("derive_body_text", "derive_body_text"),
              ("inline_images", "inline_images"), ("reply_to", "reply_to"), ("headers", "headers"),
              ("headers_override", "headers_override"), ("in_reply_to", "in_reply_to"),
              ("references", "references"), ("priority", "priority"), ("message_id_domain", "message_id_domain"),
              ("dsn_notify", "dsn_notify"), ("dsn_return", "dsn_return"))
    __slots__ = tuple(attr for attr, _opt in FIELDS)


class DeliveryOptions(_Group):
    FIELDS = (("on_refused", "on_refused"), ("check_connection", "check_connection"), ("save_eml", "save_eml"),
              ("deliver", "deliver"), ("connector_name", "connector_name"), ("send_from", "send_from"),
              ("messages", "messages"), ("max_per_connection", "max_per_connection"), ("rate", "rate"),
              ("fail_on", "fail_on"), ("save_eml_dir", "save_eml_dir"))
    __slots__ = tuple(attr for attr, _opt in FIELDS)

    def __init__(self, params):
        super().__init__(params)
        if self.max_per_connection < 0:
            raise InputError("max_per_connection must be 0 (no limit) or more, not %d" % self.max_per_connection)
        if self.rate < 0:
            raise InputError("rate is messages per minute and must be 0 (no limit) or more, not %d" % self.rate)
        if self.messages is not None and self.save_eml:
            raise InputError("save_eml is for one message; with messages use save_eml_dir")


class RetryOptions(_Group):
    """How often and how fast a transient failure is tried again.

    A retry_delay longer than the budget is not an error: the defaults must work with any
    timeout, and the send then simply has no time for a retry (its error says so).
    """

    FIELDS = (("retries", "retries"), ("delay_ms", "retry_delay"))
    __slots__ = tuple(attr for attr, _opt in FIELDS)

    def __init__(self, params):
        super().__init__(params)
        if self.retries < 0:
            raise InputError("retries is %d, but it counts the attempts after the first one: use 0 for a "
                             "single attempt" % self.retries)
        if self.delay_ms < 0:
            raise InputError("retry_delay is %d, but it is a wait in milliseconds and cannot be negative"
                             % self.delay_ms)


class Options(object):
    """Every group of one task, built once from the validated params."""

    __slots__ = ("server", "auth", "message", "delivery", "retry")

    def __init__(self, server, auth, message, delivery, retry=None):
        self.server = server
        self.auth = auth
        self.message = message
        self.delivery = delivery
        self.retry = retry


def build_options(params):
    """Raise InputError for what the spec cannot check; never opens a connection."""
    return Options(ServerOptions(params), AuthOptions(params), MessageOptions(params), DeliveryOptions(params),
                   RetryOptions(params))
