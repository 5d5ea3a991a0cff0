# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The full message sent from the managed host over real SSH: inline images and attachments that
only the SSH user can read, streamed by the module there; the same structure as from the controller."""

from __future__ import annotations

import os
import uuid

import pytest

from conftest import assert_flint_shape, parse_email, play, send

pytestmark = pytest.mark.sshd

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
NAME = u"Log Grüße ✓.bin"
HTML = u'<h1>Host report</h1><p>Grüße ✓</p>\n.<img src="cid:logo">'


def _own(managed_host, path, data):
    with open(path, "wb") as handle:
        handle.write(data)
    os.chown(path, managed_host.uid, managed_host.gid)
    os.chmod(path, 0o600)


@pytest.fixture(scope="module")
def target_message(ansible, managed_host, mh_dir, plain_server):
    tag = uuid.uuid4().hex[:10]
    home_rel = "~/" + os.path.basename(mh_dir)
    blob = os.urandom(3 * 1024 * 1024 + 17) + b"\r\n.\r\n"  # several chunks, a lone-dot line inside
    _own(managed_host, os.path.join(mh_dir, "logo.png"), PNG)
    _own(managed_host, os.path.join(mh_dir, NAME), blob)
    args = {"target": plain_server.target, "security": "none", "from": "%s@example.com" % managed_host.host,
            "to": "ops@example.net", "subject": u"Grüße from the host " + tag, "content_type": "text/html",
            "body": HTML, "inline_images": [{"path": home_rel + "/logo.png", "cid": "logo"}],
            "attachments": [home_rel + "/" + NAME], "reply_to": "noc@example.net", "priority": "low",
            "headers": {"X-Host": managed_host.host}, "save_eml": home_rel + "/sent.eml", "ehlo_name": "mt-" + tag}
    tasks = [send("from target", dict(args, send_from="target")),
             # The same paths from the controller: "~" is root's home there, so the image is not found.
             send("from controller", dict(args, send_from="controller"))]
    run = ansible.playbook([play(tasks, hosts=managed_host.host)], inventory=managed_host.inventory,
                           name="message-target")
    assert run.rc == 0, run.describe()
    return {"run": run, "blob": blob, "tag": tag}


def test_target_streams_the_full_message(target_message, managed_host, mh_dir, plain_server):
    result = target_message["run"].result("from target")
    assert_flint_shape(result, 0, send_from="target")
    expected = ("multipart/mixed(multipart/alternative(text/plain, multipart/related(text/html, image/png)), "
                "application/octet-stream)")
    assert result["mime_structure"] == expected
    meta, _msg = plain_server.message_by_id(result["message_id"])
    raw = plain_server.raw(meta)
    msg = parse_email(raw)
    assert msg.get_body(("html",)).get_content() == HTML + "\n"
    assert msg.get_body(("plain",)).get_content() == u"Host report\n\nGrüße ✓\n\n.\n"
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    assert list(related.iter_parts())[1].get_content() == PNG
    (attachment,) = msg.iter_attachments()
    assert attachment["Content-Disposition"].params["filename"] == NAME
    assert attachment.get_content() == target_message["blob"]
    expected_headers = ("noc@example.net", "5 (Lowest)", managed_host.host)
    assert (msg["Reply-To"], msg["X-Priority"], msg["X-Host"]) == expected_headers
    assert meta["size"] == result["size"] == len(raw) and "SIZE=%d" % len(raw) in meta["mail_options"]
    eml = os.path.join(mh_dir, "sent.eml")
    assert managed_host.owner_of(eml) == managed_host.uid and managed_host.mode_of(eml) == 0o600
    with open(eml, "rb") as handle:
        assert handle.read() == raw  # save_eml streams the same bytes on the host


def test_same_paths_on_the_controller_are_an_input_error(target_message):
    result = target_message["run"].result("from controller")
    assert_flint_shape(result, 1, send_from="controller")
    assert result["phase"] == "input" and NAME in result["msg"] and "cannot be read" in result["msg"]
