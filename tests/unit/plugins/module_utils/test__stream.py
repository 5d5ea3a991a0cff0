# -*- coding: utf-8 -*-
"""The streamed message is byte for byte what the email package renders, up to the boundaries."""
from __future__ import annotations

import base64
import datetime
import email
import email.policy
import os
import re
import smtplib
import tracemalloc

import pytest

from ansible_collections.flint.smtp.plugins.module_utils import _message
from ansible_collections.flint.smtp.plugins.module_utils._deadline import Deadline
from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError
from ansible_collections.flint.smtp.plugins.module_utils._options import ServerOptions
from ansible_collections.flint.smtp.plugins.module_utils._stream import FileBody, base64_size, dot_stuff
from ansible_collections.flint.smtp.plugins.module_utils._transport import SmtpSession

WHEN = datetime.datetime(2026, 11, 26, 6, 30, tzinfo=datetime.timezone.utc)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3


@pytest.fixture(autouse=True)
def fixed_message_id(monkeypatch):
    # Both renderings must get the same Message-ID to be comparable.
    monkeypatch.setattr(_message, "make_msgid", lambda domain: "<fixed.id@%s>" % domain)


def params(**overrides):
    base = {"from": "Ops <ops@example.com>", "to": ["a@example.com"], "subject": "Hello", "body": "Body\n",
            "content_type": "text/plain", "max_attachment_size_mb": 10}
    base.update(overrides)
    return base


def cases(tmp_path):
    """(name, params) covering every structure, dot lines, 8-bit text and RFC 2231 file names."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    sizes = {"empty.bin": 0, "one.bin": 1, "line.bin": 57, "odd.bin": 58, "chunk.bin": 57 * 1024 + 1}
    files = []
    for name, size in sorted(sizes.items()):
        path = tmp_path / name
        path.write_bytes(os.urandom(size))
        files.append(str(path))
    uni = tmp_path / u"Grüße – Bericht ✓ (Ä).pdf"
    uni.write_bytes(b"%PDF-1.4\n" + os.urandom(3000))
    dots = ".leading dot\r\n..two dots\nFrom the start\n.\nend without newline"
    html = u'<p>Grüße</p>\n.<img src="cid:logo"> <b>bold</b>'
    return [
        ("plain", params(body=dots)),
        ("plain 8bit", params(subject=u"Störung ✓", body=u"Ärger\n.dot line\n" + u"ü" * 200)),
        ("html alone", params(content_type="text/html", body=u"<p>only</p>", derive_body_text=False)),
        ("alternative", params(content_type="text/html", body=u"<p>Hi <a href='https://x.example'>x</a></p>")),
        ("related", params(content_type="text/html", body=html, derive_body_text=False,
                           inline_images=[{"path": str(logo), "cid": "logo"}])),
        ("alternative related", params(content_type="text/html", body=html, body_text=".text first\n",
                                       inline_images=[{"path": str(logo), "cid": "logo"}])),
        ("mixed", params(body=dots, attachments=files + [str(uni)])),
        ("everything", params(content_type="text/html", body=html, attachments=[str(uni), files[0]],
                              inline_images=[{"path": str(logo), "cid": "logo", "content_type": "image/x-test"}],
                              to=[u"jörg@example.de"], reply_to=[u"Zoë <zoe@example.com>"],
                              headers={"X-Ticket": u"Ünïcode value"}, priority="high")),
    ]


def boundaries(msg):
    return [part.get_boundary() for part in msg.walk() if part.is_multipart()]


def normalized(data):
    msg = email.message_from_bytes(data, policy=email.policy.default)
    for index, boundary in enumerate(boundaries(msg)):
        data = data.replace(boundary.encode("ascii"), b"BOUNDARY-%d" % index)
    return data


def compare_parts(ours, theirs):
    ours, theirs = list(ours.walk()), list(theirs.walk())
    assert len(ours) == len(theirs)
    for mine, ref in zip(ours, theirs):
        assert [(k, v) for k, v in mine.items() if k != "Content-Type"] == \
               [(k, v) for k, v in ref.items() if k != "Content-Type"]
        assert mine.get_content_type() == ref.get_content_type()
        assert {k: v for k, v in mine.get_params() if k != "boundary"} == \
               {k: v for k, v in ref.get_params() if k != "boundary"}
        if not mine.is_multipart():
            assert mine.get_payload(decode=True) == ref.get_payload(decode=True)


def test_streamed_bytes_equal_the_email_package_up_to_boundaries(tmp_path):
    for name, case in cases(tmp_path):
        streamed = _message.prepare_message(case, now=WHEN)
        reference = _message.prepare_message(case, now=WHEN, materialize=True)
        expected = reference  # our header fields + the email package's rendering with the files inside
        data = streamed.data
        assert streamed.size == len(data), name
        assert normalized(data) == normalized(expected), name
        policy = email.policy.default
        compare_parts(email.message_from_bytes(data, policy=policy), email.message_from_bytes(expected, policy=policy))


def test_wire_bytes_are_what_smtplib_data_would_send(tmp_path):
    for name, case in cases(tmp_path):
        msg = _message.prepare_message(case, now=WHEN)
        wire = b"".join(msg.rendered.wire_chunks())
        assert wire == re.sub(br"(?m)^\.", b"..", msg.data), name
        assert wire.endswith(b"\r\n")
        assert b"\n" not in wire.replace(b"\r\n", b"") and b"\r" not in wire.replace(b"\r\n", b"")


@pytest.mark.parametrize("size", list(range(0, 200)) + [57 * 1024 - 1, 57 * 1024, 57 * 1024 + 1, 3 * 57 * 1024 + 7])
def test_base64_size_is_exact(tmp_path, size):
    path = tmp_path / "f"
    data = os.urandom(size)
    path.write_bytes(data)
    body = FileBody(str(path), size)
    encoded = b"".join(body.chunks())
    assert len(encoded) == base64_size(size) == body.encoded_size
    assert encoded == base64.encodebytes(data).replace(b"\n", b"\r\n")


def test_dot_stuffing_matches_smtplib():
    data = b".a\r\n..b\r\nc.\r\n.\r\n\r\n.x"
    assert dot_stuff(data) == smtplib._quote_periods(data)  # pylint: disable=protected-access


@pytest.mark.parametrize("change", ["grow", "shrink", "vanish"])
def test_a_file_that_changes_while_sending_aborts_before_the_final_dot(tmp_path, fake_smtp, change):
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 1000)
    msg = _message.prepare_message(params(attachments=[str(path)]), now=WHEN)
    if change == "grow":
        path.write_bytes(b"x" * 1001)
    elif change == "shrink":
        path.write_bytes(b"x" * 999)
    else:
        path.unlink()
    fake_smtp["features"] = {"8bitmime": ""}
    session = SmtpSession(ServerOptions({"target": "mail.example.com", "port": 25, "security": "none"}), None,
                          Deadline(5000))
    session.open()
    with pytest.raises(InputError, match="data.bin.*nothing was delivered") as info:
        session.send(msg)
    assert info.value.phase == "data" and info.value.exit_code == 1
    fake = fake_smtp["instances"][0]
    assert fake.calls[-1] == "close"  # the connection dropped, no QUIT
    assert b"Content-Disposition" in fake.wire and not fake.wire.endswith(b"\r\n.\r\n")


def test_the_session_streams_the_stuffed_message_and_the_final_dot(tmp_path, fake_smtp):
    path = tmp_path / "data.bin"
    path.write_bytes(os.urandom(200000))
    msg = _message.prepare_message(params(body=".dot\n", attachments=[str(path)]), now=WHEN)
    session = SmtpSession(ServerOptions({"target": "mail.example.com", "port": 25, "security": "none"}), None,
                          Deadline(5000))
    session.open()
    session.send(msg)
    session.close()
    fake = fake_smtp["instances"][0]
    assert fake.wire == smtplib._quote_periods(msg.data) + b".\r\n"  # pylint: disable=protected-access
    assert len([c for c in fake.calls if c[0] == "data"]) > 2  # in chunks, not one buffer


def test_save_streams_the_same_bytes(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(os.urandom(100000))
    msg = _message.prepare_message(params(attachments=[str(path)]), now=WHEN)
    eml = tmp_path / "out.eml"
    msg.save(str(eml))
    assert eml.read_bytes() == msg.data


def test_memory_does_not_grow_with_the_attachment(tmp_path):
    """Writing a 20 MB attachment allocates about one chunk at a time, not the file."""
    big = tmp_path / "big.bin"
    with open(str(big), "wb") as handle:
        for _i in range(20):
            handle.write(os.urandom(1024 * 1024))
    msg = _message.prepare_message(params(attachments=[str(big)], max_attachment_size_mb=0), now=WHEN)
    tracemalloc.start()
    try:
        total = sum(len(chunk) for chunk in msg.rendered.wire_chunks())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total >= msg.size  # dot-stuffing may add bytes, never remove them
    assert peak < 1024 * 1024, "peak %d bytes while streaming 20 MB" % peak


def test_a_confined_attachment_streams_exactly_the_file_that_was_checked(tmp_path):
    """open_confined() hands over an open file: the stream reads it, not whatever the path names later,
    and several messages of one task can stream the same checked file."""
    from ansible_collections.flint.smtp.plugins.module_utils._attachments import open_confined

    path = tmp_path / "report.bin"
    original = os.urandom(200000)
    path.write_bytes(original)
    checked = open_confined(str(path), [str(tmp_path)])
    swapped = tmp_path / "swap.bin"
    swapped.write_bytes(b"x" * len(original))
    os.replace(str(swapped), str(path))  # the path now names another file of the same size
    for _message_of_the_task in range(2):
        msg = _message.prepare_message(params(attachments=[checked]), now=WHEN)
        (part,) = email.message_from_bytes(msg.data, policy=email.policy.default).iter_attachments()
        assert part.get_content() == original
