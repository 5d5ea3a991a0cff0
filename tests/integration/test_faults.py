# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection: real sockets on loopback, one misbehaving server per fault, both paths.

Every case asserts exit-code -1, a message naming host:port and the phase (and the SMTP code
where the server sent one), no traceback anywhere, ``sent`` (false, or null when the client
cannot know), and how many messages the server really stored. The table in
docs/docsite/rst/guide_faults.rst lists these cases; keep the two in step.

The servers are per path (module fixture parameter), so timings and "first N" counters
belong to one run. Faults that a retry cannot turn into a duplicate are retried (retries default
to 2): their servers see one session per attempt, and never store a message.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import uuid

import pytest

from conftest import FILES, SMTP_PASSWORD, SMTP_USER, assert_flint_shape, play, send

import smtp_server  # pylint: disable=wrong-import-order

NEVER = 3600 * 1000  # ms: a server that "never" answers
SILENT_TIMEOUT_MS = 2000
BIG = 4 * 1024 * 1024  # larger than the socket buffers: the body write itself fails mid-DATA
UNRESOLVABLE = "mail.flint-faults.invalid"

# name: (server spec or None, extra task args, phase, code, message gist, sent, stored)
CASES = {
    "connection_refused": (None, {}, "connect", None, "connection refused", False, 0),
    "unresolvable_host": (None, {"target": UNRESOLVABLE, "port": 2525}, "connect", None,
                          "cannot resolve host name " + UNRESOLVABLE, False, 0),
    "banner_421": (dict(mode="plain", reply_at={"connect": 421}), {}, "connect", 421, "Service not available",
                   False, 0),
    "never_answers": (dict(mode="plain", delay_ms_at={"connect": NEVER}), {"timeout": SILENT_TIMEOUT_MS}, "connect",
                      None, "no answer within the task's timeout of 2000 ms", False, 0),
    "rcpt_451": (dict(mode="plain", reply_at={"rcpt": 451}), {}, "rcpt", 451, "Local error in processing",
                 False, 0),
    "rcpt_452": (dict(mode="plain", reply_at={"rcpt": 452}), {}, "rcpt", 452, "Insufficient system storage",
                 False, 0),
    "auth_535": (dict(mode="starttls", reply_at={"auth": 535}, auth_user=SMTP_USER, auth_password=SMTP_PASSWORD),
                 {"security": "starttls", "username": SMTP_USER, "password": SMTP_PASSWORD}, "auth", 535,
                 "rejected the credentials", False, 0),
    "data_554": (dict(mode="plain", reply_at={"data": 554}), {}, "data", 554, "refused the message", False, 0),
    "end_of_data_554": (dict(mode="plain", reply_at={"dot": 554}), {}, "data", 554, "refused the message",
                        False, 0),
    # The body write itself fails, so the final dot never left: the server cannot have the mail.
    "dropped_mid_data": (dict(mode="plain", drop_at=["body"]), {"big": True}, "data", None,
                         "the server closed the connection", False, 0),
    "dropped_after_dot": (dict(mode="plain", drop_at=["dot"]), {}, "data", None, "delivery state unknown",
                          None, 0),
    "dropped_after_queued": (dict(mode="plain", drop_at=["queued"]), {}, "data", None,
                             "delivery state unknown", None, 1),
    "no_reply_after_dot": (dict(mode="plain", delay_ms_at={"dot": NEVER}), {"timeout": SILENT_TIMEOUT_MS}, "data",
                           None, "delivery state unknown: the whole message and its final dot were sent, but no "
                           "answer within the task's timeout of 2000 ms", None, 0),
    "starttls_not_offered": (dict(mode="plain"), {"security": "starttls"}, "starttls", None,
                             "does not offer STARTTLS", False, 0),
    "tls_handshake_failure": (dict(mode="plain"), {"security": "tls"}, "connect", None, "TLS handshake error",
                              False, 0),
    "cert_self_signed": (dict(mode="tls", cert="self-signed"), {"security": "tls"}, "connect", None,
                         "self-signed certificate", False, 0),
    "cert_wrong_host": (dict(mode="starttls", cert="wrong-host"), {"security": "starttls"}, "starttls", None,
                        "certificate was not accepted", False, 0),
    "cert_expired": (dict(mode="tls", cert="expired"), {"security": "tls"}, "connect", None,
                     "certificate has expired", False, 0),
}


# Retried (default retries: 2, so 3 attempts): nobody can have the message and the fault is
# temporary. Every other case is final after one attempt: 5xx, credentials, certificates, TLS, a
# name that does not exist, a timeout that used the whole budget, and anything after the final dot.
RETRIED = ("connection_refused", "banner_421", "rcpt_451", "rcpt_452", "dropped_mid_data")

# The managed-host path runs the same transport code under the target's own Python, at ~0.8 s a
# task over SSH: it covers one case of each kind (connect, DNS, timeout, code per phase, unknown
# delivery state, TLS, certificate) rather than all of them.
TARGET_CASES = ("connection_refused", "unresolvable_host", "banner_421", "never_answers", "rcpt_451", "auth_535",
                "end_of_data_554", "dropped_mid_data", "dropped_after_queued", "starttls_not_offered",
                "tls_handshake_failure", "cert_self_signed")


def _cases_for(path):
    return [name for name in CASES if path == "controller" or name in TARGET_CASES]


@contextlib.contextmanager
def _fault_servers(tmp_path_factory, ca_dir):
    with contextlib.ExitStack() as stack:
        servers = {}
        for name, (spec, *_rest) in CASES.items():
            if spec is None:
                continue
            spec = dict(spec)
            mode = spec.pop("mode")
            store = str(tmp_path_factory.mktemp("fault-" + name))
            servers[name] = stack.enter_context(smtp_server.running_server(
                mode, store=store, isolation="thread", ca_dir=ca_dir if mode != "plain" else None, max_seconds=1800,
                **spec))
        for entry in os.listdir(ca_dir):
            os.chmod(os.path.join(ca_dir, entry), 0o644)  # the SSH test user reads the CA
        yield servers


def _netguard_for_target(shared_dir, path):
    """The managed host's module process gets the same guard (it does not inherit ours)."""
    guard_dir = os.path.join(shared_dir, "netguard")
    if not os.path.isdir(guard_dir):
        os.mkdir(guard_dir, 0o755)
        shutil.copy(os.path.join(FILES, "netguard", "sitecustomize.py"), guard_dir)
        os.chmod(os.path.join(guard_dir, "sitecustomize.py"), 0o644)
    log = os.path.join(shared_dir, "netguard-%s-%s.jsonl" % (path, uuid.uuid4().hex[:6]))
    with open(log, "w", encoding="utf-8"):
        pass
    os.chmod(log, 0o666)
    return {"PYTHONPATH": guard_dir, "FLINT_NETGUARD_LOG": log}, log


PATHS = ("controller", "target")


@pytest.fixture(scope="module", params=PATHS)
def faults(request, ansible, tmp_path_factory, shared_dir, closed_port):
    path = request.param
    ca_dir = os.path.join(shared_dir, "faults-ca-" + path)
    os.makedirs(ca_dir, mode=0o755)
    big = os.path.join(shared_dir, "fault-big-%s.bin" % path)
    with open(big, "wb") as handle:
        handle.write(os.urandom(BIG))
    os.chmod(big, 0o644)
    with _fault_servers(tmp_path_factory, ca_dir) as servers:
        tasks, tags = [], {}
        for name in _cases_for(path):
            extra = CASES[name][1]
            tags[name] = "%s-%s.flint.test" % (name.replace("_", "-"), uuid.uuid4().hex[:8])
            server = servers.get(name)
            args = {"target": "127.0.0.1", "port": server.port if server else closed_port, "security": "none",
                    "from": "alerts@example.com", "to": "oncall@example.net", "subject": "fault " + tags[name],
                    "body": "must not arrive twice", "ehlo_name": tags[name], "timeout": 10000, "send_from": path}
            if server is not None and server.ca_path:
                args["ca_path"] = server.ca_path
            extra = dict(extra)
            if extra.pop("big", False):
                args["attachments"] = [big]
            args.update(extra)
            tasks.append(send(name, args))
        env_log = None
        if path == "target":
            managed_host = request.getfixturevalue("managed_host")
            environment, env_log = _netguard_for_target(shared_dir, path)
            the_play = play(tasks, hosts=managed_host.host, environment=environment)
            run = ansible.playbook([the_play], inventory=managed_host.inventory, name="faults-target")
            host = managed_host.host
        else:
            run = ansible.playbook([play(tasks)], name="faults-controller")
            host = None
        assert run.rc == 0, run.describe()
        net = run.net
        if env_log:
            with open(env_log, encoding="utf-8") as handle:
                net = [json.loads(line) for line in handle if line.strip()]
        yield {"run": run, "servers": servers, "tags": tags, "path": path, "host": host, "net": net,
               "closed_port": closed_port}


@pytest.mark.parametrize("name", list(CASES))
def test_fault(faults, name):
    _spec, _extra, phase, code, gist, sent, stored = CASES[name]
    if name not in _cases_for(faults["path"]):
        pytest.skip("same code as on the controller path, which covers it; the target path runs one case of each kind")
    run = faults["run"]
    assert run.status(name, host=faults["host"]) == "failed", run.describe()
    result = run.result(name, host=faults["host"])
    assert_flint_shape(result, -1, send_from=faults["path"])
    server = faults["servers"].get(name)
    where = "%s:%d" % (UNRESOLVABLE, 2525) if name == "unresolvable_host" else "127.0.0.1:%d" % (
        server.port if server else faults["closed_port"])
    assert result["msg"].startswith("SMTP %s failed at %s: " % (phase, where)), result["msg"]
    assert result["phase"] == phase
    assert gist in result["msg"], result["msg"]
    if code is not None:
        assert result["smtp_code"] == code, result
        assert "server said %d " % code in result["msg"], result["msg"]
    else:
        assert result.get("smtp_code") is None, result
    assert result["sent"] is sent, result
    assert result["changed"] is False
    attempts = 3 if name in RETRIED else 1
    assert [a["attempt"] for a in result["attempts"]] == list(range(1, attempts + 1)), result["attempts"]
    assert ("Gave up after 3 attempts (retries: 2)." in result["msg"]) is (name in RETRIED), result["msg"]
    # ansible-core 2.19+ puts "(traceback unavailable)" in `exception` of any failed result.
    assert "Traceback" not in json.dumps(result)
    assert "Traceback" not in run.stdout
    if server is not None:
        assert len(server.messages()) == stored, server.messages()
        stored_here = [m for m in server.messages() if m["helo"] == faults["tags"][name]]
        assert len(stored_here) == stored


def test_timeout_is_honoured(faults):
    """The silent server saw the client leave after the task's timeout, not much later."""
    server = faults["servers"]["never_answers"]
    # The server is still "sleeping" before its greeting; the client's close shows as eof.
    server.wait_until(lambda srv: srv.sessions() and all(
        any(e["event"] == "eof" for e in sess["events"]) for sess in srv.sessions()), timeout=10)
    sessions = server.sessions()
    start = datetime.datetime.fromisoformat(sessions[0]["events"][0]["t"])
    end = datetime.datetime.fromisoformat([e for e in sessions[-1]["events"] if e["event"] == "eof"][-1]["t"])
    elapsed = (end - start).total_seconds()
    assert SILENT_TIMEOUT_MS / 1000.0 * 0.95 <= elapsed <= SILENT_TIMEOUT_MS / 1000.0 + 1.5, elapsed


def test_unresolvable_host_asked_no_nameserver(faults):
    """The lookup failed inside the process (netguard) and nothing connected anywhere else."""
    lookups = [e for e in faults["net"] if e.get("host") == UNRESOLVABLE]
    assert lookups and all(e["blocked"] for e in lookups), faults["net"]
    assert all(e["event"] != "connect" for e in lookups)
    assert all(e["allowed"] for e in faults["net"] if e["event"] == "connect"), faults["net"]


def test_dropped_mid_data_broke_the_transfer(faults):
    # Nobody can have a message whose final dot never went out (sent: false), so it was retried:
    # one session per attempt, each broken in the body, nothing stored.
    sessions = faults["servers"]["dropped_mid_data"].wait_sessions_closed()
    result = faults["run"].result("dropped_mid_data", host=faults["host"])
    assert len(sessions) == len(result["attempts"]) == 3, result["attempts"]
    for sess in sessions:
        assert {"kind": "drop", "phase": "body"} in sess["faults"] and sess["replies"][-1].startswith("354")


def test_wrong_certificates_stopped_before_any_credentials_or_mail(faults):
    for name in ("cert_self_signed", "cert_wrong_host", "cert_expired", "tls_handshake_failure",
                 "starttls_not_offered"):
        if name not in _cases_for(faults["path"]):
            continue
        for sess in faults["servers"][name].sessions():
            assert not {"AUTH", "MAIL", "RCPT", "DATA"} & set(sess["verbs"]), (name, sess["verbs"])


# --- retries (issue 7): a transient fault that clears is delivered exactly once ---------------------------

RETRY_FAULTS = {
    "banner_421_once": {"reply_at": {"connect": [421, 1]}},
    "rcpt_451_once": {"reply_at": {"rcpt": [451, 1]}},
    "end_of_data_451_once": {"reply_at": {"dot": [451, 1]}},
}


@pytest.fixture(scope="module")
def retry_run(ansible, tmp_path_factory):
    """One playbook, one fresh server per fault (the "first N" counters are per server)."""
    with contextlib.ExitStack() as stack:
        servers, tasks, tags = {}, [], {}
        for fault, opts in RETRY_FAULTS.items():
            servers[fault] = stack.enter_context(smtp_server.running_server(
                "plain", store=str(tmp_path_factory.mktemp("retry")), isolation="thread", **opts))
            tags[fault] = "%s-%s.flint.test" % (fault.replace("_", "-"), uuid.uuid4().hex[:8])
            tasks.append(send(fault, {
                "target": servers[fault].host, "port": servers[fault].port, "security": "none",
                "from": "alerts@example.com", "to": "oncall@example.net", "subject": "retry " + tags[fault],
                "ehlo_name": tags[fault], "retries": 2, "retry_delay": 50}))
        run = ansible.playbook([play(tasks)], name="retries")
        assert run.rc == 0, run.describe()
        yield run, servers


@pytest.mark.parametrize("fault", list(RETRY_FAULTS))
def test_transient_fault_clears_on_retry_delivered_once(retry_run, fault):
    run, servers = retry_run
    result = run.result(fault)
    assert_flint_shape(result, 0, send_from="controller")
    assert len(servers[fault].messages()) == 1
    assert len(result["attempts"]) == 1, result["attempts"]  # the one that failed
    assert result["attempts"][0]["smtp_code"] in (421, 451), result["attempts"]
