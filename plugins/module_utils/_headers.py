# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the header fields we write ourselves. Do not use this from other collections.

From, To, Cc and Subject are rendered here rather than by email.headerregistry, whose
parsing and folding of the same value changed between Python 3.8 and 3.13: the same input
must give the same valid header on every target Python. The rules:
  - no control character reaches a header raw: line breaks (CR, LF, VT, FF, NEL, U+2028,
    U+2029) in a subject fold into one space, a tab is kept inside an encoded word, and any
    other control character is refused with an error that names the field;
  - text that is not plain printable ASCII goes out as RFC 2047 encoded words (UTF-8, base64),
    which keep every character exactly, so the headers are 7-bit unless an address has a
    non-ASCII local part (then SMTPUTF8, RFC 6532);
  - lines are folded at 78 characters where possible and never exceed 998 (RFC 5322 2.1.1);
  - an address is written exactly as it goes in the envelope (Mailbox.addr).
"""

from __future__ import annotations

import base64
import re

from ._errors import InputError, shown
from ._rfc5322 import bad_char

__all__ = ["clean_text", "unstructured", "address_field", "check_filename"]

_MAX_LINE = 78
_CHUNK = 36  # UTF-8 octets per encoded word: 48 base64 characters, a 60-character word
_MAX_PLAIN_WORD = 70  # a longer run without spaces could not be folded: encode it instead
_BREAKS = "\r\n\x0b\x0c\x85\u2028\u2029"
_FOLD = re.compile(r"[ \t]*[%s]+[ \t]*" % _BREAKS)
_ATEXT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")


def _refuse_controls(text, field, what, allowed="\t" + _BREAKS, hint="remove it"):
    for index, char in enumerate(text):
        if bad_char(char) and char not in allowed:
            kind = "a lone surrogate (not valid Unicode)" if 0xD800 <= ord(char) <= 0xDFFF else \
                "the control character U+%04X" % ord(char)
            raise InputError("%s: %s at position %d cannot be sent in %s; %s" % (field, kind, index, what, hint))


def clean_text(text, field):
    """A one-line header text: line breaks fold into a space, other controls are refused."""
    _refuse_controls(text, field, "a mail header")
    return _FOLD.sub(" ", text).strip(" \t")


def _printable_ascii(text):
    return all(" " <= char <= "~" for char in text)


def _encoded_words(text):
    words, chunk, size = [], [], 0
    for char in text:
        octets = len(char.encode("utf-8"))
        if chunk and size + octets > _CHUNK:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += octets
    if chunk:
        words.append("".join(chunk))
    return ["=?utf-8?b?%s?=" % base64.b64encode(word.encode("utf-8")).decode("ascii") for word in words]


def _fold(name, tokens):
    """``Name: tok1 tok2 ...`` with a line break before a token where the line would pass 78."""
    lines, line = [], name + ":"
    for token in tokens:
        if token and line != name + ":" and len(line) + 1 + len(token) > _MAX_LINE:
            lines.append(line)
            line = ""
        line += " " + token
    lines.append(line)
    return "\r\n".join(lines) + "\r\n"


def unstructured(name, text):
    """An unstructured field (Subject) from text already passed through clean_text()."""
    words = text.split(" ")
    if _printable_ascii(text) and "=?" not in text and all(len(word) <= _MAX_PLAIN_WORD for word in words):
        return _fold(name, words)
    # Encoded words separated by folding white space decode back to exactly ``text``.
    return _fold(name, _encoded_words(text))


def _name_tokens(name):
    """A display name as tokens that may be folded apart: atoms, a quoted string cut at its
    spaces (folding white space inside quotes unfolds to the same space), or encoded words."""
    if not name:
        return []
    words = name.split(" ")
    if _printable_ascii(name) and "=?" not in name and all(len(word) <= _MAX_PLAIN_WORD for word in words):
        if all(word and all(char in _ATEXT for char in word) for word in words):
            return words
        return ('"%s"' % name.replace("\\", "\\\\").replace('"', '\\"')).split(" ")
    return _encoded_words(name)


def address_field(name, mailboxes):
    """From/To/Cc: each mailbox as ``name <addr>`` (or ``addr``), the addr as in the envelope."""
    tokens = []
    for index, box in enumerate(mailboxes):
        names = _name_tokens(box.name)
        part = names + (["<%s>" % box.addr] if names else [box.addr])
        if index < len(mailboxes) - 1:
            part[-1] += ","
        tokens.extend(part)
    return _fold(name, tokens)


def check_filename(filename, path):
    """An attachment's file name goes into a header parameter: no control characters."""
    _refuse_controls(filename, "attachments", "a file name (%s)" % shown(path), allowed="", hint="rename the file")
    if not filename.strip():
        raise InputError("attachments: %s has no usable file name" % path)
