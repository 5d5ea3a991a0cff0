# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._addresses import (
    envelope_recipients,
    parse_mailbox,
    parse_mailboxes,
)
from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError


@pytest.mark.parametrize("value, expected", [
    ("a@x.org", [("", "a@x.org")]),
    ("a@x.org, b@y.org", [("", "a@x.org"), ("", "b@y.org")]),
    (" a@x.org ,b@y.org ", [("", "a@x.org"), ("", "b@y.org")]),
    ("a@x.org; b@y.org", [("", "a@x.org"), ("", "b@y.org")]),
    ("a@x.org,,", [("", "a@x.org")]),
    (["a@x.org", "b@y.org"], [("", "a@x.org"), ("", "b@y.org")]),
    ("Ops <ops@example.com>", [("Ops", "ops@example.com")]),
    ('"Doe, John" <j@x.org>, k@x.org', [("Doe, John", "j@x.org"), ("", "k@x.org")]),
    # What Ansible's own list conversion makes of the line above: cut inside the quotes.
    (['"Doe', ' John" <j@x.org>', ' k@x.org'], [("Doe, John", "j@x.org"), ("", "k@x.org")]),
    ("x@[127.0.0.1]", [("", "x@[127.0.0.1]")]),
    ("jörg@exämple.de", [("", "jörg@exämple.de")]),
    ("", []),
    (None, []),
    ([], []),
])
def test_parse_mailboxes_accepts_flint_and_ansible_forms(value, expected):
    assert [(m.name, m.addr) for m in parse_mailboxes(value, "to")] == expected


@pytest.mark.parametrize("text", [
    "x", "a@x b@y", "bad@@x", "@x.org", "a@", "<a@x", "a@x.org\nBcc: evil@x.org", "a b@x.org",
    "a@x..org", "%s@x.org" % ("l" * 65),
])
def test_parse_mailbox_refuses_what_is_not_an_address(text):
    with pytest.raises(InputError, match="^to: "):
        parse_mailbox(text, "to")


def test_error_names_the_field_and_the_text():
    with pytest.raises(InputError) as info:
        parse_mailboxes("ok@x.org, nope", "cc")
    assert "cc:" in str(info.value) and "'nope'" in str(info.value)


def test_non_ascii_addresses_need_smtputf8():
    assert parse_mailbox("jörg@x.de", "to").needs_smtputf8
    assert not parse_mailbox("Jörg <j@x.de>", "to").needs_smtputf8  # names are encoded words


def test_envelope_keeps_order_and_drops_duplicates_case_insensitively():
    to = parse_mailboxes("a@x.org, B@x.org", "to")
    cc = parse_mailboxes("b@x.org, c@x.org", "cc")
    bcc = parse_mailboxes("A@X.ORG, d@x.org", "bcc")
    assert envelope_recipients(to, cc, bcc) == ["a@x.org", "B@x.org", "c@x.org", "d@x.org"]
