# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The password never shows up in -vvvv output on the controller path, whether the login works
or not. (The managed-host path is checked in test_target.py, on its -vvvv run.)"""

from __future__ import annotations

from conftest import SMTP_PASSWORD, SMTP_USER, WRONG_PASSWORD, auth_args, play, secret_forms, send


def _assert_no_secret(run, *passwords):
    captured = "\n".join(str(r) for r in run.records)
    for secret in secret_forms(*passwords):
        assert secret not in run.stdout, "password form %r in stdout" % secret
        assert secret not in run.stderr, "password form %r in stderr" % secret
        assert secret not in captured, "password form %r in a task result" % secret


def test_password_not_in_verbose_playbook_output(ansible, tag, starttls_server, tls_server, plain_server):
    ok = auth_args(starttls_server, **{"from": "a@example.com", "to": "b@example.net", "ehlo_name": tag})
    tasks = [
        send("login works", ok),
        send("implicit tls login works", auth_args(tls_server, **{"from": "a@example.com", "to": "b@example.net"})),
        send("wrong password", dict(ok, password=WRONG_PASSWORD)),
        send("check connection", dict(ok, check_connection=True), check_mode=True),
        # Failures before any login: plain text refused, server without STARTTLS, bad input.
        send("no plaintext auth", {"target": "192.0.2.1", "security": "none", "username": SMTP_USER,
                                   "password": SMTP_PASSWORD, "from": "a@example.com", "to": "b@example.net"}),
        send("no starttls", auth_args(plain_server, ca_path=None, **{"from": "a@example.com", "to": "b@example.net"})),
        send("bad input", dict(ok, to="not an address")),
        send("user_name alias", {k: v for k, v in dict(ok, user_name=SMTP_USER).items() if k != "username"}),
    ]
    run = ansible.playbook([play(tasks)], verbosity=4)
    assert run.rc == 0, run.describe()
    assert [run.status(t["name"]) for t in tasks] == ["ok", "ok", "failed", "ok", "failed", "failed", "failed", "ok"]
    assert "-vvvv" in run.argv and "PLAYBOOK: playbook.yml" in run.stdout
    assert "refusing to send the password for %s" % SMTP_USER in run.stdout  # results are printed
    _assert_no_secret(run, SMTP_PASSWORD, WRONG_PASSWORD)


def test_password_not_in_verbose_adhoc_output(ansible, starttls_server):
    for password, expect_rc in ((SMTP_PASSWORD, 0), (WRONG_PASSWORD, 2)):
        module_args = ("target=%s ca_path=%s username=%s password=%s from=a@example.com to=b@example.net" % (
            starttls_server.target, starttls_server.ca_path, SMTP_USER, password))
        run = ansible.adhoc("localhost", "flint.smtp.send", module_args, verbosity=4)
        assert run.rc == expect_rc, run.describe()
        _assert_no_secret(run, password)
