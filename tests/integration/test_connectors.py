# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connectors: named profiles from inventory (vaulted, templated) and FLINT_SMTP_* on the controller.

Every run is -vvvv: a profile's secret must be as invisible as a task argument's.
"""

from __future__ import annotations

import json
import os
import subprocess

from conftest import ANSIBLE_PLAYBOOK, BIN, SMTP_PASSWORD, SMTP_USER, assert_flint_shape, play, secret_forms, send


def _vault(run_dir, name, value):
    """``name: !vault ...`` for a group_vars file, encrypted with a password file in ``run_dir``."""
    pw_file = os.path.join(run_dir, "vault-pass")
    with open(pw_file, "w", encoding="utf-8") as handle:
        handle.write("test-vault-password\n")
    out = subprocess.run([os.path.join(BIN, "ansible-vault"), "encrypt_string", "--vault-password-file", pw_file,
                          "--name", name, value], capture_output=True, text=True, check=True)
    return out.stdout, pw_file


def _inventory(ansible, group_vars):
    run_dir = ansible.new_dir("inv")
    os.makedirs(os.path.join(run_dir, "group_vars", "all"))
    with open(os.path.join(run_dir, "hosts"), "w", encoding="utf-8") as handle:
        handle.write("localhost ansible_connection=local ansible_python_interpreter={{ ansible_playbook_python }}\n")
    for name, text in group_vars.items():
        with open(os.path.join(run_dir, "group_vars", "all", name), "w", encoding="utf-8") as handle:
            handle.write(text)
    return run_dir


def _no_secret(run, *secrets):
    everything = run.output + "\n".join(json.dumps(r) for r in run.records)
    for form in secret_forms(*secrets):
        assert form not in everything, "secret form %r leaked" % form


def test_inventory_connector_with_a_vaulted_templated_password(ansible, tag, starttls_server):
    inv = _inventory(ansible, {})
    vaulted, pw_file = _vault(inv, "vault_smtp_password", SMTP_PASSWORD)
    with open(os.path.join(inv, "group_vars", "all", "vault.yml"), "w", encoding="utf-8") as handle:
        handle.write(vaulted)
    connectors = {"flint_smtp_connectors": {
        "office": {"target": starttls_server.target, "user_name": SMTP_USER,
                   "password": "{{ vault_smtp_password }}", "ca_path": starttls_server.ca_path,
                   "from": "Alerts <alerts@example.com>", "timeout": 20000},
        "other": {"target": "192.0.2.1"},
    }}
    with open(os.path.join(inv, "group_vars", "all", "smtp.yml"), "w", encoding="utf-8") as handle:
        json.dump(connectors, handle)
    message = {"connector_name": "office", "to": "oncall@example.com", "ehlo_name": tag}
    tasks = [
        send("controller", dict(message, subject="controller " + tag)),
        send("target", dict(message, subject="target " + tag, send_from="target")),
        # The password echoed into an error by a careless template: masked like a task argument's.
        send("echo", dict(message, to="x{{ vault_smtp_password }}@", deliver=False)),
        send("unknown", dict(message, connector_name="offcie")),
        send("other server", dict(message, target="evil.example.net")),
        send("own credentials", dict(message, username=SMTP_USER, password="{{ vault_smtp_password }}",
                                     deliver=False)),
    ]
    run = ansible.playbook([play(tasks)], inventory=os.path.join(inv, "hosts"), verbosity=4,
                           args=["--vault-password-file", pw_file])
    assert run.rc == 0, run.describe()
    for name, send_from in (("controller", "controller"), ("target", "target")):
        result = run.result(name)
        assert_flint_shape(result, 0, send_from=send_from)
        assert result["connector"] == {"name": "office", "sources": ["flint_smtp_connectors"],
                                       "options": ["ca_path", "from", "password", "target", "timeout", "username"]}
        assert result["connector_name"] == "office"
    stored = starttls_server.messages_from(tag)
    assert sorted(m["mail_from"] for m in stored) == ["alerts@example.com"] * 2
    assert all(m["auth_user"] == SMTP_USER and m["tls"] for m in stored)
    assert run.status("echo") == "failed" and "********" in run.result("echo")["msg"]
    unknown = run.result("unknown")
    assert_flint_shape(unknown, 1)
    assert unknown["msg"].endswith("unknown connector 'offcie': the known connectors are 'office', 'other'")
    other = run.result("other server")
    assert_flint_shape(other, 1)
    assert "holds the credentials for 127.0.0.1, but the task sends to evil.example.net" in other["msg"]
    assert run.status("own credentials") == "ok"
    # Nothing but loopback was contacted; evil.example.net was not even looked up.
    assert all(e["allowed"] for e in run.net if e["event"] == "connect"), run.net
    assert "evil.example.net" not in json.dumps(run.net)
    _no_secret(run, SMTP_PASSWORD)


def test_environment_connector_as_the_awx_credential_injects_it(ansible, tag, tls_server):
    env = {"FLINT_SMTP_TARGET": "127.0.0.1", "FLINT_SMTP_PORT": str(tls_server.port),
           "FLINT_SMTP_SECURITY": "tls", "FLINT_SMTP_USERNAME": SMTP_USER, "FLINT_SMTP_PASSWORD": SMTP_PASSWORD,
           "FLINT_SMTP_FROM": "", "FLINT_SMTP_CA_PATH": tls_server.ca_path, "FLINT_SMTP_AUTH_METHOD": ""}
    message = {"from": "a@example.com", "to": "b@example.net", "ehlo_name": tag, "subject": "env " + tag}
    tasks = [send("default connector", message),
             send("named like the env", dict(message, connector_name="smtp"), check_mode=True)]
    run = ansible.playbook([play(tasks)], verbosity=4, env=env)
    assert run.rc == 0, run.describe()
    result = run.result("default connector")
    assert_flint_shape(result, 0, send_from="controller")
    assert result["connector"]["sources"] == ["environment"] and result["session"]["security"] == "tls"
    (stored,) = tls_server.messages_from(tag)
    assert stored["auth_user"] == SMTP_USER
    _no_secret(run, SMTP_PASSWORD)

    renamed = ansible.playbook([play([send("renamed", dict(message, connector_name="prod"), check_mode=True),
                                      send("default now unknown", message, check_mode=True)])],
                               env=dict(env, FLINT_SMTP_CONNECTOR_NAME="prod"))
    assert renamed.rc == 0, renamed.describe()
    assert renamed.status("renamed") == "ok"
    # Without a profile of its own, "smtp" means the task alone: here it lacks a target.
    assert "target" in renamed.result("default now unknown")["msg"]


def test_flint_input_cannot_bring_its_own_connectors(ansible, tag, tmp_path):
    """The Flint input (-e @input.json) is data; connectors are templated, so they never come from it."""
    marker = tmp_path / "pwned"
    flint_input = {"connector_name": "smtp", "from": "a@example.com", "to": "b@example.net", "ehlo_name": tag,
                   "flint_smtp_connectors": {"smtp": {"target": "evil.example.net",
                                                      "password": "{{ lookup('pipe', 'touch %s') }}" % marker}}}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(flint_input))
    run = ansible.run([ANSIBLE_PLAYBOOK, "flint.smtp.smtp", "-e", "@%s" % path], str(tmp_path))
    assert run.rc != 0, run.describe()
    result = run.result("Send the e-mail described by the Flint input")
    assert_flint_shape(result, 1)
    assert "flint_smtp_connectors is set in the extra vars, where the Flint input comes from" in result["msg"]
    assert not marker.exists() and not [e for e in run.net if e["event"] == "connect"]
