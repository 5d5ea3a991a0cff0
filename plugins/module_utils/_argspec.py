# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the one argument spec of flint.smtp.send.

The module, the action plugin and (through a unit test) the DOCUMENTATION block all use
this spec, so an option cannot exist in one place and not the others.
Do not use this from other collections: it may change in any release.
"""

from __future__ import annotations

import copy

__all__ = ["ARGUMENT_SPEC", "REQUIRED_TOGETHER", "FLINT_KEY_ALIASES", "NOT_FROM_INPUT", "argument_spec",
           "module_kwargs", "input_keys"]

# Flint callers spelled these keys with hyphens; validate-modules refuses hyphenated names in a
# spec, so the action plugin renames them before validation (see plugins/action/send.py).
FLINT_KEY_ALIASES = {"content-type": "content_type"}

ARGUMENT_SPEC = {
    # Flint's inputs, same names.
    "connector_name": {"type": "str", "default": "smtp"},
    "target": {"type": "str", "required": True, "aliases": ["host"]},
    "from": {"type": "str", "required": True},
    "username": {"type": "str", "aliases": ["user_name"]},
    "password": {"type": "str", "no_log": True},
    # Required for one message; with `messages` each item may bring its own.
    # raw, not list: Ansible's list conversion splits a string at every comma, also inside a
    # quoted display name ('"Doe, John" <j@x>'). _addresses decides by type instead.
    "to": {"type": "raw"},
    "cc": {"type": "raw", "default": []},
    "bcc": {"type": "raw", "default": []},
    "subject": {"type": "str", "default": ""},
    "body": {"type": "str", "default": ""},
    # raw: a list holds one path per item, only Flint's single string is split at commas.
    "attachments": {"type": "raw", "default": []},
    "content_type": {"type": "str", "default": "text/plain", "choices": ["text/plain", "text/html"]},
    "timeout": {"type": "int", "default": 60000},
    # Our additions: Flint hard-coded port 587 and had no TLS settings.
    "port": {"type": "int", "default": 587},
    "security": {"type": "str", "choices": ["starttls", "tls", "none"]},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "allow_plaintext_auth": {"type": "bool", "default": False},
    "ehlo_name": {"type": "str"},
    # OAuth2 (XOAUTH2). The combinations are checked by _auth.select_auth, before any
    # connection, with messages that say what to change; the spec's generic
    # required_together/mutually_exclusive texts would say less.
    "auth_method": {"type": "str", "default": "auto", "choices": ["auto", "password", "xoauth2"]},
    "oauth2_token": {"type": "str", "no_log": True},
    "oauth2_token_url": {"type": "str", "no_log": False},
    "oauth2_client_id": {"type": "str"},
    "oauth2_client_secret": {"type": "str", "no_log": True},
    "oauth2_refresh_token": {"type": "str", "no_log": True},
    "oauth2_scope": {"type": "str"},
    "oauth2_ca_path": {"type": "path"},
    "max_attachment_size_mb": {"type": "int", "default": 10},
    "on_refused": {"type": "str", "default": "fail", "choices": ["fail", "warn"]},
    "check_connection": {"type": "bool", "default": False},
    "save_eml": {"type": "path"},
    "deliver": {"type": "bool", "default": True},
    "send_from": {"type": "str", "default": "auto", "choices": ["auto", "controller", "target"]},
    # Many messages in one task, over one session.
    "messages": {"type": "list", "elements": "dict"},
    "max_per_connection": {"type": "int", "default": 100},
    "rate": {"type": "int", "default": 0},
    "fail_on": {"type": "str", "default": "any", "choices": ["any", "all", "never"]},
    "save_eml_dir": {"type": "path"},
    # Retries of transient failures, inside the one timeout budget (plugins/module_utils/_retry.py).
    "retries": {"type": "int", "default": 2},
    "retry_delay": {"type": "int", "default": 1000},
    # The message (0.2.0): documented in plugins/doc_fragments/_message.py.
    "body_text": {"type": "str"},
    "derive_body_text": {"type": "bool", "default": True},
    "inline_images": {"type": "list", "elements": "dict", "default": [], "options": {
        "path": {"type": "path", "required": True},
        "cid": {"type": "str", "required": True},
        "content_type": {"type": "str"},
    }},
    "reply_to": {"type": "list", "elements": "str", "default": []},
    "headers": {"type": "dict", "default": {}},
    "headers_override": {"type": "bool", "default": False},
    "in_reply_to": {"type": "str"},
    "references": {"type": "list", "elements": "str", "default": []},
    "priority": {"type": "str", "choices": ["high", "normal", "low"]},
    "message_id_domain": {"type": "str"},
    "dsn_notify": {"type": "list", "elements": "str", "default": [],
                   "choices": ["NEVER", "SUCCESS", "FAILURE", "DELAY"]},
    "dsn_return": {"type": "str", "choices": ["FULL", "HDRS"]},
    # Flint's meta.job-id and meta.username. The action plugin fills them from AWX's vars
    # and passes them to the module, so a target-side (even async) result names the
    # controller's job and user, not the managed host's login.
    "job_id": {"type": "str"},
    "job_user": {"type": "str"},
    # Read the options from the play's variables (the Flint JSON given as extra vars), untemplated.
    "flint_input": {"type": "bool", "default": False},
}

# Options the Flint input (flint_input=true) may not set: whoever fills an AWX survey or calls
# the API must not write files on the controller or choose where and as whom the job runs.
NOT_FROM_INPUT = {
    "save_eml": "it writes a file on the controller",
    "save_eml_dir": "it writes files on the controller",
    "send_from": "it chooses where the job runs",
    "job_id": "it is the job's identity",
    "job_user": "it is the job's identity",
    "flint_input": "it is how the task reads the input",
    "inline_images": "it reads files on the controller; the input's files are attachments, confined to "
                     "FLINT_SMTP_ATTACHMENT_DIRS",
}

# username without password is XOAUTH2's user: _auth.select_auth checks the pairs instead.
REQUIRED_TOGETHER = []


def argument_spec():
    """Return a fresh copy: AnsibleModule and the validator mutate what they are given."""
    return copy.deepcopy(ARGUMENT_SPEC)


def input_keys():
    """{variable name: option name} for every key the Flint input may set, from the spec:
    each option and its aliases, and Flint's hyphenated spellings."""
    keys = {}
    for name, option in ARGUMENT_SPEC.items():
        if name in NOT_FROM_INPUT:
            continue
        for key in [name] + list(option.get("aliases", [])):
            keys[key] = name
    for flint_key, name in FLINT_KEY_ALIASES.items():
        keys[flint_key] = name
    return keys


def module_kwargs():
    """Keyword arguments for AnsibleModule and ArgumentSpecValidator alike."""
    return {
        "argument_spec": argument_spec(),
        "required_together": copy.deepcopy(REQUIRED_TOGETHER),
    }
