# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 6, items 3, 4, 6 and 14 through real ansible-playbook runs, on both send paths.

The target path here is the module run on localhost (send_from: target over the local
connection): the same module code the SSH managed host runs.
"""

from __future__ import annotations

import base64
import os
import stat

import pytest

from conftest import SMTP_USER, Server, assert_flint_shape, play, send

import smtp_server

# Non-ASCII in several scripts, so that every encoding of it differs from its ASCII neighbours.
UTF8_PASSWORD = "Pässwörd-€-ĳ-%s" % base64.b32encode(os.urandom(5)).decode()
PATHS = ("controller", "target")


def _vars():
    return {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}


@pytest.fixture(scope="module")
def utf8_server(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("smtp-utf8-pw"))
    with smtp_server.running_server("tls", store=store, auth_user=SMTP_USER, auth_password=UTF8_PASSWORD,
                                    require_auth=True, max_seconds=1800) as info:
        yield Server(info)


def _server_args(server, tag, **more):
    args = {"target": server.target, "security": "tls", "ca_path": server.ca_path, "username": SMTP_USER,
            "password": UTF8_PASSWORD, "from": "a@example.com", "to": "b@example.net", "ehlo_name": tag,
            "subject": "utf8 " + tag, "timeout": 20000}
    args.update(more)
    return args


def _pieces(secret):
    """The secret, its escaped and base64 forms, and every run of 5 characters of each (8 of base64,
    whose short runs could turn up in any random id)."""
    raw = secret.encode("utf-8")
    forms = {5: {secret, secret.encode("unicode_escape").decode(), ascii(secret)[1:-1], repr(raw)[2:-1]},
             8: {base64.b64encode(raw).decode(), base64.b64encode(b"\0" + SMTP_USER.encode() + b"\0" + raw).decode()}}
    pieces = set()
    for size, group in forms.items():
        for form in group:
            pieces.update(form[i:i + size] for i in range(len(form) - size + 1))
    return pieces | {"'\\xe4' in position", "'ä' in position"}


def test_non_ascii_password_authenticates_on_both_paths_and_never_shows(ansible, tag, utf8_server):
    tasks = []
    for where in PATHS:
        tasks.append(send("login %s" % where, _server_args(utf8_server, tag, send_from=where)))
        tasks.append(send("wrong %s" % where, _server_args(utf8_server, tag, send_from=where,
                                                           password=UTF8_PASSWORD[::-1])))
    run = ansible.playbook([play(tasks, vars=_vars())], verbosity=4)
    assert run.rc == 0, run.describe()
    for where in PATHS:
        ok = run.result("login %s" % where)
        assert_flint_shape(ok, 0, send_from=where)
        bad = run.result("wrong %s" % where)
        assert_flint_shape(bad, -1, send_from=where)
        assert bad["phase"] == "auth" and bad["smtp_code"] == 535, bad
    stored = utf8_server.messages_from(tag)
    assert len(stored) == 2 and {m["auth_user"] for m in stored} == {SMTP_USER}
    captured = "\n".join(str(r) for r in run.records)
    for piece in _pieces(UTF8_PASSWORD) | _pieces(UTF8_PASSWORD[::-1]):
        for name, text in (("stdout", run.stdout), ("stderr", run.stderr), ("results", captured)):
            assert piece not in text, "a piece of the password (%r) is in %s" % (piece, name)


def _mode(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


@pytest.mark.parametrize("where", PATHS)
def test_save_eml_replaces_a_symlink_and_is_always_owner_only(ansible, tmp_path, where):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"must stay\n")
    victim.chmod(0o644)
    link, loose = tmp_path / "link.eml", tmp_path / "loose.eml"
    link.symlink_to(victim)
    loose.write_bytes(b"old\n")
    loose.chmod(0o644)
    base = {"target": "127.0.0.1:9", "security": "none", "from": "a@example.com", "to": "b@example.net",
            "subject": "preview", "deliver": False, "send_from": where}
    tasks = [send("through link", dict(base, save_eml=str(link))),
             send("over loose", dict(base, save_eml=str(loose)))]
    run = ansible.playbook([play(tasks, vars=_vars())])
    assert run.rc == 0, run.describe()
    for name, path in (("through link", link), ("over loose", loose)):
        assert_flint_shape(run.result(name), 0, send_from=where)
        assert not path.is_symlink() and _mode(path) == 0o600
        assert b"Subject: preview" in path.read_bytes()
    assert victim.read_bytes() == b"must stay\n" and _mode(victim) == 0o644
    assert sorted(os.listdir(str(tmp_path))) == ["link.eml", "loose.eml", "victim.txt"]  # no temp file left


@pytest.mark.parametrize("where", PATHS)
def test_a_list_item_is_one_path_commas_included(ansible, tag, plain_server, tmp_path, where):
    (tmp_path / "Q3 report, final.pdf").write_bytes(b"%PDF-1.4 q3\n")
    (tmp_path / "a.txt").write_bytes(b"a\n")
    (tmp_path / "b.txt").write_bytes(b"b\n")
    base = {"target": plain_server.target, "security": "none", "from": "a@example.com", "to": "b@example.net",
            "ehlo_name": tag, "send_from": where}
    tasks = [
        send("list", dict(base, subject="list", attachments=[str(tmp_path / "Q3 report, final.pdf")]),
             register="listed"),
        send("flint string", dict(base, subject="string",
                                  attachments="%s, %s" % (tmp_path / "a.txt", tmp_path / "b.txt")),
             register="string"),
        send("bad item", dict(base, subject="bad", attachments=[str(tmp_path / "a.txt"), 5])),
    ]
    run = ansible.playbook([play(tasks, vars=_vars())])
    assert run.rc == 0, run.describe()
    listed = plain_server.message_by_id(run.result("list")["message_id"])[1]
    assert [(p.get_filename(), p.get_payload(decode=True)) for p in listed.iter_attachments()] == [
        ("Q3 report, final.pdf", b"%PDF-1.4 q3\n")]
    string = plain_server.message_by_id(run.result("flint string")["message_id"])[1]
    assert [p.get_filename() for p in string.iter_attachments()] == ["a.txt", "b.txt"]
    bad = run.result("bad item")
    assert_flint_shape(bad, 1, send_from=where)
    assert "attachments: item 2 is a number, but each item must be one path" in bad["msg"]
    assert len(plain_server.messages_from(tag)) == 2


def test_async_with_send_from_controller_is_refused_not_run_sync(ansible, tag, plain_server):
    base = {"target": plain_server.target, "security": "none", "from": "a@example.com", "to": "b@example.net",
            "ehlo_name": tag, "subject": "async " + tag}
    tasks = [send("async controller", dict(base, send_from="controller"), **{"async": 60, "poll": 0}),
             send("async controller polled", dict(base, send_from="controller"), **{"async": 60, "poll": 2}),
             send("async auto", dict(base, send_from="auto"), register="job", **{"async": 60, "poll": 2})]
    run = ansible.playbook([play(tasks, vars=_vars())])
    assert run.rc == 0, run.describe()
    for name in ("async controller", "async controller polled"):
        result = run.result(name)
        assert_flint_shape(result, 1)
        assert "send_from: controller cannot run as an async task" in result["msg"], result
    auto = run.result("async auto")
    assert_flint_shape(auto, 0, send_from="target")
    # Only the async auto task (which runs the module on the host) sent anything.
    assert len(plain_server.messages_from(tag)) == 1
