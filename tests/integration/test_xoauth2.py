# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""XOAUTH2 from the controller: a given token, the refresh-token and client-credentials grants
against a real HTTPS token endpoint, every way the token fetch can fail (with no SMTP
connection opened), basic-auth-off hints, and no secret in any output of a -vvvv run.

One ansible-playbook -vvvv run holds every case (module scope); the tests read its results.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest

from conftest import SMTP_PASSWORD, assert_flint_shape, play, send
from oauth_servers import ACCEPTED_TOKENS, BASIC_OFF_REPLIES, OAUTH_USER, SECRETS, eml_files, leak_forms
from oauth_servers import oauth_env  # noqa: F401  pylint: disable=unused-import

# oauth_env (imported above) is a session fixture shared with test_xoauth2_target.py.
REFRESH_TASKS = ("refresh grant", "check connection with the refresh grant")


@pytest.fixture(scope="module")
def controller_run(ansible, oauth_env, starttls_server):
    env = oauth_env
    tag = uuid.uuid4().hex[:10]
    smtp, untouched = env.smtp_args(env.smtp), env.smtp_args(env.untouched)

    def ehlo(name):
        # An EHLO label is letters, digits and inner hyphens (the module checks).
        return "%s-%s.flint.test" % (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"), tag)

    cases = {
        "given token": dict(smtp, username=OAUTH_USER, oauth2_token=SECRETS["given_token"], save_eml="given.eml"),
        "given token, explicit xoauth2": dict(smtp, auth_method="xoauth2", username=OAUTH_USER,
                                              oauth2_token=" %s\n" % SECRETS["given_token"]),
        "refresh grant": dict(smtp, **env.token_args()),
        "client credentials grant": dict(smtp, **env.token_args(grant="client_credentials")),
        "check connection with the refresh grant": dict(smtp, check_connection=True, **env.token_args()),
        "expired token": dict(smtp, username=OAUTH_USER, oauth2_token=SECRETS["expired_token"]),
        "xoauth2 not offered": dict(env.smtp_args(starttls_server), auth_method="xoauth2", username=OAUTH_USER,
                                    oauth2_token=SECRETS["given_token"]),
        # Every one of these must fail before any SMTP connection: they all point at `untouched`.
        "refused grant": dict(untouched, **env.token_args("/refuse")),
        "wrong client secret": dict(untouched, **env.token_args(oauth2_client_secret="not-" + SECRETS["client_secret"])),
        "wrong-host certificate": dict(untouched, **env.token_args(server=env.wrong_host)),
        "system CAs do not know the test CA": dict(
            untouched, validate_certs=False, **env.token_args(oauth2_ca_path=None)),
        "html reply": dict(untouched, **env.token_args("/html")),
        "http 500": dict(untouched, **env.token_args("/error500")),
        "no access_token": dict(untouched, **env.token_args("/no-token")),
        "redirect": dict(untouched, **env.token_args("/redirect")),
        "timeout": dict(untouched, timeout=1000, **env.token_args("/slow")),
        "password and token": dict(untouched, password=SMTP_PASSWORD, **env.token_args()),
        # No connection of any kind in plain check mode, nor with deliver: false: not even the token request.
        "check mode fetches nothing": dict(untouched, **env.token_args("/refuse")),
        "deliver false fetches nothing": dict(untouched, deliver=False, **env.token_args("/refuse")),
        "http token url": dict(untouched, **env.token_args(oauth2_token_url="http://127.0.0.1:1/token")),
        "scope without secret": dict(untouched, **env.token_args(grant="client_credentials",
                                                                 oauth2_client_secret="")),
    }
    for name, server in env.basic_off.items():
        cases["basic auth off " + name] = dict(env.smtp_args(server), username=OAUTH_USER, password=SMTP_PASSWORD)
    tasks = []
    for name, args in cases.items():
        task = send(name, dict(args, ehlo_name=ehlo(name)), delegate_to="localhost")
        if name.startswith("check "):
            task["check_mode"] = True
        tasks.append(task)
    # Many messages in one task: one token for the batch. A loop: a token per item that opens a
    # session, none for an item that reuses the kept one.
    tasks.append(send("batch, client credentials", dict(
        smtp, ehlo_name=ehlo("batch"), messages=[{"to": "b1@example.net"}, {"to": "b2@example.net"}],
        **env.token_args(grant="client_credentials")), delegate_to="localhost"))
    tasks.append(send("loop, refresh grant", dict(smtp, to="{{ item }}@example.net", ehlo_name=ehlo("loop"),
                                                  **env.token_args()), loop=["l1", "l2"], delegate_to="localhost"))
    tasks.append(send("batch, refused grant", dict(
        untouched, messages=[{"to": "r1@example.net"}, {"to": "r2@example.net"}], **env.token_args("/refuse")),
        delegate_to="localhost"))
    seen_before = len(env.good.requests)  # the endpoint is shared by the session: count from here
    run = ansible.playbook([play(tasks)], verbosity=4, name="xoauth2")
    assert run.rc == 0, run.describe()
    return {"run": run, "ehlo": ehlo, "requests": env.good.requests[seen_before:]}


def _failed(run, task, exit_code, phase):
    result = run.result(task)
    assert_flint_shape(result, exit_code, send_from="controller")
    assert result["phase"] == phase, result
    return result


@pytest.mark.parametrize("task, token_key", [
    ("given token", "given_token"), ("given token, explicit xoauth2", "given_token"),
    ("refresh grant", "refresh_access_token"), ("client credentials grant", "client_access_token"),
])
def test_delivered_with_xoauth2(controller_run, oauth_env, task, token_key):
    result = controller_run["run"].result(task)
    assert_flint_shape(result, 0, send_from="controller")
    assert result["session"]["authenticated"] is True and result["session"]["tls_version"]
    meta, _msg = oauth_env.smtp.message_by_id(result["message_id"])
    # The server only takes the exact SASL string (sasl_xoauth2.check_xoauth2) with a token it issued.
    assert meta["auth_mechanism"] == "XOAUTH2" and meta["auth_user"] == OAUTH_USER and meta["tls"] is True
    sessions = oauth_env.smtp.sessions_from(controller_run["ehlo"](task))
    assert len(sessions) == 1 and sessions[0]["auth"] == [{"mechanism": "XOAUTH2", "success": True,
                                                          "user": OAUTH_USER}]
    assert [c["verb"] for c in sessions[0]["commands"]].count("AUTH") == 1
    # ...and the token the task was meant to use (the grant's own token, not just any good one).
    auth_event, = [e for e in sessions[0]["events"] if e["event"] == "auth"]
    assert auth_event["token_index"] == ACCEPTED_TOKENS.index(SECRETS[token_key])


def test_the_endpoint_got_the_exact_forms_once_per_task(controller_run):
    requests = controller_run["requests"]
    on_token = [r for r in requests if r["path"] == "/token" and r["exact"]]
    # refresh: two tasks + the loop's first item; client credentials: one task + one batch of two.
    assert sorted(r["grant_type"] for r in on_token) == sorted(
        ["refresh_token"] * (len(REFRESH_TASKS) + 1) + ["client_credentials"] * 2)
    assert all(r["content_type"] == "application/x-www-form-urlencoded" for r in requests)
    assert {tuple(r["fields"]) for r in on_token} == {
        ("grant_type", "client_id", "client_secret", "refresh_token"),
        ("grant_type", "client_id", "client_secret", "scope")}


def test_check_connection_fetches_and_logs_in_but_sends_nothing(controller_run, oauth_env):
    task = "check connection with the refresh grant"
    result = controller_run["run"].result(task)
    assert_flint_shape(result, 0) and result["changed"] is True
    assert "connection, TLS and login checked" in result["msg"]
    session, = oauth_env.smtp.sessions_from(controller_run["ehlo"](task))
    assert session["auth"][0]["success"] is True and "DATA" not in session["verbs"]


def test_expired_token_is_refused_with_the_xoauth2_status(controller_run, oauth_env):
    result = _failed(controller_run["run"], "expired token", -1, "auth")
    assert result["smtp_code"] == 535 and result["sent"] is False
    assert result["msg"].startswith("SMTP auth failed at %s: the server rejected the OAuth2 token for %s "
                                    "(XOAUTH2 status" % (oauth_env.smtp.where, OAUTH_USER))
    assert '"status": "401"' in result["msg"] and "issued for SMTP" in result["msg"]
    session, = oauth_env.smtp.sessions_from(controller_run["ehlo"]("expired token"))
    assert [e["sasl"] for e in session["events"] if e["event"] == "auth"] == ["wrong-token"]
    assert "MAIL" not in session["verbs"]


def test_xoauth2_not_offered_fails_before_the_token_is_sent(controller_run, starttls_server):
    result = _failed(controller_run["run"], "xoauth2 not offered", -1, "auth")
    assert "does not offer AUTH XOAUTH2 (it offers LOGIN PLAIN)" in result["msg"]
    session, = starttls_server.sessions_from(controller_run["ehlo"]("xoauth2 not offered"))
    assert "AUTH" not in session["verbs"]


TOKEN_FAILURES = {
    "refused grant": "the identity provider refused the refresh_token grant: invalid_grant (AADSTS700082: The "
                     "refresh token has expired due to inactivity.",
    "wrong client secret": "refused the refresh_token grant: invalid_client (AADSTS7000215: Invalid client secret",
    "wrong-host certificate": "its certificate was not accepted: IP address mismatch",
    "system CAs do not know the test CA": "its certificate was not accepted: unable to get local issuer",
    "html reply": "the reply (HTTP 200, text/html) is not a JSON object",
    "http 500": "the endpoint answered HTTP 500 Internal Server Error with text/plain",
    "no access_token": "the reply has no access_token",
    "redirect": "the endpoint redirected (HTTP 302) to /token",
    "timeout": "no answer within the task's timeout (1000 ms)",
}


@pytest.mark.parametrize("task", sorted(TOKEN_FAILURES))
def test_token_failures_name_the_endpoint_and_open_no_smtp_connection(controller_run, oauth_env, task):
    run = controller_run["run"]
    result = _failed(run, task, -1, "oauth2_token")
    server = oauth_env.wrong_host if task == "wrong-host certificate" else oauth_env.good
    path = {"refused grant": "/refuse", "html reply": "/html", "http 500": "/error500", "no access_token": "/no-token",
            "redirect": "/redirect", "timeout": "/slow"}.get(task, "/token")
    assert result["msg"].startswith("OAuth2 token request to %s failed: " % server.url(path)), result["msg"]
    assert TOKEN_FAILURES[task] in result["msg"]
    assert result["msg"].endswith("No SMTP connection was opened.") and result["sent"] is False
    assert "Traceback" not in str(result)  # 2.19+ adds exception: "(traceback unavailable)" to any failure


def test_batch_and_loop_fetch_once_and_share_the_session(controller_run, oauth_env):
    run = controller_run["run"]
    batch = run.result("batch, client credentials")
    assert batch["totals"]["sent"] == 2 and not batch.get("failed"), batch
    session, = oauth_env.smtp.sessions_from(controller_run["ehlo"]("batch"))
    assert session["auth"][0]["success"] is True and len(session["messages"]) == 2
    loop = run.record("loop, refresh grant")["result"]["results"]
    assert [r["session"]["reused"] for r in loop] == [False, True]
    assert len(oauth_env.smtp.sessions_from(controller_run["ehlo"]("loop"))) == 1
    refused = run.result("batch, refused grant")
    assert refused["failed"] is True and refused["totals"]["sent"] == 0
    assert [m["error"]["phase"] for m in refused["messages"]] == ["oauth2_token"] * 2
    assert all("invalid_grant" in m["error"]["msg"] for m in refused["messages"])


def test_check_mode_and_deliver_false_fetch_no_token(controller_run):
    run = controller_run["run"]
    assert run.result("check mode fetches nothing")["msg"].startswith("would send")
    assert run.result("deliver false fetches nothing")["msg"].startswith("built (deliver is false")
    # Only the "refused grant" task and the refused batch (once for both messages) reached /refuse.
    assert len([r for r in controller_run["requests"] if r["path"] == "/refuse"]) == 2


def test_input_errors_fail_before_any_connection(controller_run):
    run = controller_run["run"]
    assert "give password or OAuth2 options" in _failed(run, "password and token", 1, "input")["msg"]
    assert "must be an https:// URL" in _failed(run, "http token url", 1, "input")["msg"]
    assert "needs oauth2_client_secret" in _failed(run, "scope without secret", 1, "input")["msg"]


def test_untouched_smtp_server_saw_no_connection_at_all(controller_run, oauth_env):
    assert oauth_env.untouched.sessions() == []
    port = oauth_env.untouched.port
    assert not [n for n in controller_run["run"].net if n.get("port") == port or str(port) in str(n)]


@pytest.mark.parametrize("name", sorted(BASIC_OFF_REPLIES))
def test_basic_auth_off_hints_name_xoauth2(controller_run, oauth_env, name):
    result = _failed(controller_run["run"], "basic auth off " + name, -1, "auth")
    assert "no longer accepts a password for %s (basic authentication is off)" % OAUTH_USER in result["msg"]
    assert "auth_method: xoauth2" in result["msg"]
    assert oauth_env.basic_off[name].where in result["msg"]
    assert result["smtp_code"] == int(BASIC_OFF_REPLIES[name][:3])


def test_no_secret_in_output_results_or_eml_files(controller_run, oauth_env):
    run = controller_run["run"]
    assert "-vvvv" in run.argv and "PLAYBOOK: playbook.yml" in run.stdout
    emls = eml_files(run.dir, oauth_env.smtp.store)
    assert os.path.join(run.dir, "given.eml") in emls and len(emls) >= 5
    captured = "\n".join(str(r) for r in run.records)
    texts = {"stdout": run.stdout, "stderr": run.stderr, "results": captured}
    for path in emls:
        with open(path, "rb") as handle:
            texts[path] = handle.read().decode("utf-8", "replace")
    forms = leak_forms()
    with open(os.path.join(run.dir, "playbook.yml"), encoding="utf-8") as handle:
        playbook = handle.read()  # the input holds them: proof that the search below can find something
    assert SECRETS["client_secret"] in playbook and SECRETS["refresh_token"] in playbook
    for form in forms:
        for where, text in texts.items():
            assert form not in text, "secret form %r found in %s" % (form, where)
