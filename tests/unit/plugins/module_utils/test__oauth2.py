# -*- coding: utf-8 -*-
from __future__ import annotations

import json
import socket
import ssl
from urllib.parse import parse_qsl

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._deadline import Deadline
from ansible_collections.flint.smtp.plugins.module_utils._errors import DeliveryError, InputError
from ansible_collections.flint.smtp.plugins.module_utils._oauth2 import TokenRequest, parse_token_reply

URL = "https://login.example.com/tenant-1/oauth2/v2.0/token"


def refresh(**more):
    args = dict(url=URL, client_id="cid", client_secret="c-secret", refresh_token="r-token")
    args.update(more)
    return TokenRequest(**args)


def credentials(**more):
    args = dict(url=URL, client_id="cid", client_secret="c secret&=+", scope="https://outlook.office365.com/.default")
    args.update(more)
    return TokenRequest(**args)


def test_refresh_grant_form_is_exact():
    request = refresh()
    request.validate()
    assert request.grant == "refresh_token"
    assert request.body() == b"grant_type=refresh_token&client_id=cid&client_secret=c-secret&refresh_token=r-token"


def test_refresh_grant_sends_the_scope_when_given_and_works_without_a_secret():
    request = refresh(client_secret=None, scope="https://mail.google.com/")
    request.validate()
    assert request.form() == [("grant_type", "refresh_token"), ("client_id", "cid"), ("refresh_token", "r-token"),
                              ("scope", "https://mail.google.com/")]


def test_client_credentials_form_is_exact_and_encoded():
    request = credentials()
    request.validate()
    assert request.grant == "client_credentials"
    body = request.body().decode("ascii")
    assert body == ("grant_type=client_credentials&client_id=cid&client_secret=c+secret%26%3D%2B"
                    "&scope=https%3A%2F%2Foutlook.office365.com%2F.default")
    assert dict(parse_qsl(body))["client_secret"] == "c secret&=+"


@pytest.mark.parametrize("request_, phrase", [
    (refresh(url="http://login.example.com/token"), "must be an https:// URL"),
    (refresh(url="https://login.example.com/token\r\nX-Injected: 1"), "must not contain spaces or control"),
    (refresh(url="https://login.example.com/to ken"), "must not contain spaces or control"),
    (refresh(url="https://login.example.com/token\u2028"), "must not contain spaces or control"),
    (refresh(url="https:///token"), "must be an https:// URL"),
    (refresh(url="https://login.example.com:99999/token"), "not a valid URL"),
    (refresh(url="https://u:p@login.example.com/token"), "must not carry a user or password"),
    (refresh(client_id=None), "needs oauth2_client_id"),
    (refresh(refresh_token=None), "needs oauth2_refresh_token .* or oauth2_scope"),
    (credentials(client_secret=None), "needs oauth2_client_secret"),
    (credentials(scope="a\r\nb"), "oauth2_scope contains a control character"),
    (refresh(ca_path="/nonexistent/ca.pem"), "oauth2_ca_path /nonexistent/ca.pem does not exist"),
])
def test_bad_combinations_fail_before_anything_is_sent(request_, phrase):
    with pytest.raises(InputError, match=phrase):
        request_.validate()


def test_endpoint_in_messages_has_no_query_or_user():
    assert refresh(url=URL + "?api-version=1#x").endpoint == URL


def test_token_reply_parsing():
    ok = json.dumps({"access_token": "at", "token_type": "Bearer", "expires_in": 3599}).encode()
    assert parse_token_reply(200, "application/json", ok) == "at"
    assert parse_token_reply(200, "application/json", b'{"access_token": "at"}') == "at"
    for data, phrase in ((b"<html>login</html>", "not a JSON object"), (b"[1]", "not a JSON object"),
                         (b"\xff\xfe", "not a JSON object"), (b"{}", "no access_token"),
                         (b'{"access_token": ""}', "no access_token"), (b'{"access_token": 5}', "no access_token"),
                         (b'{"access_token": "a", "token_type": "mac"}', "token type is mac"),
                         (b'{"error": "invalid_grant"}', "OAuth error: invalid_grant")):
        with pytest.raises(ValueError, match=phrase):
            parse_token_reply(200, "text/html", data)


def test_refused_grant_names_endpoint_error_and_description():
    body = json.dumps({"error": "invalid_grant", "error_description": "AADSTS70000: The refresh token\r\n"
                       "has expired. Trace ID: 1"}).encode()
    error = refresh()._http_error(400, "Bad Request", "application/json", body, None)
    assert isinstance(error, DeliveryError) and error.exit_code == -1 and error.phase == "oauth2_token"
    text = str(error)
    assert text.startswith("OAuth2 token request to %s failed: the identity provider refused the refresh_token "
                           "grant: invalid_grant (AADSTS70000: The refresh token has expired. Trace ID: 1)." % URL)
    assert "get a new oauth2_refresh_token" in text and text.endswith("No SMTP connection was opened.")
    assert error.details["oauth2_error"] == "invalid_grant" and error.sent is False and error.transient is False
    assert error.result_fields() == {"phase": "oauth2_token", "smtp_code": None, "smtp_text": None, "sent": False}


def test_http_errors_without_oauth_json():
    error = credentials()._http_error(503, "Service Unavailable", "text/html", b"<html>busy</html>", None)
    assert "answered HTTP 503 Service Unavailable with text/html" in str(error)
    assert error.transient is True
    error = credentials()._http_error(404, "Not Found", "", b"", None)
    assert "HTTP 404" in str(error) and "Check oauth2_token_url" in str(error)
    error = credentials()._http_error(302, "Found", "", b"", "https://elsewhere.example/")
    assert "redirected (HTTP 302) to https://elsewhere.example/" in str(error)


def test_echoed_secrets_are_scrubbed_from_errors():
    body = json.dumps({"error": "invalid_request", "error_description": "got r-token and c-secret"}).encode()
    text = str(refresh()._http_error(400, "Bad Request", "application/json", body, None))
    assert "r-token" not in text and "c-secret" not in text and "got ******** and ********" in text


@pytest.mark.parametrize("reason, phrase", [
    (socket.timeout("timed out"), "no answer within the task's timeout (2500 ms)"),
    (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
    (socket.gaierror(-2, "Name or service not known"), "cannot resolve host name login.example.com"),
    (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "TLS handshake error"),
])
def test_network_errors_are_explained(reason, phrase):
    text = str(refresh()._network_error(reason, Deadline(2500)))
    assert phrase in text and URL in text and "No SMTP connection was opened." in text


def test_certificate_error_points_at_oauth2_ca_path():
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate in certificate chain"
    text = str(refresh()._network_error(error, Deadline(1000)))
    assert "certificate was not accepted: self-signed certificate" in text and "oauth2_ca_path" in text


def test_refused_connection_is_a_delivery_error_before_smtp(unused_tcp_port):
    request = refresh(url="https://127.0.0.1:%d/token" % unused_tcp_port)
    with pytest.raises(DeliveryError, match=r"token request to https://127.0.0.1:\d+/token failed: connection refused"):
        request.fetch(Deadline(2000))


def test_a_spent_budget_fails_without_a_request(unused_tcp_port):
    request = refresh(url="https://127.0.0.1:%d/token" % unused_tcp_port)
    with pytest.raises(DeliveryError, match="no answer within the task's timeout"):
        request.fetch(Deadline(0))


@pytest.fixture
def unused_tcp_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    yield port  # bound, never listening: connections are refused
    sock.close()
