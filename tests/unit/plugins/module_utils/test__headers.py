# -*- coding: utf-8 -*-
"""Header rendering: no raw control characters, no line over 998 octets, the address in the
header is the envelope's. Example-based first, then a property test over nasty input."""
from __future__ import annotations

import email
import email.policy
import re
from email.header import decode_header, make_header

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._addresses import parse_mailboxes
from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError
from ansible_collections.flint.smtp.plugins.module_utils._headers import check_filename, clean_text
from ansible_collections.flint.smtp.plugins.module_utils._message import prepare_message
from ansible_collections.flint.smtp.plugins.module_utils._rfc5322 import parse_address_list

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

RAW_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # in a header line: anything but TAB


def params(**overrides):
    base = {"from": "Ops <ops@example.com>", "to": "a@example.com", "subject": "Hi", "body": "Body"}
    base.update(overrides)
    return base


def header_block(data):
    return data.split(b"\r\n\r\n", 1)[0]


def unfolded(data, name):
    """The value of header ``name`` with folding removed (RFC 5322 2.2.3)."""
    text = header_block(data).decode("utf-8").replace("\r\n ", " ").replace("\r\n\t", "\t")
    for line in text.split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line[len(name) + 1:].lstrip(" ")
    return None


def check_wire(data):
    for line in header_block(data).split(b"\r\n"):
        assert len(line) <= 998, line[:80]
        assert not RAW_CONTROL.search(line), line
    for line in data.split(b"\r\n"):
        assert len(line) <= 998


@pytest.mark.parametrize("subject, expected", [
    ("Report\nfor  host\r\n", "Report for  host"),
    ("a\x0bb\x0cc\x85d\u2028e\u2029f", "a b c d e f"),
    ("tab\there", "tab\there"),
    ("=?utf-8?q?not_encoded?=", "=?utf-8?q?not_encoded?="),
])
def test_subject_folds_line_breaks_and_keeps_the_rest_exactly(subject, expected):
    data = prepare_message(params(subject=subject)).data
    check_wire(data)
    assert email.message_from_bytes(data, policy=email.policy.default)["Subject"] == expected


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x9b", "\x01", "\ud800"])
def test_other_control_characters_in_the_subject_are_refused(char):
    with pytest.raises(InputError, match=r"^subject: .*position 3 cannot be sent in a mail header"):
        prepare_message(params(subject="abc%sdef" % char))


@pytest.mark.parametrize("subject", ["x" * 5000, ("word " * 1000).strip(), "ü" * 3000, "a" * 60 + " " + "b" * 999])
def test_long_subjects_fold_under_998(subject):
    data = prepare_message(params(subject=subject)).data
    check_wire(data)
    assert email.message_from_bytes(data, policy=email.policy.default)["Subject"] == subject


def test_quoted_local_part_is_the_same_in_header_and_envelope():
    msg = prepare_message(params(to='"a b"@example.com, "Doe, J." <"x\\"y"@example.com>'))
    assert msg.recipients == ['"a b"@example.com', '"x\\"y"@example.com']
    assert unfolded(msg.data, "To") == '"a b"@example.com, "Doe, J." <"x\\"y"@example.com>'


def test_idna_domain_in_header_and_envelope():
    msg = prepare_message(params(**{"from": "Jörg <j@exämple.de>", "to": "\"bücher.example\" <a@bücher.example>"}))
    assert msg.sender == "j@xn--exmple-cua.de" and msg.recipients == ["a@xn--bcher-kva.example"]
    assert b"xn--exmple-cua.de" in msg.data and b"<a@xn--bcher-kva.example>" in msg.data
    assert msg.data.isascii() and not msg.smtputf8


def test_body_is_7bit_clean():
    msg = prepare_message(params(body="Grüße " * 100 + "\n" + "x" * 2000, subject="Störung"))
    assert msg.data.isascii()
    check_wire(msg.data)
    parsed = email.message_from_bytes(msg.data, policy=email.policy.default)
    assert parsed.get_content() == ("Grüße " * 100 + "\n" + "x" * 2000 + "\n").replace("\n", "\r\n")


@pytest.mark.parametrize("name", ["a\nb.txt", "a\x00b", "\u2028x", "x\x1b[31m.txt"])
def test_control_characters_in_file_names_are_refused(name):
    with pytest.raises(InputError, match="^attachments: .*rename the file"):
        check_filename(name, "/tmp/" + name)


def test_clean_text_names_the_field():
    with pytest.raises(InputError, match="^subject: the control character U\\+0000 at position 1"):
        clean_text("a\x00", "subject")


# -- property ---------------------------------------------------------------------------------

NASTY = st.lists(st.sampled_from(
    list("ab Z09,.;:@<>()[]\"\\'=?_\t") + ["\r", "\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "é", "漢", "😀",
                                           "=?utf-8?b?QQ==?=", " " * 80, "z" * 75]), max_size=60).map("".join)
LONG_RUN = st.integers(1, 1200).map(lambda n: "y" * n)
names = st.one_of(NASTY, LONG_RUN, st.text(max_size=40).filter(lambda t: not any(
    ord(c) < 0x20 and c not in "\t\r\n\x0b\x0c" or 0x7f <= ord(c) <= 0x9f and c != "\x85" or 0xd800 <= ord(c) < 0xe000
    for c in t)))


def _quoted(name):
    return '"%s"' % name.replace("\\", "\\\\").replace('"', '\\"')


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(names, names, st.sampled_from(['"a b"@example.com', "x@exämple.de", "plain@example.com",
                                                 '"q\\"uote"@[192.0.2.1]', "jörg@example.de"]))
def test_headers_are_valid_and_say_what_the_envelope_says(subject, name, addr):
    flat = clean_text(name, "name")  # a display name cannot hold a line break: fold it, as a user would
    text = "%s <%s>" % (_quoted(flat.replace("\t", " ")), addr) if flat.replace("\t", " ").strip() else addr
    msg = prepare_message(params(subject=subject, to=[text]))
    check_wire(msg.data)
    assert msg.data.isascii() or msg.smtputf8
    # The To header holds the envelope recipient, and the name given (RFC 2047 decoding
    # ignores the space between two encoded words; email.headerregistry does not).
    box = parse_mailboxes([text], "to")[0]
    header = unfolded(msg.data, "To")
    ((name_back, _local, _domain),) = parse_address_list(header)
    assert msg.recipients == [box.addr]
    assert [m.addr for m in parse_mailboxes(header, "to")] == [box.addr]
    if box.name and not header.startswith('"'):
        name_back = str(make_header(decode_header(header.rpartition(" <")[0])))
    assert name_back == box.name
    parsed = email.message_from_bytes(msg.data, policy=email.policy.default)
    # An empty subject leaves the Subject field out (no empty headers).
    assert parsed["Subject"] == (clean_text(subject, "subject") or None)


def test_body_control_characters_are_encoded_and_bad_unicode_refused():
    msg = prepare_message(params(body="a\x00b\x1bc\n"))
    assert b"Content-Transfer-Encoding: quoted-printable" in msg.data and b"a=00b=1Bc" in msg.data
    with pytest.raises(InputError, match="^body: a lone surrogate at position 1"):
        prepare_message(params(body="a\udcff"))
