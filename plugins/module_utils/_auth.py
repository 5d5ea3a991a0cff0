# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: SMTP authentication methods. Do not use this from other collections.

One small class per method: ``validate()`` runs before any connection, ``authenticate()``
runs on an open, encrypted session. XOAUTH2 will be another class with the same shape.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import smtplib
import socket

from ._errors import InputError

__all__ = ["PasswordAuth", "select_auth", "check_plaintext_auth"]


class PasswordAuth(object):
    """AUTH with a user name and password; smtplib picks CRAM-MD5, PLAIN or LOGIN."""

    name = "password"

    def __init__(self, username, password):
        self.username = username
        self._password = password

    def validate(self):
        if not self.username or self._password is None or self._password == "":
            raise InputError("username and password must be given together, and neither may be empty")

    def authenticate(self, smtp):
        if _is_ascii(self.username) and _is_ascii(self._password):
            smtp.login(self.username, self._password)
        else:
            _login_utf8(smtp, self.username, self._password)

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
            digest = hmac.new(secret, base64.b64decode(text), hashlib.md5).hexdigest()
            code, text = smtp.docmd(_b64(user + b" " + digest.encode("ascii")))
    else:
        raise smtplib.SMTPException("No suitable authentication method found.")
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, text)


def select_auth(opts):
    """The auth method an AuthOptions asks for, or None for an unauthenticated relay."""
    if opts.username is None and opts.password is None:
        return None
    auth = PasswordAuth(opts.username, opts.password)
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
            "refusing to send the password for %s to %s without TLS: use security: starttls or tls, "
            "or set allow_plaintext_auth: true if the network path is trusted" % (auth.username, host)
        )
