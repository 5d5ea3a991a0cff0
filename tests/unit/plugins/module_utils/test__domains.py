# -*- coding: utf-8 -*-
from __future__ import annotations

import socket

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._domains import (
    DomainError,
    ascii_domain,
    check_ehlo_name,
    default_ehlo_name,
)


@pytest.mark.parametrize("domain, expected", [
    ("example.com", "example.com"),
    ("Mail.Example.COM", "Mail.Example.COM"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("BÜCHER.example", "xn--bcher-kva.example"),
    ("日本.example", "xn--wgv71a.example"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
])
def test_ascii_domain(domain, expected):
    assert ascii_domain(domain) == expected


@pytest.mark.parametrize("domain, says", [
    ("straße.de", "different name"),           # IDNA 2003 would send it to strasse.de
    ("ｅｘａｍｐｌｅ.com", "different name"),   # full-width forms
    ("a\u200db.example", "different name"),    # a joiner IDNA 2003 drops
    ("a\u0378b.example", "does not know"),      # unassigned in Unicode 3.2
    ("under_score.example", "label"),
    ("-lead.example", "label"),
    ("x" * 64 + ".example", "label"),
    ("example.com.", "end with a dot"),
    (".".join(["abcdefghij"] * 24), "longer than 253"),
])
def test_ascii_domain_refuses(domain, says):
    with pytest.raises(DomainError, match=says):
        ascii_domain(domain)


@pytest.mark.parametrize("name, expected", [
    ("client.example.com", "client.example.com"),
    ("[192.0.2.1]", "[192.0.2.1]"),
    ("[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]"),
    ("hôte.example", "xn--hte-kna.example"),
])
def test_check_ehlo_name(name, expected):
    assert check_ehlo_name(name) == expected


@pytest.mark.parametrize("name", ["bad name", "a\r\nMAIL FROM:<x@y>", "host_1", "[::1]", "[1.2.3]", "",
                                  "x\x00y", "a..b"])
def test_check_ehlo_name_refuses(name):
    with pytest.raises(DomainError):
        check_ehlo_name(name)


def test_default_ehlo_name_without_dns(tmp_path, monkeypatch):
    def no_dns(*_args, **_kwargs):
        raise AssertionError("no DNS query may be made")

    for name in ("getfqdn", "gethostbyname", "gethostbyaddr", "getaddrinfo", "gethostbyname_ex"):
        monkeypatch.setattr(socket, name, no_dns)
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n# 10.0.0.9 box.commented.example box\n"
                     "10.0.0.9 box.corp.example box  # ours\n")
    assert default_ehlo_name(hostname="mail.example.com", hosts=str(hosts)) == "mail.example.com"
    assert default_ehlo_name(hostname="box", hosts=str(hosts)) == "box.corp.example"
    assert default_ehlo_name(hostname="BOX", hosts=str(hosts)) == "box.corp.example"
    assert default_ehlo_name(("192.0.2.5", 40000), hostname="vm", hosts=str(hosts)) == "[192.0.2.5]"
    assert default_ehlo_name(("2001:db8::5", 40000, 0, 0), hostname="vm", hosts=str(hosts)) == "[IPv6:2001:db8::5]"
    assert default_ehlo_name(("::ffff:192.0.2.5", 1, 0, 0), hostname="vm", hosts=str(hosts)) == "[192.0.2.5]"
    assert default_ehlo_name(hostname="vm", hosts=str(tmp_path / "missing")) == "vm"
    assert default_ehlo_name(hostname="bad_name", hosts=str(hosts)) == "localhost"


def test_ehlo_option_is_checked_with_the_other_options():
    from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError
    from ansible_collections.flint.smtp.plugins.module_utils._options import ServerOptions

    base = {"target": "mail.example.com", "timeout": 5000}
    assert ServerOptions(dict(base, ehlo_name="hôte.example")).ehlo_name == "xn--hte-kna.example"
    assert ServerOptions(base).ehlo_name is None
    with pytest.raises(InputError, match=r"^ehlo_name: 'a b' is not a domain name or an address literal"):
        ServerOptions(dict(base, ehlo_name="a b"))
