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
    ("a@x.org,,", [("", "a@x.org")]),
    (["a@x.org", "b@y.org"], [("", "a@x.org"), ("", "b@y.org")]),
    (["a@x.org", "", None, "  "], [("", "a@x.org")]),
    ("Ops <ops@example.com>", [("Ops", "ops@example.com")]),
    ("Ops   Team <ops@example.com>", [("Ops Team", "ops@example.com")]),
    ('"Doe, John" <j@x.org>, k@x.org', [("Doe, John", "j@x.org"), ("", "k@x.org")]),
    # A list item is one mailbox: the comma in the quoted name does not split it.
    (['"Doe, John" <j@x.org>', "k@x.org"], [("Doe, John", "j@x.org"), ("", "k@x.org")]),
    ('"J. \\"Jay\\" Doe" <j@x.org>', [('J. "Jay" Doe', "j@x.org")]),
    ("<a@x.org>", [("", "a@x.org")]),
    ("Bob < b@x.org >", [("Bob", "b@x.org")]),
    # Comments are read and dropped: they name no one.
    ("bob@example.com (on-call team)", [("", "bob@example.com")]),
    ("(lead) Bob (the (nested) one) <bob(x)@example.com(y)>", [("Bob", "bob@example.com")]),
    # A quoted local part is the same text in the header and the envelope.
    ('"a b"@example.com', [("", '"a b"@example.com')]),
    ('"abc"@example.com', [("", "abc@example.com")]),
    ('"a\\\\b\\"c"@example.com', [("", '"a\\\\b\\"c"@example.com')]),
    ("x@[127.0.0.1]", [("", "x@[127.0.0.1]")]),
    ("x@[IPv6:2001:db8::1]", [("", "x@[IPv6:2001:db8::1]")]),
    # Non-ASCII domains go out as A-labels; a non-ASCII local part stays (SMTPUTF8).
    ("jörg@exämple.de", [("", "jörg@xn--exmple-cua.de")]),
    ("a@BÜCHER.de", [("", "a@xn--bcher-kva.de")]),
    ("", []),
    (None, []),
    ([], []),
])
def test_parse_mailboxes_reads_rfc5322(value, expected):
    assert [(m.name, m.addr) for m in parse_mailboxes(value, "to")] == expected


@pytest.mark.parametrize("text, says", [
    ("x", "no '@'"),
    ("a@x b@y", "',' expected"),
    ("a@x.org; b@y.org", "use ','"),
    ("bad@@x", "domain after '@' is missing"),
    ("@x.org", "local part before '@' is missing"),
    ("a@", "domain after '@' is missing"),
    ("<a@x", "'>' expected"),
    ("a@x.org\nBcc: evil@x.org", "a line break at position 7"),
    ("a@x.org\x00", "control character U+0000"),
    ("Bob\u2028 <b@x.org>", "U+2028"),
    ("a b@x.org", "needs quotes"),
    ("a@x..org", "dots must separate"),
    (".a@x.org", "dots must separate"),
    ("%s@x.org" % ("l" * 65), "longer than SMTP allows"),
    ("bob@example.com (on-call team", "unclosed comment"),
    ('"Doe <j@x.org>', "unclosed quote"),
    ("J. Doe <j@x.org>", "must be quoted"),
    ("team: a@x.org, b@x.org;", "groups"),
    ("<@relay.example:a@x.org>", "local part before '@' is missing"),
    ("x@[::1]", "IPv6 literal"),
    ("x@[300.1.1.1]", "IPv4 literal"),
    ("a@straße.de", "different name"),
    ("a@x_y.org", "label 'x_y'"),
    ("a@-x.org", "label '-x'"),
    ('"a\tb"@x.org', "tab in the local part"),
    ('""@x.org', "local part (before '@') is empty"),
    ("Bob <b@x.org> trailing", "',' expected"),
])
def test_refuses_what_does_not_read_cleanly(text, says):
    with pytest.raises(InputError) as info:
        parse_mailboxes(text, "to")
    assert str(info.value).startswith("to: %r" % text)
    assert says in str(info.value)


def test_a_list_item_is_exactly_one_mailbox():
    with pytest.raises(InputError, match=r"^cc\[1\]: 'b@x.org, c@x.org' .*more than one address"):
        parse_mailboxes(["a@x.org", "b@x.org, c@x.org"], "cc")


def test_the_issue_example_fails_naming_the_item():
    with pytest.raises(InputError) as info:
        parse_mailboxes(["bob@example.com (on-call team", "carol@example.com"], "to")
    assert str(info.value).startswith("to[0]: 'bob@example.com (on-call team' is not a valid address")
    assert "unclosed comment" in str(info.value)


@pytest.mark.parametrize("value", [42, {"a": "b@x.org"}, ["a@x.org", 7]])
def test_other_types_are_refused(value):
    with pytest.raises(InputError, match="^to"):
        parse_mailboxes(value, "to")


def test_sender_is_one_mailbox():
    assert parse_mailbox("Ops <ops@example.com>", "from").addr == "ops@example.com"
    with pytest.raises(InputError, match="^from: .*more than one address"):
        parse_mailbox("a@x.org, b@x.org", "from")


def test_only_a_non_ascii_local_part_needs_smtputf8():
    assert parse_mailbox("jörg@x.de", "to").needs_smtputf8
    assert not parse_mailbox("j@exämple.de", "to").needs_smtputf8
    assert not parse_mailbox("Jörg <j@x.de>", "to").needs_smtputf8  # names are encoded words


def test_envelope_keeps_order_and_drops_duplicates_case_insensitively():
    to = parse_mailboxes("a@x.org, B@x.org", "to")
    cc = parse_mailboxes("b@x.org, c@x.org", "cc")
    bcc = parse_mailboxes("A@X.ORG, d@x.org", "bcc")
    assert envelope_recipients(to, cc, bcc) == ["a@x.org", "B@x.org", "c@x.org", "d@x.org"]
