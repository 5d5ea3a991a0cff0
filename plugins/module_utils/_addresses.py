# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: reading recipient and sender addresses. Do not use this from other collections.

Flint callers pass one comma-separated string ("a@x, b@y"); Ansible users pass lists.
Ansible's own list conversion splits a string on every comma, which also cuts quoted
display names such as '"Doe, John" <j@x>' in two, so we join whatever arrives and split
again ourselves, honouring quotes and angle brackets.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from ._errors import InputError

__all__ = ["Mailbox", "parse_mailbox", "parse_mailboxes", "envelope_recipients"]

# RFC 5321 limits; a longer path is refused by every real server anyway.
_MAX_LOCAL = 64
_MAX_PATH = 254
_LOCAL_RE = re.compile(r'^(?:[^\s@<>()\[\],;:\\"]+|"(?:[^"\\\r\n]|\\.)+")$')
_BARE = re.compile(r"^<?([^\s<>\"(),;:]+@[^\s<>\"(),;]+)>?$")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_DOMAIN_RE = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|(?:[^\s@<>()\[\],;:\\\".]+\.)*[^\s@<>()\[\],;:\\\".]+)$")


class Mailbox(object):
    """One address: what goes in the header (``display``) and in the envelope (``addr``)."""

    __slots__ = ("name", "local", "domain")

    def __init__(self, name, local, domain):
        self.name = name
        self.local = local
        self.domain = domain

    @property
    def addr(self):
        return "%s@%s" % (self.local, self.domain)

    @property
    def needs_smtputf8(self):
        # A non-ASCII domain could be IDNA-encoded, but a non-ASCII local part cannot:
        # both go out as UTF-8 under SMTPUTF8 (RFC 6531), so treat them alike.
        return not self.addr.isascii()

    def __repr__(self):
        return "Mailbox(%r, %r)" % (self.name, self.addr)


def _split(text):
    """Split on commas and semicolons that are outside quotes, angle brackets and comments."""
    parts, current, quote, angle, paren, escape = [], [], False, 0, 0, False
    for char in text:
        if escape:
            escape = False
        elif char == "\\":
            escape = True
        elif char == '"' and not angle:
            quote = not quote
        elif not quote:
            if char == "<":
                angle += 1
            elif char == ">" and angle:
                angle -= 1
            elif char == "(":
                paren += 1
            elif char == ")" and paren:
                paren -= 1
            elif char in ",;" and not angle and not paren:
                parts.append("".join(current))
                current = []
                continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def parse_mailbox(text, field):
    """Parse one address; raise InputError naming the field and the text on anything odd."""
    if "\r" in text or "\n" in text:
        raise InputError("%s: address %r contains a line break" % (field, text))
    unquoted = _QUOTED.sub("", text)
    if unquoted.count("<") != unquoted.count(">"):
        raise InputError("%s: %r has unbalanced angle brackets" % (field, text))
    bare = _BARE.match(text)
    # parseaddr's strictness differs across Python releases (3.13 refuses domain literals),
    # so a bare address is taken as it is and checked below by our own rules.
    name, addr = ("", bare.group(1)) if bare else parseaddr(text)
    if not addr or addr.count("@") != 1 and not addr.startswith('"'):
        raise InputError(
            "%s: %r is not an e-mail address (expected local@domain or 'Name <local@domain>')" % (field, text)
        )
    local, _sep, domain = addr.rpartition("@")
    if not local or not domain or not _LOCAL_RE.match(local) or not _DOMAIN_RE.match(domain):
        raise InputError("%s: %r is not a valid e-mail address" % (field, text))
    if len(local) > _MAX_LOCAL or len(addr) > _MAX_PATH:
        raise InputError("%s: %r is longer than SMTP allows (RFC 5321 section 4.5.3.1)" % (field, text))
    return Mailbox(name.strip(), local, domain)


def parse_mailboxes(value, field):
    """Parse a list of strings or one comma-separated string into Mailboxes.

    The list items are joined before splitting, see the module docstring for why.
    """
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        value = ",".join(str(item) for item in value)
    return [parse_mailbox(part, field) for part in _split(value)]


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
