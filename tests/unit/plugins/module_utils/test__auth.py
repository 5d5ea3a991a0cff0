# -*- coding: utf-8 -*-
from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._auth import PasswordAuth

PASSWORD = "P\xe4ssw\xf6rd-\u20ac"


class Server(object):
    """Answers AUTH like a server holding ``PASSWORD`` for user "j\xfcrgen"."""

    def __init__(self, mechanisms, initial_response=True):
        self.esmtp_features = {"auth": mechanisms}
        self.initial_response = initial_response
        self.lines = []
        self.state = None

    def ehlo_or_helo_if_needed(self):
        pass

    def has_extn(self, name):
        return name in self.esmtp_features

    def docmd(self, cmd, args=""):
        line = ("%s %s" % (cmd, args)).strip()
        line.encode("ascii")  # what goes on the wire must be ASCII
        self.lines.append(line)
        user, secret = "j\xfcrgen".encode(), PASSWORD.encode()
        if cmd == "AUTH" and args.startswith("PLAIN"):
            if not self.initial_response or args == "PLAIN":
                self.state = "plain"
                return 334, b""
            return self._check(args.split()[1], base64.b64encode(b"\0" + user + b"\0" + secret))
        if self.state == "plain":
            return self._check(cmd, base64.b64encode(b"\0" + user + b"\0" + secret))
        if cmd == "AUTH" and args.startswith("LOGIN"):
            assert base64.b64decode(args.split()[1]) == user
            self.state = "login"
            return 334, base64.b64encode(b"Password:")
        if self.state == "login":
            return self._check(cmd, base64.b64encode(secret))
        if cmd == "AUTH" and args == "CRAM-MD5":
            self.state = "cram"
            return 334, base64.b64encode(b"<1.2@example>")
        if self.state == "cram":
            digest = hmac.new(secret, b"<1.2@example>", hashlib.md5).hexdigest().encode()
            return self._check(cmd, base64.b64encode(user + b" " + digest))
        return 502, b"no"

    @staticmethod
    def _check(given, expected):
        return (235, b"ok") if given.encode() == expected else (535, b"5.7.8 bad credentials")


@pytest.mark.parametrize("mechanisms, initial", [("PLAIN LOGIN", True), ("PLAIN", False), ("LOGIN", True),
                                                 ("CRAM-MD5", True)])
def test_non_ascii_credentials_authenticate_as_utf8(mechanisms, initial):
    server = Server(mechanisms, initial)
    PasswordAuth("j\xfcrgen", PASSWORD).authenticate(server)
    assert server.lines[0].startswith("AUTH " + mechanisms.split()[0])


def test_wrong_non_ascii_password_is_an_auth_error_without_the_secret():
    server = Server("PLAIN")
    with pytest.raises(smtplib.SMTPAuthenticationError) as info:
        PasswordAuth("j\xfcrgen", PASSWORD + "x").authenticate(server)
    assert info.value.smtp_code == 535 and PASSWORD not in str(info.value)


def test_no_usable_mechanism():
    with pytest.raises(smtplib.SMTPException, match="No suitable authentication method"):
        PasswordAuth("u", PASSWORD).authenticate(Server("XOAUTH2"))
