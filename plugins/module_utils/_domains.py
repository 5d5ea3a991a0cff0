# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: domains as SMTP needs them (RFC 5321), and the EHLO name. Do not use this from other collections.

Every domain goes out in ASCII: a non-ASCII label becomes its IDNA A-label (``xn--...``) in
the envelope and in the headers alike, so any server takes it and SMTPUTF8 is only needed
for a non-ASCII local part. The conversion uses the stdlib's IDNA 2003 code, whose Unicode
tables are frozen at 3.2, so every Python from 3.8 on gives the same answer. A label that
IDNA 2003 would silently change (``ß`` -> ``ss``, ``ς``, joiners, full-width forms) is
refused instead of sent to a different domain.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from encodings import idna as _idna

from ._errors import InputError, shown

__all__ = ["ascii_domain", "address_literal", "check_ehlo_name", "ehlo_option", "default_ehlo_name"]

_LDH = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_MAX_DOMAIN = 253
_HOSTS = "/etc/hosts"


class DomainError(ValueError):
    """The text is not a domain SMTP can carry; ``str()`` says why."""


def _a_label(label):
    if label.isascii():
        return label
    ucd = getattr(unicodedata, "ucd_3_2_0", None)
    for char in label:
        if ucd is not None and ucd.category(char) == "Cn":
            raise DomainError("%s has a character IDNA does not know (U+%04X)" % (shown(label), ord(char)))
    try:
        prepared = _idna.nameprep(label)
    except UnicodeError as exc:
        raise DomainError("%s cannot be written as an IDNA name (%s)" % (shown(label), exc))
    if prepared != label.lower():
        raise DomainError("IDNA would change %s into %s, a different name; write the domain in its "
                          "xn-- (A-label) form if that is really meant" % (shown(label), shown(prepared)))
    try:
        return _idna.ToASCII(label).decode("ascii")
    except UnicodeError as exc:
        raise DomainError("%s cannot be written as an IDNA name (%s)" % (shown(label), exc))


def ascii_domain(domain):
    """The RFC 5321 form of a domain name (A-labels for non-ASCII labels). Raises DomainError."""
    if domain.endswith("."):
        raise DomainError("a domain must not end with a dot")
    labels = [_a_label(label) for label in domain.split(".")]
    for label in labels:
        if not _LDH.match(label):
            raise DomainError("label %s is not letters, digits and inner hyphens of at most 63 characters"
                              % shown(label))
    result = ".".join(labels)
    if len(result) > _MAX_DOMAIN:
        raise DomainError("the domain is longer than %d characters" % _MAX_DOMAIN)
    return result


def address_literal(text):
    """Check an RFC 5321 address literal: ``[192.0.2.1]`` or ``[IPv6:2001:db8::1]``."""
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else None
    if inner is None:
        raise DomainError("an address literal is written in brackets")
    try:
        if inner[:5].lower() == "ipv6:":
            if not isinstance(ipaddress.ip_address(inner[5:]), ipaddress.IPv6Address):
                raise ValueError(inner)
            return "[IPv6:%s]" % inner[5:]
        if not re.match(r"^\d{1,3}(?:\.\d{1,3}){3}$", inner):
            raise ValueError(inner)
        ipaddress.IPv4Address(inner)
        return text
    except ValueError:
        raise DomainError("%s is not an IPv4 literal [192.0.2.1] or an IPv6 literal [IPv6:2001:db8::1]" % text)


def check_ehlo_name(name):
    """Validate ``ehlo_name`` (a domain or an address literal); return the form to send."""
    if name.startswith("["):
        return address_literal(name)
    return ascii_domain(name)


def ehlo_option(value):
    """The ``ehlo_name`` option as sent (None: the default), or InputError before any connection."""
    if value is None:
        return None
    try:
        return check_ehlo_name(value)
    except DomainError as exc:
        raise InputError("ehlo_name: %s is not a domain name or an address literal such as [192.0.2.1] (%s)"
                         % (shown(value), exc))


def _literal_for(sockaddr):
    host = sockaddr[0].split("%", 1)[0]
    address = ipaddress.ip_address(host)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "[%s]" % address.ipv4_mapped
        return "[IPv6:%s]" % address
    return "[%s]" % address


def _fqdn_from_hosts(short, path):
    """The first dotted name of a hosts line that names ``short``; read, never resolved."""
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    for line in text.splitlines():
        names = line.split("#", 1)[0].split()[1:]
        if short.lower() in [name.lower() for name in names]:
            for name in names:
                if "." in name and name.lower().startswith(short.lower() + "."):
                    return name
    return None


def _valid(name):
    try:
        return ascii_domain(name)
    except DomainError:
        return None


def default_ehlo_name(sockaddr=None, hostname=None, hosts=_HOSTS):
    """What to announce when ``ehlo_name`` is not set, without any DNS query.

    socket.getfqdn() (smtplib's default) asks the resolver, which can stall for the whole
    timeout where DNS is broken. Instead: the host name if it is fully qualified, else a
    fully qualified alias of it in /etc/hosts, else (as RFC 5321 4.1.4 asks of a client
    without a domain name) the address literal of our end of the connection.
    """
    hostname = socket.gethostname() if hostname is None else hostname
    if "." in hostname and _valid(hostname):
        return _valid(hostname)
    found = _fqdn_from_hosts(hostname, hosts) if hostname else None
    if found and _valid(found):
        return _valid(found)
    if sockaddr is not None:
        try:
            return _literal_for(sockaddr)
        except ValueError:
            pass
    return _valid(hostname) or "localhost"
