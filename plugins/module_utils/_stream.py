# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: a rendered message as a list of segments, streamed without holding files in memory.

The ``email`` package renders the MIME skeleton (headers, text parts, boundaries) with a
placeholder line where each file's base64 body goes. That rendering is cut at the
placeholders, and the files are read and base64-encoded chunk by chunk while the bytes are
written (to the SMTP socket or to a file), so memory does not grow with attachment size.

The base64 lines are exactly those the ``email`` package writes (57 input bytes, 76
characters, CRLF), so the bytes equal ``as_bytes()`` of the same message with the files
inside, up to the boundary strings. Do not use this from other collections.
"""

from __future__ import annotations

import base64
import contextlib
import re
import secrets

__all__ = ["FileBody", "Rendered", "SourceError", "base64_size", "dot_stuff", "render"]

_LINE_IN = 57  # what email.contentmanager puts on a base64 line for max_line_length 78
_LINE_OUT = 76 + 2
_CHUNK = _LINE_IN * 1024  # ~57 KiB read, ~78 KiB written at a time
_DOT_AT_LINE_START = re.compile(br"(?m)^\.")


def base64_size(size):
    """Bytes of the base64 body (CRLF line ends) of ``size`` input bytes."""
    full, rest = divmod(size, _LINE_IN)
    return full * _LINE_OUT + ((rest + 2) // 3 * 4 + 2 if rest else 0)


class SourceError(Exception):
    """A file could not be read while sending, or its size is not what was measured."""


class FileBody(object):
    """The base64 body of one file, produced in chunks when written."""

    __slots__ = ("path", "size", "handle", "token")

    def __init__(self, path, size, handle=None):
        self.path = path
        self.size = size
        self.handle = handle  # an open file (exactly the one checked) is read instead of the path
        self.token = "flint-smtp-stream-%s" % secrets.token_hex(16)

    @property
    def encoded_size(self):
        return base64_size(self.size)

    def chunks(self):
        done = 0
        try:
            with self._open() as handle:
                while done <= self.size:
                    block = handle.read(_CHUNK)
                    if not block:
                        break
                    done += len(block)
                    if done <= self.size:
                        # encodebytes() writes 57 bytes a line, as email.contentmanager does.
                        yield base64.encodebytes(block).replace(b"\n", b"\r\n")
        except OSError as exc:
            raise SourceError("%s could not be read: %s" % (self.path, exc.strerror or exc))
        if done != self.size:
            # The size was promised to the server (SIZE=) and sits in the result: refuse to
            # send something else. The session then closes the connection before the final dot.
            raise SourceError("%s changed while it was being sent (%d bytes when checked, now %s)"
                              % (self.path, self.size, "more" if done > self.size else done))

    def _open(self):
        if self.handle is None:
            return open(self.path, "rb")
        # Shared by every message of the task that attaches it: rewind, and leave it open.
        self.handle.seek(0)
        return contextlib.nullcontext(self.handle)


class Rendered(object):
    """Segments of bytes and FileBody objects, in message order, with the exact size."""

    def __init__(self, segments):
        self.segments = segments
        self.size = sum(len(s) if isinstance(s, bytes) else s.encoded_size for s in segments)

    def chunks(self):
        """The message bytes (CRLF line ends, not dot-stuffed), a chunk at a time."""
        for segment in self.segments:
            if isinstance(segment, bytes):
                yield segment
            else:
                yield from segment.chunks()

    def wire_chunks(self):
        """The same bytes dot-stuffed for DATA (without the final "." line).

        Every segment starts at the start of a line (a placeholder is a whole line), and
        base64 lines never start with ".", so only the rendered segments need stuffing.
        """
        for segment in self.segments:
            if isinstance(segment, bytes):
                yield dot_stuff(segment)
            else:
                yield from segment.chunks()


def dot_stuff(data):
    """RFC 5321 4.5.2: a line that starts with "." gets another one (as smtplib does)."""
    return _DOT_AT_LINE_START.sub(b"..", data)


def render(msg, policy, bodies, head=b""):
    """Render ``msg`` whose file parts hold ``token + "\\n"`` as payload; cut at each token.

    ``bodies`` are the FileBody objects whose tokens were put into the message; ``head`` (the
    header fields written by hand, see _headers.py) goes before the email package's rendering.
    """
    data = head + msg.as_bytes(policy=policy)
    segments = []
    rest = data
    for body in bodies:
        marker = body.token.encode("ascii") + b"\r\n"
        before, found, after = rest.partition(marker)
        if not found or marker in after:
            raise ValueError("placeholder for %s not found exactly once in the rendered message" % body.path)
        segments.append(before)
        segments.append(body)
        rest = after
    if not rest.endswith(b"\r\n"):
        rest += b"\r\n"  # smtplib would add it: make the measured size the sent size
    segments.append(rest)
    return Rendered([s for s in segments if not isinstance(s, bytes) or s])
