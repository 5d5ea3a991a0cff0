# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest fixtures for the SMTP test server (tests/support/smtp_server.py).

Load with ``pytest -p pytest_smtp`` (tests/support on sys.path) or re-export from a conftest:
``from pytest_smtp import smtp_server, smtp_server_thread  # noqa: F401``.

    def test_x(smtp_server):
        srv = smtp_server("starttls", reject_rcpt="^bad@")
        ...  # srv.host, srv.port, srv.ca_path, srv.messages(), srv.sessions()
"""

from __future__ import annotations

import contextlib
import os
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # so that this works as a plugin loaded from anywhere
    sys.path.insert(0, _HERE)

import smtp_server as _smtp  # noqa: E402

running_server = _smtp.running_server
ServerInfo = _smtp.ServerInfo


def _factory(tmp_path_factory, isolation):
    stack = contextlib.ExitStack()

    def start(mode="starttls", **opts):
        """Start a server (stopped at test teardown); store defaults to a fresh tmp dir."""
        if opts.get("store") is None:
            opts["store"] = str(tmp_path_factory.mktemp(f"smtp-{mode}"))
        opts.setdefault("isolation", isolation)
        return stack.enter_context(running_server(mode, **opts))

    return stack, start


@pytest.fixture
def smtp_server(tmp_path_factory):
    """Factory: smtp_server(mode="starttls", **opts) -> ServerInfo, each in its own process."""
    stack, start = _factory(tmp_path_factory, "process")
    with stack:
        yield start


@pytest.fixture
def smtp_server_thread(tmp_path_factory):
    """Same factory, but servers run in a thread of the test process (faster start)."""
    stack, start = _factory(tmp_path_factory, "thread")
    with stack:
        yield start
