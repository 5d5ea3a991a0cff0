# -*- coding: utf-8 -*-
from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest

from ansible_collections.flint.smtp.plugins.plugin_utils._piped_module import (
    READ_STDIN_AT_ONCE,
    buffered_module_command,
)

PAYLOAD = b"#!/usr/bin/python3\nprint('hi')\n"
READER = " -c " + shlex.quote(READ_STDIN_AT_ONCE)


@pytest.mark.parametrize("cmd, payload", [
    ("/usr/bin/python3", PAYLOAD),
    ("/usr/bin/python3 ", PAYLOAD),
    ("LANG=C.UTF-8 LC_ALL=C.UTF-8 /usr/bin/python3", PAYLOAD),
    ("/usr/bin/env python3", b"#!/usr/bin/env python3\n"),
    ("/opt/my python/bin/python3", b"#! /opt/my python/bin/python3 \r\n"),
    ("/usr/bin/python3", b"#!/usr/bin/python3"),  # a payload of one line
])
def test_a_pipelined_module_run_reads_its_payload_in_one_call(cmd, payload):
    assert buffered_module_command(cmd, payload, "sh") == cmd.rstrip() + READER


@pytest.mark.parametrize("cmd, payload, family", [
    ("/usr/bin/python3", PAYLOAD, "powershell"),  # not a POSIX shell: its quoting differs
    ("/usr/bin/python3", PAYLOAD, None),
    ("/usr/bin/python3", None, "sh"),  # not pipelined: the module is a file on the host
    ("/usr/bin/python3", "#!/usr/bin/python3\n", "sh"),
    ("/usr/bin/python3", b"import platform\n", "sh"),  # interpreter discovery's own script: no #! line
    ("/usr/bin/python3 /tmp/x/AnsiballZ_send.py", PAYLOAD, "sh"),  # a command that runs a file
    ("/opt/usr/bin/python3", PAYLOAD, "sh"),  # the interpreter's path is the tail of another word
    ("", b"#!\n", "sh"),
])
def test_anything_else_is_left_alone(cmd, payload, family):
    assert buffered_module_command(cmd, payload, family) == cmd


PROBE = b"""#!%s
from __future__ import annotations
import sys, __main__
print(repr((__name__, __main__.__file__, sys.argv, sys.path[0], len(sys.stdin.buffer.read()))))
raise ValueError("boom")
"""


def _run(cmd, payload, env):
    return subprocess.run(["/bin/sh", "-c", cmd], input=payload, capture_output=True, env=env, check=False)


def test_the_payload_sees_what_it_saw_when_python_read_it_itself():
    """Same __main__, __file__, argv, sys.path[0], __future__ imports, stdin at EOF and traceback file name."""
    payload = PROBE % sys.executable.encode()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    direct = _run(shlex.quote(sys.executable), payload, env)
    buffered = _run(buffered_module_command(shlex.quote(sys.executable), payload, "sh"), payload, env)
    assert buffered.stdout == direct.stdout and b"'__main__', '<stdin>', ['']" in direct.stdout
    assert buffered.returncode == direct.returncode == 1
    # the one extra frame is the one-line reader's, above the payload's own
    frames = b'  File "<stdin>", line 5'
    assert frames in direct.stderr and buffered.stderr.endswith(direct.stderr[direct.stderr.index(frames):])
