# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the email policies messages are built with. Do not use this from other collections.

The stdlib's ``HeaderRegistry`` creates a new class with ``type()`` every time a header is set
or read (``type('_' + cls.__name__, (cls, base_class), {})``): measured, that was about a
quarter of the cost of building a small message, paid per header per message in every batch
and loop. The classes it creates are always the same for a header name, so we make each one
once. The policy is otherwise unchanged, and so are the bytes.
"""

from __future__ import annotations

from email.headerregistry import HeaderRegistry

__all__ = ["with_cached_headers"]


class _HeaderClasses(HeaderRegistry):
    """A HeaderRegistry that builds the class for each header name once."""

    def __init__(self):
        super(_HeaderClasses, self).__init__()
        self._made = {}

    def map_to_type(self, name, cls):
        self._made.clear()
        super(_HeaderClasses, self).map_to_type(name, cls)

    def __getitem__(self, name):
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super(_HeaderClasses, self).__getitem__(name)
        return made


def with_cached_headers(policy):
    """``policy`` (an email.policy.EmailPolicy) whose header classes are made once."""
    return policy.clone(header_factory=_HeaderClasses())
