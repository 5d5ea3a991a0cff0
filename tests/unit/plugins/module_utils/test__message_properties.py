# -*- coding: utf-8 -*-
"""Random Unicode through subject, display names, body (plain and HTML) and file names comes back exactly."""
from __future__ import annotations

import email
import email.policy
from email.header import decode_header, make_header
from email.utils import parseaddr
import os
import shutil
import tempfile

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._message import prepare_message

# A dev dependency (tests/requirements); ansible-test units' own environment does not have it.
hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
HealthCheck, given, settings = hypothesis.HealthCheck, hypothesis.given, hypothesis.settings

# Printable text of every script: no controls (a header refuses them), no surrogates (not encodable),
# no line/paragraph separators (a header refuses them too).
TEXT = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
# Display names as _addresses parses them from "Name <addr>": no address specials.
NAME = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs"), blacklist_characters='"<>,;:@()[]\\')
FILE = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="/,")
# Bodies may have any line breaks (normalized to CRLF), tabs, VT, FF, NEL and U+2028 (kept as they are).
PIECE = st.one_of(st.text(TEXT, max_size=20), st.sampled_from(
    ["\n", "\r\n", "\r", "\t", ".", "\n.", "\nFrom ", "\x0b", "\x0c", "\x85", "\u2028"]))


def subjects():
    return st.text(TEXT, min_size=1, max_size=120).map(lambda s: " ".join(s.split())).filter(bool)


def names():
    return st.text(NAME, min_size=1, max_size=40)


def file_names():
    return st.text(FILE, min_size=1, max_size=60).filter(
        lambda n: n.strip() == n and n not in (".", "..") and len(n.encode("utf-8")) < 200)


def bodies():
    return st.lists(PIECE, max_size=30).map("".join)


def lines(text):
    """What a body is once it has been through a mail: CRLF line ends, one final line break."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


def parse(msg):
    return email.message_from_bytes(msg.data, policy=email.policy.default)


def display_name(data, header):
    """The display name as an RFC 2047 decoder reads it.

    A long name is sent as several encoded-words, and RFC 2047 6.2 says the white space between
    them is not part of the text. email.policy.default's parser keeps it (a stdlib quirk: it puts
    a space into the name); the email.header decoder, like mail clients, does not.
    """
    raw = email.message_from_bytes(data)[header]  # compat32: the header as sent
    return parseaddr(str(make_header(decode_header(raw))))[0]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=subjects(), sender=names(), rcpt=names(), body=bodies(), filename=file_names())
def test_plain_round_trip(subject, sender, rcpt, body, filename):
    work = tempfile.mkdtemp()
    try:
        path = os.path.join(work, filename)
        with open(path, "wb") as handle:
            handle.write(filename.encode("utf-8"))
        msg = prepare_message({"from": '"%s" <from@example.com>' % sender, "to": ['"%s" <to@example.com>' % rcpt],
                               "subject": subject, "body": body, "attachments": [path],
                               "max_attachment_size_mb": 10})
        mail = parse(msg)
        assert mail["Subject"] == subject
        assert display_name(msg.data, "From") == sender
        assert display_name(msg.data, "To") == rcpt
        assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == lines(body)
        (part,) = mail.iter_attachments()
        # The header's own parser, not get_filename(): that legacy helper strips "<...>" from any
        # parameter value as if it were an address (a stdlib quirk; the bytes sent are exact).
        assert part["Content-Disposition"].params["filename"] == filename
        assert part.get_content() == filename.encode("utf-8")
        assert len(msg.data) == msg.size
    finally:
        shutil.rmtree(work)


@settings(max_examples=100, deadline=None)
@given(text=st.text(TEXT, min_size=1, max_size=200), body_text=bodies())
def test_html_and_its_text_round_trip(text, body_text):
    html = u"<p>%s</p>" % text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    msg = prepare_message({"from": "from@example.com", "to": ["to@example.com"], "content_type": "text/html",
                           "body": html, "body_text": body_text or None, "max_attachment_size_mb": 10})
    mail = parse(msg)
    assert mail.get_body(("html",)).get_content().replace("\r\n", "\n") == html + "\n"
    plain = mail.get_body(("plain",))
    if body_text:
        assert plain.get_content().replace("\r\n", "\n") == lines(body_text)
    elif plain is not None:
        # Derived: the words of the HTML, whitespace collapsed as a browser would show them.
        assert plain.get_content().split() == text.split()
