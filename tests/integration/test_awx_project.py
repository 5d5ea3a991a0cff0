# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX kit in extras/awx/: credential type, survey and project skeleton, run as AWX runs a job.

AWX checks credential types and surveys with its own validators (rules in shared/reference/awx.md,
sections 2 and 3); the first tests apply the same rules, so a definition AWX would refuse fails
here. The last test copies the project skeleton into an ansible-runner private data dir, installs
the collection into its collections/ (what a project sync does from collections/requirements.yml),
renders the credential type's injectors with test inputs the way AWX does, and runs the job.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess

import jinja2
import pytest
import yaml

from conftest import BIN, REPO_ROOT, SMTP_PASSWORD, SMTP_USER, assert_flint_shape, secret_forms

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC

EXTRAS = os.path.join(REPO_ROOT, "extras", "awx")
# Options of branch `oauth`, which the credential type already offers; they become plain spec
# options when that lands (the test then holds them to the spec like the rest).
PENDING_OPTIONS = {"auth_method", "oauth2_token", "oauth2_token_url", "oauth2_client_id", "oauth2_client_secret",
                   "oauth2_refresh_token", "oauth2_scope"}
PENDING_SECRETS = {"oauth2_token", "oauth2_client_secret", "oauth2_refresh_token"}
# awx/main/constants.py ENV_BLOCKLIST (the names a custom injector may not set), plus ANSIBLE_*.
ENV_BLOCKLIST = {"VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
                 "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES",
                 "CALLBACK_QUEUE", "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS",
                 "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH"}


def _load(name):
    with open(os.path.join(EXTRAS, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle) if name.endswith(".yml") else json.load(handle)


def render_injectors(credential_type, inputs, private_data_dir):
    """What AWX's CredentialType.inject_credential does: (env, extra_vars) for a credential.

    Unset fields render as ""; the file injector is written under env/ and named by tower.filename.
    Templates are rendered with StrictUndefined, as AWX's validation does.
    """
    fields = [f["id"] for f in credential_type["inputs"]["fields"]]
    context = dict((name, inputs.get(name, "")) for name in fields)
    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    injectors = credential_type["injectors"]
    if "file" in injectors:
        path = os.path.join(private_data_dir, "env", "tmp-flint-cred-file")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(jinja.from_string(injectors["file"]["template"]).render(**context))
        os.chmod(path, 0o600)
        context["tower"] = {"filename": path}
    env = dict((key, jinja.from_string(value).render(**context)) for key, value in injectors.get("env", {}).items())
    extra_vars = dict((key, jinja.from_string(value).render(**context))
                      for key, value in injectors.get("extra_vars", {}).items())
    return env, extra_vars


def test_credential_type_passes_awx_rules_and_feeds_the_connector(tmp_path):
    ctype = _load("credential_type.yml")
    assert ctype["kind"] in ("cloud", "net") and ctype["name"]
    fields = ctype["inputs"]["fields"]
    ids = [f["id"] for f in fields]
    assert len(ids) == len(set(ids)) and "tower" not in ids
    for field in fields:
        assert re.match(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$", field["id"]) and field["label"], field
        assert set(field) <= {"id", "label", "type", "secret", "choices", "default", "help_text", "multiline",
                              "format", "ask_at_runtime"}, field
        assert field.get("type", "string") in ("string", "boolean")
        assert field.get("format") in (None, "ssh_private_key", "url")
    assert set(ctype["inputs"]["required"]) <= set(ids)
    secret = set(f["id"] for f in fields if f.get("secret"))
    assert secret == set(name for name in ids if ARGUMENT_SPEC.get(name, {}).get("no_log")) | PENDING_SECRETS
    assert set(ctype["injectors"]) <= {"env", "extra_vars", "file"}
    assert "extra_vars" not in ctype["injectors"]  # secrets stay out of the job's extra vars
    for name in ctype["injectors"]["env"]:
        assert not name.startswith("ANSIBLE_") and name not in ENV_BLOCKLIST
        option = name[len("FLINT_SMTP_"):].lower()
        assert name.startswith("FLINT_SMTP_") and (option == "connector_name" or option in ARGUMENT_SPEC
                                                   or option in PENDING_OPTIONS), name
    (tmp_path / "env").mkdir()
    # Every field unset, then every field set: both render under StrictUndefined.
    env = render_injectors(ctype, {"target": "mail.example.com"}, str(tmp_path))[0]
    assert env["FLINT_SMTP_CA_PATH"] == "" and env["FLINT_SMTP_PASSWORD"] == ""
    env = render_injectors(ctype, dict((i, "x") for i in ids), str(tmp_path))[0]
    assert env["FLINT_SMTP_CA_PATH"] == str(tmp_path / "env" / "tmp-flint-cred-file")


def test_survey_passes_awx_rules_and_asks_flint_inputs():
    survey = _load("survey_spec.json")
    assert isinstance(survey["name"], str) and isinstance(survey["description"], str) and survey["spec"]
    variables = [q["variable"] for q in survey["spec"]]
    assert len(variables) == len(set(variables))
    for question in survey["spec"]:
        assert all(isinstance(question[k], str) for k in ("type", "question_name", "variable")), question
        assert isinstance(question["required"], bool)
        assert question["type"] in ("text", "textarea", "password", "multiplechoice", "multiselect", "integer",
                                    "float")
        for bound in ("min", "max"):
            assert question.get(bound) is None or isinstance(question[bound], int), question
        if question["type"] in ("multiplechoice", "multiselect"):
            assert question["default"] in question["choices"]
        elif question["type"] == "integer" and "default" in question:
            assert isinstance(question["default"], int)
        elif "default" in question:
            assert isinstance(question["default"], str)
        assert question["variable"] in ARGUMENT_SPEC, question  # a Flint input, passed on by flint.smtp.smtp
    assert {"connector_name", "from", "to", "cc", "bcc", "subject", "body"} <= set(variables)
    assert not {"username", "password"} & set(variables)  # the credential's job


def test_project_skeleton_requirements_name_the_collection():
    requirements = _load("project/collections/requirements.yml")
    assert [c["name"] for c in requirements["collections"]] == ["flint.smtp"]
    with open(os.path.join(EXTRAS, "project", "flint_smtp.yml"), encoding="utf-8") as handle:
        plays = yaml.safe_load(handle)
    assert plays == [{"name": "Flint SMTP operation", "ansible.builtin.import_playbook": "flint.smtp.smtp"}]
    tracked = subprocess.run(["git", "-C", REPO_ROOT, "check-ignore", "-q",
                              "extras/awx/project/collections/requirements.yml"], check=False)
    assert tracked.returncode == 1, "collections/requirements.yml is git-ignored: AWX would never see it"


EXTRAVARS = """\
!unsafe 'connector_name': !unsafe 'smtp'
!unsafe 'from': !unsafe ''
!unsafe 'to': !unsafe 'oncall@example.com, audit@example.com'
!unsafe 'cc': !unsafe ''
!unsafe 'subject': !unsafe 'AWX project job {tag} {{{{ lookup("pipe", "id") }}}}'
!unsafe 'body': !unsafe 'Hello from the AWX project skeleton {{{{ awx_job_id }}}}'
!unsafe 'content_type': !unsafe 'text/plain'
!unsafe 'ehlo_name': !unsafe '{tag}'
awx_job_id: 5151
tower_job_id: 5151
awx_job_launch_type: manual
awx_user_name: !unsafe 'alice'
tower_user_name: !unsafe 'alice'
awx_job_template_name: !unsafe 'Flint SMTP'
awx_project_revision: !unsafe 'abc123'
"""


@pytest.fixture(scope="module")
def collection_tarball(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("galaxy-build"))
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", out, REPO_ROOT],
                   check=True, capture_output=True, text=True, timeout=300)
    (tarball,) = glob.glob(os.path.join(out, "flint-smtp-*.tar.gz"))
    return tarball


def test_awx_job_from_the_project_skeleton_with_the_credential(
        ansible, tmp_path, tag, starttls_server, collection_tarball):
    runner = pytest.importorskip("ansible_runner")
    pdd = tmp_path / "pdd"
    shutil.copytree(os.path.join(EXTRAS, "project"), str(pdd / "project"))
    (pdd / "inventory").mkdir()
    (pdd / "env").mkdir()
    # Project sync: install what collections/requirements.yml names (here the collection just built,
    # as no Galaxy server is reachable) into the project's collections/.
    project_collections = str(pdd / "project" / "collections")
    galaxy_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=project_collections)  # not "already installed"
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-p",
                    project_collections, collection_tarball], check=True, capture_output=True, text=True,
                   timeout=300, env=galaxy_env)
    (pdd / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % os.path.join(BIN, "python"))
    (pdd / "env" / "extravars").write_text(EXTRAVARS.format(tag=tag))
    with open(starttls_server.ca_path, encoding="utf-8") as handle:
        ca_pem = handle.read()
    cred_env, cred_extra_vars = render_injectors(_load("credential_type.yml"), {
        "target": "127.0.0.1", "port": str(starttls_server.port), "security": "starttls",
        "username": SMTP_USER, "password": SMTP_PASSWORD, "from": "AWX Alerts <awx@example.com>",
        "ca_cert": ca_pem}, str(pdd))
    assert cred_extra_vars == {}

    (tmp_path / "run").mkdir()
    base = ansible.env(str(tmp_path / "run"))
    empty = tmp_path / "no-collections"
    empty.mkdir()
    envvars = {
        # Only the project's collections/ (found next to the playbook) can provide flint.smtp.
        "ANSIBLE_COLLECTIONS_PATH": str(empty), "ANSIBLE_HOME": base["ANSIBLE_HOME"],
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false", "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "JOB_ID": "5151", "INVENTORY_ID": "1", "PROJECT_REVISION": "abc123", "MAX_EVENT_RES": "700000",
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": base["PYTHONPATH"], "FLINT_NETGUARD_LOG": base["FLINT_NETGUARD_LOG"],
    }
    envvars.update(cred_env)
    result = runner.run(private_data_dir=str(pdd), playbook="flint_smtp.yml", ident="5151", envvars=envvars,
                        cmdline="-u root", suppress_env_files=True, quiet=True,
                        settings={"suppress_ansible_output": True})
    stdout = result.stdout.read()
    assert (result.status, result.rc) == ("successful", 0), stdout
    events = list(result.events)
    (ok,) = [e for e in events if e["event"] == "runner_on_ok" and e["event_data"]["task_action"] == "flint.smtp.send"]
    res = ok["event_data"]["res"]
    assert_flint_shape(res, 0, send_from="controller")
    assert res["meta"]["job-id"].startswith("job-awx-5151-") and res["meta"]["username"] == "alice"
    assert res["connector"] == {"name": "smtp", "sources": ["environment"],
                                "options": ["ca_path", "from", "password", "port", "security", "target", "username"]}
    (stored,) = starttls_server.messages_from(tag)
    assert stored["auth_user"] == SMTP_USER and stored["tls"] and stored["mail_from"] == "awx@example.com"
    assert sorted(stored["rcpt_tos"]) == ["audit@example.com", "oncall@example.com"]
    # Survey answers are data: their templates were sent as text, never run.
    msg = starttls_server.message_by_id(res["message_id"])[1]
    assert msg["Subject"] == 'AWX project job %s {{ lookup("pipe", "id") }}' % tag
    assert msg.get_content().strip() == "Hello from the AWX project skeleton {{ awx_job_id }}"

    with open(base["FLINT_NETGUARD_LOG"], encoding="utf-8") as handle:
        net = [json.loads(line) for line in handle]
    assert [e for e in net if e["event"] == "connect"] and all(e["allowed"] for e in net if e["event"] == "connect")

    # No secret in what AWX keeps of a job: stdout, events, set_stats artifacts, runner's artifact files.
    # (runner's artifacts/<ident>/command records the process environment by design; AWX itself keeps
    # the environment only masked, and that file is not part of a job's events or output.)
    kept = [stdout, json.dumps(events)]
    for path in glob.glob(str(pdd / "artifacts" / "5151" / "**"), recursive=True):
        if os.path.isfile(path) and os.path.basename(path) != "command":
            with open(path, encoding="utf-8", errors="replace") as handle:
                kept.append(handle.read())
    for form in secret_forms(SMTP_PASSWORD):
        assert not [text for text in kept if form in text], "secret form %r kept by the job" % form
