# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the MIME structure of the message, the smallest that is correct.

  text only                      text/plain
  HTML (+ its text version)      multipart/alternative (text/plain, text/html)
  HTML with inline images        ... text/html becomes multipart/related (text/html, image/...)
  any attachment                 multipart/mixed (the above, attachments...)

Built with the ``email`` package's EmailMessage API. File parts (attachments, inline
images) get a placeholder payload that _stream.py replaces with the file's base64 while
writing; ``materialize=True`` puts the real bytes in instead, which is what the tests
compare against. Do not use this from other collections.
"""

from __future__ import annotations

import re

from ._attachments import Attachment, check_attachments
from ._errors import InputError, shown
from ._headers import check_filename
from ._stream import FileBody

__all__ = ["InlineImage", "build_body", "check_inline_images", "structure"]

_CID = re.compile(r"^[!-;=?-~]+$")  # printable ASCII without "<", ">" and spaces
_SURROGATE = re.compile("[\ud800-\udfff]")
_BODY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MIME_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")


class InlineImage(object):
    """A checked inline image: the file (an Attachment) and its Content-ID."""

    __slots__ = ("file", "cid")

    def __init__(self, attachment, cid):
        self.file = attachment
        self.cid = cid

    def summary(self):
        result = self.file.summary()
        result["cid"] = self.cid
        return result


def _content_type(value, option):
    value = str(value).strip()
    if not _MIME_TYPE.match(value):
        raise InputError("%s: %s is not a MIME type such as image/png" % (option, shown(value)))
    return value.lower().split("/", 1)


def check_inline_images(items, html, max_size_mb):
    """Validate ``inline_images`` against the cid: references of ``html`` (None: not HTML)."""
    items = items or []
    if not items and html is None:
        return []
    if html is None:
        referenced = set()
    else:
        # html.parser only for HTML bodies: a plain mail's module run does not compile it
        from ._html_text import cid_references  # pylint: disable=import-outside-toplevel

        referenced = cid_references(html)
    if items and html is None:
        raise InputError("inline_images: images can only be shown in an HTML body; set content_type: text/html")
    images, seen = [], {}
    for index, item in enumerate(items):
        option = "inline_images[%d]" % index
        if not isinstance(item, dict) or not item.get("path") or not item.get("cid"):
            raise InputError("%s: needs path and cid" % option)
        cid = str(item["cid"]).strip()
        if cid.startswith("<") and cid.endswith(">"):
            cid = cid[1:-1]
        if cid[:4].lower() == "cid:":
            cid = cid[4:]
        if not _CID.match(cid):
            raise InputError("%s.cid: %s must be printable ASCII without spaces or angle brackets"
                             % (option, shown(cid)))
        if cid in seen:
            raise InputError("%s.cid: %s is already used by inline_images[%d]" % (option, cid, seen[cid]))
        seen[cid] = index
        path = item["path"] if isinstance(item["path"], Attachment) else str(item["path"])
        (attachment,) = check_attachments([path], max_size_mb)
        ctype = item.get("content_type")
        if ctype:
            attachment.maintype, attachment.subtype = _content_type(ctype, option + ".content_type")
        images.append(InlineImage(attachment, cid))
    missing = sorted(referenced - set(seen))
    if missing:
        raise InputError("body refers to cid:%s, but no inline image has that cid; add it to inline_images "
                         "or fix the reference" % ", cid:".join(missing))
    unused = sorted(set(seen) - referenced)
    if unused:
        raise InputError("inline_images: %s never referenced in the HTML body (as src=\"cid:...\"); an unused "
                         "image would show up as a stray attachment" % ", ".join(unused))
    return images


def _texts(opts):
    """(plain text or None, HTML or None) from body, content_type, body_text, derive_body_text."""
    body = opts.body or ""
    body_text = opts.body_text
    if opts.content_type != "text/html":
        if body_text not in (None, ""):
            raise InputError("body_text is the text version of an HTML body; with content_type: text/plain "
                             "put the text in body")
        return body, None
    if body_text in (None, "") and opts.derive_body_text:
        from ._html_text import html_to_text  # pylint: disable=import-outside-toplevel

        body_text = html_to_text(body)
    return body_text or None, body


def _text_cte(text, option):
    """Control characters other than tab and line breaks are not allowed raw in a 7-bit body:
    quoted-printable then (the email package picks 7bit, QP or base64 otherwise)."""
    surrogate = _SURROGATE.search(text)
    if surrogate:
        raise InputError("%s: a lone surrogate at position %d is not valid Unicode; fix the text's encoding"
                         % (option, surrogate.start()))
    return "quoted-printable" if _BODY_CONTROL.search(text) else None


def _file_part(container, adder, item, filename, materialize, bodies, **kw):
    data = item.read() if materialize else b""
    check_filename(filename, item.path)
    getattr(container, adder)(data, maintype=item.maintype, subtype=item.subtype, filename=filename, **kw)
    if not materialize:
        body = FileBody(item.path, item.size, item.handle)
        container.get_payload()[-1].set_payload(body.token + "\n")
        bodies.append(body)


def build_body(msg, opts, attachments, images, materialize=False):
    """Give ``msg`` (headers set, no body) its body parts from MessageOptions ``opts``.

    Returns the FileBody placeholders.
    """
    text, html = _texts(opts)
    bodies = []
    if html is None:
        msg.set_content(text, subtype="plain", cte=_text_cte(text, "body"))
    else:
        if text is not None:
            msg.set_content(text, subtype="plain", cte=_text_cte(text, "body_text"))
            msg.add_alternative(html, subtype="html", cte=_text_cte(html, "body"))
            html_part = msg.get_payload()[-1]
        else:
            msg.set_content(html, subtype="html", cte=_text_cte(html, "body"))
            html_part = msg
        for image in images:
            _file_part(html_part, "add_related", image.file, image.file.filename, materialize, bodies,
                       cid="<%s>" % image.cid, disposition="inline")
    for item in attachments:
        _file_part(msg, "add_attachment", item, item.filename, materialize, bodies)
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # EmailMessage puts it on every part; only the top needs it
    return bodies


def structure(msg):
    """A one-line picture of the MIME tree, e.g. multipart/mixed(text/plain, application/pdf)."""
    if msg.is_multipart():
        return "%s(%s)" % (msg.get_content_type(), ", ".join(structure(p) for p in msg.get_payload()))
    return msg.get_content_type()
