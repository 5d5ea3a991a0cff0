# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: checking task arguments on the controller with the module's own spec.

Do not use this from other collections.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC, FLINT_KEY_ALIASES, module_kwargs

__all__ = ["normalize_flint_args", "validate", "secret_values", "scrub"]


# Flint inputs carry "" for an unauthenticated relay; treat that as "not given", so the
# required-together check and the auth policy see what the user meant.
_EMPTY_MEANS_ABSENT = ("username", "user_name", "password")


def normalize_flint_args(args):
    """Accept Flint's hyphenated spellings (content-type) that a module spec cannot hold,
    and Flint's empty credentials.

    Returns (new args, error text or None). Both spellings at once is an error, not a guess.
    """
    args = dict((key, value) for key, value in args.items()
                if not (key in _EMPTY_MEANS_ABSENT and value in ("", None)))
    for flint_key, our_key in FLINT_KEY_ALIASES.items():
        if flint_key in args:
            if our_key in args:
                return args, "give %s or %s, not both" % (our_key, flint_key)
            args[our_key] = args.pop(flint_key)
    return args, None


def validate(args):
    """Validate like AnsibleModule would. Returns (params, error text or None)."""
    kwargs = module_kwargs()
    result = ArgumentSpecValidator(**kwargs).validate(dict(args))
    if result.error_messages:
        return result.validated_parameters, "; ".join(result.error_messages)
    return result.validated_parameters, None


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


def scrub(result, secrets):
    return remove_values(result, secrets) if secrets else result
