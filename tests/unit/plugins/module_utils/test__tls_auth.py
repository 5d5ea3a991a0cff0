# -*- coding: utf-8 -*-
from __future__ import annotations

import ssl

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._auth import (
    PasswordAuth,
    check_plaintext_auth,
    select_auth,
)
from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError
from ansible_collections.flint.smtp.plugins.module_utils._options import AuthOptions
from ansible_collections.flint.smtp.plugins.module_utils._tls import resolve_security, tls_context


@pytest.mark.parametrize("security, port, expected", [
    (None, 587, "starttls"), (None, 25, "starttls"), (None, 465, "tls"), ("none", 465, "none"), ("tls", 2465, "tls"),
])
def test_security_default_follows_the_port(security, port, expected):
    assert resolve_security(security, port) == expected


def test_default_context_verifies_chain_and_host_name():
    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_validate_certs_false_turns_both_off():
    context = tls_context(validate_certs=False)
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname


def test_missing_or_bad_ca_path(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        tls_context(ca_path=str(tmp_path / "nope.pem"))
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(InputError, match="not a usable CA"):
        tls_context(ca_path=str(bad))


def test_no_credentials_means_no_auth():
    assert select_auth(AuthOptions({"username": None, "password": None})) is None


def test_empty_password_is_refused():
    with pytest.raises(InputError, match="together"):
        select_auth(AuthOptions({"username": "u", "password": ""}))


def test_repr_never_shows_the_password():
    assert "s3cret" not in repr(PasswordAuth("u", "s3cret"))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.8.9.10"])
def test_plaintext_auth_allowed_to_loopback(host):
    check_plaintext_auth(PasswordAuth("u", "p"), "none", host, allowed=False)


@pytest.mark.parametrize("host", ["192.0.2.10", "2001:db8::1", "mail.invalid"])
def test_plaintext_auth_refused_elsewhere(host):
    with pytest.raises(InputError, match="without TLS"):
        check_plaintext_auth(PasswordAuth("u", "p"), "none", host, allowed=False)
    check_plaintext_auth(PasswordAuth("u", "p"), "none", host, allowed=True)
    check_plaintext_auth(PasswordAuth("u", "p"), "starttls", host, allowed=False)
