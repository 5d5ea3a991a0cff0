# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.flint.smtp.plugins.plugin_utils._connectors import apply, resolve

try:  # ansible-core 2.19+: strings are data unless trusted as templates
    from ansible.template import trust_as_template as trusted

    def untrusted(text):
        return text
except ImportError:  # ansible-core < 2.19: strings are templates unless marked unsafe
    from ansible.utils.unsafe_proxy import wrap_var as untrusted

    def trusted(text):
        return text

SECRET = "Pr0file-s3cret-\u00e9"
PROFILE = {"target": "mail.example.com:2525", "username": "alerts", "password": SECRET,
           "from": "ops@example.com", "security": "starttls"}


def run(args, task_vars=None, environ=None):
    task_vars = dict(task_vars or {})
    templar = Templar(loader=DataLoader(), variables=task_vars)
    return apply(dict(args), task_vars, templar, environ or {})


def profiles(**named):
    return {"flint_smtp_connectors": named}


def test_default_name_without_profiles_changes_nothing():
    args = {"target": "h", "from": "a@example.com", "to": "b@example.com"}
    assert run(args) == (args, None, None)
    assert run(dict(args, connector_name="smtp")) == (dict(args, connector_name="smtp"), None, None)


def test_profile_supplies_options_and_task_arguments_win():
    args, info, error = run({"connector_name": "office", "to": "b@example.com", "from": "me@example.com"},
                            profiles(office=PROFILE))
    assert error is None
    assert args == dict(PROFILE, connector_name="office", to="b@example.com", **{"from": "me@example.com"})
    assert info == {"name": "office", "sources": ["flint_smtp_connectors"],
                    "options": ["password", "security", "target", "username"]}


@pytest.mark.parametrize("name, known", [
    ("nope", "'office', 'relay'"),
    ("", None),  # "" is Flint's "not given": the default connector
])
def test_unknown_name_lists_the_known_ones(name, known):
    args, info, error = run({"connector_name": name, "target": "h"}, profiles(office=PROFILE, relay={}))
    if known is None:
        assert error is None and info is None
    else:
        assert error == "unknown connector %r: the known connectors are %s" % (name, known)


def test_unknown_name_with_no_connectors_says_how_to_define_them():
    error = run({"connector_name": "prod"})[2]
    assert "unknown connector 'prod': no connectors are defined" in error and "flint_smtp_connectors" in error


def test_unknown_profile_key_names_the_profile():
    error = run({"connector_name": "office"}, profiles(office=dict(PROFILE, passwrod="x")))[2]
    assert error.startswith("connector 'office' (flint_smtp_connectors) has unknown option(s) passwrod;")
    for forbidden in ("job_id", "connector_name", "flint_input", "attachments", "messages", "save_eml", "save_eml_dir"):
        assert "unknown option(s) %s" % forbidden in run({"connector_name": "o"}, profiles(o={forbidden: "x"}))[2]


def test_profile_types_are_checked_with_the_profile_named():
    error = run({"connector_name": "office"}, profiles(office=dict(PROFILE, port="smtp")))[2]
    assert error.startswith("connector 'office' (flint_smtp_connectors): ") and "port" in error


def test_aliases_and_flint_spellings_in_a_profile():
    args = run({"connector_name": "o"}, profiles(o={"host": "h", "user_name": "u", "password": "p",
                                                    "content-type": "text/html"}))[0]
    assert (args["target"], args["username"], args["content_type"]) == ("h", "u", "text/html")
    assert "twice" in run({"connector_name": "o"}, profiles(o={"host": "h", "target": "h"}))[2]


def test_task_alias_hides_the_profile_option():
    args = run({"connector_name": "o", "host": "task.example.com"}, profiles(o={"target": "p.example.com"}))[0]
    assert args["host"] == "task.example.com" and "target" not in args


def test_empty_task_values_do_not_hide_the_profile():
    args = run({"connector_name": "o", "target": "", "from": None, "cc": " "}, profiles(o=dict(PROFILE, cc=["x@e.com"])))[0]
    assert args["target"] == PROFILE["target"] and args["from"] == PROFILE["from"] and args["cc"] == ["x@e.com"]


def test_task_naming_another_server_with_its_login_gets_no_server_setting_of_the_profile():
    args = run({"connector_name": "o", "target": "other.example.com", "username": "u2", "password": "p2"},
               profiles(o=dict(PROFILE, port=2525, ca_path="/etc/ca.pem")))[0]
    assert "port" not in args and "ca_path" not in args and "security" not in args
    assert args["from"] == PROFILE["from"] and args["password"] == "p2"


def test_credentials_come_from_one_source():
    args = run({"connector_name": "o", "username": "someone-else"}, profiles(o=PROFILE))[0]
    assert args["username"] == "someone-else" and "password" not in args


@pytest.mark.parametrize("target", ["evil.example.net", "evil.example.net:25", "[2001:db8::1]:25"])
def test_profile_credentials_never_go_to_another_server(target):
    error = run({"connector_name": "o", "target": target}, profiles(o=PROFILE))[2]
    assert "refusing to send them to another server" in error and SECRET not in error


@pytest.mark.parametrize("target", ["MAIL.example.com", "mail.example.com:465"])
def test_same_server_other_port_keeps_the_credentials(target):
    args, _info, error = run({"connector_name": "o", "target": target}, profiles(o=PROFILE))
    assert error is None and args["password"] == SECRET and args["target"] == target


def test_profile_templates_are_rendered_but_untrusted_values_stay_data():
    task_vars = profiles(o={"target": "h", "username": trusted("{{ user }}"), "password": trusted("{{ vault_pw }}"),
                            "from": untrusted("{{ lookup('pipe', 'id') }}")})
    task_vars.update(user="alerts", vault_pw=SECRET)
    args, _info, error = run({"connector_name": "o"}, task_vars)
    assert error is None
    assert (args["username"], args["password"]) == ("alerts", SECRET)
    assert args["from"] == "{{ lookup('pipe', 'id') }}"
    assert all(type(v) in (str, int, bool, list) for v in args.values())


def test_connectors_variable_may_itself_be_a_template():
    task_vars = {"flint_smtp_connectors": trusted("{{ site_connectors }}"), "site_connectors": {"o": PROFILE}}
    assert run({"connector_name": "o"}, task_vars)[0]["password"] == SECRET


def test_only_the_chosen_profile_is_templated():
    task_vars = profiles(o=PROFILE, broken={"password": trusted("{{ undefined_vault_var }}")})
    assert run({"connector_name": "o"}, task_vars)[2] is None
    error = run({"connector_name": "broken"}, task_vars)[2]
    assert error.startswith("connector 'broken' (flint_smtp_connectors) option password cannot be templated")


def test_bad_shapes():
    assert "must be a dict of connector profiles" in run({}, {"flint_smtp_connectors": ["a"]})[2]
    assert "must be a dict of options" in run({"connector_name": "o"}, profiles(o=["a"]))[2]
    assert run({"connector_name": "o", "target": "h"}, profiles(o=None))[2] is None


ENV = {"FLINT_SMTP_TARGET": "env.example.com", "FLINT_SMTP_PORT": "465", "FLINT_SMTP_SECURITY": "tls",
       "FLINT_SMTP_USERNAME": "envuser", "FLINT_SMTP_PASSWORD": SECRET, "FLINT_SMTP_FROM": "",
       "FLINT_SMTP_VALIDATE_CERTS": "true", "PATH": "/bin"}


def test_environment_is_the_default_connector():
    args, info, error = run({"to": "b@example.com"}, environ=ENV)
    assert error is None
    assert args == {"to": "b@example.com", "target": "env.example.com", "port": "465", "security": "tls",
                    "username": "envuser", "password": SECRET, "validate_certs": "true"}
    assert info["sources"] == ["environment"] and "from" not in info["options"]  # "" is AWX's unset field


def test_environment_connector_can_be_renamed_and_is_not_templated():
    env = dict(ENV, FLINT_SMTP_CONNECTOR_NAME="office365", FLINT_SMTP_FROM="{{ lookup('pipe','id') }}")
    args = run({"connector_name": "office365"}, environ=env)[0]
    assert args["from"] == "{{ lookup('pipe','id') }}"
    assert "the known connectors are 'office365'" in run({"connector_name": "smtp2"}, environ=env)[2]
    # The default name, with no profile under it, is today's behaviour.
    assert run({"target": "h"}, environ=env)[2] is None


def test_variable_profile_wins_over_the_environment_key_by_key():
    args, info, error = run({}, profiles(smtp={"port": 2465, "from": "inv@example.com"}), ENV)
    assert error is None and info["sources"] == ["flint_smtp_connectors", "environment"]
    assert (args["target"], args["port"], args["from"], args["password"]) == (
        "env.example.com", 2465, "inv@example.com", SECRET)


def test_variable_profile_cannot_redirect_the_environment_credentials():
    # An extra var (e.g. an AWX launch variable) must not send the credential's password elsewhere.
    error = run({}, profiles(smtp={"target": "evil.example.net"}), ENV)[2]
    assert error == ("connector 'smtp' holds the credentials for env.example.com, but the variable "
                     "flint_smtp_connectors sends to evil.example.net: refusing to send them to another server. "
                     "Leave target unset to use the connector's server, or give the credentials with the target")
    args = run({}, profiles(smtp={"target": "other.example.com", "username": "u2", "password": "p2"}), ENV)[0]
    # Another server with its own login: nothing of the environment's server applies (port, security).
    assert (args["target"], args["username"], args["password"]) == ("other.example.com", "u2", "p2")
    assert "port" not in args and "security" not in args


def test_environment_variables_of_other_features_are_not_options():
    env = dict(ENV, FLINT_SMTP_ATTACHMENT_DIRS="/srv/reports")
    args, _info, error = run({}, environ=env)
    assert error is None and "attachment_dirs" not in args


def test_environment_errors_name_the_variables():
    error = run({}, environ=dict(ENV, FLINT_SMTP_PASWORD="x"))[2]
    assert error == "connector 'smtp' (environment FLINT_SMTP_*): unknown variable(s) FLINT_SMTP_PASWORD"
    assert "port" in run({}, environ=dict(ENV, FLINT_SMTP_PORT="x"))[2]


def test_resolve_reports_no_value():
    info = resolve({"connector_name": "o"}, profiles(o=PROFILE), lambda v, w: v, {})[1]
    assert SECRET not in repr(info)


def test_connectors_from_the_flint_input_are_refused():
    task_vars = profiles(smtp={"target": "evil.example.net", "password": trusted("{{ vault_pw }}")})
    templar = Templar(loader=DataLoader(), variables=task_vars)
    args, info, error = apply({"to": "b@example.com"}, task_vars, templar, {}, input_vars={"flint_smtp_connectors": 1})
    assert info is None and args == {"to": "b@example.com"}
    assert error.startswith("flint_smtp_connectors is set in the extra vars, where the Flint input comes from")
