# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EXAMPLES of flint.smtp.send are copied into playbooks: every mail address and mail host in them
is in a domain reserved for documentation (RFC 2606), or a well-known provider endpoint in a recipe.
Flint's own sample data (real people's addresses) lives in the migration guide."""

from __future__ import annotations

import re

import yaml

from ansible_collections.flint.smtp.plugins.modules import send

RESERVED = re.compile(r"(^|\.)example\.(com|net|org)$|^localhost$")
# Provider endpoints that a recipe has to name to be useful (no mailbox there is anyone's).
PROVIDER_HOSTS = {"smtp.office365.com", "smtp.gmail.com"}
ADDRESS = re.compile(r"[A-Za-z0-9._%+{}\- ]+@([A-Za-z0-9.\-{}]+)")


def _strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value if isinstance(value, str) else None
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def test_examples_use_documentation_domains():
    examples = yaml.safe_load(send.EXAMPLES)
    checked = 0
    for key, value in _strings(examples):
        if value is None:
            continue
        for domain in ADDRESS.findall(value):
            assert RESERVED.search(domain), "%s: %r is not an example.com-style address" % (key, value)
            checked += 1
        if key in ("target", "host"):
            host = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
            assert RESERVED.search(host) or host in PROVIDER_HOSTS, "%s: %r" % (key, value)
            checked += 1
    assert checked >= 10, "EXAMPLES hold fewer addresses than expected: the walk is broken"
