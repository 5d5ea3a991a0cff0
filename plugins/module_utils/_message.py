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
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ._addresses import envelope_recipients, parse_mailbox, parse_mailboxes
from ._attachments import check_attachments, split_paths
from ._errors import InputError
from ._files import write_private
from ._options import MessageOptions

__all__ = ["PreparedMessage", "prepare_message"]

_LINE_BREAKS = re.compile(r"[\r\n]+\s*")


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


def _header_address(mailbox):
    return Address(display_name=mailbox.name, username=mailbox.local, domain=mailbox.domain)


def _one_line(text):
    # Subjects often come from templates or lookups with a trailing newline; a line break
    # in a header would be refused (or worse, inject headers), so fold it to a space.
    return _LINE_BREAKS.sub(" ", text).strip()


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
    attachments = check_attachments(split_paths(opts.attachments), opts.max_attachment_size_mb)

    everyone = [sender] + to + cc + bcc
    smtputf8 = any(mailbox.needs_smtputf8 for mailbox in everyone)
    policy = email.policy.SMTPUTF8 if smtputf8 else email.policy.SMTP

    msg = EmailMessage(policy=policy)
    msg["From"] = _header_address(sender)
    if to:
        msg["To"] = [_header_address(mailbox) for mailbox in to]
    if cc:
        msg["Cc"] = [_header_address(mailbox) for mailbox in cc]
    # Bcc recipients are only ever in the envelope: no header names them.
    msg["Subject"] = _one_line(opts.subject or "")
    msg["Date"] = format_datetime(now or datetime.datetime.now(datetime.timezone.utc))
    # make_msgid() without a domain calls socket.getfqdn(), which can stall for seconds
    # where DNS is broken; the sender's domain is what receivers expect anyway.
    message_id = make_msgid(domain=sender.domain)
    msg["Message-ID"] = message_id

    subtype = "html" if opts.content_type == "text/html" else "plain"
    msg.set_content(opts.body or "", subtype=subtype)
    for item in attachments:
        try:
            content = item.read()
        except OSError as exc:
            raise InputError("attachment %s cannot be read: %s" % (item.path, exc.strerror or exc))
        msg.add_attachment(content, maintype=item.maintype, subtype=item.subtype, filename=item.filename)

    data = msg.as_bytes(policy=policy)
    return PreparedMessage(sender.addr, envelope_recipients(to, cc, bcc), data, message_id, smtputf8, attachments)
