# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the optional headers: Reply-To, threading, priority, Message-ID domain, extra headers.

Every value is checked before anything is built: a header name or value that could break
the header block (CR, LF, NUL, other control characters, Unicode line separators) is an
input error, never silently cleaned. Do not use this from other collections.
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from ._addresses import parse_mailboxes
from ._domains import DomainError, ascii_domain
from ._errors import InputError, shown
from ._headers import address_field, clean_text, unstructured

__all__ = ["extra_headers", "message_id_domain", "normalize_msgid"]

# RFC 5322 2.2: a field name is printable US-ASCII except the colon.
_NAME = re.compile(r"^[!-9;-~]+$")
# C0 controls except TAB, DEL, C1 controls, and the Unicode line and paragraph separators.
_CONTROL = re.compile(u"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_MSGID = re.compile(r"^<?([^<>\s@]+@[^<>\s@]+)>?$")

# These describe the MIME structure this module builds: never taken from ``headers``.
_STRUCTURAL = frozenset(("mime-version", "content-type", "content-transfer-encoding", "content-disposition",
                         "content-id"))
# Taken from ``headers`` only with ``headers_override``; each replaces what the options make.
_PROTECTED = frozenset(("from", "to", "cc", "bcc", "date", "message-id", "sender", "subject", "reply-to",
                        "in-reply-to", "references"))
_ADDRESS_HEADERS = frozenset(("from", "to", "cc", "bcc", "sender", "reply-to"))

_PRIORITY = {
    "high": (("X-Priority", "1 (Highest)"), ("Importance", "high"), ("Priority", "urgent")),
    "low": (("X-Priority", "5 (Lowest)"), ("Importance", "low"), ("Priority", "non-urgent")),
}


def check_text(option, value):
    """Refuse control characters that could end or split a header line."""
    match = _CONTROL.search(value)
    if match:
        raise InputError("%s: control character U+%04X is not allowed in a header" % (option, ord(match.group())))
    return value


def normalize_msgid(option, value):
    """``<id@host>`` from ``id@host`` or ``<id@host>``; anything else is an input error."""
    text = check_text(option, str(value)).strip()
    match = _MSGID.match(text)
    if not match:
        raise InputError("%s: %s is not a message id (the form is <something@host>)" % (option, shown(text)))
    return "<%s>" % match.group(1)


def message_id_domain(opts, sender):
    """The right-hand side of the Message-ID: ``message_id_domain``, else the sender's domain
    (already in its RFC 5321 form: A-labels or an address literal)."""
    domain = opts.message_id_domain
    if domain in (None, ""):
        return sender.domain
    domain = check_text("message_id_domain", str(domain)).strip()
    try:
        return ascii_domain(domain)  # IDNA for a non-ASCII name, as for addresses
    except (DomainError, UnicodeError) as exc:
        raise InputError("message_id_domain: %s cannot be the domain of a Message-ID (%s); give a host name"
                         % (shown(domain), exc))


def _custom_field(name, value):
    """The header field for one ``headers`` item, written like the module's own fields."""
    lower = name.lower()
    if lower in _ADDRESS_HEADERS:
        mailboxes = parse_mailboxes(value, "headers.%s" % name)
        if not mailboxes:
            raise InputError("headers.%s: no address in %s" % (name, shown(value)))
        return address_field(name, mailboxes)
    if lower == "date":
        try:
            parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            raise InputError("headers.Date: %s is not an RFC 5322 date" % shown(value))
        return "%s: %s\r\n" % (name, " ".join(value.split()))
    if lower in ("message-id", "in-reply-to"):
        return "%s: %s\r\n" % (name, normalize_msgid("headers.%s" % name, value))
    if lower == "references":
        return _msgid_list(name, [normalize_msgid("headers.References", item) for item in value.split()])
    return unstructured(name, clean_text(value, "headers.%s" % name))


def _msgid_list(name, ids):
    return _fold_ids(name, ids)


def _check_headers(headers, override):
    """Validated (name, value) pairs of the ``headers`` option, in the order given."""
    if headers in (None, ""):
        return []
    if not isinstance(headers, dict):
        raise InputError("headers: must be a dictionary of header names and values")
    seen, result = {}, []
    for name, value in headers.items():
        name = str(name).strip()
        if not _NAME.match(name):
            raise InputError("headers: %s is not a valid header name (printable ASCII, no spaces or colons)"
                             % shown(name))
        lower = name.lower()
        if lower in seen:
            raise InputError("headers: %s and %s are the same header" % (seen[lower], name))
        seen[lower] = name
        if lower in _STRUCTURAL:
            raise InputError("headers: %s describes the MIME structure the module builds and cannot be set"
                             % name)
        if not override and (lower in _PROTECTED or lower.startswith("content-")):
            raise InputError("headers: %s is set by the module's own options; set headers_override: true to "
                             "replace it" % name)
        if value is None or isinstance(value, (dict, list, tuple)):
            if value is None:
                continue  # an unset template value: no empty header
            raise InputError("headers.%s: the value must be text, not a %s" % (name, type(value).__name__))
        value = check_text("headers.%s" % name, str(value)).strip()
        if value:
            result.append((name, value))
    return result


def _fold_ids(name, ids):
    """Message ids, folded between ids (an id is never cut)."""
    lines, line = [], name + ":"
    for item in ids:
        if line != name + ":" and len(line) + 1 + len(item) > 78:
            lines.append(line)
            line = ""
        line += " " + item
    lines.append(line)
    return "\r\n".join(lines) + "\r\n"


def extra_headers(fields, opts, message_id):
    """Add In-Reply-To, References, priority and ``headers`` to ``fields`` ((name, field) pairs).

    Returns the new fields and the Message-ID (``headers`` may replace it with headers_override).
    """
    fields = list(fields)
    in_reply_to = opts.in_reply_to
    if in_reply_to not in (None, ""):
        in_reply_to = normalize_msgid("in_reply_to", in_reply_to)
        fields.append(("In-Reply-To", "In-Reply-To: %s\r\n" % in_reply_to))
    references = [normalize_msgid("references", item) for value in (opts.references or [])
                  for item in str(value).split()]
    if not references and in_reply_to:
        # Clients thread on References first; the parent's id is the least it must hold (RFC 5322 3.6.4).
        references = [in_reply_to]
    if references:
        fields.append(("References", _fold_ids("References", references)))
    for name, value in _PRIORITY.get(opts.priority or "normal", ()):
        fields.append((name, "%s: %s\r\n" % (name, value)))

    override = bool(opts.headers_override)
    for name, value in _check_headers(opts.headers, override):
        field = _custom_field(name, value)
        present = [index for index, (have, _field) in enumerate(fields) if have.lower() == name.lower()]
        if present and not override:
            raise InputError("headers: %s is already set by the module's options (priority); set "
                             "headers_override: true to replace it" % name)
        if present:
            fields[present[0]] = (name, field)
        else:
            fields.append((name, field))
        if name.lower() == "message-id":
            message_id = field.split(":", 1)[1].strip()
    return fields, message_id
