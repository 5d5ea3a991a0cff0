# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The message as a server receives it: structure, headers and decoded content for each kind of mail,
DSN and SIZE on the wire, and input errors that stop a task before any connection.

One ansible-playbook run (module scope) holds every case; each case is parsed from what the loopback
server stored, with the standard library.
"""

from __future__ import annotations

import os
import uuid

import pytest

import smtp_server
from conftest import Server, assert_flint_shape, parse_email, play, send

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
GIF = b"GIF89a" + bytes(range(255, -1, -1)) * 2
PDF_NAME = u"Bericht Grüße ✓ – Ä.pdf"
PDF = b"%PDF-1.4\n" + os.urandom(150000) + b"\r\n.\r\n"  # binary with a lone-dot line
DOTS = u".starts with a dot\n..two\n.\nFrom here\nÜmlaut ✓\n"
HTML = (u'<html><body><h1>Status</h1><p>All <b>green</b> ✓</p>\n.<p>dot line</p>'
        u'<img src="cid:logo" alt="Logo"><div style="background:url(cid:chart)">chart</div>'
        u'<p><a href="https://status.example.com/r/1">details</a></p></body></html>')


@pytest.fixture(scope="module")
def extra_servers(tmp_path_factory):
    """A server that offers DSN, and one whose SIZE limit is 20000 bytes."""
    with smtp_server.running_server("plain", store=str(tmp_path_factory.mktemp("smtp-dsn")), dsn=True,
                                    max_seconds=1800) as dsn, \
            smtp_server.running_server("plain", store=str(tmp_path_factory.mktemp("smtp-small")),
                                       max_message_size=20000, max_seconds=1800) as small:
        yield {"dsn": Server(dsn), "small": Server(small)}


@pytest.fixture(scope="module")
def message_run(ansible, plain_server, extra_servers, tmp_path_factory):
    tag = uuid.uuid4().hex[:10]
    work = tmp_path_factory.mktemp("message-files")
    pdf = work / PDF_NAME
    pdf.write_bytes(PDF)
    chart = work / "chart.gif"
    chart.write_bytes(GIF)
    base = {"target": plain_server.target, "security": "none", "from": u"Zoë Ops <ops@example.com>",
            "to": "a@example.net", "ehlo_name": "msg-" + tag}
    html = dict(base, content_type="text/html", body=HTML)
    images = [{"path": "logo.png", "cid": "logo"}, {"path": str(chart), "cid": "chart"}]
    cases = {
        "plain": dict(base, subject="plain " + tag, body=DOTS),
        "html derived": dict(html, subject="html " + tag, body=u"<p>Hello <b>team</b></p><ul><li>one</li></ul>"),
        "html alone": dict(html, subject="html alone " + tag, body="<p>x</p>", derive_body_text=False),
        "everything": dict(html, subject=u"Grüße ✓ everything " + tag, body_text=DOTS, inline_images=images,
                           attachments=[str(pdf)], reply_to=u"Zoë <zoe@example.com>",
                           in_reply_to="parent-1@example.com", references=["<root@example.com>", "parent-1@example.com"],
                           priority="high", message_id_domain="mid.example.org",
                           headers={"X-Ticket": 4711, "X-Note": u"Ünïcode ✓", "X-Empty": ""}),
        "override": dict(base, subject="override " + tag, headers_override=True,
                         headers={"To": "Undisclosed <list@example.net>", "Content-Language": "de"}),
        "dsn": dict(base, target=extra_servers["dsn"].target, subject="dsn " + tag, dsn_notify=["FAILURE", "DELAY"],
                    dsn_return="HDRS"),
        "dsn not offered": dict(base, subject="no dsn " + tag, dsn_notify=["SUCCESS"]),
        "too big": dict(base, target=extra_servers["small"].target, subject="big " + tag, attachments=[str(pdf)]),
        "unknown cid": dict(html, subject="cid " + tag, body='<img src="cid:nope">'),
        "unused image": dict(html, subject="unused " + tag, body="<p>no image</p>", inline_images=images[:1]),
        "header injection": dict(base, subject="inject " + tag, headers={"X-A": "v\r\nBcc: evil@example.org"}),
        "protected header": dict(base, subject="protected " + tag, headers={"From": "boss@example.com"}),
        "eml": dict(html, subject="eml " + tag, inline_images=images, attachments=[str(pdf)],
                    save_eml=str(work / "out.eml")),
    }
    for index, args in enumerate(cases.values()):
        args["ehlo_name"] = "c%d-%s.flint.test" % (index, tag)  # each case's sessions apart
    tasks = [send(name, args) for name, args in cases.items()]
    run = ansible.playbook([play(tasks)], files={"files/logo.png": PNG}, name="message")
    assert run.rc == 0, run.describe()
    return {"run": run, "tag": tag, "work": work, "cases": cases}


def _received(server, result):
    found = server.message_by_id(result["message_id"])
    assert found is not None, "no message %s at %s" % (result["message_id"], server.where)
    meta, _msg = found
    return meta, parse_email(server.raw(meta))


def _tree(part):
    if part.is_multipart():
        return "%s(%s)" % (part.get_content_type(), ", ".join(_tree(p) for p in part.iter_parts()))
    return part.get_content_type()


def _ok(message_run, name):
    result = message_run["run"].result(name)
    assert_flint_shape(result, 0, send_from="controller")
    return result


def test_plain_is_one_text_part_with_dot_lines_intact(message_run, plain_server):
    result = _ok(message_run, "plain")
    meta, msg = _received(plain_server, result)
    assert _tree(msg) == "text/plain" == result["mime_structure"]
    assert msg.get_content() == DOTS
    assert "SIZE=%d" % result["size"] in meta["mail_options"] and meta["size"] == result["size"]
    assert msg["Date"].endswith("+0000") and msg["MIME-Version"] == "1.0"


def test_html_gets_a_derived_text_alternative(message_run, plain_server):
    _meta, msg = _received(plain_server, _ok(message_run, "html derived"))
    assert _tree(msg) == "multipart/alternative(text/plain, text/html)"
    assert msg.get_body(("plain",)).get_content() == "Hello team\n\n- one\n"
    assert msg.get_body(("html",)).get_content() == u"<p>Hello <b>team</b></p><ul><li>one</li></ul>\n"
    _meta, alone = _received(plain_server, _ok(message_run, "html alone"))
    assert _tree(alone) == "text/html"


def test_everything(message_run, plain_server):
    result = _ok(message_run, "everything")
    meta, msg = _received(plain_server, result)
    expected = ("multipart/mixed(multipart/alternative(text/plain, multipart/related(text/html, image/png, "
                "image/gif)), application/pdf)")
    assert _tree(msg) == expected == result["mime_structure"]
    assert msg.get_body(("plain",)).get_content() == DOTS
    assert msg.get_body(("html",)).get_content() == HTML + "\n"
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    _html, logo, chart = related.iter_parts()
    assert (logo["Content-ID"], logo.get_content_disposition(), logo.get_filename(), logo.get_content()) == (
        "<logo>", "inline", "logo.png", PNG)
    assert (chart["Content-ID"], chart.get_content()) == ("<chart>", GIF)
    (pdf,) = msg.iter_attachments()
    assert pdf.get_filename() == PDF_NAME and pdf.get_content() == PDF
    assert msg["Subject"] == u"Grüße ✓ everything " + message_run["tag"]
    assert msg["From"].addresses[0].display_name == u"Zoë Ops"
    assert msg["Reply-To"].addresses[0].display_name == u"Zoë"
    assert msg["In-Reply-To"] == "<parent-1@example.com>"
    assert msg["References"] == "<root@example.com> <parent-1@example.com>"
    assert (msg["X-Priority"], msg["Importance"]) == ("1 (Highest)", "high")
    assert msg["X-Ticket"] == "4711" and msg["X-Note"] == u"Ünïcode ✓" and msg["X-Empty"] is None
    assert msg["Message-ID"] == result["message_id"] and result["message_id"].endswith("@mid.example.org>")
    assert [(i["cid"], i["size"]) for i in result["inline_images"]] == [("logo", len(PNG)), ("chart", len(GIF))]
    assert result["inline_images"][0]["path"].endswith(os.path.join("files", "logo.png"))  # found like copy's src
    assert meta["size"] == result["size"] and "SIZE=%d" % result["size"] in meta["mail_options"]
    assert not [k for k, v in msg.items() if not str(v).strip()]  # no empty headers


def test_override_changes_headers_not_the_envelope(message_run, plain_server):
    meta, msg = _received(plain_server, _ok(message_run, "override"))
    assert msg["To"] == "Undisclosed <list@example.net>" and msg["Content-Language"] == "de"
    assert meta["rcpt_tos"] == ["a@example.net"]


def test_dsn_parameters_when_offered(message_run, extra_servers):
    result = _ok(message_run, "dsn")
    meta, _msg = _received(extra_servers["dsn"], result)
    assert "RET=HDRS" in meta["mail_options"] and meta["rcpt_options"] == ["NOTIFY=FAILURE,DELAY"]
    assert not result.get("warnings")


def test_dsn_not_offered_sends_without_and_warns(message_run, plain_server):
    record = message_run["run"].record("dsn not offered")
    meta, _msg = _received(plain_server, record["result"])
    assert not any(o.startswith(("RET=", "NOTIFY=")) for o in meta["mail_options"] + meta["rcpt_options"])
    assert "does not offer DSN" in message_run["run"].output


def test_too_big_for_the_server_fails_before_mail(message_run, extra_servers):
    result = message_run["run"].result("too big")
    assert_flint_shape(result, -1, send_from="controller")
    assert result["phase"] == "mail" and result["sent"] is False
    assert "%d bytes" % result["size"] in result["msg"] and "limit of 20000 bytes" in result["msg"]
    (session,) = extra_servers["small"].sessions_from(message_run["cases"]["too big"]["ehlo_name"])
    assert "EHLO" in session["verbs"] and "MAIL" not in session["verbs"]


@pytest.mark.parametrize("name, words", [
    ("unknown cid", "refers to cid:nope"),
    ("unused image", "logo never referenced"),
    ("header injection", "control character U+000D"),
    ("protected header", "headers_override"),
])
def test_input_errors_open_no_connection(message_run, plain_server, name, words):
    result = message_run["run"].result(name)
    assert_flint_shape(result, 1, send_from="controller")
    assert result["phase"] == "input" and words in result["msg"]
    assert plain_server.sessions_from(message_run["cases"][name]["ehlo_name"]) == []  # never connected


def test_save_eml_streams_what_the_server_received(message_run, plain_server):
    result = _ok(message_run, "eml")
    meta, _msg = _received(plain_server, result)
    with open(result["eml_path"], "rb") as handle:
        assert handle.read() == plain_server.raw(meta)
