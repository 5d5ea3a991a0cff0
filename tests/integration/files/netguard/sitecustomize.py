# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only network guard for the ansible processes the integration tests start.

The tests put this directory first on PYTHONPATH, so every Python process of the run
(ansible-playbook, its workers, modules run on localhost) imports it at startup. When
FLINT_NETGUARD_LOG is set, an audit hook logs every TCP connect and name lookup to that
file (one JSON line each) and refuses a connect to anything that is not loopback: the
suite must never talk to the network, and tests can prove that a task did not connect.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys

_LOG = os.environ.get("FLINT_NETGUARD_LOG")


def _is_loopback(host):
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


def _log(record):
    record["pid"] = os.getpid()
    line = (json.dumps(record) + "\n").encode("utf-8")
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _hook(event, args):
    if event == "socket.connect":
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
            return
        host, port = str(address[0]), address[1]
        allowed = _is_loopback(host)
        _log({"event": "connect", "host": host, "port": port, "allowed": allowed})
        if not allowed:
            raise PermissionError("netguard: refusing a connection to non-loopback %s:%s in tests" % (host, port))
    elif event == "socket.getaddrinfo":
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        _log({"event": "getaddrinfo", "host": None if host is None else str(host), "port": args[1]})


if _LOG:
    sys.addaudithook(_hook)
