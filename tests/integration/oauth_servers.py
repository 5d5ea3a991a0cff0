# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Servers and secrets for the XOAUTH2 integration tests (controller and managed-host path).

Imported by the test modules (``from oauth_servers import *``) rather than put in conftest.py:
only these tests need them. Every secret is unique per session, so that "not in the output"
cannot pass by accident, and every form in which one could leak is listed by ``leak_forms``.
"""

from __future__ import annotations

import base64
import contextlib
import glob
import os
import secrets

import pytest

from conftest import SMTP_PASSWORD, SMTP_USER, WRONG_PASSWORD, Server

import smtp_server  # noqa: E402  (tests/support is on sys.path through conftest)
import token_server  # noqa: E402

OAUTH_USER = "alerts@flint.test"
# Random apart from a short prefix: the scrubbers also mask any 5-character run of a secret, so a
# word in a test secret ("given") would be masked in unrelated result text too.
SECRETS = {
    "given_token": "ya29.a0G%s" % secrets.token_hex(12),
    "refresh_access_token": "ya29.a0R%s" % secrets.token_hex(12),
    # As long as a Microsoft 365 JWT: the AUTH line is then about 3 KB.
    "client_access_token": "eyJ0eXAi.%s.%s" % (secrets.token_hex(12), secrets.token_urlsafe(1600)),
    "expired_token": "ya29.a0X%s" % secrets.token_hex(12),
    "client_secret": "Cs~%s_%s" % (secrets.token_hex(8), secrets.token_hex(4)),
    "refresh_token": "1//0g-%s" % secrets.token_hex(16),
}
CLIENT_ID = "flint-test-client-%s" % secrets.token_hex(4)
SCOPE = "https://outlook.office365.com/.default"
ACCEPTED_TOKENS = [SECRETS["given_token"], SECRETS["refresh_access_token"], SECRETS["client_access_token"]]
# Refusals that mean "no more passwords": Microsoft 365 (2) and Gmail.
BASIC_OFF_REPLIES = {
    "m365_5_7_139": "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [AM0PR01CA0]",
    "m365_5_7_30": "550 5.7.30 Basic authentication is not supported for Client Submission.",
    "gmail_5_7_9": "534-5.7.9 Application-specific password required.\r\n534 5.7.9 Sign in with OAuth.",
}

__all__ = ["ACCEPTED_TOKENS", "OAUTH_USER", "SECRETS", "CLIENT_ID", "SCOPE", "BASIC_OFF_REPLIES", "oauth_env", "leak_forms",
           "eml_files"]


def leak_forms():
    """Every test secret as is and base64-encoded, the XOAUTH2 SASL strings (raw and base64) for
    every token, and the AUTH PLAIN forms of the SMTP passwords."""
    forms = set()
    for value in list(SECRETS.values()) + [SMTP_PASSWORD, WRONG_PASSWORD]:
        forms.update({value, base64.b64encode(value.encode()).decode()})
    for token in (SECRETS["given_token"], SECRETS["refresh_access_token"], SECRETS["client_access_token"],
                  SECRETS["expired_token"]):
        sasl = "user=%s\x01auth=Bearer %s\x01\x01" % (OAUTH_USER, token)
        forms.update({sasl, base64.b64encode(sasl.encode()).decode()})
    for password in (SMTP_PASSWORD, WRONG_PASSWORD):
        forms.add(base64.b64encode(("\0%s\0%s" % (SMTP_USER, password)).encode()).decode())
    return sorted(forms)


def eml_files(*dirs):
    found = []
    for directory in dirs:
        found += glob.glob(os.path.join(directory, "**", "*.eml"), recursive=True)
    return found


class OAuthEnv(object):
    """Token endpoints (good certificate, wrong-host certificate) and SMTP servers."""

    def __init__(self, good, wrong_host, smtp, untouched, basic_off):
        self.good = good
        self.wrong_host = wrong_host
        self.smtp = smtp
        self.untouched = untouched
        self.basic_off = basic_off

    def token_args(self, path="/token", grant="refresh_token", server=None, **more):
        server = server or self.good
        args = {"username": OAUTH_USER, "oauth2_token_url": server.url(path), "oauth2_client_id": CLIENT_ID,
                "oauth2_client_secret": SECRETS["client_secret"], "oauth2_ca_path": server.ca_path}
        if grant == "refresh_token":
            args["oauth2_refresh_token"] = SECRETS["refresh_token"]
        else:
            args["oauth2_scope"] = SCOPE
        args.update(more)
        return args

    @staticmethod
    def smtp_args(server, **more):
        args = {"target": server.target, "ca_path": server.ca_path, "timeout": 20000, "from": OAUTH_USER,
                "to": "oncall@example.net"}
        args.update(more)
        return args


@pytest.fixture(scope="session")
def oauth_env(tmp_path_factory, ca_path):
    """Started once; the CA is the one every SMTP test server uses (world-readable, for the SSH user)."""
    ca_dir = os.path.dirname(ca_path)
    endpoint = token_server.TokenEndpoint(CLIENT_ID, SECRETS["client_secret"], SECRETS["refresh_token"], SCOPE,
                                          SECRETS["refresh_access_token"], SECRETS["client_access_token"])
    with contextlib.ExitStack() as stack:
        good = stack.enter_context(token_server.running_token_server(
            endpoint, str(tmp_path_factory.mktemp("token-good")), ca_dir=ca_dir))
        wrong_host = stack.enter_context(token_server.running_token_server(
            endpoint, str(tmp_path_factory.mktemp("token-wrong-host")), ca_dir=ca_dir, cert="wrong-host"))

        def smtp(name, **opts):
            info = stack.enter_context(smtp_server.running_server(
                "starttls", store=str(tmp_path_factory.mktemp("smtp-" + name)), ca_dir=ca_dir,
                auth_user=OAUTH_USER, auth_password=SMTP_PASSWORD, max_seconds=1800, **opts))
            return Server(info)

        xoauth2 = dict(xoauth2_token=ACCEPTED_TOKENS, require_auth=True)
        basic_off = {name: smtp(name, password_auth_reply=reply) for name, reply in BASIC_OFF_REPLIES.items()}
        yield OAuthEnv(good, wrong_host, smtp("xoauth2", **xoauth2), smtp("untouched", **xoauth2), basic_off)
