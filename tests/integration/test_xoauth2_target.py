# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""XOAUTH2 from the managed host over real SSH: the module fetches the token on the target (the
token endpoint is on loopback of the same machine), then logs in. One -vvvv run; the SSH user's
.eml files and the whole output are searched for every form of every test secret.
"""

from __future__ import annotations

import os
import uuid

import pytest

from conftest import assert_flint_shape, play, send
from oauth_servers import ACCEPTED_TOKENS, OAUTH_USER, SECRETS, eml_files, leak_forms
from oauth_servers import oauth_env  # noqa: F401  pylint: disable=unused-import

pytestmark = pytest.mark.sshd

DELIVERED = {"given token": "given_token", "refresh grant": "refresh_access_token",
             "client credentials grant": "client_access_token"}
FAILED = {"refused grant": "invalid_grant (AADSTS700082", "wrong-host certificate": "certificate was not accepted"}


@pytest.fixture(scope="module")
def target_run(ansible, managed_host, mh_dir, oauth_env):
    env = oauth_env
    tag = uuid.uuid4().hex[:10]
    home_rel = "~/" + os.path.basename(mh_dir)
    smtp, untouched = env.smtp_args(env.smtp), env.smtp_args(env.untouched)
    cases = {
        "given token": dict(smtp, username=OAUTH_USER, oauth2_token=SECRETS["given_token"]),
        "refresh grant": dict(smtp, **env.token_args()),
        "client credentials grant": dict(smtp, **env.token_args(grant="client_credentials")),
        "refused grant": dict(untouched, **env.token_args("/refuse")),
        "wrong-host certificate": dict(untouched, **env.token_args(server=env.wrong_host)),
    }
    tasks = [send(name, dict(args, send_from="target", ehlo_name="%s-%s.flint.test" % (name.replace(" ", "-"), tag),
                             save_eml="%s/%s.eml" % (home_rel, name.replace(" ", "-"))))
             for name, args in cases.items()]
    seen_before = len(env.good.requests)
    run = ansible.playbook([play(tasks, hosts=managed_host.host)], inventory=managed_host.inventory, verbosity=4,
                           name="xoauth2-target")
    assert run.rc == 0, run.describe()
    return {"run": run, "tag": tag, "requests": env.good.requests[seen_before:]}


@pytest.mark.parametrize("task", sorted(DELIVERED))
def test_delivered_from_the_target(target_run, oauth_env, managed_host, task):
    result = target_run["run"].result(task)
    assert_flint_shape(result, 0, send_from="target")
    meta, _msg = oauth_env.smtp.message_by_id(result["message_id"])
    assert meta["auth_mechanism"] == "XOAUTH2" and meta["auth_user"] == OAUTH_USER
    session, = oauth_env.smtp.sessions_from("%s-%s.flint.test" % (task.replace(" ", "-"), target_run["tag"]))
    auth_event, = [e for e in session["events"] if e["event"] == "auth"]
    assert auth_event["token_index"] == ACCEPTED_TOKENS.index(SECRETS[DELIVERED[task]])
    # The module wrote the .eml as the SSH user: it really ran on the managed host.
    assert managed_host.owner_of(result["eml_path"]) == managed_host.uid


def test_the_target_sent_the_exact_forms(target_run):
    exact = sorted(r["grant_type"] for r in target_run["requests"] if r["exact"] and r["path"] == "/token")
    assert exact == ["client_credentials", "refresh_token"]


@pytest.mark.parametrize("task", sorted(FAILED))
def test_token_failures_on_the_target_open_no_smtp_connection(target_run, oauth_env, task):
    result = target_run["run"].result(task)
    assert_flint_shape(result, -1, send_from="target")
    assert result["phase"] == "oauth2_token" and FAILED[task] in result["msg"]
    server = oauth_env.wrong_host if task == "wrong-host certificate" else oauth_env.good
    path = "/refuse" if task == "refused grant" else "/token"
    assert result["msg"].startswith("OAuth2 token request to %s" % server.url(path))
    assert "Traceback" not in str(result)
    assert oauth_env.untouched.sessions() == []


def test_no_secret_in_verbose_output_results_or_eml_files(target_run, oauth_env, mh_dir):
    run = target_run["run"]
    assert "ESTABLISH SSH CONNECTION" in run.output  # verbose, over SSH
    emls = eml_files(mh_dir, oauth_env.smtp.store)
    assert len([path for path in emls if path.startswith(mh_dir)]) >= 3
    texts = {"stdout": run.stdout, "stderr": run.stderr, "results": "\n".join(str(r) for r in run.records)}
    for path in emls:
        with open(path, "rb") as handle:
            texts[path] = handle.read().decode("utf-8", "replace")
    for form in leak_forms():
        for where, text in texts.items():
            assert form not in text, "secret form %r found in %s" % (form, where)
