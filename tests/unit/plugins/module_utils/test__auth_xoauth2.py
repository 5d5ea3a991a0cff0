# -*- coding: utf-8 -*-
from __future__ import annotations

import base64
import json
import smtplib

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._auth import (
    PasswordAuth,
    basic_auth_off,
    check_plaintext_auth,
    select_auth,
)
from ansible_collections.flint.smtp.plugins.module_utils._xoauth2 import XOAuth2Auth
from ansible_collections.flint.smtp.plugins.module_utils._deadline import Deadline
from ansible_collections.flint.smtp.plugins.module_utils._errors import DeliveryError, InputError
from ansible_collections.flint.smtp.plugins.module_utils._options import AuthOptions

TOKEN = "ya29.a0-Token_value~1"
URL = "https://oauth2.example.com/token"


class ScriptedSMTP(smtplib.SMTP):
    """smtplib's own AUTH logic, with the server's replies scripted and the client's lines recorded."""

    def __init__(self, replies):
        super().__init__()  # no host: no connection
        self.replies = list(replies)
        self.lines = []

    def docmd(self, cmd, args=""):
        self.lines.append("%s %s" % (cmd, args) if args else cmd)
        return self.replies.pop(0)


def test_sasl_string_is_exact():
    auth = XOAuth2Auth("alerts@example.com", TOKEN)
    assert auth.sasl() == "user=alerts@example.com\x01auth=Bearer %s\x01\x01" % TOKEN


def test_xoauth2_sends_the_initial_response_in_one_line():
    smtp = ScriptedSMTP([(235, b"2.7.0 Accepted")])
    XOAuth2Auth("alerts@example.com", TOKEN).authenticate(smtp)
    expected = base64.b64encode(("user=alerts@example.com\x01auth=Bearer %s\x01\x01" % TOKEN).encode()).decode()
    assert smtp.lines == ["AUTH XOAUTH2 " + expected]


def test_error_challenge_gets_an_empty_line_and_its_status_is_kept():
    status = {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}
    challenge = base64.b64encode(json.dumps(status).encode())
    smtp = ScriptedSMTP([(334, challenge), (535, b"5.7.8 Username and Password not accepted")])
    auth = XOAuth2Auth("alerts@example.com", TOKEN)
    with pytest.raises(smtplib.SMTPAuthenticationError) as info:
        auth.authenticate(smtp)
    assert smtp.lines[1] == "" and len(smtp.lines) == 2
    what, hint = auth.refusal(info.value.smtp_code, info.value.smtp_error.decode())
    assert '"status": "401"' in what and "alerts@example.com" in what and "https://mail.google.com/" in hint


def test_token_is_stripped_but_must_be_one_printable_word():
    assert XOAuth2Auth("u@example.com", " %s\n" % TOKEN).sasl().endswith("Bearer %s\x01\x01" % TOKEN)
    for bad in ("two words", "tab\there", "\x01", "ünï", ""):
        with pytest.raises(InputError, match="oauth2_token must be printable ASCII"):
            XOAuth2Auth("u@example.com", bad).validate()
    with pytest.raises(InputError, match="username must be printable ASCII"):
        XOAuth2Auth("üser@example.com", TOKEN).validate()


def test_offered_mechanisms_are_checked_before_the_token_is_sent():
    auth = XOAuth2Auth("u@example.com", TOKEN)
    assert auth.offered(["LOGIN", "XOAUTH2"]) is None
    what, hint = auth.offered(["PLAIN", "LOGIN"])
    assert "does not offer AUTH XOAUTH2 (it offers PLAIN LOGIN)" in what and "auth_method: password" in hint


def test_secrets_cover_every_form_of_the_token():
    auth = XOAuth2Auth("u@example.com", TOKEN)
    forms = auth.secrets()
    assert TOKEN in forms and base64.b64encode(auth.sasl().encode()).decode() in forms
    assert "ya29" not in repr(auth)


def base(**more):
    """AuthOptions as build_options makes them from these task arguments."""
    params = {"username": None, "password": None}
    params.update(more)
    return AuthOptions(params)


def test_auto_picks_by_what_is_given():
    assert select_auth(base()) is None
    assert isinstance(select_auth(base(username="u", password="p")), PasswordAuth)
    assert isinstance(select_auth(base(username="u@example.com", oauth2_token=TOKEN)), XOAuth2Auth)
    fetched = select_auth(base(username="u@example.com", oauth2_token_url=URL, oauth2_client_id="c",
                               oauth2_client_secret="s", oauth2_scope="x/.default"))
    assert fetched.token_request.grant == "client_credentials"
    # Flint/AWX "" means unset.
    assert select_auth(base(username="", password="", oauth2_token="", oauth2_token_url="")) is None


@pytest.mark.parametrize("params, phrase", [
    (base(username="u", password="p", oauth2_token=TOKEN), "give password or OAuth2 options .*oauth2_token.*not both"),
    (base(auth_method="password", username="u", password="p", oauth2_token=TOKEN),
     "auth_method password does not use oauth2_token"),
    (base(auth_method="password"), "username and password must be given together"),
    (base(auth_method="xoauth2", username="u@example.com"), "needs an access token"),
    (base(auth_method="xoauth2", oauth2_token=TOKEN), "needs username"),
    (base(auth_method="xoauth2", username="u", password="p", oauth2_token=TOKEN), "remove password"),
    (base(username="u", oauth2_token=TOKEN, oauth2_token_url=URL), "oauth2_token or oauth2_token_url, not both"),
    (base(username="u", oauth2_token=TOKEN, oauth2_client_secret="s"),
     "oauth2_client_secret only work with oauth2_token_url"),
    (base(username="u", oauth2_client_id="c", oauth2_scope="s"), "oauth2_client_id, oauth2_scope only work"),
    (base(username="u", oauth2_token=TOKEN, oauth2_ca_path="/x"), "oauth2_ca_path only work"),
    (base(username="u", oauth2_token_url=URL, oauth2_client_id="c", oauth2_client_secret="s"),
     "needs oauth2_refresh_token .* or oauth2_scope"),
    (base(username="u", password="p"), None),
])
def test_combinations_are_checked_with_clear_messages(params, phrase):
    if phrase is None:
        select_auth(params)
        return
    with pytest.raises(InputError, match=phrase):
        select_auth(params)


def test_plaintext_refusal_names_the_token():
    with pytest.raises(InputError, match="refusing to send the OAuth2 token for u@example.com to 192.0.2.1"):
        check_plaintext_auth(XOAuth2Auth("u@example.com", TOKEN), "none", "192.0.2.1", allowed=False)


@pytest.mark.parametrize("code, text", [
    (535, "5.7.139 Authentication unsuccessful, basic authentication is disabled. [BN9PR03CA0]"),
    (550, "5.7.30 Basic authentication is not supported for Client Submission."),
    (534, "5.7.9 Application-specific password required. Learn more at\n5.7.9 support page"),
    (534, "5.7.14 Please log in via your web browser and\n5.7.14 then try again."),
])
def test_basic_auth_off_replies_get_the_xoauth2_hint(code, text):
    assert basic_auth_off(code, text)
    what, hint = PasswordAuth("u", "p").refusal(code, text)
    assert "basic authentication is off" in what and "auth_method: xoauth2" in hint


@pytest.mark.parametrize("code, text", [
    (535, "5.7.8 Authentication credentials invalid"), (535, "5.7.3 Authentication unsuccessful"),
    (454, "4.7.0 Temporary authentication failure"),
    (535, "5.7.139 Authentication unsuccessful, the user credentials were incorrect."),
])
def test_other_refusals_get_the_plain_hint(code, text):
    assert not basic_auth_off(code, text)
    what, hint = PasswordAuth("u", "p").refusal(code, text)
    assert what == "the server rejected the credentials" and "Check username and password" in hint


def test_smtp_auth_disabled_for_the_tenant_is_not_fixed_by_oauth():
    text = "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."
    for auth in (PasswordAuth("u", "p"), XOAuth2Auth("u@example.com", TOKEN)):
        _what, hint = auth.refusal(535, text)
        assert "SmtpClientAuthenticationDisabled $false" in hint


class _Endpoint(object):
    """A TokenRequest stand-in that counts fetches."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = 0
        self.endpoint = URL

    def fetch(self, deadline):
        del deadline
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def failure(self, what):
        return DeliveryError(what, phase="oauth2_token")

    def secrets(self):
        return []


def test_token_is_fetched_once_per_task_even_when_refused():
    refused = DeliveryError("refused", phase="oauth2_token")
    for answer in (TOKEN, refused):
        endpoint = _Endpoint(answer)
        auth = XOAuth2Auth("u@example.com", token_request=endpoint)
        for _attempt in range(3):  # a batch that reconnects, retries
            try:
                auth.prepare(Deadline(5000))
            except DeliveryError as exc:
                assert exc is refused
        assert endpoint.calls == 1


def test_an_unusable_token_from_the_endpoint_is_the_endpoint_s_fault():
    auth = XOAuth2Auth("u@example.com", token_request=_Endpoint("two words"))
    with pytest.raises(DeliveryError, match="not a bearer token"):
        auth.prepare(Deadline(5000))


def test_session_digest_tells_token_sources_apart_and_hides_them():
    assert XOAuth2Auth("u@example.com", "a").secret_digest != XOAuth2Auth("u@example.com", "b").secret_digest
    assert TOKEN not in XOAuth2Auth("u@example.com", TOKEN).secret_digest
