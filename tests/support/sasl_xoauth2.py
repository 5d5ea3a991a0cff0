# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server side of SASL XOAUTH2, strict on purpose: test-only (smtp_server.py uses it).

The client sends base64 of ``user=<user>\\x01auth=Bearer <token>\\x01\\x01``. Anything else,
one byte off, is refused, so a test that passes proves the client's exact string.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Iterable, List, Optional

# What Gmail sends, base64-encoded, as its 334 error challenge.
XOAUTH2_ERROR_STATUS = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"})


def xoauth2_string(user: str, token: str) -> bytes:
    return ("user=%s\x01auth=Bearer %s\x01\x01" % (user, token)).encode("ascii")


def token_index(b64: bytes, user: str, tokens: List[str]) -> Optional[int]:
    """Which of ``tokens`` an accepted string carried (for the session log: never the token itself)."""
    for index, token in enumerate(tokens):
        if check_xoauth2(b64, user, [token]) == "ok":
            return index
    return None


def check_xoauth2(b64: bytes, user: str, tokens: Iterable[str]) -> str:
    """'ok', or why not: 'bad-base64', 'malformed', 'wrong-user', 'wrong-token'. Never echoes the token."""
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return "bad-base64"
    if any(blob == xoauth2_string(user, token) for token in tokens):
        return "ok"
    parts = blob.split(b"\x01")
    if len(parts) != 4 or parts[2:] != [b"", b""] or not parts[0].startswith(b"user=") \
            or not parts[1].startswith(b"auth=Bearer "):
        return "malformed"
    if parts[0] != ("user=%s" % user).encode():
        return "wrong-user"
    return "wrong-token"
