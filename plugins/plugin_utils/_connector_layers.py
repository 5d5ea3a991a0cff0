# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: how connector layers combine (task over profile over environment). Do not use this from other collections.

Kept apart from the reading of profiles (_connectors.py) because these rules decide where a
secret may go: credentials come from one layer only and stay with that layer's server.
"""

from __future__ import annotations

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC, FLINT_KEY_ALIASES

__all__ = ["ConnectorError", "canonical_names", "empty", "host_of", "task_options", "check_credentials_stay",
           "without_other_server", "merge", "NOT_IN_PROFILE", "CREDENTIALS"]

# Never a profile's: which connector to use, the job's identity, how the task reads its input,
# and what a message carries or writes (a connector says how to reach a server, and defaults).
NOT_IN_PROFILE = ("connector_name", "job_id", "job_user", "flint_input", "attachments", "messages", "save_eml",
                  "save_eml_dir")
# Who we log in as. Taken from one source only (see merge), so a task's user name is never
# paired with a profile's password.
CREDENTIALS = ("username", "password", "auth_method", "oauth2_token", "oauth2_token_url", "oauth2_client_id",
               "oauth2_client_secret", "oauth2_refresh_token", "oauth2_scope")
# How to reach and trust one server: a layer that names another server gets none of these from below.
_SERVER = ("target", "port", "security", "validate_certs", "ca_path", "ehlo_name", "allow_plaintext_auth") + CREDENTIALS


class ConnectorError(Exception):
    """A connector cannot be used as configured: the task fails with exit-code 1, before connecting."""


_NAMES = {}


def canonical_names():
    """Every name a profile may use (options, aliases, Flint spellings) to the spec's own name."""
    if not _NAMES:
        for name, option in ARGUMENT_SPEC.items():
            if name in NOT_IN_PROFILE:
                continue
            _NAMES[name] = name
            for alias in option.get("aliases", []):
                _NAMES[alias] = name
        for flint_key, our_key in FLINT_KEY_ALIASES.items():
            _NAMES[flint_key] = our_key
    return _NAMES


def empty(value):
    # Flint and AWX both send "" for "not given" (an AWX credential injects "" for an unset field).
    return value is None or (isinstance(value, str) and value.strip() == "")


def host_of(target):
    target = str(target).strip()
    if target.startswith("["):
        return target[1:].split("]", 1)[0].lower()
    return target.rsplit(":", 1)[0].lower() if target.count(":") == 1 else target.lower()


def task_options(args):
    """The task's non-empty arguments under the spec's own names."""
    names = canonical_names()
    return dict((names.get(key, key), value) for key, value in args.items() if not empty(value))


def check_credentials_stay(name, lower, upper, upper_label):
    """Refuse to send the secrets of one layer to a server that a higher layer names.

    ``lower`` holds credentials and a target (a profile, the environment); ``upper`` (the task, or
    the variable's profile over the environment) names a server of its own without credentials.
    """
    given = upper.get("target")
    if given is None or "target" not in lower:
        return
    if not any(key in lower for key in CREDENTIALS) or any(key in upper for key in CREDENTIALS):
        return
    if host_of(given) != host_of(lower["target"]):
        raise ConnectorError(
            "connector %r holds the credentials for %s, but %s sends to %s: refusing to send them to "
            "another server. Leave target unset to use the connector's server, or give the credentials "
            "with the target" % (name, host_of(lower["target"]), upper_label, host_of(given)))


def without_other_server(lower, upper):
    """``lower`` minus its server settings when ``upper`` names another server."""
    if "target" in upper and "target" in lower and host_of(upper["target"]) != host_of(lower["target"]):
        return dict((k, v) for k, v in lower.items() if k not in _SERVER)
    return lower


def merge(args, task, options):
    """Task arguments over the profile; returns (merged, names of the options taken from the profile).

    Empty task values do not hide a profile value. Credentials come from one source only.
    """
    names = canonical_names()
    if any(key in task for key in CREDENTIALS):
        options = dict((k, v) for k, v in options.items() if k not in CREDENTIALS)
    options = without_other_server(options, task)
    merged = dict(args)
    used = []
    for key, value in options.items():
        if key not in task:
            for alias in [k for k, n in names.items() if n == key]:
                merged.pop(alias, None)  # an empty "" from Flint for this option
            merged[key] = value
            used.append(key)
    return merged, used
