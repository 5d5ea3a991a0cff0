# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: a strict reader of RFC 5322 mailboxes. Do not use this from other collections.

email.utils.parseaddr() and getaddresses() changed their answers between Python 3.8 and
3.13 (an unclosed comment, a second '@', domain literals): the same task could send to bob
alone on one target and fail on another. This reader is ours and uses no Unicode tables, so
it gives the same answer on every Python.

What it takes (RFC 5322 3.4 with RFC 6532's UTF-8):
  mailbox   = name-addr / addr-spec            name-addr = [display-name] "<" addr-spec ">"
  addr-spec = (dot-atom / quoted-string) "@" (dot-atom / domain-literal)
with comments and white space (CFWS) wherever the RFC allows them; comments are read and
dropped (they name no one). Refused: every obs- form (a dot in an unquoted display name,
routes, quoted pairs of control characters), groups, line breaks and control characters.
"""

from __future__ import annotations

from ._errors import shown

__all__ = ["AddressSyntaxError", "parse_address_list", "parse_one_mailbox", "is_dot_atom_text", "bad_char"]

_ATEXT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")


def bad_char(char):
    """Control characters (Cc), line/paragraph separators (Zl, Zp) and lone surrogates.

    Spelled out as code point ranges rather than unicodedata categories, whose tables grow
    with each Python release, so the answer never depends on the interpreter.
    """
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return True
    return code in (0x2028, 0x2029) or 0xD800 <= code <= 0xDFFF


def _atext(char):
    return char in _ATEXT or (ord(char) > 0x7F and not bad_char(char))


def is_dot_atom_text(text):
    return bool(text) and all(part and all(_atext(c) for c in part) for part in text.split("."))


class AddressSyntaxError(ValueError):
    """``str()`` says what is wrong and where (a 0-based character position)."""


class _Reader(object):

    def __init__(self, text):
        self.text = text
        self.pos = 0
        for index, char in enumerate(text):
            if bad_char(char) and char != "\t":
                what = "a line break" if char in "\r\n" else "the control character U+%04X" % ord(char)
                raise AddressSyntaxError("%s at position %d" % (what, index))

    def fail(self, why, pos=None):
        raise AddressSyntaxError("%s at position %d" % (why, self.pos if pos is None else pos))

    def peek(self):
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def at_end(self):
        return self.pos >= len(self.text)

    def cfws(self):
        """Skip white space and comments; True if there was any."""
        start = self.pos
        while True:
            char = self.peek()
            if char in (" ", "\t"):
                self.pos += 1
            elif char == "(":
                self.comment()
            else:
                return self.pos > start

    def comment(self):
        opened, depth = self.pos, 0
        while True:
            char = self.peek()
            if not char:
                self.fail("unclosed comment (the '(')", opened)
            self.pos += 1
            if char == "\\":
                self.quoted_pair()
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    return

    def quoted_pair(self):
        char = self.peek()
        if not char:
            self.fail("a backslash at the end")
        self.pos += 1
        return char

    def quoted_string(self):
        opened = self.pos
        self.pos += 1
        out = []
        while True:
            char = self.peek()
            if not char:
                self.fail("unclosed quote (the '\"')", opened)
            self.pos += 1
            if char == '"':
                return "".join(out)
            out.append(self.quoted_pair() if char == "\\" else char)

    def dot_atom_text(self):
        start = self.pos
        while self.peek() and (_atext(self.peek()) or self.peek() == "."):
            self.pos += 1
        return self.text[start:self.pos]

    def words(self):
        """display-name or local-part candidates: [(quoted, value, space_before)]."""
        found = []
        spaced = self.cfws()
        while True:
            char = self.peek()
            if char == '"':
                found.append((True, self.quoted_string(), spaced))
            elif char and (_atext(char) or char == "."):
                found.append((False, self.dot_atom_text(), spaced))
            else:
                return found
            spaced = self.cfws()

    def local_part(self, quoted, value, pos):
        if not quoted and not is_dot_atom_text(value):
            self.fail("dots must separate non-empty parts of the local part %s (or quote it)" % shown(value), pos)
        return value

    def domain(self):
        self.cfws()
        start = self.pos
        if self.peek() == "[":
            end = self.text.find("]", self.pos)
            if end < 0:
                self.fail("unclosed domain literal (the '[')")
            literal = self.text[self.pos:end + 1]
            if any(c in literal[1:-1] for c in " \t[\\"):
                self.fail("white space, '[' or '\\' inside a domain literal")
            self.pos = end + 1
            domain = literal
        else:
            domain = self.dot_atom_text()
            if not domain:
                self.fail("the domain after '@' is missing")
            if not is_dot_atom_text(domain):
                self.fail("dots must separate non-empty labels of the domain %s" % shown(domain), start)
        self.cfws()
        return domain

    def addr_spec(self):
        self.cfws()
        pos = self.pos
        if self.peek() == '"':
            quoted, local = True, self.quoted_string()
        else:
            quoted, local = False, self.dot_atom_text()
            if not local:
                self.fail("the local part before '@' is missing")
        self.local_part(quoted, local, pos)
        self.cfws()
        if self.peek() != "@":
            self.fail("'@' expected")
        self.pos += 1
        return local, self.domain()

    def mailbox(self):
        """(display name, local part, domain) of the mailbox at pos; leaves pos after its CFWS."""
        start = self.pos
        words = self.words()
        char = self.peek()
        if char == "@":
            if not words:
                self.fail("the local part before '@' is missing")
            if len(words) > 1:
                self.fail("white space in a local part needs quotes, as in \"a b\"@example.com", start)
            self.pos += 1
            return "", self.local_part(words[0][0], words[0][1], start), self.domain()
        if char == "<":
            name = []
            for quoted, value, spaced in words:
                if not quoted and "." in value:
                    self.fail("a display name with a dot must be quoted, as in \"J. Doe\" <j@example.com>", start)
                name.append((" " if spaced and name else "") + value)
            self.pos += 1
            local, domain = self.addr_spec()
            if self.peek() != ">":
                self.fail("'>' expected")
            self.pos += 1
            self.cfws()
            return "".join(name), local, domain
        if char == ":":
            self.fail("groups ('name: a@x, b@y;') are not supported; list the addresses")
        if not words:
            self.fail("an address was expected" if not char else "unexpected %r" % char)
        self.fail("%s is not an e-mail address (no '@')" % shown(self.text[start:self.pos].strip()), start)
        return None  # not reached


def parse_address_list(text):
    """Every mailbox of a comma-separated list; empty items (``a@x,,b@y``, ``""``) are skipped."""
    reader = _Reader(text)
    found = []
    while True:
        reader.cfws()
        if reader.at_end():
            return found
        if reader.peek() == ",":
            reader.pos += 1
            continue
        found.append(reader.mailbox())
        if reader.at_end():
            return found
        if reader.peek() == ";":
            reader.fail("';' does not separate addresses; use ','")
        if reader.peek() != ",":
            reader.fail("',' expected between addresses, found %r" % reader.peek())
        reader.pos += 1


def parse_one_mailbox(text):
    """Exactly one mailbox (a list item, the sender)."""
    reader = _Reader(text)
    reader.cfws()
    box = reader.mailbox()
    if reader.peek() == ",":
        reader.fail("more than one address (a list item or 'from' is exactly one; give each recipient "
                    "its own list item)")
    if not reader.at_end():
        reader.fail("unexpected %r after the address" % reader.peek())
    return box
