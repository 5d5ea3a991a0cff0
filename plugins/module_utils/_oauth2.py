# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: fetching an OAuth 2.0 access token for XOAUTH2. Do not use this from other collections.

Two grants (RFC 6749): refresh_token (section 6; Google, delegated Microsoft 365) and
client_credentials (section 4.4; Microsoft 365 app-only). Standard library only, so it runs
in the module on a Python 3.8 target as well as in the action plugin on the controller.
The client authenticates with client_secret_post (id and secret in the form), which both
Google and Microsoft accept.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import ssl
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, HTTPSHandler, Request, build_opener

from ._errors import DeliveryError, InputError

__all__ = ["TokenRequest", "parse_token_reply", "TOKEN_PHASE"]

TOKEN_PHASE = "oauth2_token"
MAX_REPLY_BYTES = 1 << 20  # a token reply is a few KB; do not read a runaway body into memory
_USER_AGENT = "flint.smtp (XOAUTH2 token request)"

# What each RFC 6749 section 5.2 error code usually means for our users.
_HINTS = {
    "invalid_client": "Check oauth2_client_id and oauth2_client_secret (client secrets expire).",
    "invalid_grant": "The refresh token is expired, revoked or for another client: get a new oauth2_refresh_token.",
    "invalid_scope": "Check oauth2_scope; Microsoft 365 app-only needs https://outlook.office365.com/.default.",
    "unauthorized_client": "The app registration may not use this grant type; check its settings.",
    "unsupported_grant_type": "The endpoint does not support this grant; check oauth2_token_url.",
    "invalid_request": "Check oauth2_token_url and the oauth2_* options.",
}


class _NoRedirect(HTTPRedirectHandler):
    """A token endpoint that redirects is misconfigured; urllib would re-send the POST as a GET."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx code


def _one_line(text, limit=300):
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= limit else text[:limit - 3] + "..."


class TokenRequest(object):
    """One token request. ``validate()`` runs before anything is sent; ``fetch()`` returns the token."""

    def __init__(self, url, client_id, client_secret=None, refresh_token=None, scope=None, ca_path=None):
        self.url = url
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.scope = scope
        self.ca_path = ca_path

    @property
    def grant(self):
        return "refresh_token" if self._refresh_token else "client_credentials"

    @property
    def endpoint(self):
        """The URL without query or fragment, for messages: enough to find it, nothing more."""
        parts = urlsplit(self.url)
        return "%s://%s%s" % (parts.scheme, parts.netloc.rpartition("@")[2], parts.path)

    def secrets(self):
        return [value for value in (self._client_secret, self._refresh_token) if value]

    def validate(self):
        if re.search(r"[\x00-\x20\x7f-\x9f\u2028\u2029]", self.url):
            raise InputError("oauth2_token_url must not contain spaces or control characters")
        try:
            parts = urlsplit(self.url)
            parts.port  # pylint: disable=pointless-statement  # raises ValueError on a bad port
        except ValueError as exc:
            raise InputError("oauth2_token_url is not a valid URL: %s" % exc)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise InputError("oauth2_token_url must be an https:// URL with a host name, not %r: the client secret "
                             "and tokens never travel unencrypted" % _one_line(self.url, 80))
        if parts.username or parts.password:
            raise InputError("oauth2_token_url must not carry a user or password; use oauth2_client_id and "
                             "oauth2_client_secret")
        if not self.client_id:
            raise InputError("oauth2_token_url needs oauth2_client_id")
        if self._refresh_token is None and not self.scope:
            raise InputError("oauth2_token_url needs oauth2_refresh_token (refresh-token grant, e.g. Google) or "
                             "oauth2_scope (client-credentials grant, e.g. Microsoft 365 app-only with "
                             "https://outlook.office365.com/.default)")
        if self.grant == "client_credentials" and not self._client_secret:
            raise InputError("the client-credentials grant (oauth2_scope without oauth2_refresh_token) needs "
                             "oauth2_client_secret")
        for name, value in (("oauth2_client_id", self.client_id), ("oauth2_scope", self.scope)):
            if value is not None and re.search(r"[\x00-\x1f\x7f]", value):
                raise InputError("%s contains a control character" % name)
        if self.ca_path and not os.path.exists(self.ca_path):
            raise InputError("oauth2_ca_path %s does not exist" % self.ca_path)

    def form(self):
        """The form fields, in a fixed order (tests compare the exact body)."""
        fields = [("grant_type", self.grant), ("client_id", self.client_id)]
        if self._client_secret:
            fields.append(("client_secret", self._client_secret))
        if self._refresh_token:
            fields.append(("refresh_token", self._refresh_token))
        if self.scope:
            fields.append(("scope", self.scope))
        return fields

    def body(self):
        return urlencode(self.form()).encode("ascii")

    def _context(self):
        # Always verified: validate_certs is about the SMTP server; a client secret is never sent
        # to an endpoint whose identity was not checked.
        try:
            if self.ca_path and os.path.isdir(self.ca_path):
                return ssl.create_default_context(capath=self.ca_path)
            return ssl.create_default_context(cafile=self.ca_path or None)
        except (ssl.SSLError, OSError) as exc:
            raise InputError("oauth2_ca_path %s is not a usable CA certificate file or directory: %s"
                             % (self.ca_path, exc))

    def failure(self, what, hint=""):
        """A DeliveryError about this endpoint, for checks made by the caller on its reply."""
        return self._fail(what, hint)

    def _fail(self, what, hint="", transient=False, **details):
        message = "OAuth2 token request to %s failed: %s.%s" % (
            self.endpoint, self._scrub(what).rstrip("."), " " + hint if hint else "")
        message += " No SMTP connection was opened."
        parts = urlsplit(self.url)
        return DeliveryError(message, phase=TOKEN_PHASE, host=parts.hostname, port=parts.port or 443,
                             sent=False, transient=transient, **details)

    def _scrub(self, text):
        # An endpoint that echoes the form back must not put our secrets into an error message.
        for secret in self.secrets():
            text = text.replace(secret, "********")
        return text

    def fetch(self, deadline):
        """POST the form; return the access token. Raises DeliveryError (phase oauth2_token).

        ``deadline`` is the task's one time budget (_deadline.Deadline): the SMTP session gets
        what the token request leaves of it.
        """
        context = self._context()
        left = deadline.remaining()
        if left <= 0:
            raise self._network_error(socket.timeout(), deadline)
        opener = build_opener(HTTPSHandler(context=context), _NoRedirect())
        request = Request(self.url, data=self.body(), method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
            "User-Agent": _USER_AGENT})
        try:
            with opener.open(request, timeout=left) as reply:
                status, ctype = reply.status, reply.headers.get("Content-Type", "")
                data = _read_capped(reply, deadline)
        except HTTPError as exc:
            try:
                data = _read_capped(exc, deadline)
            except (OSError, http.client.HTTPException):
                data = b""
            raise self._http_error(exc.code, exc.reason, exc.headers.get("Content-Type", "") if exc.headers else "",
                                   data, exc.headers.get("Location") if exc.headers else None)
        except (URLError, OSError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, URLError) else exc
            raise self._network_error(reason, deadline)
        try:
            return parse_token_reply(status, ctype, data)
        except ValueError as exc:
            raise self._fail(str(exc), "Check that oauth2_token_url is the token endpoint of the identity "
                                       "provider (it answers JSON).")

    def _http_error(self, code, reason, ctype, data, location):
        if 300 <= code < 400:
            return self._fail("the endpoint redirected (HTTP %d) to %s" % (code, location or "nowhere"),
                              "Use the final token URL in oauth2_token_url.")
        error = _oauth_error(data)
        if error is not None:
            name, description = error
            what = "the identity provider refused the %s grant: %s%s" % (
                self.grant, name, " (%s)" % description if description else "")
            return self._fail(what, _HINTS.get(name, ""), oauth2_error=name, http_status=code)
        what = "the endpoint answered HTTP %d %s" % (code, _one_line(reason or "", 80))
        if data and "json" not in ctype.lower():
            what += " with %s" % (ctype.split(";")[0] or "a body that is not JSON")
        return self._fail(what, "Check oauth2_token_url." if code in (404, 405) else "",
                          transient=code >= 500 or code == 429, http_status=code)

    def _network_error(self, reason, deadline):
        if isinstance(reason, ssl.SSLCertVerificationError):
            return self._fail("its certificate was not accepted: %s" % reason.verify_message,
                              "Set oauth2_ca_path to the CA that signed it.")
        if isinstance(reason, ssl.SSLError):
            return self._fail("TLS handshake error: %s" % (getattr(reason, "reason", None) or reason), transient=True)
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return self._fail("no answer within the task's timeout (%s)" % deadline.describe(),
                              "Check that the host is reachable from where the task runs (a proxy? "
                              "HTTPS_PROXY is honoured), or raise timeout (ms).", transient=True)
        if isinstance(reason, socket.gaierror):
            return self._fail("cannot resolve host name %s (%s)" % (urlsplit(self.url).hostname, reason.strerror),
                              "Check oauth2_token_url.")
        if isinstance(reason, ConnectionRefusedError):
            return self._fail("connection refused", "Check oauth2_token_url.", transient=True)
        if isinstance(reason, http.client.HTTPException):
            return self._fail("the endpoint did not answer HTTP (%s)" % (type(reason).__name__), transient=True)
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return self._fail(text, "Check the network path to the token endpoint.", transient=True)


def _read_capped(reply, deadline):
    data = reply.read(MAX_REPLY_BYTES + 1)
    if deadline.expired:
        raise socket.timeout("the reply took longer than the timeout")
    if len(data) > MAX_REPLY_BYTES:
        raise http.client.HTTPException("reply larger than %d bytes" % MAX_REPLY_BYTES)
    return data


def _json(data):
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _oauth_error(data):
    """(error, error_description) of an RFC 6749 5.2 error reply, or None."""
    value = _json(data) if data else None
    if not value or not isinstance(value.get("error"), str):
        return None
    description = value.get("error_description")
    return _one_line(value["error"], 80), _one_line(description) if isinstance(description, str) else ""


def parse_token_reply(status, ctype, data):
    """The access token of a 2xx reply; ValueError with a human reason otherwise."""
    value = _json(data)
    if value is None:
        raise ValueError("the reply (HTTP %d, %s) is not a JSON object" % (status, ctype.split(";")[0] or "no type"))
    error = _oauth_error(data)
    if error is not None:
        raise ValueError("the reply is an OAuth error: %s%s" % (error[0], " (%s)" % error[1] if error[1] else ""))
    token = value.get("access_token")
    if not isinstance(token, str) or not token:
        raise ValueError("the reply has no access_token")
    token_type = value.get("token_type")
    if isinstance(token_type, str) and token_type.lower() != "bearer":
        raise ValueError("the token type is %s, not Bearer" % _one_line(token_type, 40))
    return token
