# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: SMTP authentication methods. Do not use this from other collections.

PasswordAuth is here, XOAuth2Auth in _xoauth2.py; select_auth() picks one.
One small class per method: ``validate()`` runs before any connection, ``prepare()`` once
per task before the SMTP connection (XOAUTH2 fetches its token there), ``authenticate()``
on an open, encrypted session, and ``refusal()`` explains a 5xx to AUTH.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import smtplib
import socket

from ._errors import InputError

# _oauth2/_xoauth2 (urllib, http.client) and hashlib are imported where they are used: on the
# managed host every module run compiles what it imports, and a plain password send needs none
# of them (a loop of sends pays that per item).

__all__ = ["PasswordAuth", "select_auth", "check_plaintext_auth", "basic_auth_off"]

OAUTH2_OPTIONS = ("oauth2_token", "oauth2_token_url", "oauth2_client_id", "oauth2_client_secret",
                  "oauth2_refresh_token", "oauth2_scope", "oauth2_ca_path")

# Replies that mean "this server no longer takes a password": Microsoft 365 (5.7.139 with
# "basic authentication is disabled", 5.7.30 for Client Submission) and Gmail (534 5.7.9
# "Application-specific password required"; 534 5.7.14 "Please log in via your web browser").
_BASIC_OFF = re.compile(r"basic authentication is (?:disabled|not supported)|\b5\.7\.30\b|"
                        r"application-specific password required|\b5\.7\.9\b|\b5\.7\.14\b", re.I)


def basic_auth_off(code, text):
    """True when a refused AUTH means the provider wants OAuth2 instead of a password."""
    return code in (534, 535, 550) and bool(_BASIC_OFF.search(text or ""))


class PasswordAuth(object):
    """AUTH with a user name and password; smtplib picks CRAM-MD5, PLAIN or LOGIN."""

    name = "password"
    credential = "the password"

    def __init__(self, username, password):
        self.username = username
        self._password = password

    def validate(self):
        if not self.username or self._password is None or self._password == "":
            raise InputError("username and password must be given together, and neither may be empty")

    def prepare(self, deadline):
        del deadline  # nothing to fetch

    def offered(self, mechanisms):
        del mechanisms  # smtplib.login picks among them and says when none fits
        return None

    def authenticate(self, smtp):
        if _is_ascii(self.username) and _is_ascii(self._password):
            smtp.login(self.username, self._password)
        else:
            _login_utf8(smtp, self.username, self._password)

    def refusal(self, code, text):
        """(what, hint) for a refused AUTH."""
        from ._xoauth2 import smtp_auth_off_hint  # pylint: disable=import-outside-toplevel

        hint = smtp_auth_off_hint(text)
        if hint:
            return "the server refused SMTP AUTH for %s" % self.username, hint
        if basic_auth_off(code, text):
            return ("the server no longer accepts a password for %s (basic authentication is off)" % self.username,
                    "Use OAuth2: set auth_method: xoauth2 with oauth2_token, or oauth2_token_url and the "
                    "oauth2_client_* options (see the flint.smtp OAuth2 guide).")
        return ("the server rejected the credentials",
                "Check username and password; providers such as Gmail and Microsoft 365 need an app password "
                "or OAuth2 (auth_method: xoauth2).")

    def secrets(self):
        return [self._password] if self._password else []

    def __repr__(self):
        # Never let a secret reach a log line through repr().
        return "PasswordAuth(username=%r)" % self.username


def _is_ascii(text):
    try:
        text.encode("ascii")
    except UnicodeEncodeError:
        return False
    return True


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _login_utf8(smtp, username, password):
    """AUTH for credentials that are not ASCII, which smtplib.login() cannot send.

    SASL PLAIN (RFC 4616) and the LOGIN convention carry UTF-8; CRAM-MD5 keys the HMAC with
    the UTF-8 bytes, as servers that accept such passwords do. Raises what smtplib.login()
    raises, so errors are reported the same way.
    """
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    offered = smtp.esmtp_features["auth"].upper().split()
    user, secret = username.encode("utf-8"), password.encode("utf-8")
    if "PLAIN" in offered:
        code, text = smtp.docmd("AUTH", "PLAIN " + _b64(b"\0" + user + b"\0" + secret))
        if code == 334:  # the server wants the response after an empty challenge
            code, text = smtp.docmd(_b64(b"\0" + user + b"\0" + secret))
    elif "LOGIN" in offered:
        code, text = smtp.docmd("AUTH", "LOGIN " + _b64(user))
        if code == 334:
            code, text = smtp.docmd(_b64(secret))
    elif "CRAM-MD5" in offered:
        code, text = smtp.docmd("AUTH", "CRAM-MD5")
        if code == 334:
            import hashlib  # pylint: disable=import-outside-toplevel
            import hmac  # pylint: disable=import-outside-toplevel

            digest = hmac.new(secret, base64.b64decode(text), hashlib.md5).hexdigest()
            code, text = smtp.docmd(_b64(user + b" " + digest.encode("ascii")))
    else:
        raise smtplib.SMTPException("No suitable authentication method found.")
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, text)


def _given(opts, name):
    value = getattr(opts, name, None)
    return None if value in (None, "") else value  # Flint and AWX send "" for "not set"


def select_auth(opts):
    """The auth method an AuthOptions asks for, or None for an unauthenticated relay.

    Every combination is checked here, before any connection, with a message that says
    which options clash and what to do.
    """
    method = getattr(opts, "method", None) or "auto"
    username, password = _given(opts, "username"), opts.password
    oauth = [name for name in OAUTH2_OPTIONS if _given(opts, name) is not None]
    token, url = _given(opts, "oauth2_token"), _given(opts, "oauth2_token_url")
    if method == "auto":
        if oauth and password not in (None, ""):
            raise InputError("give password or OAuth2 options (%s), not both; set auth_method to say which"
                             % ", ".join(oauth))
        wants_password = username is not None or _given(opts, "password") is not None
        method = "xoauth2" if oauth else ("password" if wants_password else None)
    if method is None:
        return None
    if method == "password":
        if oauth:
            raise InputError("auth_method password does not use %s: remove them, or set auth_method: xoauth2"
                             % ", ".join(oauth))
        auth = PasswordAuth(username, password)
    else:
        if password not in (None, ""):
            raise InputError("auth_method xoauth2 sends a token, not a password: remove password")
        if token is not None and url is not None:
            raise InputError("give oauth2_token or oauth2_token_url, not both")
        fetch_only = [name for name in oauth if name not in ("oauth2_token", "oauth2_token_url")]
        if url is None and fetch_only:
            raise InputError("%s only work with oauth2_token_url" % ", ".join(fetch_only))
        from ._oauth2 import TokenRequest  # pylint: disable=import-outside-toplevel
        from ._xoauth2 import XOAuth2Auth  # pylint: disable=import-outside-toplevel

        request = None
        if url is not None:
            request = TokenRequest(url, _given(opts, "oauth2_client_id"), _given(opts, "oauth2_client_secret"),
                                   _given(opts, "oauth2_refresh_token"), _given(opts, "oauth2_scope"),
                                   _given(opts, "oauth2_ca_path"))
        auth = XOAuth2Auth(username, token, request)
    auth.validate()
    return auth


def _is_loopback(host):
    """True when every address the name resolves to is a loopback address.

    Only a DNS or hosts-file lookup: no connection is opened.
    """
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    addresses = {info[4][0].split("%", 1)[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(addr).is_loopback for addr in addresses)


def check_plaintext_auth(auth, security, host, allowed):
    """Refuse to send credentials in clear text to anything but this machine."""
    if auth is None or security != "none" or allowed:
        return
    if not _is_loopback(host):
        raise InputError(
            "refusing to send %s for %s to %s without TLS: use security: starttls or tls, "
            "or set allow_plaintext_auth: true if the network path is trusted" % (auth.credential, auth.username, host)
        )
