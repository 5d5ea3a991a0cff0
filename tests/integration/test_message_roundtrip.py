# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Random Unicode through subject, display names, body and file names, sent to the loopback server
(streamed DATA, dot-stuffing and all) and read back from what it stored.

The send runs in-process (the core both paths share) so that many examples fit in a test run;
tests/integration/test_message*.py cover the same message through ansible-playbook on both paths.
"""

from __future__ import annotations

import email
import os
import shutil
import tempfile
from email.header import decode_header, make_header
from email.utils import parseaddr

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._send import run
from conftest import parse_email

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

TEXT = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
NAME = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs"), blacklist_characters='"<>,;:@()[]\\')
FILE = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="/,")
PIECE = st.one_of(st.text(TEXT, max_size=20), st.sampled_from(
    ["\n", "\r\n", "\r", "\t", ".", "\n.", "\n..", "\nFrom ", "\x0b", "\x0c", "\x85", "\u2028"]))


def _display_name(raw_message, header):
    """As an RFC 2047 decoder reads it (see tests/unit/.../test__message_properties.py for why)."""
    return parseaddr(str(make_header(decode_header(email.message_from_bytes(raw_message)[header]))))[0]


@hypothesis.settings(max_examples=25, deadline=None,
                     suppress_health_check=[hypothesis.HealthCheck.too_slow])
@hypothesis.given(
    subject=st.text(TEXT, min_size=1, max_size=100).map(lambda s: " ".join(s.split())).filter(bool),
    sender=st.text(NAME, min_size=1, max_size=30),
    body=st.lists(PIECE, max_size=25).map("".join),
    filename=st.text(FILE, min_size=1, max_size=50).filter(
        lambda n: n.strip() == n and n not in (".", "..") and len(n.encode("utf-8")) < 200),
    content=st.binary(max_size=3000))
def test_round_trip_through_the_server(plain_server, subject, sender, body, filename, content):
    work = tempfile.mkdtemp()
    try:
        path = os.path.join(work, filename)
        with open(path, "wb") as handle:
            handle.write(content)
        result = run({"target": plain_server.target, "security": "none", "timeout": 20000,
                      "from": '"%s" <from@example.com>' % sender, "to": ["to@example.net"], "subject": subject,
                      "body": body, "attachments": [path], "ehlo_name": "roundtrip.flint.test"})
        assert result["rc"] == 0, result["msg"]
        meta, _msg = plain_server.message_by_id(result["message_id"])
        raw = plain_server.raw(meta)
        msg = parse_email(raw)
        assert meta["size"] == result["size"] == len(raw)
        assert msg["Subject"] == subject
        assert _display_name(raw, "From") == sender
        expected = body.replace("\r\n", "\n").replace("\r", "\n")
        # A base64 or quoted-printable text part decodes to its canonical CRLF line ends.
        received = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert received == (expected if expected.endswith("\n") else expected + "\n")
        (part,) = msg.iter_attachments()
        assert part["Content-Disposition"].params["filename"] == filename
        assert part.get_content() == content
    finally:
        shutil.rmtree(work)
