# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: reading recipient and sender addresses. Do not use this from other collections.

Flint callers pass one comma-separated string ("a@x, b@y"); Ansible users pass lists. The
options are ``type: raw`` so that Ansible's list conversion never cuts a quoted display name
such as '"Doe, John" <j@x>' at its comma: a string is an address list, and every list item
is exactly one mailbox. Anything that does not read cleanly (see _rfc5322) is an error that
names the field and the item, raised before any connection is opened.
"""

from __future__ import annotations

from ._domains import DomainError, address_literal, ascii_domain
from ._errors import InputError, shown
from ._rfc5322 import AddressSyntaxError, is_dot_atom_text, parse_address_list, parse_one_mailbox

__all__ = ["Mailbox", "parse_mailbox", "parse_mailboxes", "envelope_recipients"]

# RFC 5321 4.5.3.1: a longer path is refused by every real server anyway.
_MAX_LOCAL = 64
_MAX_PATH = 254


def _smtp_local(local):
    """The local part as RFC 5321 writes it: bare if it is a dot-atom, else quoted."""
    if is_dot_atom_text(local):
        return local
    return '"%s"' % local.replace("\\", "\\\\").replace('"', '\\"')


class Mailbox(object):
    """One address. ``addr`` is the same text in the envelope and in the header."""

    __slots__ = ("name", "local", "domain")

    def __init__(self, name, local, domain):
        self.name = name      # display name, as read (quotes and escapes removed)
        self.local = local    # local part, as read
        self.domain = domain  # RFC 5321 form: A-labels, or an address literal

    @property
    def addr(self):
        return "%s@%s" % (_smtp_local(self.local), self.domain)

    @property
    def needs_smtputf8(self):
        # Domains always go out as A-labels; only a non-ASCII local part needs SMTPUTF8.
        return not self.local.isascii()

    def __repr__(self):
        return "Mailbox(%r, %r)" % (self.name, self.addr)


def _mailbox(parsed, what):
    name, local, domain = parsed
    if not local:
        raise InputError("%s: the local part (before '@') is empty" % what)
    if "\t" in local:
        raise InputError("%s: a tab in the local part cannot be sent over SMTP" % what)
    try:
        domain = address_literal(domain) if domain.startswith("[") else ascii_domain(domain)
    except DomainError as exc:
        raise InputError("%s: the domain is not usable for SMTP: %s" % (what, exc))
    box = Mailbox(name, local, domain)
    if len(_smtp_local(local).encode("utf-8")) > _MAX_LOCAL or len(box.addr.encode("utf-8")) > _MAX_PATH:
        raise InputError("%s: longer than SMTP allows (64 octets before '@', 254 in all; RFC 5321 section "
                         "4.5.3.1)" % what)
    return box


def parse_mailbox(text, field):
    """Exactly one address; raise InputError naming the field and the text on anything odd."""
    what = "%s: %s" % (field, shown(text))
    try:
        parsed = parse_one_mailbox(text)
    except AddressSyntaxError as exc:
        raise InputError("%s is not a valid address: %s" % (what, exc))
    return _mailbox(parsed, what)


def parse_mailboxes(value, field):
    """A string is a comma-separated address list; a list holds one address per item.

    Empty strings and empty list items are "none here" (Flint sends "" for no cc).
    """
    if value is None:
        return []
    if isinstance(value, str):
        what = "%s: %s" % (field, shown(value))
        try:
            parsed = parse_address_list(value)
        except AddressSyntaxError as exc:
            raise InputError("%s is not a valid address list: %s" % (what, exc))
        return [_mailbox(item, what) for item in parsed]
    if isinstance(value, (list, tuple)):
        boxes = []
        for index, item in enumerate(value):
            where = "%s[%d]" % (field, index)
            if item is None or isinstance(item, str) and not item.strip():
                continue
            if not isinstance(item, str):
                raise InputError("%s: expected an address string, got %s %s"
                                 % (where, type(item).__name__, shown(item)))
            boxes.append(parse_mailbox(item, where))
        return boxes
    raise InputError("%s: expected an address, a comma-separated string of addresses or a list, got %s"
                     % (field, type(value).__name__))


def envelope_recipients(*groups):
    """RCPT TO order: to, cc, bcc; each address once, compared case-insensitively."""
    seen, result = set(), []
    for group in groups:
        for mailbox in group:
            key = mailbox.addr.lower()
            if key not in seen:
                seen.add(key)
                result.append(mailbox.addr)
    return result
