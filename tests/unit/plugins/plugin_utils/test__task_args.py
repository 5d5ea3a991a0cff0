# -*- coding: utf-8 -*-
from __future__ import annotations

from ansible_collections.flint.smtp.plugins.plugin_utils._task_args import (
    normalize_flint_args,
    scrub,
    secret_values,
    validate,
)


def test_rename_leaves_the_input_alone():
    original = {"content-type": "text/html"}
    renamed, error = normalize_flint_args(original)
    assert renamed == {"content_type": "text/html"} and error is None and original == {"content-type": "text/html"}


def test_validate_applies_defaults_aliases_and_comma_strings():
    params, error = validate({"host": "h", "from": "f@x.org", "to": "a@x.org, b@x.org", "user_name": "u",
                              "password": "p", "timeout": "1500"})
    assert error is None
    assert params["target"] == "h" and params["username"] == "u" and params["timeout"] == 1500
    assert params["port"] == 587 and params["send_from"] == "auto" and params["validate_certs"] is True
    assert [item.strip() for item in params["to"]] == ["a@x.org", "b@x.org"]


def test_validate_requires_username_and_password_together():
    _params, error = validate({"target": "h", "from": "f@x.org", "to": "a@x.org", "password": "p"})
    assert "username" in error and "password" in error


def test_secret_values_and_scrub():
    secrets = secret_values({"password": "hunter2", "username": "u"})
    assert secrets == {"hunter2"}
    assert scrub({"msg": "login hunter2 failed", "n": ["hunter2"]}, secrets) == {
        "msg": "login ******** failed", "n": ["VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"]}


def test_empty_flint_credentials_mean_none():
    args, error = normalize_flint_args({"user_name": "", "password": "", "target": "h"})
    assert args == {"target": "h"} and error is None
