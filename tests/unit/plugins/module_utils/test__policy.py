# -*- coding: utf-8 -*-
from __future__ import annotations

import datetime
import email.generator
import email.headerregistry
import email.policy

import pytest

from ansible_collections.flint.smtp.plugins.module_utils import _message
from ansible_collections.flint.smtp.plugins.module_utils._policy import _HeaderClasses, with_cached_headers

NOW = datetime.datetime(2026, 11, 26, 8, 0, tzinfo=datetime.timezone.utc)

CASES = [
    {"from": "ops@example.com", "to": ["a@example.com"], "subject": "plain", "body": "hello\n"},
    {"from": "Ops Team <ops@example.com>", "to": ["a@example.com", "B <b@example.org>"], "cc": ["c@example.com"],
     "bcc": ["d@example.com"], "subject": "Zürich – résumé " * 8, "body": "x" * 2000, "content_type": "text/html"},
    {"from": "jörg@exämple.com", "to": ["ünï@exämple.com"], "subject": "日本語の件名", "body": "çava\r\n.\nend"},
    {"from": "ops@example.com", "to": ["a@example.com"], "subject": "line\nbreak\ttab\u2028sep", "body": "\u00e9" * 500},
]


@pytest.mark.parametrize("params", CASES)
def test_the_bytes_are_those_of_the_stdlib_policies(params, monkeypatch):
    monkeypatch.setattr(_message, "make_msgid", lambda domain=None: "<fixed@%s>" % domain)
    monkeypatch.setattr(email.generator.random, "randrange", lambda *args: 42)  # MIME boundaries
    ours = _message.prepare_message(dict(params), now=NOW)
    monkeypatch.setattr(_message, "_POLICY", email.policy.SMTP.clone(cte_type="7bit"))
    stock = _message.prepare_message(dict(params), now=NOW)
    assert ours.data == stock.data and ours.recipients == stock.recipients


def test_each_header_class_is_made_once_and_is_the_stdlib_class():
    registry = _HeaderClasses()
    first = registry["Subject"]
    assert registry["subject"] is first and registry["SUBJECT"] is first
    assert registry["To"] is not first and issubclass(registry["To"], email.headerregistry.AddressHeader)
    assert first.__name__ == email.headerregistry.HeaderRegistry()["Subject"].__name__
    registry.map_to_type("subject", email.headerregistry.AddressHeader)
    assert issubclass(registry["Subject"], email.headerregistry.AddressHeader)


def test_the_policy_is_the_one_given_but_for_the_header_classes():
    given = email.policy.SMTP.clone(cte_type="7bit")
    cached = with_cached_headers(given)
    assert isinstance(cached.header_factory, _HeaderClasses)
    for name in ("linesep", "cte_type", "max_line_length", "utf8", "raise_on_defect", "refold_source"):
        assert getattr(cached, name) == getattr(given, name)
    assert isinstance(_message._POLICY.header_factory, _HeaderClasses)


def test_sessions_write_without_nagle_delay():
    # The final dot is a small write of its own: with Nagle on, it waits for a delayed ACK per message.
    import socket

    from ansible_collections.flint.smtp.plugins.module_utils._transport import _no_delay

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    try:
        assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        _no_delay(client)
        assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        _no_delay(object())  # not a socket: no error, only slower
    finally:
        client.close()
        listener.close()
