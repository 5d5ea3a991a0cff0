# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: checking attachment files before anything is sent. Do not use this from other collections."""

from __future__ import annotations

import mimetypes
import os

from ._errors import InputError

__all__ = ["Attachment", "check_attachments", "split_paths"]

_MB = 1024 * 1024


class Attachment(object):
    __slots__ = ("path", "filename", "size", "maintype", "subtype")

    def __init__(self, path, size):
        self.path = path
        self.filename = os.path.basename(path)
        self.size = size
        ctype, encoding = mimetypes.guess_type(path)
        if ctype is None or encoding is not None:
            # A .tar.gz is gzip data, not a tar: say what the bytes are, not what they hold.
            ctype = "application/octet-stream"
        self.maintype, self.subtype = ctype.split("/", 1)

    def read(self):
        with open(self.path, "rb") as handle:
            return handle.read()

    def summary(self):
        return {"path": self.path, "filename": self.filename, "size": self.size,
                "content_type": "%s/%s" % (self.maintype, self.subtype)}


def split_paths(value):
    """Flint sent one comma-separated string; Ansible may hand us a list or that string."""
    if not value:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [path.strip() for item in value for path in str(item).split(",") if path.strip()]


def check_attachments(paths, max_size_mb):
    """Stat every file first, so a bad path fails the task before any connection is opened.

    ``max_size_mb`` of 0 disables the per-file limit (Flint documented 10 MB a file).
    """
    if max_size_mb is not None and max_size_mb < 0:
        raise InputError("max_attachment_size_mb must be 0 (no limit) or more, not %d" % max_size_mb)
    result = []
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError as exc:
            raise InputError("attachment %s cannot be read: %s" % (path, exc.strerror or exc))
        if not os.path.isfile(path):
            raise InputError("attachment %s is not a regular file" % path)
        if not os.access(path, os.R_OK):
            raise InputError("attachment %s is not readable by this user" % path)
        if max_size_mb and stat.st_size > max_size_mb * _MB:
            raise InputError(
                "attachment %s is %.1f MB, over the %d MB limit; raise max_attachment_size_mb "
                "(0 = no limit) if the server accepts larger mail" % (path, stat.st_size / float(_MB), max_size_mb)
            )
        result.append(Attachment(path, stat.st_size))
    return result
