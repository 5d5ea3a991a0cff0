# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: building the message and its envelope. Do not use this from other collections.

Everything here happens before a connection is opened: a message that cannot be built
fails the task without touching the server, so nothing is ever half-sent.
"""

from __future__ import annotations

import datetime
import email.policy
import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ._addresses import envelope_recipients, parse_mailbox, parse_mailboxes
from ._attachments import check_attachments, split_paths
from ._errors import InputError
from ._files import write_private
from ._headers import address_field, check_filename, clean_text, unstructured
from ._options import MessageOptions

__all__ = ["PreparedMessage", "prepare_message"]

_MAX_LINE = 998  # octets, without CRLF (RFC 5322 2.1.1)
# SMTP line ends; cte_type 7bit makes set_content pick quoted-printable or base64 for non-ASCII.
_POLICY = email.policy.SMTP.clone(cte_type="7bit")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BODY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class PreparedMessage(object):
    """The exact bytes to send and the envelope that goes with them."""

    def __init__(self, sender, recipients, data, message_id, smtputf8, attachments):
        self.sender = sender
        self.recipients = recipients
        self.data = data
        self.message_id = message_id
        self.smtputf8 = smtputf8
        self.attachments = attachments

    @property
    def size(self):
        return len(self.data)

    def summary(self):
        """The result keys that describe the message, the same whether it was sent or not."""
        return {
            "recipients": list(self.recipients),
            "size": self.size,
            "message_id": self.message_id,
            "attachments": [item.summary() for item in self.attachments],
        }

    def save(self, path):
        """Write the exact bytes a server would get, readable by the owner only."""
        write_private(path, self.data)


def _check_wire(data, smtputf8):
    """The last guard before a byte leaves: valid line lengths, 7-bit unless SMTPUTF8."""
    for line in data.split(b"\r\n"):
        if len(line) > _MAX_LINE:
            raise InputError("the message has a line of %d octets, over SMTP's 998; this is a bug in "
                             "flint.smtp, please report it" % len(line))
    if not smtputf8 and not data.isascii():
        raise InputError("the message is not 7-bit clean; this is a bug in flint.smtp, please report it")


def _content(opts, attachments):
    """Body and attachments as MIME, 7-bit clean (quoted-printable or base64 for non-ASCII).

    Always 7-bit, whatever the server: the bytes (and so SIZE, save_eml and check mode) are
    decided before connecting, and they are valid on a server without 8BITMIME too.
    """
    msg = EmailMessage(policy=_POLICY)
    subtype = "html" if opts.content_type == "text/html" else "plain"
    body = opts.body or ""
    surrogate = _SURROGATE.search(body)
    if surrogate:
        raise InputError("body: a lone surrogate at position %d is not valid Unicode; fix the text's encoding"
                         % surrogate.start())
    # Control characters other than tab and line breaks are not allowed raw in a 7-bit body.
    controls = _BODY_CONTROL.search(body) is not None
    msg.set_content(body, subtype=subtype, cte="quoted-printable" if controls else None)
    for item in attachments:
        check_filename(item.filename, item.path)
        try:
            content = item.read()
        except OSError as exc:
            raise InputError("attachment %s cannot be read: %s" % (item.path, exc.strerror or exc))
        msg.add_attachment(content, maintype=item.maintype, subtype=item.subtype, filename=item.filename)
    return msg.as_bytes(policy=_POLICY)


def prepare_message(opts, now=None):
    """Validate the addresses and attachments in ``opts`` and render the message.

    ``opts`` is a MessageOptions (a params dict is converted, for tests and other callers).
    Raises InputError.
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
    subject = clean_text(opts.subject or "", "subject")
    attachments = check_attachments(split_paths(opts.attachments), opts.max_attachment_size_mb)

    smtputf8 = any(mailbox.needs_smtputf8 for mailbox in [sender] + to + cc + bcc)
    # make_msgid() without a domain calls socket.getfqdn(), which can stall for seconds
    # where DNS is broken; the sender's domain is what receivers expect anyway.
    message_id = make_msgid(domain=sender.domain)
    # Bcc recipients are only ever in the envelope: no header names them.
    headers = [address_field("From", [sender])]
    if to:
        headers.append(address_field("To", to))
    if cc:
        headers.append(address_field("Cc", cc))
    headers += [unstructured("Subject", subject),
                "Date: %s\r\n" % format_datetime(now or datetime.datetime.now(datetime.timezone.utc)),
                "Message-ID: %s\r\n" % message_id]
    data = "".join(headers).encode("utf-8") + _content(opts, attachments)
    _check_wire(data, smtputf8)
    return PreparedMessage(sender.addr, envelope_recipients(to, cc, bcc), data, message_id, smtputf8, attachments)
