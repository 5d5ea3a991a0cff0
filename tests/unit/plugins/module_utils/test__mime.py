# -*- coding: utf-8 -*-
"""The MIME structure: smallest correct tree, text version of HTML, inline images and their cids."""
from __future__ import annotations

import email
import email.policy
import re

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError
from ansible_collections.flint.smtp.plugins.module_utils._html_text import cid_references, html_to_text
from ansible_collections.flint.smtp.plugins.module_utils._message import prepare_message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def params(**overrides):
    base = {"from": "ops@example.com", "to": ["a@example.com"], "subject": "s", "body": "text\n",
            "content_type": "text/plain", "max_attachment_size_mb": 10}
    base.update(overrides)
    return base


def parsed(msg):
    return email.message_from_bytes(msg.data, policy=email.policy.default)


@pytest.fixture
def files(tmp_path):
    logo, chart, pdf = tmp_path / "logo.png", tmp_path / "chart.gif", tmp_path / "r.pdf"
    logo.write_bytes(PNG)
    chart.write_bytes(b"GIF89a" + b"\x01" * 10)
    pdf.write_bytes(b"%PDF-1.4\n")
    return {"logo": str(logo), "chart": str(chart), "pdf": str(pdf)}


HTML = '<p>Hi</p><img src="cid:logo"><div style="background: url(\'cid:chart\')">x</div>'


@pytest.mark.parametrize("case, expected", [
    ({}, "text/plain"),
    ({"content_type": "text/html", "body": "<p>x</p>", "derive_body_text": False}, "text/html"),
    ({"content_type": "text/html", "body": "<p>x</p>"}, "multipart/alternative(text/plain, text/html)"),
    ({"content_type": "text/html", "body": HTML, "derive_body_text": False, "images": True},
     "multipart/related(text/html, image/png, image/gif)"),
    ({"content_type": "text/html", "body": HTML, "images": True},
     "multipart/alternative(text/plain, multipart/related(text/html, image/png, image/gif))"),
    ({"attach": True}, "multipart/mixed(text/plain, application/pdf)"),
    ({"content_type": "text/html", "body": HTML, "images": True, "attach": True},
     "multipart/mixed(multipart/alternative(text/plain, multipart/related(text/html, image/png, image/gif)), "
     "application/pdf)"),
])
def test_smallest_correct_structure(files, case, expected):
    case = dict(case)
    if case.pop("images", False):
        case["inline_images"] = [{"path": files["logo"], "cid": "logo"}, {"path": files["chart"], "cid": "chart"}]
    if case.pop("attach", False):
        case["attachments"] = [files["pdf"]]
    msg = prepare_message(params(**case))
    mail = parsed(msg)

    def tree(part):
        if part.is_multipart():
            return "%s(%s)" % (part.get_content_type(), ", ".join(tree(p) for p in part.iter_parts()))
        return part.get_content_type()

    assert tree(mail) == expected == msg.structure == msg.summary()["mime_structure"]
    assert [part for part in mail.walk() if part.get("MIME-Version")] == [mail]


def test_inline_images_are_related_with_content_ids(files):
    msg = prepare_message(params(content_type="text/html", body=HTML, inline_images=[
        {"path": files["logo"], "cid": "<logo>"}, {"path": files["chart"], "cid": "chart", "content_type": "Image/Webp"}]))
    mail = parsed(msg)
    related = next(p for p in mail.walk() if p.get_content_type() == "multipart/related")
    html, logo, chart = list(related.iter_parts())
    assert html.get_content_type() == "text/html"
    assert logo["Content-ID"] == "<logo>" and logo.get_content_disposition() == "inline"
    assert logo.get_filename() == "logo.png" and logo.get_content() == PNG
    assert chart.get_content_type() == "image/webp"
    assert [i["cid"] for i in msg.summary()["inline_images"]] == ["logo", "chart"]


@pytest.mark.parametrize("body, images, error", [
    ('<img src="cid:logo">', [], "refers to cid:logo"),
    ('<img src="cid:logo"><img src="CID:other">', ["logo"], "refers to cid:other"),
    ("<p>no image</p>", ["logo"], "logo never referenced"),
    ('<img src="cid:logo">', ["logo", "logo"], "already used"),
    ('<img src="cid:a b">', ["a b"], "printable ASCII"),
    ('<img src="cid:x">', ["x\r\nBcc: evil@example.com"], "printable ASCII"),
])
def test_cid_mismatches_are_input_errors(files, body, images, error):
    items = [{"path": files["logo"], "cid": cid} for cid in images]
    with pytest.raises(InputError, match=error):
        prepare_message(params(content_type="text/html", body=body, inline_images=items))


def test_inline_images_need_html(files):
    with pytest.raises(InputError, match="HTML body"):
        prepare_message(params(inline_images=[{"path": files["logo"], "cid": "logo"}]))


def test_inline_image_file_is_checked_like_an_attachment(tmp_path):
    with pytest.raises(InputError, match="cannot be read"):
        prepare_message(params(content_type="text/html", body='<img src="cid:x">',
                               inline_images=[{"path": str(tmp_path / "nope.png"), "cid": "x"}]))


def test_bad_inline_content_type(files):
    with pytest.raises(InputError, match="not a MIME type"):
        prepare_message(params(content_type="text/html", body='<img src="cid:x">',
                               inline_images=[{"path": files["logo"], "cid": "x", "content_type": "png"}]))


def test_body_text_given_wins_and_needs_html():
    mail = parsed(prepare_message(params(content_type="text/html", body="<p>html</p>", body_text="mine\n")))
    assert mail.get_body(("plain",)).get_content() == "mine\r\n"
    with pytest.raises(InputError, match="body_text"):
        prepare_message(params(body_text="text"))


def test_empty_html_text_means_no_alternative():
    mail = parsed(prepare_message(params(content_type="text/html", body="<img src='https://x.example/a.png'>")))
    assert mail.get_content_type() == "text/html"


def test_html_to_text_is_readable():
    html = ("<html><head><title>t</title><style>p {}</style><script>x()</script></head><body>"
            "<h1>All   green</h1><p>Hello <b>team</b>,<br>see <a href='https://r.example/1'>the report</a> "
            "or <a href='mailto:ops@example.com'>ops@example.com</a>.</p><ul><li>one</li><li>two &amp; three</li>"
            "</ul><pre>  a\n    b</pre><img alt='Logo' src='cid:logo'></body></html>")
    assert html_to_text(html) == ("All green\n\nHello team,\nsee the report <https://r.example/1> or "
                                  "ops@example.com.\n\n- one\n- two & three\n\n  a\n    b\n\n[Logo]\n")


def test_cid_references_only_in_urls():
    html = ('<img SRC="cid:a%40b"><td background="cid:c"></td><p>cid:not-a-reference</p>'
            '<style>x { background: url( "cid:d" ) }</style><div style="background:url(cid:e)"></div>')
    assert cid_references(html) == {"a@b", "c", "d", "e"}


def test_utf8_file_names_use_rfc2231_and_round_trip(tmp_path):
    name = u"Grüße – Bericht ✓ (Ä) 日本.txt"
    path = tmp_path / name
    path.write_bytes(b"x")
    msg = prepare_message(params(attachments=[str(path)]))
    assert re.search(br"filename\*(0\*)?=utf-8''", msg.data)  # RFC 2231, continued when long
    (part,) = parsed(msg).iter_attachments()
    assert part.get_filename() == name
