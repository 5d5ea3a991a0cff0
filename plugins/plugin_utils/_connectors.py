# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: Flint connectors, i.e. named SMTP server profiles. Do not use this from other collections.

A task (or the notification callback) names a connector with ``connector_name``; its options
come from, highest precedence first:

1. the task's own arguments;
2. the profile of that name in the variable ``flint_smtp_connectors`` (inventory, group_vars,
   extra vars; templated deliberately, so vault values and lookups work);
3. ``FLINT_SMTP_<OPTION>`` environment variables on the controller, for the one profile named by
   ``FLINT_SMTP_CONNECTOR_NAME`` (default ``smtp``); this is what the AWX credential type injects;
4. the module's defaults.

A profile's credentials belong to its server: they are never sent to a server the task names
instead (the rules are in _connector_layers.py).
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC
from ansible_collections.flint.smtp.plugins.module_utils._attachments import ATTACHMENT_DIRS_ENV
from ansible_collections.flint.smtp.plugins.module_utils._errors import shown
from ansible_collections.flint.smtp.plugins.plugin_utils._connector_layers import (
    CREDENTIALS,
    ConnectorError,
    canonical_names,
    check_credentials_stay,
    empty,
    merge,
    task_options,
    without_other_server,
)

__all__ = ["ConnectorError", "Connector", "apply", "resolve", "VAR_NAME", "ENV_PREFIX", "DEFAULT_NAME"]

VAR_NAME = "flint_smtp_connectors"
ENV_PREFIX = "FLINT_SMTP_"
ENV_NAME = ENV_PREFIX + "CONNECTOR_NAME"
# FLINT_SMTP_* variables that configure something else than a connector option.
_ENV_NOT_OPTIONS = (ENV_NAME, ATTACHMENT_DIRS_ENV)
DEFAULT_NAME = "smtp"


class Connector(object):
    """The resolved profile: its name, and which options came from where (for the result)."""

    def __init__(self, name, profile=None, env=None):
        self.name = name
        self.profile = profile or {}
        self.env = env or {}

    def options(self):
        """Profile options, with the environment below the variable's profile.

        Credentials come from one layer only, and the environment's stay with its own server.
        """
        env = dict(self.env)
        if any(key in self.profile for key in CREDENTIALS):
            env = dict((k, v) for k, v in env.items() if k not in CREDENTIALS)
        else:
            check_credentials_stay(self.name, env, self.profile, "the variable %s" % VAR_NAME)
        env = without_other_server(env, self.profile)
        env.update(self.profile)
        return env

    def describe(self, used):
        """For the task result: no values, only the names of the options taken and their sources."""
        sources = []
        if self.profile:
            sources.append(VAR_NAME)
        if self.env:
            sources.append("environment")
        return {
            "name": self.name,
            "sources": sources,
            "options": sorted(key for key in used if key in self.profile or key in self.env),
        }


def _canonicalize(profile, where):
    """Profile keys to the spec's own names; unknown keys are an error naming the profile."""
    names = canonical_names()
    unknown = sorted(str(key) for key in profile if key not in names)
    if unknown:
        raise ConnectorError("%s has unknown option(s) %s; a connector may set %s" % (
            where, ", ".join(unknown), ", ".join(sorted(n for n in names if n in ARGUMENT_SPEC))))
    result = {}
    for key, value in profile.items():
        name = names[key]
        if name in result:
            raise ConnectorError("%s sets %s twice (%s is an alias)" % (where, name, key))
        if not empty(value):
            result[name] = value
    return result


def _check_types(profile, where):
    """Type-check a profile on its own, so that a wrong port names the profile, not the task."""
    spec = {}
    for name in profile:
        option = dict(ARGUMENT_SPEC[name])
        option.pop("required", None)
        option.pop("default", None)
        option.pop("aliases", None)
        spec[name] = option
    result = ArgumentSpecValidator(spec).validate(dict(profile))
    if result.error_messages:
        raise ConnectorError("%s: %s" % (where, "; ".join(result.error_messages)))


def _plain(value):
    """Template results (vault strings, tagged strings) as plain Python data."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    # str() of a vault value decrypts it; str.__str__ then makes a plain str of a str subclass
    # (ansible-core < 2.19 keeps AnsibleUnsafeText through str(), slicing and encode/decode).
    return str.__str__(str(value))


def _may_template(value):
    """False for plain values without template markers: templating them is a costly no-op."""
    if isinstance(value, dict):
        return any(_may_template(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_may_template(v) for v in value)
    if value is None or type(value) in (bool, int, float):
        return False
    # Vaulted values and anything unusual go to the templar; so does any string with a marker.
    return not isinstance(value, str) or "{" in value


def _from_vars(name, task_vars, template):
    """The profile ``name`` of ``flint_smtp_connectors``, templated; (None, known names) if absent."""
    raw = task_vars.get(VAR_NAME)
    if raw is None:
        return None, []
    where = "variable %s" % VAR_NAME
    if not isinstance(raw, dict):
        raw = template(raw, where)  # the variable itself may be a template ("{{ my_connectors }}")
    if not isinstance(raw, dict):
        raise ConnectorError("%s must be a dict of connector profiles, not %s" % (where, type(raw).__name__))
    known = sorted(str(key) for key in raw)
    if name not in raw:
        return None, known
    where = "connector %r (%s)" % (name, VAR_NAME)
    profile = raw[name]
    if profile is None:
        profile = {}
    if not isinstance(profile, dict):
        profile = template(profile, where)
    if not isinstance(profile, dict):
        raise ConnectorError("%s must be a dict of options, not %s" % (where, type(profile).__name__))
    # Only the chosen profile is templated: a broken vault value in another one must not matter.
    profile = _canonicalize(profile, where)
    profile = dict((key, template(value, "%s option %s" % (where, key)) if _may_template(value) else value)
                   for key, value in profile.items())
    profile = _canonicalize(_plain(profile), where)
    omit = task_vars.get("omit")
    profile = dict((key, value) for key, value in profile.items() if not (omit and value == omit))
    _check_types(profile, where)
    return profile, known


def _from_env(name, environ):
    """FLINT_SMTP_<OPTION> values, if ``name`` is the environment's connector; never templated."""
    env_name = environ.get(ENV_NAME, "").strip() or DEFAULT_NAME
    values = dict((key[len(ENV_PREFIX):].lower(), value) for key, value in environ.items()
                  if key.startswith(ENV_PREFIX) and key not in _ENV_NOT_OPTIONS and not empty(value))
    if name != env_name or not values:
        return None, env_name if values else None
    where = "connector %r (environment %s*)" % (name, ENV_PREFIX)
    names = canonical_names()
    unknown = sorted(ENV_PREFIX + key.upper() for key in values if key not in names)
    if unknown:
        raise ConnectorError("%s: unknown variable(s) %s" % (where, ", ".join(unknown)))
    profile = _canonicalize(values, where)
    _check_types(profile, where)
    return profile, env_name


def resolve(args, task_vars, template, environ):
    """Apply the connector ``args`` names. Returns (new args, description for the result or None).

    ``template(value, where)`` renders a value the Ansible way (it is the action's templar).
    Raises ConnectorError, naming the connector, for an unknown name or a bad profile.
    """
    name = args.get("connector_name")
    name = DEFAULT_NAME if empty(name) else str(name).strip()
    profile, known = _from_vars(name, task_vars or {}, template)
    env, env_name = _from_env(name, environ)
    if profile is None and env is None:
        if name == DEFAULT_NAME:
            return args, None  # no profile: the task alone, as before connectors existed
        choices = sorted(set(known + ([env_name] if env_name else [])))
        if choices:
            raise ConnectorError("unknown connector %s: the known connectors are %s" % (
                shown(name), ", ".join(repr(c) for c in choices)))
        raise ConnectorError("unknown connector %s: no connectors are defined. Define it in the variable %s, "
                             "or set %s* environment variables (the default connector is %r)"
                             % (shown(name), VAR_NAME, ENV_PREFIX, DEFAULT_NAME))
    connector = Connector(name, profile, env)
    task = task_options(args)
    check_credentials_stay(name, connector.options(), task, "the task")
    merged, used = merge(args, task, connector.options())
    return merged, connector.describe(used)


def apply(args, task_vars, templar, environ, input_vars=()):
    """``resolve`` for a plugin: returns (args, connector description or None, error text or None).

    ``input_vars`` names the variables that may hold the Flint input (the extra vars, with
    ``flint_input``): connectors defined there are refused, since we template connectors and the
    input must stay data (a profile there could also point a vaulted password at any server).
    """
    if VAR_NAME in input_vars:
        return args, None, ("%s is set in the extra vars, where the Flint input comes from: connectors are "
                            "templated, so they must come from inventory, group_vars or the AWX credential, "
                            "never from the input" % VAR_NAME)

    def template(value, where):
        try:
            return templar.template(value)
        except AnsibleError as exc:
            raise ConnectorError("%s cannot be templated: %s" % (where, exc))

    try:
        return resolve(args, task_vars, template, environ) + (None,)
    except ConnectorError as exc:
        return args, None, str(exc)
