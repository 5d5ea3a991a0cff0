# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only network guard for the ansible processes the integration tests start.

The tests put this directory first on PYTHONPATH, so every Python process of the run
(ansible-playbook, its workers, modules run on localhost) imports it at startup. When
FLINT_NETGUARD_LOG is set, an audit hook logs every TCP connect and name lookup to that
file (one JSON line each) and refuses a connect to anything that is not loopback: the
suite must never talk to the network, and tests can prove that a task did not connect.

Name lookups too: a name that is not an IP address and not a localhost name would make the
resolver ask the machine's nameserver (traffic off loopback), so it fails here, before any
query, the way an unknown name fails (socket.gaierror EAI_NONAME; socket.herror for reverse
lookups), and is logged with "blocked": true. Tests of unresolvable hosts use `.invalid` names.
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


_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def _is_ip(host):
    try:
        ipaddress.ip_address(str(host).split("%", 1)[0])
        return True
    except ValueError:
        return False


def _needs_dns(host):
    """True when resolving ``host`` could send a query to a nameserver."""
    if host is None or host == "" or _is_ip(host):
        return False
    name = str(host).rstrip(".").lower()
    return name not in _LOCAL_NAMES and not name.endswith(".localhost")


def _name(host):
    return host.decode("ascii", "replace") if isinstance(host, (bytes, bytearray)) else host


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
        host = _name(args[0])
        blocked = _needs_dns(host)
        _log({"event": "getaddrinfo", "host": None if host is None else str(host), "port": args[1],
              "blocked": blocked})
        if blocked:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (netguard: no DNS in tests)")
    elif event in ("socket.gethostbyname", "socket.gethostbyaddr"):
        host = _name(args[0])
        # A reverse lookup of a non-loopback address is a DNS query as well.
        blocked = _needs_dns(host) or (event == "socket.gethostbyaddr" and _is_ip(host) and not _is_loopback(host))
        _log({"event": event.split(".", 1)[1], "host": str(host), "blocked": blocked})
        if blocked and event == "socket.gethostbyname":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (netguard: no DNS in tests)")
        if blocked:
            raise socket.herror(1, "Unknown host (netguard: no DNS in tests)")


if _LOG:
    sys.addaudithook(_hook)
