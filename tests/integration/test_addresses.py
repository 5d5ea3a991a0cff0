# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input is data, nothing is silently lost (issue 6, items 5, 8, 9, 10, 11, 15), through one real
ansible-playbook run from the controller against the loopback servers:

- addresses are read strictly, the same on every Python; what does not read cleanly is an
  exit-code 1 error before any connection, naming the field and the item;
- non-ASCII domains go out as IDNA where the server lacks SMTPUTF8, header and envelope alike;
- a server without 8BITMIME gets a 7-bit message;
- no control character reaches a header, no header line is over 998 octets;
- odd subjects, file names and ehlo_name fail before connecting;
- the default EHLO name is found without a DNS query.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import os
import re
import socket
import uuid

import pytest

from conftest import assert_flint_shape, play, send

RAW_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _tag(name):
    return "%s-%s.flint.test" % (name.replace("_", "-"), uuid.uuid4().hex[:8])


@pytest.fixture(scope="module")
def address_run(ansible, plain_server, fault_servers, tmp_path_factory):
    odd = tmp_path_factory.mktemp("odd")
    esc_name = odd / "rep\x1b[31mort.txt"
    esc_name.write_text("x")
    umlaut = odd / "Grüße.txt"
    umlaut.write_text("Grüße aus der Anlage\n", encoding="utf-8")
    plain = {"target": plain_server.target, "security": "none"}
    seven = {"target": fault_servers["no_8bitmime"].target, "security": "none"}
    cases = {
        # 5: one strict reader
        "unclosed_comment_list": dict(plain, to=["bob@example.com (on-call team", "carol@example.com"]),
        "two_in_one_list_item": dict(plain, to=["bob@example.com, carol@example.com"]),
        "unquoted_dot_name": dict(plain, to="J. Doe <j@example.com>"),
        "semicolon": dict(plain, to="a@example.com; b@example.com"),
        "quoted_comma_name": dict(plain, to=['"Doe, John" <john@example.net>', "kim@example.net"],
                                  cc='"Roe, Rita" (lead) <rita@example.net>, (none) sam@example.net (on call)'),
        # 8: IDNA where the server lacks SMTPUTF8; SMTPUTF8 only for a non-ASCII local part
        "idna_domain": dict(seven, **{"from": "Jörg <joerg@exämple.de>", "to": "ops@bücher.example"}),
        "utf8_local_part": dict(seven, to="jörg@bücher.example"),
        # 9: 7-bit on a server without 8BITMIME
        "seven_bit": dict(seven, to="ops@example.net", subject="Störung ✓ behoben",
                          body="Grüße,\nalles grün ✓\n", attachments=[str(umlaut)]),
        # 10: headers
        "quoted_local_part": dict(plain, to='"a b"@example.net, "Name" <"x\\"y"@example.net>'),
        "subject_line_breaks": dict(plain, to="ops@example.net", subject="a\u2028b\u2029c\x0bd\x0ce\x85f\r\ng"),
        "long_headers": dict(plain, to=[('"%s" <long@example.net>' % ("N" * 1200)), "%s <u@example.net>" % ("Ü" * 300)],
                             subject="S" * 5000 + " " + "wörter " * 300),
        "subject_nul": dict(plain, to="ops@example.net", subject="before\x00after"),
        "subject_esc": dict(plain, to="ops@example.net", subject="red \x1b[31m alert"),
        "subject_del": dict(plain, to="ops@example.net", subject="del\x7f"),
        "name_u2028": dict(plain, to='"Bob\u2028Evil" <bob@example.net>'),
        # 11: file names and ehlo_name, before connecting
        "attachment_escape": dict(plain, to="ops@example.net", attachments=[str(esc_name)]),
        "ehlo_space": dict(plain, to="ops@example.net", ehlo_name="bad name"),
        "ehlo_injection": dict(plain, to="ops@example.net", ehlo_name="ok\r\nMAIL FROM:<evil@example.net>"),
        "ehlo_underscore": dict(plain, to="ops@example.net", ehlo_name="host_1.example"),
        "ehlo_bad_literal": dict(plain, to="ops@example.net", ehlo_name="[::1]"),
        "ehlo_literal": dict(plain, to="ops@example.net", ehlo_name="[127.0.0.1]"),
    }
    tags = {}
    tasks = []
    for name, args in cases.items():
        tags[name] = _tag(name)
        full = {"from": "sender@example.com", "subject": "address test", "body": "hello"}
        full.update(args)
        full.setdefault("ehlo_name", tags[name])
        full["subject"] = "%s %s" % (full["subject"], tags[name]) if name not in (
            "subject_line_breaks", "long_headers", "seven_bit") else full["subject"]
        tasks.append(send(name, full))
    run = ansible.playbook([play(tasks)], name="addresses")
    assert run.rc == 0, run.describe()
    # 15: the default EHLO name, alone in its own run, so its resolver calls can be counted
    default_run = ansible.playbook([play([send("default ehlo", dict(plain, **{
        "from": "sender@example.com", "to": "ops@example.net", "subject": "default ehlo"}))])], name="ehlo")
    assert default_run.rc == 0, default_run.describe()
    return {"run": run, "tags": tags, "default_run": default_run}


def _received(server, result):
    found = server.message_by_id(result["message_id"])
    assert found is not None, result
    return found


def _raw_headers(server, meta):
    return server.raw(meta).split(b"\r\n\r\n", 1)[0]


INPUT_ERRORS = {
    "unclosed_comment_list": "to[0]: 'bob@example.com (on-call team' is not a valid address: unclosed comment",
    "two_in_one_list_item": "to[0]: 'bob@example.com, carol@example.com' is not a valid address: more than one",
    "unquoted_dot_name": "a display name with a dot must be quoted",
    "semicolon": "';' does not separate addresses; use ','",
    "subject_nul": "subject: the control character U+0000 at position 6",
    "subject_esc": "subject: the control character U+001B at position 4",
    "subject_del": "subject: the control character U+007F at position 3",
    "name_u2028": "to: '\"Bob\\u2028Evil\" <bob@example.net>' is not a valid address list: the control character "
                  "U+2028 at position 4",
    "attachment_escape": "contains the control character U+001B at position",
    "ehlo_space": "ehlo_name: 'bad name' is not a domain name or an address literal",
    "ehlo_injection": "ehlo_name: 'ok\\r\\nMAIL FROM:<evil@example.net>' is not a domain name",
    "ehlo_underscore": "ehlo_name: 'host_1.example' is not a domain name",
    "ehlo_bad_literal": "ehlo_name: '[::1]' is not a domain name or an address literal",
}


@pytest.mark.parametrize("name", sorted(INPUT_ERRORS))
def test_bad_input_fails_before_connecting(address_run, plain_server, name):
    run, tag = address_run["run"], address_run["tags"][name]
    result = run.result(name)
    assert_flint_shape(result, 1, send_from="controller")
    assert result["phase"] == "input", result
    assert INPUT_ERRORS[name] in result["msg"], result["msg"]
    assert "unexpected error" not in result["msg"]
    # Nothing reached the server: not even a connection (sessions are found by EHLO name or subject).
    assert plain_server.sessions_from(tag) == []
    assert not [m for m in plain_server.messages() if tag in plain_server.email(m)["Subject"]]


def test_a_quoted_comma_is_one_mailbox_and_comments_are_dropped(address_run, plain_server):
    result = address_run["run"].result("quoted_comma_name")
    assert_flint_shape(result, 0)
    meta, msg = _received(plain_server, result)
    assert meta["rcpt_tos"] == ["john@example.net", "kim@example.net", "rita@example.net", "sam@example.net"]
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("Doe, John", "john@example.net"), ("", "kim@example.net")]
    assert [(a.display_name, a.addr_spec) for a in msg["Cc"].addresses] == [
        ("Roe, Rita", "rita@example.net"), ("", "sam@example.net")]


def test_non_ascii_domains_go_out_as_idna(address_run, fault_servers):
    server = fault_servers["no_8bitmime"]
    result = address_run["run"].result("idna_domain")
    assert_flint_shape(result, 0)
    assert result["recipients"] == ["ops@xn--bcher-kva.example"]
    meta, msg = _received(server, result)
    assert meta["mail_from"] == "joerg@xn--exmple-cua.de" and meta["rcpt_tos"] == ["ops@xn--bcher-kva.example"]
    assert "SMTPUTF8" not in meta["mail_options"] and meta["smtputf8"] is False
    # The headers say the same as the envelope.
    assert msg["From"].addresses[0].addr_spec == "joerg@xn--exmple-cua.de"
    assert msg["From"].addresses[0].display_name == "Jörg"
    assert msg["To"].addresses[0].addr_spec == "ops@xn--bcher-kva.example"
    assert server.raw(meta).isascii()


def test_only_a_non_ascii_local_part_needs_smtputf8(address_run, fault_servers):
    result = address_run["run"].result("utf8_local_part")
    assert_flint_shape(result, -1)
    assert result["phase"] == "mail"
    assert ("the local part (before the @) of jörg@xn--bcher-kva.example is not ASCII, which needs SMTPUTF8, "
            "and the server does not offer SMTPUTF8") in result["msg"]
    assert fault_servers["no_8bitmime"].messages_from(address_run["tags"]["utf8_local_part"]) == []


def test_seven_bit_message_for_a_server_without_8bitmime(address_run, fault_servers):
    server = fault_servers["no_8bitmime"]
    result = address_run["run"].result("seven_bit")
    assert_flint_shape(result, 0)
    meta, msg = _received(server, result)
    data = server.raw(meta)
    assert max(data) < 0x80, [hex(b) for b in data if b >= 0x80][:5]
    assert "BODY=8BITMIME" not in meta["mail_options"]
    assert msg["Subject"] == "Störung ✓ behoben"
    body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body == "Grüße,\nalles grün ✓\n"
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == "Grüße.txt"
    assert part.get_payload(decode=True) == "Grüße aus der Anlage\n".encode("utf-8")


def test_quoted_local_part_is_the_same_mailbox_in_header_and_envelope(address_run, plain_server):
    result = address_run["run"].result("quoted_local_part")
    meta, _msg = _received(plain_server, result)
    assert meta["rcpt_tos"] == ['"a b"@example.net', '"x\\"y"@example.net']
    to = _raw_headers(plain_server, meta).decode().split("\r\nTo: ", 1)[1].split("\r\n", 1)[0]
    assert to == '"a b"@example.net, Name <"x\\"y"@example.net>'


def test_line_breaks_in_the_subject_fold_to_spaces(address_run, plain_server):
    result = address_run["run"].result("subject_line_breaks")
    meta, msg = _received(plain_server, result)
    assert msg["Subject"] == "a b c d e f g"
    assert not RAW_CONTROL.search(_raw_headers(plain_server, meta).replace(b"\r\n", b""))


def test_no_header_line_is_over_998_octets(address_run, plain_server):
    result = address_run["run"].result("long_headers")
    assert_flint_shape(result, 0)
    meta, msg = _received(plain_server, result)
    lines = _raw_headers(plain_server, meta).split(b"\r\n")
    assert max(len(line) for line in lines) <= 998
    assert msg["Subject"] == "S" * 5000 + " " + ("wörter " * 300).strip()
    assert meta["rcpt_tos"] == ["long@example.net", "u@example.net"]
    # email.headerregistry puts a space between encoded words; RFC 2047 6.2 says to ignore it.
    raw_to = email.message_from_bytes(plain_server.raw(meta), policy=email.policy.compat32)["To"]
    raw_to = raw_to.replace("\r\n", "").replace("\n", "")
    names = [str(email.header.make_header(email.header.decode_header(part.rsplit(" <", 1)[0])))
             for part in raw_to.split(">, ")]
    assert names == ["N" * 1200, "Ü" * 300]


def test_an_address_literal_is_a_valid_ehlo_name(address_run, plain_server):
    result = address_run["run"].result("ehlo_literal")
    meta, _msg = _received(plain_server, result)
    assert meta["helo"] == "[127.0.0.1]"


def _expected_default_ehlo():
    """What a careful client announces without DNS: this host's FQDN if known locally, else our address."""
    name = socket.gethostname()
    if "." in name:
        return name
    if os.path.exists("/etc/hosts"):
        with open("/etc/hosts", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                names = line.split("#", 1)[0].split()[1:]
                if name.lower() in [n.lower() for n in names]:
                    for candidate in names:
                        if candidate.lower().startswith(name.lower() + "."):
                            return candidate
    return "[127.0.0.1]"


def test_default_ehlo_name_is_fully_qualified_without_dns(address_run, plain_server):
    run = address_run["default_run"]
    result = run.result("default ehlo")
    assert_flint_shape(result, 0)
    meta, _msg = _received(plain_server, result)
    assert meta["helo"] == _expected_default_ehlo()
    assert "." in meta["helo"] or meta["helo"].startswith("[")
    # No resolver call for a name: only numeric getaddrinfo (the target 127.0.0.1), no reverse lookups.
    lookups = [e for e in run.net if e["event"] != "connect"]
    assert not [e for e in lookups if e["event"] in ("gethostbyname", "gethostbyaddr", "getnameinfo")], lookups
    assert {e["host"] for e in lookups if e["event"] == "getaddrinfo"} <= {"127.0.0.1", None}, lookups
