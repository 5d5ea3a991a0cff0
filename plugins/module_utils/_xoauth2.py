# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the SASL mechanism XOAUTH2 (Google, Microsoft 365). Do not use this from other collections.

Same shape as _auth.PasswordAuth (validate, prepare, offered, authenticate, refusal,
secrets); the token fetch itself is _oauth2.TokenRequest.
"""

from __future__ import annotations

import base64
import hashlib
import re
import smtplib

from ._errors import FlintSmtpError, InputError

__all__ = ["XOAuth2Auth", "smtp_auth_off_hint"]

# Microsoft 365 turned SMTP AUTH itself off (for OAuth too): a tenant or mailbox setting.
_SMTP_AUTH_OFF = re.compile(r"SmtpClientAuthentication is disabled", re.I)
_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+$")


def smtp_auth_off_hint(text):
    """The fix for Microsoft's "SmtpClientAuthentication is disabled", else ""."""
    if _SMTP_AUTH_OFF.search(text or ""):
        return ("SMTP AUTH is turned off for this Microsoft 365 tenant or mailbox (for OAuth2 too): an Exchange "
                "admin must enable it, e.g. Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled "
                "$false.")
    return ""


class XOAuth2Auth(object):
    """SASL XOAUTH2 (Google, Microsoft 365): ``user=<u>^Aauth=Bearer <token>^A^A``, base64."""

    name = "xoauth2"
    credential = "the OAuth2 token"

    def __init__(self, username, token=None, token_request=None):
        self.username = username
        self._token = token.strip() if isinstance(token, str) else token
        self.token_request = token_request
        self.server_status = None  # the decoded JSON of a 334 error challenge
        self._fetch_error = None

    def validate(self):
        if not self.username:
            raise InputError("auth_method xoauth2 needs username: the mailbox the token is for")
        if not _PRINTABLE_ASCII.match(self.username):
            raise InputError("username must be printable ASCII without spaces for XOAUTH2")
        if (self._token is None) == (self.token_request is None):
            raise InputError("auth_method xoauth2 needs an access token: give oauth2_token, or oauth2_token_url "
                             "with oauth2_client_id to fetch one (not both)")
        if self.token_request is not None:
            self.token_request.validate()
        else:
            self._check_token(self._token, "oauth2_token")

    @staticmethod
    def _check_token(token, source):
        if not token or not _PRINTABLE_ASCII.match(token):
            raise InputError("%s must be printable ASCII without spaces (an OAuth2 bearer token)" % source)

    def prepare(self, deadline):
        """Fetch the token once per task, before any SMTP connection, within the task's budget."""
        if self._fetch_error is not None:
            raise self._fetch_error  # once per task: a batch does not ask a refusing endpoint again
        if self.token_request is not None and self._token is None:
            try:
                token = self.token_request.fetch(deadline)
                if not _PRINTABLE_ASCII.match(token):
                    raise self.token_request.failure("the access_token in the reply is not a bearer token "
                                                     "(printable ASCII without spaces)")
            except FlintSmtpError as exc:
                # Once per task: neither a retry nor the next message of a batch asks the endpoint again.
                exc.transient = False
                self._fetch_error = exc
                raise
            self._token = token

    def sasl(self):
        return "user=%s\x01auth=Bearer %s\x01\x01" % (self.username, self._token)

    def offered(self, mechanisms):
        """None when the server offers XOAUTH2, else (what, hint) to fail with before the token is sent."""
        if "XOAUTH2" in mechanisms:
            return None
        return ("the server does not offer AUTH XOAUTH2 (it offers %s)" % (" ".join(mechanisms) or "nothing"),
                "Check target and port; Microsoft 365 is smtp.office365.com:587, Gmail smtp.gmail.com:587. "
                "For a password login use auth_method: password.")

    def _respond(self, challenge=None):
        if challenge is None:
            return self.sasl()
        # RFC 7628-style error challenge: base64 JSON status; the client answers with an empty
        # line and the server then sends the final 5xx.
        self.server_status = " ".join(challenge.decode("utf-8", "replace").split())[:300]
        return ""

    def authenticate(self, smtp):
        """AUTH XOAUTH2 with the initial response, like smtplib.auth(), but written out: on Python 3.8
        smtplib answers a challenge with an empty response by sending the text "b''" instead of an
        empty line (email.base64mime returns bytes for empty input there)."""
        initial = base64.b64encode(self._respond().encode("ascii")).decode("ascii")
        code, resp = smtp.docmd("AUTH", "XOAUTH2 " + initial)
        if code == 334:
            self._respond(base64.b64decode(resp))
            code, resp = smtp.docmd("")
        if code not in (235, 503):
            raise smtplib.SMTPAuthenticationError(code, resp)

    def refusal(self, code, text):
        what = "the server rejected the OAuth2 token for %s" % self.username
        if self.server_status:
            what += " (XOAUTH2 status %s)" % self.server_status
        hint = smtp_auth_off_hint(text) or (
            "Check that username is the mailbox the token may send as, that the token is current, and that it "
            "was issued for SMTP (Google: scope https://mail.google.com/; Microsoft 365: "
            "https://outlook.office365.com/.default or SMTP.Send).")
        return what, hint

    @property
    def secret_digest(self):
        """For _sessions.session_key: which credentials, as a digest. Built from what the task
        gave (not the fetched token), so loop items with the same options share a session."""
        source = (self.username, self._token) if self.token_request is None else (
            self.username, self.token_request.url, self.token_request.client_id, self.token_request.scope,
            tuple(self.token_request.secrets()))
        return hashlib.sha256(repr(source).encode("utf-8")).hexdigest()

    def secrets(self):
        found = [self._token] if self._token else []
        if self._token:
            sasl = self.sasl().encode("ascii")
            found += [base64.b64encode(sasl).decode("ascii"), base64.b64encode(self._token.encode()).decode()]
        return found + (self.token_request.secrets() if self.token_request else [])

    def __repr__(self):
        return "XOAuth2Auth(username=%r, fetched=%r)" % (self.username, self.token_request is not None)
