# -*- coding: utf-8 -*-
"""Optional headers: Reply-To, threading, priority, Message-ID domain, extra headers and overrides."""
from __future__ import annotations

import email
import email.policy

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError
from ansible_collections.flint.smtp.plugins.module_utils._message import prepare_message


def params(**overrides):
    base = {"from": "Ops <ops@example.com>", "to": ["a@example.com"], "subject": "s", "body": "b",
            "content_type": "text/plain", "max_attachment_size_mb": 10}
    base.update(overrides)
    return base


def mail(**overrides):
    msg = prepare_message(params(**overrides))
    return msg, email.message_from_bytes(msg.data, policy=email.policy.default)


def test_defaults_have_no_empty_or_optional_headers():
    _msg, parsed = mail(subject="")
    assert sorted(parsed.keys()) == ["Content-Transfer-Encoding", "Content-Type", "Date", "From", "MIME-Version",
                                     "Message-ID", "To"]
    assert parsed["Date"].endswith("+0000")  # UTC


def test_reply_to_threading_and_priority():
    _msg, parsed = mail(reply_to=u"Zoë <zoe@example.com>, b@example.com", in_reply_to="abc@host.example",
                        priority="high")
    assert [(a.display_name, a.addr_spec) for a in parsed["Reply-To"].addresses] == [
        (u"Zoë", "zoe@example.com"), ("", "b@example.com")]
    assert parsed["In-Reply-To"] == "<abc@host.example>"
    assert parsed["References"] == "<abc@host.example>"  # the parent, when references are not given
    assert (parsed["X-Priority"], parsed["Importance"], parsed["Priority"]) == ("1 (Highest)", "high", "urgent")


def test_references_list_and_space_separated():
    _msg, parsed = mail(in_reply_to="<c@h>", references=["<a@h> <b@h>", "c@h"])
    assert parsed["References"] == "<a@h> <b@h> <c@h>"


@pytest.mark.parametrize("priority, present", [("low", True), ("normal", False), (None, False)])
def test_priority_low_and_normal(priority, present):
    _msg, parsed = mail(priority=priority)
    assert (parsed["X-Priority"] == "5 (Lowest)") if present else parsed["X-Priority"] is None


@pytest.mark.parametrize("value", ["", "no-at-sign", "<a@b> <c@d>", "a@b\r\nBcc: x@y"])
def test_bad_message_ids(value):
    if value == "":
        assert mail(in_reply_to=value)[1]["In-Reply-To"] is None
        return
    with pytest.raises(InputError, match="in_reply_to"):
        mail(in_reply_to=value)


def test_message_id_domain():
    assert mail()[0].message_id.endswith("@example.com>")
    assert mail(message_id_domain="mx.example.org")[0].message_id.endswith("@mx.example.org>")
    assert mail(message_id_domain=u"bücher.example")[0].message_id.endswith("@xn--bcher-kva.example>")
    assert mail(**{"from": u"ops@exämple.com", "to": [u"jörg@exämple.com"]})[0].message_id.endswith(
        "@xn--exmple-cua.com>")
    for bad in ("a b", "x>y", "evil\r\n", "-bad-.example"):
        with pytest.raises(InputError, match="message_id_domain"):
            mail(message_id_domain=bad)


def test_extra_headers_are_added_encoded_and_empty_ones_left_out():
    msg, parsed = mail(headers={"X-Ticket": 4711, "X-Note": u"Grüße ✓", "X-Empty": "", "X-Null": None,
                                "List-Unsubscribe": "<mailto:unsub@example.com>"})
    assert parsed["X-Ticket"] == "4711" and parsed["X-Note"] == u"Grüße ✓"
    assert parsed["X-Empty"] is None and parsed["X-Null"] is None
    assert b"=?utf-8?" in msg.data  # non-ASCII encoded (RFC 2047) without SMTPUTF8
    assert parsed["List-Unsubscribe"] == "<mailto:unsub@example.com>"


@pytest.mark.parametrize("char", [u"\r", u"\n", u"\x00", u"\x0b", u"\x1b", u"\x7f", u"\x85", u"\u2028", u"\u2029"])
def test_control_characters_in_header_values_are_refused(char):
    with pytest.raises(InputError, match="control character"):
        mail(headers={"X-Test": u"a%sb" % char})


@pytest.mark.parametrize("name", ["X Test", "X:Test", u"X-Tëst", "X-Test\r\nBcc", "", "X\x00"])
def test_bad_header_names_are_refused(name):
    with pytest.raises(InputError, match="not a valid header name"):
        mail(headers={name: "v"})


@pytest.mark.parametrize("name", ["From", "to", "CC", "Bcc", "Date", "Message-ID", "Subject", "Reply-To",
                                  "Content-Language", "Sender", "References"])
def test_protected_headers_need_the_override(name):
    with pytest.raises(InputError, match="headers_override"):
        mail(headers={name: "x@example.com"})


@pytest.mark.parametrize("name", ["MIME-Version", "Content-Type", "content-transfer-encoding",
                                  "Content-Disposition", "Content-ID"])
def test_structural_headers_are_always_refused(name):
    with pytest.raises(InputError, match="MIME structure"):
        mail(headers={name: "x"}, headers_override=True)


def test_override_replaces_generated_headers_but_not_the_envelope():
    msg, parsed = mail(headers={"From": "Bot <bot@example.com>", "To": "list@example.com",
                                "Date": "Fri, 02 Jan 2026 03:04:05 +0000", "Message-ID": "own@example.com",
                                "Content-Language": "de", "Subject": "mine"}, headers_override=True)
    assert parsed["From"] == "Bot <bot@example.com>" and parsed["To"] == "list@example.com"
    assert parsed["Date"] == "Fri, 02 Jan 2026 03:04:05 +0000" and parsed["Subject"] == "mine"
    assert parsed["Message-ID"] == msg.message_id == "<own@example.com>"
    assert len(parsed.get_all("From")) == 1 and parsed["Content-Language"] == "de"
    assert msg.sender == "ops@example.com" and msg.recipients == ["a@example.com"]


@pytest.mark.parametrize("headers, error", [
    ({"Date": "yesterday"}, "not an RFC 5322 date"),
    ({"From": "not an address"}, "headers.From"),
    ({"Message-ID": "nope"}, "not a message id"),
])
def test_overrides_must_still_parse(headers, error):
    with pytest.raises(InputError, match=error):
        mail(headers=headers, headers_override=True)


def test_priority_headers_conflict_without_override():
    with pytest.raises(InputError, match="priority"):
        mail(priority="high", headers={"X-Priority": "2"})
    assert mail(priority="high", headers={"X-Priority": "2"}, headers_override=True)[1]["X-Priority"] == "2"


def test_duplicate_names_and_non_text_values():
    with pytest.raises(InputError, match="same header"):
        mail(headers={"X-A": "1", "x-a": "2"})
    with pytest.raises(InputError, match="must be text"):
        mail(headers={"X-A": ["1"]})
    with pytest.raises(InputError, match="headers: must be a dictionary"):
        mail(headers="X-A: 1")


@pytest.mark.parametrize("notify, ret, expected", [
    (["failure", "DELAY"], "hdrs", {"notify": ["FAILURE", "DELAY"], "ret": "HDRS"}),
    (["NEVER"], None, {"notify": ["NEVER"]}),
    ([], None, {}),
])
def test_dsn_requests(notify, ret, expected):
    assert mail(dsn_notify=notify, dsn_return=ret)[0].dsn == expected


def test_dsn_never_stands_alone():
    with pytest.raises(InputError, match="NEVER cannot be combined"):
        mail(dsn_notify=["NEVER", "SUCCESS"])
