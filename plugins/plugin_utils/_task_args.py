# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: checking task arguments on the controller with the module's own spec.

Do not use this from other collections.
"""

from __future__ import annotations

import os
import stat

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.flint.smtp.plugins.module_utils._argspec import (
    ARGUMENT_SPEC,
    FLINT_KEY_ALIASES,
    NOT_FROM_INPUT,
    input_keys,
    module_kwargs,
)
from ansible_collections.flint.smtp.plugins.module_utils._scrub import Scrubber

__all__ = ["normalize_flint_args", "validate", "secret_values", "scrub", "scrubber", "flint_input_args",
           "plain_data", "check_input_ca_path"]

# A CA bundle from the Flint input is read on the controller: no device or pipe (which would
# block or never end), and nothing larger than any real bundle.
_MAX_CA_BYTES = 10 * 1024 * 1024


# Flint inputs carry "" for an unauthenticated relay; treat that as "not given", so the
# required-together check and the auth policy see what the user meant.
_EMPTY_MEANS_ABSENT = ("username", "user_name", "password")


def normalize_flint_args(args):
    """Accept Flint's hyphenated spellings (content-type) that a module spec cannot hold,
    and Flint's empty credentials.

    Returns (new args, error text or None). Both spellings at once is an error, not a guess.
    """
    # None is "not given" for every key: a JSON null in Flint input, and what an AWX survey's empty
    # answer becomes (AWX writes it as !unsafe '', which Ansible's YAML loader reads as null).
    args = dict((key, value) for key, value in args.items()
                if not (value is None or (key in _EMPTY_MEANS_ABSENT and value == "")))
    for flint_key, our_key in FLINT_KEY_ALIASES.items():
        if flint_key in args:
            if our_key in args:
                return args, "give %s or %s, not both" % (our_key, flint_key)
            args[our_key] = args.pop(flint_key)
    if isinstance(args.get("content_type"), str):
        # MIME types are case-insensitive (RFC 2045 5.1): text/HTML is text/html.
        args["content_type"] = args["content_type"].strip().lower()
    return args, None


# One validator per process: building one deep-copies the whole spec (about a millisecond
# per loop item); validate() keeps its state in the result it returns, never in the validator.
_VALIDATOR = []


def _validator():
    if not _VALIDATOR:
        _VALIDATOR.append(ArgumentSpecValidator(**module_kwargs()))
    return _VALIDATOR[0]


def validate(args):
    """Validate like AnsibleModule would. Returns (params, error text or None)."""
    validator = _validator()
    # The validator deep-copies what it gets; templated strings and the task's own keys carry
    # Ansible's tags (2.19+), and copying those was most of the validation's cost per loop item.
    # Plain copies cost nothing.
    result = validator.validate(dict((_plain_if_possible(key), _plain_if_possible(value))
                                     for key, value in args.items()))
    params = result.validated_parameters
    for name, value in params.items():
        # A default list is the validator's own object: give each task its own, so that
        # nothing done with one item's params can leak into the next item's.
        if isinstance(value, (list, dict)) and value is validator.argument_spec.get(name, {}).get("default"):
            params[name] = type(value)(value)
    if result.error_messages:
        return params, "; ".join(result.error_messages)
    return params, None


def _plain_if_possible(value):
    try:
        return plain_data(value)
    except TypeError:
        return value  # a type only the validator can judge: it says what is wrong with it


def plain_data(value, where="value"):
    """``value`` as plain Python data (str, int, float, bool, None, list, dict).

    Raw variables carry Ansible's own string types (tagged on 2.19+, unsafe on 2.16); as
    plain data they can never be rendered as a template later. Vaulted values are decrypted.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)  # an exact str copy, whatever the subclass
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return dict((plain_data(k, where), plain_data(v, where)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain_data(item, where) for item in value]
    if type(value).__name__ in ("AnsibleVaultEncryptedUnicode", "EncryptedString"):
        return str.__str__(str(value))
    raise TypeError("%s has a type the Flint input cannot carry (%s)" % (where, type(value).__name__))


def flint_input_args(task_args, task_vars):
    """The task's arguments completed from the Flint input: the play's variables named like
    an option (see input_keys()), read raw from ``task_vars`` so that nothing in them is ever
    rendered as a template. JSON null means "not given"; arguments set on the task win.

    Returns (args, error text or None).
    """
    args = dict(task_args)
    args.pop("flint_input", None)
    keys = input_keys()
    given = set()
    for key in args:
        given.add(keys.get(key, key))
    for key in sorted(NOT_FROM_INPUT):
        if key != "flint_input" and task_vars.get(key) is not None:
            return args, "%s cannot come from the Flint input (%s); set it on the task instead" % (
                key, NOT_FROM_INPUT[key])
    from_input = {}
    for key in sorted(keys):
        if key not in task_vars or task_vars[key] is None:
            continue
        if keys[key] in given:
            continue
        try:
            from_input[key] = plain_data(task_vars[key], key)
        except TypeError as exc:
            return args, str(exc)
    args.update(from_input)
    return args, None


def check_input_ca_path(path):
    """Error text when ``ca_path`` from the Flint input is not a plain CA file or directory, else None."""
    if not isinstance(path, str) or not path:
        return None  # the spec reports wrong types
    try:
        info = os.stat(path)
    except OSError as exc:
        return "ca_path %s cannot be read: %s" % (path, exc.strerror or exc)
    if stat.S_ISDIR(info.st_mode):
        return None
    if not stat.S_ISREG(info.st_mode):
        return "ca_path %s is not a regular file or a directory" % path
    if info.st_size > _MAX_CA_BYTES:
        return "ca_path %s is %d bytes, too large for a CA bundle" % (path, info.st_size)
    return None


def secret_values(args):
    """Every no_log value in the task args, to scrub from whatever we return."""
    values = set()
    for name, option in ARGUMENT_SPEC.items():  # read only: no copy needed
        if option.get("no_log"):
            for key in [name] + list(option.get("aliases", [])):
                value = args.get(key)
                if value not in (None, ""):
                    values.add(str(value))
    return values


# The Scrubber of the latest secret set: every item of a loop has the same secrets, and
# building one (every window of every spelling of each secret) costs more than using it.
_SCRUBBER = {}


def scrubber(args):
    """A Scrubber for every no_log value in ``args`` (and the user names AUTH PLAIN pairs them with)."""
    names = tuple(args.get(key) for key in ("username", "user_name") if isinstance(args.get(key), str))
    key = (frozenset(secret_values(args)), names)
    cached = _SCRUBBER.get(key)
    if cached is None:
        _SCRUBBER.clear()  # one set only: no secret outlives the task that brought it
        cached = _SCRUBBER[key] = Scrubber(key[0], names)
    return cached


def scrub(result, secrets, usernames=()):
    """``result`` without any secret in ``secrets`` or identifying piece of one."""
    return Scrubber(secrets, usernames).scrub(result)
