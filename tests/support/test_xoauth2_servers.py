# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Self-tests of the XOAUTH2 side of the test servers (smtp_server.py, sasl_xoauth2.py,
token_server.py), with smtplib and urllib as clients: a lenient server would let a wrong client
pass the integration tests, so each strictness is proven here."""

from __future__ import annotations

import base64
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

import token_server as T
from sasl_xoauth2 import check_xoauth2, xoauth2_string

TOKEN = "at-XYZ.123"


def test_check_xoauth2_is_exact():
    good = base64.b64encode(xoauth2_string("u@example.com", TOKEN))
    assert check_xoauth2(good, "u@example.com", [TOKEN]) == "ok"
    assert check_xoauth2(good, "u@example.com", ["other"]) == "wrong-token"
    assert check_xoauth2(good, "v@example.com", [TOKEN]) == "wrong-user"
    for blob in (b"user=u@example.com\x01auth=Bearer %s\x01" % TOKEN.encode(),  # one \x01 short
                 b"user=u@example.com\x01auth=bearer %s\x01\x01" % TOKEN.encode(),
                 b"u@example.com\x00%s" % TOKEN.encode()):
        assert check_xoauth2(base64.b64encode(blob), "u@example.com", [TOKEN]) == "malformed"
    assert check_xoauth2(b"not base64!", "u@example.com", [TOKEN]) == "bad-base64"


def _client(srv):
    client = smtplib.SMTP_SSL(srv.host, srv.port, context=ssl.create_default_context(cafile=srv.ca_path),
                              timeout=10)
    client.ehlo("xoauth2.test")
    return client


def test_xoauth2_offered_only_when_configured(smtp_server_thread):
    srv = smtp_server_thread("tls", auth_user="u@example.com", auth_password="pw")
    with _client(srv) as client:
        assert "XOAUTH2" not in client.esmtp_features["auth"].split()


def test_xoauth2_accepts_the_exact_string_and_records_it(smtp_server_thread):
    srv = smtp_server_thread("tls", auth_user="u@example.com", auth_password="pw", xoauth2_token=[TOKEN, "t2"])
    with _client(srv) as client:
        assert "XOAUTH2" in client.esmtp_features["auth"].split()
        code, _text = client.auth("XOAUTH2", lambda challenge=None: xoauth2_string("u@example.com", "t2").decode())
        assert code == 235
        client.sendmail("u@example.com", ["b@example.org"], b"Subject: x\r\n\r\nx\r\n")
    message = srv.messages()[0]
    assert message["auth_mechanism"] == "XOAUTH2" and message["auth_user"] == "u@example.com"
    session = srv.wait_sessions_closed()[0]
    assert session["auth"] == [{"mechanism": "XOAUTH2", "success": True, "user": "u@example.com"}]
    assert "t2" not in open(srv.info["sessions_path"], encoding="utf-8").read()


def test_a_token_as_long_as_microsoft_s_fits_on_the_auth_line(smtp_server_thread):
    token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + "x" * 2600
    srv = smtp_server_thread("tls", auth_user="u@example.com", auth_password="pw", xoauth2_token=[token])
    with _client(srv) as client:
        code, _text = client.auth("XOAUTH2", lambda challenge=None: xoauth2_string("u@example.com", token).decode())
    assert code == 235


def test_wrong_token_gets_the_error_challenge_then_535(smtp_server_thread):
    srv = smtp_server_thread("tls", auth_user="u@example.com", auth_password="pw", xoauth2_token=[TOKEN])
    challenges = []

    def respond(challenge=None):
        if challenge is None:
            return xoauth2_string("u@example.com", "expired").decode()
        challenges.append(json.loads(challenge))
        return ""

    with _client(srv) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            client.auth("XOAUTH2", respond)
    assert info.value.smtp_code == 535 and challenges == [{"status": "401", "schemes": "bearer",
                                                           "scope": "https://mail.google.com/"}]
    session = srv.wait_sessions_closed()[0]
    assert session["auth"] == [{"mechanism": "XOAUTH2", "success": False}]
    assert [e["sasl"] for e in session["events"] if e["event"] == "auth"] == ["wrong-token"]


def test_password_auth_reply_answers_every_password_login(smtp_server_thread):
    reply = "534-5.7.9 Application-specific password required.\r\n534 5.7.9 Use OAuth."
    srv = smtp_server_thread("tls", auth_user="u", auth_password="pw", password_auth_reply=reply)
    with _client(srv) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            client.login("u", "pw")
    assert info.value.smtp_code == 534 and b"Application-specific password required" in info.value.smtp_error


def test_cli_round_trip_keeps_the_new_options(tmp_path):
    import smtp_server as S
    cfg = S.config_from_kwargs("tls", str(tmp_path), auth_user="u", auth_password="p", xoauth2_token=["a", "b"],
                               password_auth_reply="535 5.7.139 basic authentication is disabled")
    again = S.parse_args(S.config_to_argv(cfg)).validate()
    assert again.xoauth2_token == ["a", "b"] and again.password_auth_reply == cfg.password_auth_reply


@pytest.fixture
def token_endpoint(tmp_path):
    endpoint = T.TokenEndpoint("cid", "c-secret", "r-token", "https://outlook.office365.com/.default", "AT-R",
                               "AT-C", slow_seconds=0.1)
    with T.running_token_server(endpoint, str(tmp_path)) as srv:
        yield srv


def _post(srv, form, path="/token"):
    request = urllib.request.Request(srv.url(path), data=urlencode(form).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    context = ssl.create_default_context(cafile=srv.ca_path)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_token_server_answers_only_the_exact_forms(token_endpoint):
    srv = token_endpoint
    refresh = [("grant_type", "refresh_token"), ("client_id", "cid"), ("client_secret", "c-secret"),
               ("refresh_token", "r-token")]
    assert _post(srv, refresh) == (200, {"access_token": "AT-R", "token_type": "Bearer", "expires_in": 3599})
    credentials = [("grant_type", "client_credentials")] + refresh[1:3] + [
        ("scope", "https://outlook.office365.com/.default")]
    assert _post(srv, credentials)[1]["access_token"] == "AT-C"
    assert _post(srv, refresh[:2] + [("client_secret", "bad")] + refresh[3:])[1]["error"] == "invalid_client"
    assert _post(srv, refresh[:3] + [("refresh_token", "old")])[1]["error"] == "invalid_grant"
    assert _post(srv, credentials[:3] + [("scope", "openid")])[1]["error"] == "invalid_scope"
    assert _post(srv, refresh + [("extra", "1")])[1]["error"] == "invalid_request"
    assert _post(srv, list(reversed(refresh)))[1]["error"] == "invalid_request"
    assert _post(srv, refresh, "/refuse") == (400, {"error": "invalid_grant", "error_description": T.EXPIRED})
    assert T.forms_seen(srv) == {"refresh_token": 2, "client_credentials": 1}
    assert all("r-token" not in json.dumps(r) and "c-secret" not in json.dumps(r) for r in srv.requests)
