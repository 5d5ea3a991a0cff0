# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: when send_from=target may pipeline although Ansible's pipelining is off. Do not use this from other collections.

Without pipelining every module run costs four remote commands (make a temp dir, copy the
AnsiballZ file, chmod it, run it, then remove the dir); with it, one: the payload goes to the
interpreter's stdin. For a ``loop`` of sends from the managed host that is most of the time.

Ansible leaves pipelining off by default only because of privilege escalation: ``sudo`` with
``requiretty`` in /etc/sudoers cannot read the module from stdin. So we pipeline by default
only when nothing can stand in the way:

- no become at all (with become, the user's pipelining setting decides, as for any module);
- the connection plugin supports pipelining and no tty is requested (ssh ``RequestTTY``);
- not async (the async wrapper needs its file on the host) and not ANSIBLE_KEEP_REMOTE_FILES;
- and the user did not set pipelining anywhere (env, ansible.cfg, ``ansible_pipelining`` and
  the connection's own variables): an explicit ``false`` is always obeyed.

The payload then reaches Python on stdin, which CPython reads a byte per system call when
PYTHONUNBUFFERED is set; _piped_module has the interpreter read it in one call instead.
"""

from __future__ import annotations

from ansible import constants as C
from ansible.release import __version__ as _CORE_VERSION

__all__ = ["pipelining_by_default"]

# Before 2.19 a connection option set through a variable (ansible_pipelining: false) can still
# report the origin "default", so an explicit false could not be told from "not set": there we
# never pipeline on our own.
_ORIGINS_RELIABLE = tuple(int(part) for part in _CORE_VERSION.split(".")[:2]) >= (2, 19)


def _configured(connection):
    """True when pipelining is set anywhere for this connection, or when we cannot tell."""
    try:
        # The connection's own record: "default" unless env, ansible.cfg or a variable set it.
        _value, origin = connection.get_option_and_origin("pipelining")
    except Exception:  # pylint: disable=broad-except
        # No pipelining option (or an older plugin API): only the connection's own rules apply.
        return True
    return origin != "default"


def pipelining_by_default(connection, play_context, wrap_async=False):
    """Whether the module may run pipelined although the connection's setting says no."""
    if not _ORIGINS_RELIABLE or wrap_async or C.DEFAULT_KEEP_REMOTE_FILES \
            or not getattr(connection, "has_pipelining", False):
        return False
    if getattr(play_context, "become", False) or getattr(connection, "become", None) is not None:
        return False  # sudo's requiretty: with become, the user's pipelining setting decides
    tty_requested = getattr(connection, "_is_tty_requested", None)
    if tty_requested is not None and tty_requested():
        return False
    return not _configured(connection)
