# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: building the message and its envelope. Do not use this from other collections.

Everything here happens before a connection is opened: a message that cannot be built
fails the task without touching the server, so nothing is ever half-sent. The header fields
we write are _headers.py's (and _extra_headers.py's for the optional ones), the body's MIME
structure is _mime.py's, and _stream.py turns the result into bytes that are written (to the
server or a file) without holding the attachments.
"""

from __future__ import annotations

import datetime
import email.message
import email.policy
from email.utils import format_datetime, make_msgid

from ._addresses import envelope_recipients, parse_mailbox, parse_mailboxes
from ._attachments import check_attachments, split_paths
from ._errors import InputError
from ._extra_headers import extra_headers, message_id_domain
from ._headers import address_field, clean_text, unstructured
from ._mime import build_body, check_inline_images, structure
from ._options import MessageOptions
from ._policy import with_cached_headers
from ._stream import SourceError, render

__all__ = ["PreparedMessage", "prepare_message"]

_MAX_LINE = 998  # octets, without CRLF (RFC 5322 2.1.1)
# SMTP line ends; cte_type 7bit makes set_content pick quoted-printable or base64 for non-ASCII.
_POLICY = with_cached_headers(email.policy.SMTP.clone(cte_type="7bit"))


class PreparedMessage(object):
    """The message (as streamable segments, see _stream.Rendered) and its envelope."""

    def __init__(self, sender, recipients, rendered, message_id, smtputf8, attachments, inline_images=(),
                 structure="text/plain", dsn=None):
        self.sender = sender
        self.recipients = recipients
        self.rendered = rendered
        self.message_id = message_id
        self.smtputf8 = smtputf8
        self.attachments = attachments
        self.inline_images = list(inline_images)
        self.structure = structure
        self.dsn = dsn or {}
        # base64 bodies are ASCII: only the rendered segments can hold 8-bit (SMTPUTF8 headers).
        self.ascii = all(segment.isascii() for segment in rendered.segments if isinstance(segment, bytes))

    @property
    def size(self):
        """The exact size in bytes (CRLF line ends, before dot-stuffing), as SIZE= wants it."""
        return self.rendered.size

    @property
    def data(self):
        """All the bytes at once: for tests and small previews only; sending streams."""
        return b"".join(self.rendered.chunks())

    def chunks(self):
        return self.rendered.chunks()

    def summary(self):
        """The result keys that describe the message, the same whether it was sent or not."""
        return {
            "recipients": list(self.recipients),
            "size": self.size,
            "message_id": self.message_id,
            "attachments": [item.summary() for item in self.attachments],
            "inline_images": [item.summary() for item in self.inline_images],
            "mime_structure": self.structure,
        }

    def save(self, path):
        """Write the exact bytes a server would get, readable by the owner only."""
        try:
            # only save_eml writes files: a send does not compile _files
            from ._files import write_private  # pylint: disable=import-outside-toplevel

            write_private(path, self.chunks())  # streamed: files are read while the .eml is written
        except SourceError as exc:
            raise InputError("save_eml: attachment %s" % exc)


def _check_wire(data, smtputf8):
    """The last guard before a byte leaves: valid line lengths, 7-bit unless SMTPUTF8.

    ``data`` is the rendered skeleton; the streamed base64 lines are 76 ASCII characters by construction.
    """
    for line in data.split(b"\r\n"):
        if len(line) > _MAX_LINE:
            raise InputError("the message has a line of %d octets, over SMTP's 998; this is a bug in "
                             "flint.smtp, please report it" % len(line))
    if not smtputf8 and not data.isascii():
        raise InputError("the message is not 7-bit clean; this is a bug in flint.smtp, please report it")


def prepare_message(opts, now=None, materialize=False):
    """Validate the addresses and attachments in ``opts`` and render the message.

    ``opts`` is a MessageOptions (a params dict is converted, for tests and other callers).
    Raises InputError. ``materialize`` returns the whole message as bytes with the files inside,
    rendered by the email package alone (what the tests compare the streamed bytes with).
    """
    if isinstance(opts, dict):
        opts = MessageOptions(opts)
    sender = parse_mailbox(opts.sender.strip(), "from") if opts.sender else None
    if sender is None:
        raise InputError("from: a sender address is required")
    to = parse_mailboxes(opts.to, "to")
    cc = parse_mailboxes(opts.cc, "cc")
    bcc = parse_mailboxes(opts.bcc, "bcc")
    if not (to or cc or bcc):
        raise InputError("to: at least one recipient address is required")
    reply_to = parse_mailboxes(opts.reply_to, "reply_to")
    subject = clean_text(opts.subject or "", "subject")
    attachments = check_attachments(split_paths(opts.attachments), opts.max_attachment_size_mb)
    html = (opts.body or "") if opts.content_type == "text/html" else None
    images = check_inline_images(opts.inline_images, html, opts.max_attachment_size_mb)
    dsn = _dsn(opts)

    smtputf8 = any(mailbox.needs_smtputf8 for mailbox in [sender] + to + cc + bcc + reply_to)
    # make_msgid() without a domain calls socket.getfqdn(), which can stall for seconds
    # where DNS is broken; the sender's domain is what receivers expect anyway.
    message_id = make_msgid(domain=message_id_domain(opts, sender))
    # Bcc recipients are only ever in the envelope: no header names them.
    fields = [("From", address_field("From", [sender]))]
    if to:
        fields.append(("To", address_field("To", to)))
    if cc:
        fields.append(("Cc", address_field("Cc", cc)))
    if reply_to:
        fields.append(("Reply-To", address_field("Reply-To", reply_to)))
    if subject:  # no empty headers
        fields.append(("Subject", unstructured("Subject", subject)))
    fields += [("Date", "Date: %s\r\n" % format_datetime(now or datetime.datetime.now(datetime.timezone.utc))),
               ("Message-ID", "Message-ID: %s\r\n" % message_id)]
    fields, message_id = extra_headers(fields, opts, message_id)
    head = "".join(field for _name, field in fields).encode("utf-8")

    msg = email.message.EmailMessage(policy=_POLICY)
    bodies = build_body(msg, opts, attachments, images, materialize=materialize)
    if materialize:
        return head + msg.as_bytes(policy=_POLICY)
    rendered = render(msg, _POLICY, bodies, head)
    _check_wire(b"".join(s for s in rendered.segments if isinstance(s, bytes)), smtputf8)
    return PreparedMessage(sender.addr, envelope_recipients(to, cc, bcc), rendered, message_id, smtputf8,
                           attachments, images, structure(msg), dsn)


def _dsn(opts):
    """Delivery status notification requests (RFC 3461), checked before connecting."""
    notify = [str(item).strip().upper() for item in opts.dsn_notify or [] if str(item).strip()]
    if "NEVER" in notify and len(notify) > 1:
        others = ", ".join(n for n in notify if n != "NEVER")
        raise InputError("dsn_notify: NEVER cannot be combined with %s" % others)
    ret = opts.dsn_return
    result = {}
    if notify:
        result["notify"] = sorted(set(notify), key=notify.index)
    if ret:
        result["ret"] = str(ret).upper()
    return result
