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

import base64
import json
import re

__all__ = ["Scrubber", "MIN_FRAGMENT", "MIN_BASE64_FRAGMENT", "MASK"]

# A run of this many characters of a secret (in any of its forms) is masked wherever it
# appears. Shorter runs are too common to identify anything ("pass", "2024").
MIN_FRAGMENT = 5
# Runs of base64 are masked from this length: a shorter run carries under 5 bytes of the
# secret and turns up by chance in random ids.
MIN_BASE64_FRAGMENT = 8
MASK = "********"
# Values we generate (uuid4 job ids, Message-IDs) cannot hold a piece of a secret; only a
# whole secret (a job_id set to one) is masked there, so a chance match never mangles them.
_GENERATED = frozenset(["job-id", "message_id"])

# Python's codec errors quote one character (or byte) of the text and its position:
# "can't encode character '\xe4' in position 7". Of a secret, that is a piece and where it sits.
_CODEC_ERROR = re.compile(r"(can't (?:en|de)code (?:character|byte)s? )('(?:[^'\\]|\\.){1,12}'|0x[0-9a-fA-F]{2})"
                          r"( in position )(\d+(?:-\d+)?)")


def _forms(secret, usernames):
    """The spellings in which ``secret`` (a str) can reach a text: (text forms, base64 forms)."""
    raw = secret.encode("utf-8", "surrogatepass")
    texts = {
        secret,
        secret.encode("unicode_escape").decode("ascii"),  # '\xe4'
        ascii(secret)[1:-1],
        repr(raw)[2:-1],  # b'\xc3\xa4'
        json.dumps(secret)[1:-1],  # \u00e4
    }
    encoded = {base64.b64encode(raw).decode("ascii")}
    try:
        encoded.add(base64.b64encode(secret.encode("latin-1")).decode("ascii"))
    except UnicodeEncodeError:
        pass
    for user in usernames:
        # AUTH PLAIN's initial response: base64 of "\0user\0password".
        encoded.add(base64.b64encode(b"\0" + user.encode("utf-8", "surrogatepass") + b"\0" + raw).decode("ascii"))
    return texts, encoded


class Scrubber(object):
    """Masks whole secrets of any length and any run of MIN_FRAGMENT or more of their characters."""

    def __init__(self, secrets, usernames=()):
        self._whole = set()
        self._windows = {MIN_FRAGMENT: set(), MIN_BASE64_FRAGMENT: set()}
        self._chars = set()
        names = [str(name) for name in usernames if name]
        for secret in secrets:
            if secret is None or secret == "":
                continue
            self._chars.update(str(secret))
            self._chars.update(str(secret).encode("utf-8", "surrogatepass"))
            texts, encoded = _forms(str(secret), names)
            for size, forms in ((MIN_FRAGMENT, texts), (MIN_BASE64_FRAGMENT, encoded)):
                for form in forms:
                    self._whole.add(form)
                    for start in range(0, len(form) - size + 1):
                        self._windows[size].add(form[start:start + size])
        # Longest first, so that a secret containing another is masked whole.
        self._whole = sorted(self._whole, key=len, reverse=True)

    def __bool__(self):
        return bool(self._whole)

    def text(self, value, whole_only=False):
        """``value`` with every secret and every window of one masked (only whole ones with ``whole_only``)."""
        if not self._whole or not value:
            return value
        value = _CODEC_ERROR.sub(self._codec_error, value)
        covered = bytearray(len(value))
        for form in self._whole:
            if whole_only and len(form) < MIN_FRAGMENT:
                continue
            start = value.find(form)
            while start != -1:
                covered[start:start + len(form)] = b"\1" * len(form)
                start = value.find(form, start + 1)
        for size, windows in ({} if whole_only else self._windows).items():
            for start in range(0, len(value) - size + 1):
                if value[start:start + size] in windows:
                    covered[start:start + size] = b"\1" * size
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
        import ast  # only a codec error needs it: not every module run pays for the import

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
            return dict((self.scrub(key), self.text(value, whole_only=True)
                         if key in _GENERATED and isinstance(value, str) else self.scrub(value))
                        for key, value in data.items())
        if isinstance(data, (list, tuple, set, frozenset)):
            return [self.scrub(item) for item in data]
        return data
