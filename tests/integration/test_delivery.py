# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Delivery from the controller: what the SMTP server really received for each kind of send."""

from __future__ import annotations

import email
import email.policy
import os

import pytest

from conftest import SMTP_USER, assert_flint_shape, auth_args, parse_email, play, send


def _received(server, result):
    """The stored (metadata, email) of the message ``result`` reports, which must exist."""
    found = server.message_by_id(result["message_id"])
    assert found is not None, "server %s has no message %s" % (server.where, result["message_id"])
    return found


@pytest.mark.parametrize("mode", ["plain", "starttls", "tls"])
def test_security_modes(ansible, tag, mode, plain_server, starttls_server, tls_server):
    if mode == "plain":
        server = plain_server
        args = {"target": server.host, "port": server.port, "security": "none"}
    elif mode == "starttls":
        server = starttls_server
        args = auth_args(server)  # security left unset: STARTTLS is the default off port 465
    else:
        server = tls_server
        # By name, so the certificate check really matches a host name against the test CA.
        args = auth_args(server, target="localhost", port=server.port, security="tls")
    args.update({"from": "Sender <sender@example.com>", "to": "rcpt@example.net", "subject": "mode %s %s" % (mode, tag),
                 "body": "hello over %s\n" % mode, "ehlo_name": tag})
    run = ansible.playbook([play([send("send", args)])])
    assert run.rc == 0, run.describe()
    result = run.result("send")
    assert_flint_shape(result, 0, send_from="controller")
    assert result["changed"] is True
    assert result["accepted"] == ["rcpt@example.net"] and result["refused"] == {}
    assert "via %s:%d" % (args["target"].split(":")[0], server.port) in result["msg"]

    meta, msg = _received(server, result)
    assert meta["mail_from"] == "sender@example.com"
    assert meta["rcpt_tos"] == ["rcpt@example.net"]
    assert meta["helo"] == tag
    assert msg["Subject"] == "mode %s %s" % (mode, tag)
    assert msg.get_content() == "hello over %s\n" % mode
    assert meta["size"] == result["size"]

    session = result["session"]
    assert session["port"] == server.port
    if mode == "plain":
        assert meta["tls"] is False and meta["auth_user"] is None
        assert session == {"host": "127.0.0.1", "port": server.port, "security": "none", "tls_version": None,
                           "authenticated": False, "reused": False}
    else:
        assert meta["tls"] is True and meta["tls_version"].startswith("TLS")
        assert meta["auth_user"] == SMTP_USER
        assert session["security"] == ("tls" if mode == "tls" else "starttls")
        assert session["tls_version"] == meta["tls_version"]
        assert session["authenticated"] is True
    if mode == "starttls":
        (sess,) = server.sessions_from(tag)
        verbs = sess["verbs"]
        # Upgraded before anything else, and the credentials only went over TLS.
        assert verbs[:3] == ["EHLO", "STARTTLS", "EHLO"], verbs
        auth = [c for c in sess["commands"] if c["verb"] == "AUTH"]
        assert auth and all(c["tls"] for c in auth)
        assert sess["auth"][-1]["success"] is True and sess["auth"][-1]["user"] == SMTP_USER


def test_cc_and_bcc_are_delivered_and_bcc_is_not_in_the_headers(ansible, tag, starttls_server):
    server = starttls_server
    args = auth_args(server, **{
        "from": "ops@example.com",
        "to": "To One <to1@example.net>, to2@example.net",  # Flint's comma-separated form
        "cc": ["cc1@example.net", "Cc Two <cc2@example.net>"],
        "bcc": "hidden-bcc@example.org",
        "subject": "cc and bcc " + tag, "body": "for everyone", "ehlo_name": tag})
    run = ansible.playbook([play([send("send", args)])])
    assert run.rc == 0, run.describe()
    result = run.result("send")
    assert_flint_shape(result, 0, send_from="controller")
    everyone = ["to1@example.net", "to2@example.net", "cc1@example.net", "cc2@example.net", "hidden-bcc@example.org"]
    assert sorted(result["recipients"]) == sorted(everyone)
    assert sorted(result["accepted"]) == sorted(everyone)

    meta, msg = _received(server, result)
    assert sorted(meta["rcpt_tos"]) == sorted(everyone)
    assert len(server.messages_from(tag)) == 1  # one message for all, not one per recipient
    assert msg["To"] == "To One <to1@example.net>, to2@example.net"
    assert msg["Cc"] == "cc1@example.net, Cc Two <cc2@example.net>"
    assert msg["Bcc"] is None
    assert b"hidden-bcc" not in server.raw(meta)


def test_attachments_round_trip(ansible, tag, plain_server, tmp_path):
    server = plain_server
    text = u"Disk report \u00fc\u00e9\r\nline two\n".encode("utf-8")
    binary = bytes(range(256)) * 8 + b"\r\n.\r\n\x00end"  # CR/LF, a lone dot line and NUL survive
    txt, binf = tmp_path / "report.txt", tmp_path / "blob.bin"
    txt.write_bytes(text)
    binf.write_bytes(binary)
    base = {"target": server.target, "security": "none", "from": "a@example.com", "to": "b@example.net",
            "ehlo_name": tag}
    tasks = [
        send("list form", dict(base, subject="list " + tag, attachments=[str(txt), str(binf)])),
        send("comma string", dict(base, subject="comma " + tag, attachments="%s , %s" % (txt, binf))),
        # A relative path is looked up like copy's src: files/ next to the playbook.
        send("relative", dict(base, subject="relative " + tag, attachments="relative.txt")),
        send("relative comma string", dict(base, subject="relative comma " + tag,
                                           attachments="relative.txt, other.txt")),
    ]
    run = ansible.playbook([play(tasks)], files={"files/relative.txt": b"found in files/\n",
                                                 "files/other.txt": b"also in files/\n"})
    assert run.rc == 0, run.describe()

    for name in ("list form", "comma string"):
        result = run.result(name)
        assert_flint_shape(result, 0, send_from="controller")
        assert [(a["filename"], a["size"], a["content_type"]) for a in result["attachments"]] == [
            ("report.txt", len(text), "text/plain"), ("blob.bin", len(binary), "application/octet-stream")]
        _meta, msg = _received(server, result)
        parts = list(msg.iter_attachments())
        assert [p.get_filename() for p in parts] == ["report.txt", "blob.bin"]
        assert [p.get_content_type() for p in parts] == ["text/plain", "application/octet-stream"]
        assert parts[0].get_payload(decode=True) == text
        assert parts[1].get_payload(decode=True) == binary
        assert msg.get_body(("plain",)).get_content().strip() == ""

    result = run.result("relative")
    assert_flint_shape(result, 0, send_from="controller")
    assert result["attachments"][0]["path"] == os.path.join(run.dir, "files", "relative.txt")
    _meta, msg = _received(server, result)
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "relative.txt"
    assert part.get_payload(decode=True) == b"found in files/\n"

    result = run.result("relative comma string")
    assert_flint_shape(result, 0, send_from="controller")
    assert [a["path"] for a in result["attachments"]] == [
        os.path.join(run.dir, "files", "relative.txt"), os.path.join(run.dir, "files", "other.txt")]
    _meta, msg = _received(server, result)
    assert [(p.get_filename(), p.get_payload(decode=True)) for p in msg.iter_attachments()] == [
        ("relative.txt", b"found in files/\n"), ("other.txt", b"also in files/\n")]


@pytest.mark.parametrize("key", ["content_type", "content-type"])
def test_html_body(ansible, tag, plain_server, key):
    server = plain_server
    html = "<html><body><h1>All green</h1><p>%s</p></body></html>" % tag
    args = {"target": server.target, "security": "none", "from": "a@example.com", "to": "b@example.net",
            "subject": "html " + tag, "body": html, key: "text/html", "ehlo_name": tag}
    run = ansible.playbook([play([send("send", args)])])
    assert run.rc == 0, run.describe()
    result = run.result("send")
    assert_flint_shape(result, 0, send_from="controller")
    _meta, msg = _received(server, result)
    # HTML goes with a text version derived from it (tests/integration/test_message.py has the rest).
    assert msg.get_content_type() == "multipart/alternative"
    assert msg.get_body(("html",)).get_content().strip() == html
    assert msg.get_body(("plain",)).get_content() == "All green\n\n%s\n" % tag


def test_loop_and_register(ansible, tag, plain_server):
    server = plain_server
    args = {"target": server.target, "security": "none", "from": "loop@example.com", "to": "{{ item }}@example.net",
            "subject": "loop {{ item }} " + tag, "ehlo_name": tag}
    tasks = [
        send("send each", args, register="mails", loop=["one", "two", "three"]),
        {"name": "use the registered results", "ansible.builtin.assert": {"that": [
            "mails.results | length == 3",
            "mails.results | map(attribute='rc') | list == [0, 0, 0]",
            "mails.results | map(attribute='meta') | map(attribute='exit-code') | list == [0, 0, 0]",
            "mails.results | map(attribute='accepted') | flatten == "
            "['one@example.net', 'two@example.net', 'three@example.net']",
            "mails is changed",
        ]}},
    ]
    run = ansible.playbook([play(tasks)])
    assert run.rc == 0, run.describe()
    assert run.status("use the registered results") == "ok"
    results = run.result("send each")["results"]
    assert [r["item"] for r in results] == ["one", "two", "three"]
    for item, result in zip(["one", "two", "three"], results):
        assert_flint_shape(result, 0, send_from="controller")
        meta, msg = _received(server, result)
        assert meta["rcpt_tos"] == ["%s@example.net" % item]
        assert msg["Subject"] == "loop %s %s" % (item, tag)
    assert len({r["meta"]["job-id"] for r in results}) == 3
    assert len(server.messages_from(tag)) == 3


def test_module_defaults_group(ansible, tag, starttls_server):
    server = starttls_server
    defaults = {"group/flint.smtp.smtp": auth_args(server, ehlo_name=tag)}
    tasks = [send("send", {"from": "a@example.com", "to": "b@example.net", "subject": "defaults " + tag})]
    run = ansible.playbook([play(tasks, module_defaults=defaults)])
    assert run.rc == 0, run.describe()
    result = run.result("send")
    assert_flint_shape(result, 0, send_from="controller")
    assert result["session"]["authenticated"] is True
    meta, _msg = _received(server, result)
    assert meta["auth_user"] == SMTP_USER and meta["tls"] is True and meta["helo"] == tag


def test_adhoc(ansible, tag, plain_server):
    server = plain_server
    module_args = ("target=%s security=none from=adhoc@example.com to='x@example.net, y@example.net' "
                   "subject='ad hoc %s' body='sent by ansible -m' ehlo_name=%s" % (server.target, tag, tag))
    run = ansible.adhoc("localhost", "flint.smtp.send", module_args)
    assert run.rc == 0, run.describe()
    (record,) = run.records
    assert record["status"] == "ok" and record["host"] == "localhost"
    result = record["result"]
    assert_flint_shape(result, 0, send_from="controller")
    assert result["meta"]["job-id"] in run.stdout  # the Flint result is printed
    meta, msg = _received(server, result)
    assert meta["rcpt_tos"] == ["x@example.net", "y@example.net"]
    assert msg["Subject"] == "ad hoc " + tag
    assert msg.get_content() == "sent by ansible -m\n"


def test_save_eml_is_what_the_server_received(ansible, tag, plain_server, tmp_path):
    server = plain_server
    eml = tmp_path / "sent.eml"
    args = {"target": server.target, "security": "none", "from": "a@example.com", "to": "b@example.net",
            "bcc": "secret-bcc@example.org", "subject": "eml " + tag, "body": "line\n.\nafter a dot line\n",
            "save_eml": str(eml), "ehlo_name": tag}
    run = ansible.playbook([play([send("send", args)])])
    assert run.rc == 0, run.describe()
    result = run.result("send")
    assert_flint_shape(result, 0, send_from="controller")
    assert result["eml_path"] == str(eml)
    meta, _msg = _received(server, result)
    assert eml.read_bytes() == server.raw(meta)
    assert oct(eml.stat().st_mode & 0o777) == oct(0o600)
    assert parse_email(eml.read_bytes())["Bcc"] is None
    assert "secret-bcc@example.org" in meta["rcpt_tos"]


def test_non_ascii_addresses_headers_and_body(ansible, tag, plain_server):
    server = plain_server
    args = {"target": server.target, "security": "none", "ehlo_name": tag,
            "from": u"Ren\u00e9e M\u00fcller <renee@example.com>",
            "to": u"J\u00f6rg <j\u00f6rg@example.net>, plain@example.net",
            # A line break from a template is folded into a space, never a header break.
            "subject": u"Gr\u00fc\u00dfe \u2013 report\nsecond line " + tag,
            "body": u"\u00c4rger? Nein: \u2713 alles gr\u00fcn\n"}
    run = ansible.playbook([play([send("send", args)])])
    assert run.rc == 0, run.describe()
    result = run.result("send")
    assert_flint_shape(result, 0, send_from="controller")
    meta, msg = _received(server, result)
    assert msg.get_content() == u"\u00c4rger? Nein: \u2713 alles gr\u00fcn\n"
    # SMTPUTF8 headers are raw UTF-8 (RFC 6532): parse the text, not the ASCII-only byte form.
    text = server.raw(meta).decode("utf-8").replace("\r\n", "\n")
    headers = email.message_from_string(text, policy=email.policy.default)
    assert meta["rcpt_tos"] == [u"j\u00f6rg@example.net", "plain@example.net"]
    assert meta["smtputf8"] is True and "SMTPUTF8" in meta["mail_options"]
    assert headers["Subject"] == u"Gr\u00fc\u00dfe \u2013 report second line " + tag
    assert headers["From"].addresses[0].display_name == u"Ren\u00e9e M\u00fcller"
    assert headers["To"].addresses[0].display_name == u"J\u00f6rg"
