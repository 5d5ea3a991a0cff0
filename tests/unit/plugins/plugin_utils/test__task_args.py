# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.flint.smtp.plugins.module_utils._argspec import (
    ARGUMENT_SPEC,
    NOT_FROM_INPUT,
    input_keys,
    module_kwargs,
)
from ansible_collections.flint.smtp.plugins.plugin_utils._task_args import (
    check_input_ca_path,
    flint_input_args,
    normalize_flint_args,
    plain_data,
    scrub,
    scrubber,
    secret_values,
    validate,
)


def test_rename_leaves_the_input_alone():
    original = {"content-type": "text/html"}
    renamed, error = normalize_flint_args(original)
    assert renamed == {"content_type": "text/html"} and error is None and original == {"content-type": "text/html"}


def test_validate_applies_defaults_aliases_and_keeps_address_strings_whole():
    params, error = validate({"host": "h", "from": "f@x.org", "to": '"Doe, J" <a@x.org>, b@x.org', "user_name": "u",
                              "password": "p", "timeout": "1500"})
    assert error is None
    assert params["target"] == "h" and params["username"] == "u" and params["timeout"] == 1500
    assert params["port"] == 587 and params["send_from"] == "auto" and params["validate_certs"] is True
    # Not cut at the comma inside the quotes: the core reads the string as an address list.
    assert params["to"] == '"Doe, J" <a@x.org>, b@x.org' and params["cc"] == []


def test_the_validator_gets_plain_keys_and_values(monkeypatch):
    # It deep-copies what it gets: Ansible's tagged strings (2.19+), keys included, made that most of a
    # loop item's validation cost. Keys come from the task's YAML and are tagged as well.
    from ansible_collections.flint.smtp.plugins.plugin_utils import _task_args

    seen = []
    validator = _task_args._validator()
    real = type(validator).validate
    monkeypatch.setattr(validator, "validate", lambda params: seen.append(params) or real(validator, params))
    params, error = validate({Tagged("target"): Tagged("h"), Tagged("from"): "f@x.org", "to": [Tagged("a@x.org")],
                              Tagged("port"): 25})
    assert error is None and params["target"] == "h" and params["port"] == 25
    given = seen[0]
    assert {type(key) for key in given} == {str}  # exactly str: no subclass, so nothing to reconstruct
    assert [type(given["target"]), type(given["to"][0])] == [str, str]


def test_validate_leaves_auth_combinations_to_the_core():
    # username alone is XOAUTH2's user; the pairs are checked, with clearer words, by _auth.select_auth.
    params, error = validate({"target": "h", "from": "f@x.org", "to": "a@x.org", "username": "u",
                              "oauth2_token": "t"})
    assert error is None and params["auth_method"] == "auto"


def test_oauth2_secrets_are_scrubbed():
    secrets = secret_values({"oauth2_token": "tok", "oauth2_client_secret": "cs", "oauth2_refresh_token": "rt",
                             "oauth2_client_id": "id", "oauth2_token_url": "https://t.example/token"})
    assert secrets == {"tok", "cs", "rt"}


def test_validate_reuses_one_validator_but_no_state_between_tasks():
    base = {"target": "h", "from": "f@x.org", "to": "a@x.org"}
    first, error = validate(base)
    assert error is None and first["cc"] == [] and first["attachments"] == []
    first["cc"].append("leak@x.org")
    first["attachments"].append("/etc/passwd")
    second, error = validate(base)
    assert error is None and second["cc"] == [] and second["attachments"] == []
    assert ARGUMENT_SPEC["cc"]["default"] == [] and ARGUMENT_SPEC["attachments"]["default"] == []
    _params, error = validate(dict(base, port="not a port"))
    assert "port" in error
    assert validate(base)[1] is None  # an error is the result's, never the validator's
    for args in (dict(base, cc="c@x.org"), dict(base, attachments="/a,/b", timeout="2000"), base):
        fresh = ArgumentSpecValidator(**module_kwargs()).validate(dict(args)).validated_parameters
        assert validate(args) == (fresh, None)


def test_scrubber_is_kept_for_the_same_secrets_only():
    one = scrubber({"password": "first-secret", "username": "u"})
    assert scrubber({"password": "first-secret", "username": "u", "to": "x"}) is one
    other = scrubber({"password": "QWERTYUIOP", "username": "u"})
    assert other is not one and scrubber({"password": "first-secret", "username": "v"}) is not one
    assert other.text("QWERTYUIOP and first-secret") == "******** and first-secret"
    assert not scrubber({"to": "x"})


def test_secret_values_and_scrub():
    secrets = secret_values({"password": "hunter2", "username": "u"})
    assert secrets == {"hunter2"}
    assert scrub({"msg": "login hunter2 failed", "n": ["hunter2"]}, secrets) == {
        "msg": "login ******** failed", "n": ["********"]}


def test_empty_flint_credentials_mean_none():
    args, error = normalize_flint_args({"user_name": "", "password": "", "target": "h"})
    assert args == {"target": "h"} and error is None


@pytest.mark.parametrize("given", ["text/HTML", "Text/Html", " TEXT/HTML "])
@pytest.mark.parametrize("key", ["content_type", "content-type"])
def test_content_type_any_case_either_spelling(key, given):
    args, error = normalize_flint_args({key: given})
    assert error is None and args == {"content_type": "text/html"}
    params, error = validate(dict(args, target="h", **{"from": "f@x.org", "to": "a@x.org"}))
    assert error is None and params["content_type"] == "text/html"


def test_input_keys_come_from_the_spec():
    keys = input_keys()
    for name, option in ARGUMENT_SPEC.items():
        for key in [name] + option.get("aliases", []):
            assert (key in keys) == (name not in NOT_FROM_INPUT), key
    assert keys["content-type"] == "content_type" and keys["user_name"] == "username"
    assert not {"save_eml", "send_from", "job_id", "job_user", "flint_input"} & set(keys)


class Tagged(str):
    """Stands for Ansible's own string types (tagged on 2.19+, unsafe on 2.16)."""


def test_flint_input_reads_raw_values_nulls_are_absent_task_wins():
    task_vars = {"target": Tagged("h"), "from": "f@x.org", "to": [Tagged("a@x.org")], "password": "Ab{{ 7*7 }}zz",
                 "body": "{{ lookup('pipe', 'id') }}", "cc": None, "subject": None, "user_name": "u",
                 "content-type": "Text/Plain", "port": 2525, "inventory_hostname": "localhost", "ehlo_name": "in"}
    args, error = flint_input_args({"flint_input": True, "ehlo_name": "task", "send_from": "controller"}, task_vars)
    assert error is None
    assert args == {"send_from": "controller", "ehlo_name": "task", "target": "h", "from": "f@x.org",
                    "to": ["a@x.org"], "password": "Ab{{ 7*7 }}zz", "body": "{{ lookup('pipe', 'id') }}",
                    "user_name": "u", "content-type": "Text/Plain", "port": 2525}
    # Exactly str, not Ansible's own string types, so nothing can treat them as templates later.
    assert {type(args["target"]), type(args["to"][0])} == {str}


@pytest.mark.parametrize("key", ["save_eml", "send_from", "job_id", "job_user"])
def test_flint_input_refuses_what_writes_files_or_places_the_job(key):
    _args, error = flint_input_args({"flint_input": True}, {"target": "h", key: "x"})
    assert error.startswith("%s cannot come from the Flint input" % key)


def test_plain_data_refuses_objects():
    assert plain_data({"a": (1, 2.5, True, None)}) == {"a": [1, 2.5, True, None]}
    with pytest.raises(TypeError, match="body has a type the Flint input cannot carry"):
        plain_data(object(), "body")


def test_ca_path_from_the_input_is_a_plain_file_or_directory(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    assert check_input_ca_path(str(bundle)) is None and check_input_ca_path(str(tmp_path)) is None
    assert "is not a regular file" in check_input_ca_path("/dev/zero")
    assert "cannot be read" in check_input_ca_path(str(tmp_path / "missing"))


def test_null_means_not_given_for_every_key():
    # JSON null in Flint input; an empty AWX survey answer (!unsafe '') also loads as None.
    args, error = normalize_flint_args({"target": "h", "cc": None, "subject": None, "timeout": None, "body": ""})
    assert args == {"target": "h", "body": ""} and error is None
    params, error = validate(dict(args, **{"from": "f@x.org", "to": "a@x.org"}))
    assert error is None and params["cc"] == [] and params["timeout"] == 60000
