# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: let a pipelined module run read its payload from stdin in one go. Do not use this from other collections.

When pipelining, Ansible starts the interpreter with no script and writes the AnsiballZ payload
to its stdin. Where PYTHONUNBUFFERED is set (containers and CI runners often set it, and the
``local`` connection passes the controller's environment on), CPython reads a script from an
unbuffered stdin with one read(2) per byte: 275 575 system calls for our 275 KB payload, about
70 ms on every Python from 3.8 to 3.13 measured here, where the same file given by name parses in
a few ms. Every pipelined send paid that.

So the interpreter gets a one-line program instead, which reads stdin with one buffered call and
runs it in ``__main__`` under the name ``<stdin>``, with ``sys.argv[0]`` empty: what the payload
sees is what it saw when Python read it itself. Nothing else changes: the same interpreter, the
same environment prefix, the same bytes on stdin, and become and the connection wrap the command
as before.
"""

from __future__ import annotations

import shlex

__all__ = ["READ_STDIN_AT_ONCE", "buffered_module_command"]

READ_STDIN_AT_ONCE = ('import sys;sys.argv[0]="";__file__="<stdin>";'
                      'exec(compile(sys.stdin.buffer.read(),__file__,"exec"))')


def buffered_module_command(cmd, in_data, shell_family):
    """The command to run instead of ``cmd`` for a pipelined module payload ``in_data``.

    ``cmd`` is returned unchanged unless it is exactly a pipelined module run under a POSIX shell:
    the payload starts with a ``#!`` line and the command ends with that line's interpreter.
    """
    if shell_family != "sh" or not isinstance(cmd, str) or not isinstance(in_data, bytes):
        return cmd
    if not in_data.startswith(b"#!"):
        return cmd
    interpreter = in_data.split(b"\n", 1)[0][2:].strip().decode("utf-8", "replace")
    command = cmd.rstrip()
    if not interpreter or not command.endswith(interpreter):
        return cmd
    before = command[:-len(interpreter)]
    if before and not before[-1].isspace():
        return cmd  # e.g. "/opt/bin/python3" seen as the tail of another word: not ours to touch
    return "%s -c %s" % (command, shlex.quote(READ_STDIN_AT_ONCE))
