# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: writing files we create (save_eml) safely. Do not use this from other collections."""

from __future__ import annotations

import os
import tempfile

from ._errors import InputError

__all__ = ["write_private"]


def write_private(path, data, option="save_eml"):
    """Write ``data`` (bytes, or an iterable of bytes chunks) to ``path``, owner-only (0600), never
    through a symlink.

    A temporary file in the same directory is written, flushed to disk and renamed onto
    ``path``: a symlink at ``path`` is replaced (its target is untouched), an existing
    file's mode and owner are not kept, and a reader never sees half a file.
    """
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise InputError("%s: directory %s does not exist" % (option, directory))
    if os.path.isdir(path) and not os.path.islink(path):
        raise InputError("%s: %s is a directory; give a file path" % (option, path))
    try:
        fd, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path)[:64], suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError("%s: cannot write in %s: %s" % (option, directory, exc.strerror or exc))
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # mkstemp's mode already; do not depend on it
            if isinstance(data, bytes):
                handle.write(data)
            else:  # an iterable of chunks: a streamed message is never whole in memory
                for chunk in data:
                    handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        _remove(temp)
        raise InputError("%s: cannot write %s: %s" % (option, path, exc.strerror or exc))
    except BaseException:
        _remove(temp)
        raise
    _sync_dir(directory)
    return path


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_dir(directory):
    """Make the rename itself durable; not every platform can open a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
