# -*- coding: utf-8 -*-
from __future__ import annotations

import datetime
import email
import email.policy
import os

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError
from ansible_collections.flint.smtp.plugins.module_utils._message import prepare_message


def params(**overrides):
    base = {"from": "Ops <ops@example.com>", "to": ["a@example.com"], "cc": [], "bcc": [],
            "subject": "Hello", "body": "Body text", "attachments": [], "content_type": "text/plain",
            "max_attachment_size_mb": 10}
    base.update(overrides)
    return base


def parsed(message):
    return email.message_from_bytes(message.data, policy=email.policy.default)


def test_headers_and_envelope():
    msg = prepare_message(params(to="a@example.com, B <b@example.com>", cc=["c@example.com"],
                                 bcc="secret@example.com"))
    mail = parsed(msg)
    assert mail["From"] == "Ops <ops@example.com>"
    assert mail["To"] == "a@example.com, B <b@example.com>"
    assert mail["Cc"] == "c@example.com"
    assert mail["Bcc"] is None
    assert b"secret@example.com" not in msg.data
    assert msg.sender == "ops@example.com"
    assert msg.recipients == ["a@example.com", "b@example.com", "c@example.com", "secret@example.com"]
    assert mail["Message-ID"] == msg.message_id and msg.message_id.endswith("@example.com>")
    assert mail["Date"] is not None


def test_lines_end_in_crlf_as_smtp_wants():
    data = prepare_message(params(body="one\ntwo\n")).data
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def test_subject_line_breaks_fold_to_spaces():
    assert parsed(prepare_message(params(subject="Report\nfor  host\r\n")))["Subject"] == "Report for  host"


def test_non_ascii_subject_and_body_survive():
    mail = parsed(prepare_message(params(subject="Störung behoben ✓", body="Grüße\n")))
    assert mail["Subject"] == "Störung behoben ✓"
    assert mail.get_content() == "Grüße\r\n"  # CRLF on the wire


def test_html_body_gets_a_derived_text_alternative():
    mail = parsed(prepare_message(params(content_type="text/html", body="<b>hi</b>")))
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert mail.get_body(("plain",)).get_content() == "hi\r\n"


def test_html_body_alone_when_derivation_is_off():
    mail = parsed(prepare_message(params(content_type="text/html", body="<b>hi</b>", derive_body_text=False)))
    assert mail.get_content_type() == "text/html"


def test_bcc_only_message_is_allowed():
    msg = prepare_message(params(to=[], bcc=["x@example.com"]))
    assert parsed(msg)["To"] is None and msg.recipients == ["x@example.com"]


def test_no_recipient_is_an_input_error():
    with pytest.raises(InputError, match="recipient"):
        prepare_message(params(to=[]))


def test_attachments_round_trip(tmp_path):
    text = tmp_path / "report.txt"
    text.write_text("hello\n")
    blob = tmp_path / "data.bin"
    blob.write_bytes(bytes(range(256)) * 10)
    msg = prepare_message(params(attachments="%s, %s" % (text, blob)))
    parts = list(parsed(msg).iter_attachments())
    assert [p.get_filename() for p in parts] == ["report.txt", "data.bin"]
    assert parts[1].get_content_type() == "application/octet-stream"
    assert parts[1].get_content() == bytes(range(256)) * 10
    assert [a["size"] for a in msg.summary()["attachments"]] == [6, 2560]


def test_missing_attachment_fails_before_anything_else(tmp_path):
    with pytest.raises(InputError, match="nope.txt cannot be read"):
        prepare_message(params(attachments=[str(tmp_path / "nope.txt")]))


def test_attachment_size_limit_and_zero_means_none(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    with pytest.raises(InputError, match="over the 1 MB limit"):
        prepare_message(params(attachments=[str(big)], max_attachment_size_mb=1))
    assert prepare_message(params(attachments=[str(big)], max_attachment_size_mb=0)).size > 1024 * 1024


def test_directory_is_not_an_attachment(tmp_path):
    with pytest.raises(InputError, match="not a regular file"):
        prepare_message(params(attachments=[str(tmp_path)]))


def test_smtputf8_policy_only_when_an_address_needs_it():
    assert not prepare_message(params()).smtputf8
    msg = prepare_message(params(to=["jörg@example.de"]))
    assert msg.smtputf8 and "jörg@example.de".encode() in msg.data


def test_date_is_given_time():
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert parsed(prepare_message(params(), now=when))["Date"] == "Fri, 02 Jan 2026 03:04:05 +0000"


def test_save_writes_exact_bytes_owner_only(tmp_path):
    msg = prepare_message(params())
    path = tmp_path / "m.eml"
    msg.save(str(path))
    assert path.read_bytes() == msg.data
    assert os.stat(str(path)).st_mode & 0o077 == 0
