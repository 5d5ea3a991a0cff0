# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: checking attachment files before anything is sent. Do not use this from other collections."""

from __future__ import annotations

import mimetypes
import os
import stat

from ._errors import InputError
from ._options import check_paths

__all__ = ["Attachment", "check_attachments", "split_paths", "open_confined", "ATTACHMENT_DIRS_ENV"]

# Where the job's owner lists the directories the Flint input may attach files from.
ATTACHMENT_DIRS_ENV = "FLINT_SMTP_ATTACHMENT_DIRS"

_MB = 1024 * 1024


class Attachment(object):
    """One file to attach. With ``handle`` (an open file) the bytes come from exactly the file
    that was checked, whatever happens to the path afterwards."""

    __slots__ = ("path", "filename", "size", "maintype", "subtype", "_handle")

    def __init__(self, path, size, filename=None, handle=None):
        self.path = path
        self.filename = filename or os.path.basename(path)
        self.size = size
        self._handle = handle
        ctype, encoding = mimetypes.guess_type(self.filename)
        if ctype is None or encoding is not None:
            # A .tar.gz is gzip data, not a tar: say what the bytes are, not what they hold.
            ctype = "application/octet-stream"
        self.maintype, self.subtype = ctype.split("/", 1)

    @property
    def handle(self):
        """The open file checked by open_confined(), or None (then the path is opened when read)."""
        return self._handle

    def read(self):
        if self._handle is not None:
            # Not closed here: several messages of one task may attach the same checked file.
            self._handle.seek(0)
            return self._handle.read()
        with open(self.path, "rb") as handle:
            return handle.read()

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        # Option validation deep-copies its input; a checked, open file stays that one file.
        return self

    def summary(self):
        return {"path": self.path, "filename": self.filename, "size": self.size,
                "content_type": "%s/%s" % (self.maintype, self.subtype)}


def split_paths(value, expand=True):
    """The paths in ``attachments``: a list holds one path per item (commas included, as in
    ``Q3 report, final.pdf``); only Flint's single string is split at commas.

    Items that are already Attachment objects (opened by the action plugin) pass through.
    ``expand`` applies ~ and $VAR expansion, as Ansible's ``path`` type did.
    """
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise InputError("attachments must be a list of paths or one comma-separated string, not %s"
                         % _type_name(value))
    result = []
    for index, item in enumerate(items):
        if isinstance(item, Attachment):
            result.append(item)
            continue
        if not isinstance(item, str):
            raise InputError("attachments: item %d is %s, but each item must be one path (a string)"
                             % (index + 1, _type_name(item)))
        path = item.strip()
        if path:
            result.append(os.path.expanduser(os.path.expandvars(path)) if expand else path)
    return result


def _type_name(value):
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a %s" % type(value).__name__


def allowed_dirs_from(text):
    """The directories in ATTACHMENT_DIRS_ENV's value (os.pathsep-separated), resolved."""
    dirs = []
    for item in (text or "").split(os.pathsep):
        item = item.strip()
        if item:
            if not os.path.isabs(item):
                raise InputError("%s: %s is not an absolute directory" % (ATTACHMENT_DIRS_ENV, item))
            dirs.append(os.path.realpath(item))
    return dirs


def _inside(path, roots):
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _fd_path(fd):
    """What the kernel says an open descriptor is (Linux); None where it cannot say."""
    try:
        return os.readlink("/proc/self/fd/%d" % fd)
    except OSError:
        return None


def open_confined(path, roots):
    """Open an attachment named by untrusted input, only inside ``roots`` (resolved dirs).

    The path is resolved (``..``, symlinks) before the check, the resolved file is opened
    without following a link, and the open descriptor is checked again, so swapping a
    component for a symlink after the check cannot get another file read.
    """
    check_paths("attachments", path)  # before realpath, which a NUL makes raise ValueError
    if not roots:
        raise InputError(
            "attachment %s: the Flint input may only attach files from directories the job's owner allowed, "
            "and none are: set %s on the controller (absolute directories separated by '%s')"
            % (path, ATTACHMENT_DIRS_ENV, os.pathsep))
    if not os.path.isabs(path):
        raise InputError("attachment %s: a path in the Flint input must be absolute" % path)
    resolved = os.path.realpath(path)
    outside = InputError("attachment %s is outside the directories allowed by %s (%s)"
                         % (path, ATTACHMENT_DIRS_ENV, os.pathsep.join(roots)))
    if not _inside(resolved, roots):
        raise outside
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(resolved, flags)
    except OSError as exc:
        raise InputError("attachment %s cannot be read: %s" % (path, exc.strerror or exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError("attachment %s is not a regular file" % path)
        opened = _fd_path(fd)
        if opened is not None:
            if not _inside(opened, roots):
                raise outside
        else:
            now = os.stat(resolved, follow_symlinks=False)
            if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):
                raise InputError("attachment %s changed while it was checked" % path)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return Attachment(resolved, info.st_size, filename=os.path.basename(path), handle=handle)


def check_attachments(paths, max_size_mb):
    """Stat every file first, so a bad path fails the task before any connection is opened.

    ``max_size_mb`` of 0 disables the per-file limit (Flint documented 10 MB a file).
    """
    if max_size_mb is not None and max_size_mb < 0:
        raise InputError("max_attachment_size_mb must be 0 (no limit) or more, not %d" % max_size_mb)
    result = []
    for path in paths:
        if isinstance(path, Attachment):  # opened and checked already, see open_confined()
            _check_size(path.path, path.size, max_size_mb)
            result.append(path)
            continue
        try:
            info = os.stat(path)
        except OSError as exc:
            raise InputError("attachment %s cannot be read: %s" % (path, exc.strerror or exc))
        if not os.path.isfile(path):
            raise InputError("attachment %s is not a regular file" % path)
        if not os.access(path, os.R_OK):
            raise InputError("attachment %s is not readable by this user" % path)
        _check_size(path, info.st_size, max_size_mb)
        result.append(Attachment(path, info.st_size))
    return result


def _check_size(path, size, max_size_mb):
    if max_size_mb and size > max_size_mb * _MB:
        raise InputError(
            "attachment %s is %.1f MB, over the %d MB limit; raise max_attachment_size_mb "
            "(0 = no limit) if the server accepts larger mail" % (path, size / float(_MB), max_size_mb)
        )
