# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: removing secrets, and every identifying piece of one, from what we show.

Ansible's no_log only replaces a secret that appears whole. A Python error can show a
piece of one (``character '\\xe4' in position 7``), its escaped form, or its base64 as
AUTH PLAIN/LOGIN sent it. Every text we return passes through ``Scrubber.scrub``.
Do not use this from other collections.
"""

from __future__ import annotations

import ast
import base64
import json
import re

__all__ = ["Scrubber", "MIN_FRAGMENT", "MASK"]

# A run of this many characters of a secret (in any of its forms) is masked wherever it
# appears. Shorter runs are too common to identify anything ("pass", "2024").
MIN_FRAGMENT = 5
MASK = "********"

# Python's codec errors quote one character (or byte) of the text and its position:
# "can't encode character '\xe4' in position 7". Of a secret, that is a piece and where it sits.
_CODEC_ERROR = re.compile(r"(can't (?:en|de)code (?:character|byte)s? )('(?:[^'\\]|\\.){1,12}'|0x[0-9a-fA-F]{2})"
                          r"( in position )(\d+(?:-\d+)?)")


def _forms(secret, usernames):
    """The spellings in which ``secret`` (a str) can reach a text."""
    raw = secret.encode("utf-8", "surrogatepass")
    forms = {
        secret,
        secret.encode("unicode_escape").decode("ascii"),  # '\xe4'
        ascii(secret)[1:-1],
        repr(raw)[2:-1],  # b'\xc3\xa4'
        json.dumps(secret)[1:-1],  # \u00e4
        base64.b64encode(raw).decode("ascii"),
    }
    try:
        forms.add(base64.b64encode(secret.encode("latin-1")).decode("ascii"))
    except UnicodeEncodeError:
        pass
    for user in usernames:
        # AUTH PLAIN's initial response: base64 of "\0user\0password".
        forms.add(base64.b64encode(b"\0" + user.encode("utf-8", "surrogatepass") + b"\0" + raw).decode("ascii"))
    return forms


class Scrubber(object):
    """Masks whole secrets of any length and any run of MIN_FRAGMENT or more of their characters."""

    def __init__(self, secrets, usernames=()):
        self._whole = set()
        self._windows = set()
        self._chars = set()
        names = [str(name) for name in usernames if name]
        for secret in secrets:
            if secret is None or secret == "":
                continue
            self._chars.update(str(secret))
            self._chars.update(str(secret).encode("utf-8", "surrogatepass"))
            for form in _forms(str(secret), names):
                self._whole.add(form)
                for start in range(0, len(form) - MIN_FRAGMENT + 1):
                    self._windows.add(form[start:start + MIN_FRAGMENT])
        # Longest first, so that a secret containing another is masked whole.
        self._whole = sorted(self._whole, key=len, reverse=True)

    def __bool__(self):
        return bool(self._whole)

    def text(self, value):
        """``value`` with every secret and every window of one masked."""
        if not self._whole or not value:
            return value
        value = _CODEC_ERROR.sub(self._codec_error, value)
        covered = bytearray(len(value))
        for form in self._whole:
            start = value.find(form)
            while start != -1:
                covered[start:start + len(form)] = b"\1" * len(form)
                start = value.find(form, start + 1)
        for start in range(0, len(value) - MIN_FRAGMENT + 1):
            if value[start:start + MIN_FRAGMENT] in self._windows:
                covered[start:start + MIN_FRAGMENT] = b"\1" * MIN_FRAGMENT
        if not any(covered):
            return value
        out, index = [], 0
        while index < len(value):
            if covered[index]:
                while index < len(value) and covered[index]:
                    index += 1
                out.append(MASK)
            else:
                out.append(value[index])
                index += 1
        return "".join(out)

    def _codec_error(self, match):
        quoted = match.group(2)
        try:
            piece = int(quoted, 16) if quoted.startswith("0x") else ast.literal_eval(quoted)
        except (ValueError, SyntaxError):
            piece = None
        if piece is not None and piece not in self._chars:
            return match.group(0)
        return "%s%s%s%s" % (match.group(1), MASK, match.group(3), MASK)

    def scrub(self, data):
        """A copy of ``data`` (results: dicts, lists, strings) with every string scrubbed, keys too."""
        if not self._whole:
            return data
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, bytes):
            return self.text(data.decode("utf-8", "replace"))
        if isinstance(data, dict):
            return dict((self.scrub(key), self.scrub(value)) for key, value in data.items())
        if isinstance(data, (list, tuple, set, frozenset)):
            return [self.scrub(item) for item in data]
        return data
