# -*- coding: utf-8 -*-
from __future__ import annotations

import importlib
import json

import pytest
import yaml

from ansible.module_utils.testing import patch_module_args

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC
from ansible_collections.flint.smtp.plugins.modules import send

SECRET = "pa55-W0rd-never-shown"


def documented_options():
    """The module's own options plus every fragment it extends, each documented once."""
    doc = yaml.safe_load(send.DOCUMENTATION)
    options = dict(doc["options"])
    for name in doc["extends_documentation_fragment"]:
        assert name.startswith("flint.smtp._"), name
        module = importlib.import_module("ansible_collections.flint.smtp.plugins.doc_fragments." + name.split(".")[-1])
        fragment = yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION)["options"]
        overlap = set(options) & set(fragment)
        assert not overlap, "documented twice: %s" % overlap
        options.update(fragment)
    return options


def test_the_auth_fragment_is_used():
    fragments = yaml.safe_load(send.DOCUMENTATION)["extends_documentation_fragment"]
    assert "flint.smtp._auth" in fragments and "flint.smtp._connection" in fragments


def test_documentation_equals_the_argument_spec():
    docs = documented_options()
    assert sorted(docs) == sorted(ARGUMENT_SPEC)
    for name, spec in ARGUMENT_SPEC.items():
        doc = docs[name]
        for key in ("type", "elements", "choices", "aliases"):
            assert doc.get(key) == spec.get(key), "%s: %s differs" % (name, key)
        assert doc.get("default") == spec.get("default"), "%s: default differs" % name
        assert bool(doc.get("required")) == bool(spec.get("required")), "%s: required differs" % name
        assert doc.get("description"), "%s has no description" % name
        for sub, subspec in (spec.get("options") or {}).items():
            subdoc = (doc.get("suboptions") or {}).get(sub)
            assert subdoc, "%s.%s is not documented" % (name, sub)
            for key in ("type", "elements", "choices", "default"):
                assert subdoc.get(key) == subspec.get(key), "%s.%s: %s differs" % (name, sub, key)
            assert bool(subdoc.get("required")) == bool(subspec.get("required")), "%s.%s: required" % (name, sub)


# Named like a secret, but not one: validate-modules needs an explicit no_log=False for these.
NOT_SECRET = {"oauth2_token_url"}


def test_secret_options_are_no_log():
    for name, spec in ARGUMENT_SPEC.items():
        if any(word in name for word in ("password", "token", "secret")):
            assert spec.get("no_log") is (name not in NOT_SECRET), name


def test_examples_and_return_are_yaml():
    assert isinstance(yaml.safe_load(send.EXAMPLES), list)
    returned = yaml.safe_load(send.RETURN)
    assert {"meta", "output", "rc", "msg", "accepted", "refused", "message_id"} <= set(returned)


def run_main(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            send.main()
    return info.value.code, json.loads(capsys.readouterr().out)


def test_main_in_check_mode_reports_what_it_would_send(capsys):
    code, result = run_main(capsys, {"target": "mail.example.com", "from": "ops@example.com",
                                     "to": "a@example.com, b@example.com", "_ansible_check_mode": True})
    assert code == 0 and result["changed"] is True and result["rc"] == 0
    assert result["recipients"] == ["a@example.com", "b@example.com"] and result["send_from"] == "target"
    assert result["meta"]["context"] == "flint-util:smtp:operation:smtp.rb"


def test_main_failure_is_flint_shaped_and_hides_the_password(capsys):
    code, result = run_main(capsys, {"target": "127.0.0.1", "port": 1, "from": "ops@example.com",
                                     "to": ["a@example.com"], "user_name": "u", "password": SECRET,
                                     "timeout": 2000, "retries": 0})
    assert code == 1 and result["failed"] is True
    assert result["rc"] == -1 and result["meta"]["exit-code"] == -1 and result["phase"] == "connect"
    assert "127.0.0.1:1" in result["msg"] and result["output"]["result"] == result["msg"]
    assert SECRET not in json.dumps(result)


def test_main_bad_input_is_exit_code_1(capsys):
    code, result = run_main(capsys, {"target": "mail.example.com", "from": "nobody", "to": ["a@example.com"]})
    assert code == 1 and result["rc"] == 1 and result["phase"] == "input" and "from:" in result["msg"]


def test_every_description_is_text():
    # A stray ": " in a description line makes YAML a dict there; ansible-doc then refuses the page.
    def walk(options):
        for name, option in options.items():
            descriptions = option["description"]
            descriptions = descriptions if isinstance(descriptions, list) else [descriptions]
            assert all(isinstance(text, str) for text in descriptions), name
            walk(option.get("suboptions", {}))
    walk(documented_options())
