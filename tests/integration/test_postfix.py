# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""flint.smtp.send through a real Postfix (scripts/testhosts/postfix.sh), from the controller
and from the SSH managed host: STARTTLS submission with SASL, implicit TLS, the plain relay port,
and Postfix's own refusals. Delivery is checked in Postfix's Maildir, not in our test server.

Each path is one ``ansible-playbook -vvvv`` run holding every case (module-scoped fixture).
"""

from __future__ import annotations

import base64
import json
import os
import uuid

import pytest

from conftest import assert_flint_shape, play, secret_forms, send

ATTACHMENT = bytes(range(256)) * 40 + b"\r\n.\r\nnot an end of DATA\r\n"  # binary, with a lone dot line


def _cases(pfx, attachment):
    """name -> (task args, expected): expected is ("ok", n_copies) or (phase, code, text)."""
    sub = {"target": pfx.target("submission"), "ca_path": pfx.ca_path}
    login = dict(sub, username=pfx.user, password=pfx.password)
    return {
        "submission": (dict(login, to="To <to@example.net>", cc="cc@example.org", bcc="hidden@example.com",
                            attachments=[attachment], body="over submission\n"), ("ok", 3)),
        "smtps": (dict(login, target="localhost:%d" % pfx.ports["smtps"], security="tls", to="tls@example.net"),
                  ("ok", 1)),
        "plain_relay": ({"target": pfx.target("plain"), "security": "none", "to": "relay@example.net"}, ("ok", 1)),
        "wrong_password": (dict(login, password="Wrong-" + uuid.uuid4().hex, to="x@example.net"),
                           ("auth", 535, "rejected the credentials")),
        "refused_relay": (dict(sub, to="someone@elsewhere.test"), ("rcpt", 554, "Relay access denied")),
        "rcpt_550": (dict(login, to="reject@example.net"), ("rcpt", 550, "no such user")),
        "rcpt_450": (dict(login, to="tempfail@example.net"), ("rcpt", 450, "try again later")),
        "rcpt_452": (dict(login, to="full@example.net"), ("rcpt", 452, "Mailbox full")),
        "submission_needs_tls": (dict(sub, security="none", to="x@example.net"),
                                 ("mail", 530, "Must issue a STARTTLS command first")),
        "utf8_password": (dict(login, username=pfx.utf8_user, password=pfx.utf8_password, to="utf8@example.net"),
                          ("ok", 1)),
    }


CASES = ("submission", "smtps", "plain_relay", "wrong_password", "refused_relay", "rcpt_550", "rcpt_450",
         "rcpt_452", "submission_needs_tls", "utf8_password")


@pytest.fixture(scope="module", params=["controller", "target"])
def pfx_run(request, ansible, postfix, shared_dir):
    path = request.param
    attachment = os.path.join(shared_dir, "pfx-attachment-%s.bin" % path)
    with open(attachment, "wb") as handle:
        handle.write(ATTACHMENT)
    os.chmod(attachment, 0o644)  # the SSH test user reads it on the target path
    tag = "%s-%s" % (path, uuid.uuid4().hex[:8])
    cases = _cases(postfix, attachment)
    tasks = []
    for name in CASES:
        args, _expected = cases[name]
        args = dict({"from": "Ops <ops@example.com>", "subject": "pfx %s %s" % (name, tag),
                     "ehlo_name": "%s.%s.flint.test" % (name.replace("_", "-"), tag), "timeout": 20000,
                     "send_from": path}, **args)
        tasks.append(send(name, args))
    if path == "target":
        managed_host = request.getfixturevalue("managed_host")
        run = ansible.playbook([play(tasks, hosts=managed_host.host)], inventory=managed_host.inventory,
                               verbosity=4, name="pfx-target")
        host = managed_host.host
    else:
        run = ansible.playbook([play(tasks)], verbosity=4, name="pfx-controller")
        host = None
    assert run.rc == 0, run.describe()
    return {"run": run, "cases": cases, "tag": tag, "path": path, "host": host}


def _result(pfx_run, name):
    return pfx_run["run"].result(name, host=pfx_run["host"])


@pytest.mark.parametrize("name", [n for n in CASES if n not in ("submission", "smtps", "plain_relay")])
def test_refusals(pfx_run, postfix, name):
    # utf8_password: a non-ASCII password (UTF-8 per RFC 4616) logs in to Postfix/Cyrus on both paths
    _args, expected = pfx_run["cases"][name]
    result = _result(pfx_run, name)
    if expected[0] == "ok":
        assert_flint_shape(result, 0, send_from=pfx_run["path"])
        postfix.wait_for(result["message_id"], expected[1])
        return
    phase, code, text = expected
    assert_flint_shape(result, -1, send_from=pfx_run["path"])
    port = postfix.ports["plain" if name == "plain_relay" else "submission"]
    assert result["msg"].startswith("SMTP %s failed at 127.0.0.1:%d: " % (phase, port)), result["msg"]
    assert result["phase"] == phase and result["smtp_code"] == code, result
    assert text in result["msg"], result["msg"]
    assert result["sent"] is False and result["changed"] is False
    # ansible-core 2.19+ puts "(traceback unavailable)" in `exception` of any failed result.
    assert "Traceback" not in json.dumps(result), result
    assert postfix.with_subject_containing("pfx %s %s" % (name, pfx_run["tag"])) == []


def _received(msg):
    return " ".join(" ".join(str(h).split()) for h in msg.get_all("Received"))


def test_submission_starttls_auth_delivered(pfx_run, postfix):
    result = _result(pfx_run, "submission")
    assert_flint_shape(result, 0, send_from=pfx_run["path"])
    expected = {"host": "127.0.0.1", "port": postfix.ports["submission"], "security": "starttls",
                "tls_version": "TLSv1.3", "authenticated": True}
    assert {k: result["session"].get(k) for k in expected} == expected, result["session"]
    copies = postfix.wait_for(result["message_id"], 3)  # one file per envelope recipient
    assert sorted(m["Delivered-To"] for m in copies) == ["cc@example.org", "hidden@example.com", "to@example.net"]
    for msg in copies:
        assert msg["From"] == "Ops <ops@example.com>"
        assert msg["To"] == "To <to@example.net>" and msg["Cc"] == "cc@example.org"
        assert msg["Bcc"] is None, "Postfix keeps Bcc in this instance: the client must not send it"
        assert msg["Subject"] == "pfx submission %s" % pfx_run["tag"]
        received = _received(msg)
        # Postfix's own account of the session: TLS, authenticated as our SASL user, ESMTPSA.
        assert "with ESMTPSA" in received and "using TLSv1.3" in received, received
        assert "Authenticated sender: %s@%s" % (postfix.user, postfix.env["FLINT_PFX_REALM"]) in received
        assert "from submission.%s.flint.test" % pfx_run["tag"] in received
        assert msg.get_body(("plain",)).get_content() == "over submission\n"
        (part,) = list(msg.iter_attachments())
        assert part.get_filename() == "pfx-attachment-%s.bin" % pfx_run["path"]
        assert part.get_payload(decode=True) == ATTACHMENT


def test_smtps_implicit_tls_delivered(pfx_run, postfix):
    result = _result(pfx_run, "smtps")
    assert_flint_shape(result, 0, send_from=pfx_run["path"])
    assert result["session"]["security"] == "tls" and result["session"]["authenticated"] is True
    (msg,) = postfix.wait_for(result["message_id"], 1)
    received = _received(msg)
    assert "with ESMTPSA" in received and "using TLSv1.3" in received, received
    assert "Authenticated sender: %s@" % postfix.user in received


def test_plain_relay_from_mynetworks_delivered(pfx_run, postfix):
    result = _result(pfx_run, "plain_relay")
    assert_flint_shape(result, 0, send_from=pfx_run["path"])
    assert result["session"]["tls_version"] is None and result["session"]["authenticated"] is False
    (msg,) = postfix.wait_for(result["message_id"], 1)
    received = _received(msg)
    assert "with ESMTP id" in received and "using TLS" not in received and "Authenticated" not in received


def test_no_password_in_verbose_output(pfx_run, postfix):
    run = pfx_run["run"]
    assert "-vvvv" in run.argv
    captured = "\n".join(str(r) for r in run.records)
    forms = set(secret_forms(postfix.password, postfix.utf8_password))
    for user in (postfix.user, postfix.utf8_user):
        for password in (postfix.password, postfix.utf8_password):
            forms.add(base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode())
    for secret in forms:
        assert secret not in run.output
        assert secret not in captured
    assert postfix.password not in postfix.log()
    assert "Traceback" not in run.output
