# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flint.smtp.notify callback: real plays that fail on purpose, configured from ansible.cfg."""

from __future__ import annotations

import json
import os

from conftest import ANSIBLE_PLAYBOOK, SMTP_PASSWORD, SMTP_USER, WRONG_PASSWORD, play, secret_forms, send

CALLBACKS = "flint_capture,flint.smtp.notify"


def _cfg(run_dir, **options):
    lines = ["[callback_flint_smtp_notify]"] + ["%s = %s" % item for item in options.items()]
    with open(os.path.join(run_dir, "ansible.cfg"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def _run(ansible, plays, cfg, env, inventory_text=None, group_vars=None, args=()):
    run_dir = ansible.new_dir("notify")
    _cfg(run_dir, **cfg)
    argv_inventory = None
    if inventory_text:
        os.makedirs(os.path.join(run_dir, "inv", "group_vars"))
        with open(os.path.join(run_dir, "inv", "hosts"), "w", encoding="utf-8") as handle:
            handle.write(inventory_text)
        with open(os.path.join(run_dir, "inv", "group_vars", "all.json"), "w", encoding="utf-8") as handle:
            json.dump(group_vars or {}, handle)
        argv_inventory = os.path.join(run_dir, "inv", "hosts")
    path = os.path.join(run_dir, "playbook.yml")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(plays, handle)
    argv = [ANSIBLE_PLAYBOOK, path] + (["-i", argv_inventory] if argv_inventory else []) + list(args)
    return ansible.run(argv, run_dir, dict(env, ANSIBLE_CALLBACKS_ENABLED=CALLBACKS))


def _env_connector(server, tag, password=SMTP_PASSWORD):
    return {"FLINT_SMTP_TARGET": server.target, "FLINT_SMTP_USERNAME": SMTP_USER, "FLINT_SMTP_PASSWORD": password,
            "FLINT_SMTP_CA_PATH": server.ca_path, "FLINT_SMTP_FROM": "ansible@example.com",
            "FLINT_SMTP_EHLO_NAME": tag, "FLINT_SMTP_TIMEOUT": "20000"}


def _bodies(server, tag):
    return [(server.email(m)["Subject"], server.email(m).get_content()) for m in server.messages_from(tag)]


def _no_secret(run, texts, *passwords):
    everything = run.output + "\n".join(texts)
    for form in secret_forms(*passwords):
        assert form not in everything


FAILING = [
    {"name": "works", "ansible.builtin.debug": {"msg": "fine"}},
    {"name": "ignored failure", "ansible.builtin.fail": {"msg": "ignored on purpose"}, "ignore_errors": True},
    {"name": "rescued", "block": [{"name": "fails in block", "ansible.builtin.fail": {"msg": "rescued on purpose"}}],
     "rescue": [{"name": "rescue", "ansible.builtin.debug": {"msg": "rescued"}}]},
    {"name": "secret failure", "ansible.builtin.fail": {"msg": "secret {{ inventory_hostname }}"}, "no_log": True,
     "when": "inventory_hostname == 'web2'"},
    {"name": "mail from the play fails", "flint.smtp.send": {"target": "127.0.0.1:1", "security": "none",
                                                             "from": "a@example.com", "to": "b@example.com",
                                                             "timeout": 2000},
     "when": "inventory_hostname == 'web1'"},
]


def test_failed_run_mails_one_summary_through_a_vaulted_inventory_connector(ansible, tag, starttls_server):
    inventory = ("[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n"
                 "[all:vars]\nansible_python_interpreter={{ ansible_playbook_python }}\n")
    group_vars = {"flint_smtp_connectors": {"alerts": {
        "target": starttls_server.target, "username": SMTP_USER, "password": "{{ notify_password }}",
        "ca_path": starttls_server.ca_path, "from": "Ansible <ansible@example.com>", "ehlo_name": tag,
        "timeout": 20000}}, "notify_password": SMTP_PASSWORD}
    run = _run(ansible, [play(FAILING, hosts="web")], {"to": "oncall@example.com, lead@example.com",
                                                       "connector_name": "alerts"},
               {}, inventory, group_vars,
               args=["-vvvv", "-e", json.dumps({"awx_job_id": 77, "awx_user_name": "alice"})])
    assert run.rc == 2, run.describe()  # the callback never changes the run's result
    mails = _bodies(starttls_server, tag)
    assert len(mails) == 1, run.describe()
    subject, body = mails[0]
    assert subject == "[ansible] FAILED: playbook.yml (job 77)"
    (stored,) = starttls_server.messages_from(tag)
    assert stored["auth_user"] == SMTP_USER and stored["tls"] is True
    assert sorted(stored["rcpt_tos"]) == ["lead@example.com", "oncall@example.com"]
    assert "web1: ok=" in body and "web2: ok=" in body
    assert "- FAILED web1: task 'mail from the play fails' (flint.smtp.send)" in body
    assert "- FAILED web2: task 'secret failure' (ansible.builtin.fail)\n    (output hidden: the task has no_log)" in body
    assert "secret web2" not in body and "ignored on purpose" not in body
    assert '"exit-code": -1' in body  # the failed send's own Flint result
    flint = json.loads(body.split("Flint result:\n", 1)[1])
    assert flint["output"] == {"result": "failed on 2 host(s): web1, web2"}
    assert flint["meta"]["exit-code"] == 1 and flint["meta"]["job-id"].startswith("job-awx-77-")
    assert flint["meta"]["username"] == "alice"
    _no_secret(run, [body], SMTP_PASSWORD)


def test_successful_run_is_mailed_only_when_asked(ansible, tag, starttls_server):
    env = _env_connector(starttls_server, tag)
    quiet = _run(ansible, [play([{"name": "ok", "ansible.builtin.debug": {"msg": "x"}}])],
                 {"to": "oncall@example.com"}, env)
    assert quiet.rc == 0 and _bodies(starttls_server, tag) == []
    loud = _run(ansible, [play([{"name": "ok", "ansible.builtin.debug": {"msg": "x"}}])],
                {"to": "oncall@example.com", "notify_on": "always"}, env, args=["-v"])
    assert loud.rc == 0, loud.describe()
    ((subject, body),) = _bodies(starttls_server, tag)
    assert subject == "[ansible] OK: playbook.yml"
    assert '"result": "success"' in body and "localhost: ok=1" in body
    assert "flint.smtp.notify: sent" in loud.output
    _no_secret(loud, [body], SMTP_PASSWORD)


def test_per_failure_mails_each_failure(ansible, tag, starttls_server):
    env = _env_connector(starttls_server, tag)
    tasks = [{"name": "fail %d" % i, "ansible.builtin.fail": {"msg": "on purpose %d" % i}, "ignore_errors": i == 0}
             for i in range(2)]
    plays = [play(tasks[:1] + [dict(tasks[1], name="fail 1")]), play([send("never reached", {})])]
    run = _run(ansible, plays, {"to": "oncall@example.com", "per_failure": "true"}, env)
    assert run.rc == 2
    mails = _bodies(starttls_server, tag)
    assert [mail[0] for mail in mails] == ["[ansible] FAILED: fail 1 on localhost"]
    assert "on purpose 1" in mails[0][1]


def test_mail_that_cannot_be_sent_is_a_warning_not_a_secret(ansible, tag, starttls_server):
    env = _env_connector(starttls_server, tag, password=WRONG_PASSWORD)
    run = _run(ansible, [play([{"name": "boom", "ansible.builtin.fail": {"msg": "x"}}])],
               {"to": "oncall@example.com"}, env, args=["-vvvv"])
    assert run.rc == 2
    assert "flint.smtp.notify: the notification was NOT sent: SMTP auth failed" in " ".join(run.output.split())
    assert _bodies(starttls_server, tag) == []
    _no_secret(run, [], WRONG_PASSWORD)
    missing = _run(ansible, [play([{"name": "boom", "ansible.builtin.fail": {"msg": "x"}}])], {}, env)
    assert "flint.smtp.notify: no recipients" in " ".join(missing.output.split())
