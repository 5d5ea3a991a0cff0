# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/docsite/rst/guide_troubleshooting.rst lists every message the send path can fail with.

The message templates are read from the source (the literal text given to the error classes and to
the _fail helpers), so a new or reworded message without an entry in the guide fails this test.
"""

from __future__ import annotations

import ast
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..")
GUIDE = os.path.join(ROOT, "docs", "docsite", "rst", "guide_troubleshooting.rst")
SOURCES = ("plugins/module_utils", "plugins/plugin_utils", "plugins/action/send.py")
# Calls whose first argument is a message a user can read.
ERRORS = {"InputError", "DeliveryError", "ConnectorError", "DomainError", "SourceError", "AddressSyntaxError",
          "FlintSmtpError", "failure", "ValueError", "TypeError"}
# Functions that return (what, hint) or (..., error text) instead of raising: their returned and
# assigned literals are messages.
RETURNS_TEXT = {"refusal", "offered", "flint_input_args", "check_input_ca_path", "apply"}
# Text that reaches msg through assignments rather than calls: (file, template).
ASSIGNED = [
    ("plugins/module_utils/_transport.py", "SMTP %s failed at %s: %s.%s"),
    ("plugins/module_utils/_oauth2.py", "OAuth2 token request to %s failed: %s.%s"),
    ("plugins/module_utils/_oauth2.py", " No SMTP connection was opened."),
    ("plugins/module_utils/_oauth2.py", "the identity provider refused the %s grant: %s%s"),
    ("plugins/module_utils/_oauth2.py", "the endpoint answered HTTP %d %s"),
    ("plugins/action/send.py", "Invalid options for %s: %s"),
    ("plugins/action/send.py", "unexpected error in %s: %s: %s"),
    ("plugins/action/send.py", "the module failed on the managed host without a result"),
    ("plugins/action/send.py", "send_from: controller cannot run as an async task"),
    ("plugins/action/send.py", "attachments from the Flint input are only read on the controller"),
    ("plugins/module_utils/_transactions.py", "the message was not sent to anyone"),
    ("plugins/module_utils/_transactions.py", "the message was already delivered to %s in an earlier transaction"),
    ("plugins/module_utils/_transport.py", "the connection broke (%s)"),
]
# Literal strings found by the extractor that never reach a user as they are:
ALLOWED = {
    # an internal assertion of the streamed renderer (a bug, reported as "unexpected error in ...")
    "placeholder for %s not found exactly once in the rendered message",
}
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrfixX]")


def _lit(node):
    """The literal text of a message expression, %-placeholders kept; None when it has none."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _lit(node.left)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _lit(node.left), _lit(node.right)
        return None if left is None and right is None else (left or "%s") + (right or "%s")
    return None


def _files():
    for source in SOURCES:
        path = os.path.join(ROOT, source)
        if os.path.isfile(path):
            yield source
            continue
        for name in sorted(os.listdir(path)):
            if name.endswith(".py"):
                yield "%s/%s" % (source, name)


def _call_messages(rel, call):
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name == "_fail":
        # SmtpSession._fail(phase, what, hint...) and TokenRequest._fail(what, hint...)
        index = 0 if rel.endswith("_oauth2.py") else 1
        args = call.args[index:index + 1]  # the message; hints are prose the guide paraphrases
    elif name in ERRORS:
        args = call.args[:1]
    else:
        return []
    return [_lit(arg) for arg in args]


def _return_messages(func):
    found = []
    for node in ast.walk(func):
        if isinstance(node, ast.Return) and node.value is not None:
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            # (what, hint) or (args, error): the first text is the message, a hint follows it
            found.append(next((text for text in map(_lit, values) if text is not None), None))
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            found.append(_lit(node.value))
    return found


def source_templates():
    templates = set()
    for rel in _files():
        with open(os.path.join(ROOT, rel), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                found = _call_messages(rel, node)
            elif isinstance(node, ast.FunctionDef) and node.name in RETURNS_TEXT:
                found = _return_messages(node)
            else:
                continue
            templates.update((rel, text) for text in found if text and text.strip())
    return templates


def _normalise(text):
    return " ".join(text.split())


def _guide():
    with open(GUIDE, encoding="utf-8") as handle:
        return _normalise(handle.read())


def _pattern(template):
    """A template as a regex: each placeholder is any text inside one ``literal``."""
    parts = PLACEHOLDER.split(_normalise(template).replace("%%", "\x00"))
    return re.compile("[^`]*?".join(re.escape(part.replace("\x00", "%")) for part in parts))


def test_the_extractor_finds_the_known_message_sources():
    templates = {text for _where, text in source_templates()}
    # a few from each phase: if the extractor breaks, these go missing and this fails
    for known in ("the server does not offer STARTTLS, and security is starttls",
                  "give oauth2_token or oauth2_token_url, not both",
                  "unknown connector %s: the known connectors are %s",
                  "the server rejected the OAuth2 token for %s",
                  "%s cannot come from the Flint input (%s); set it on the task instead"):
        assert known in templates
    assert len(templates) > 150


def test_every_message_has_an_entry_in_the_guide():
    guide = _guide()
    missing = sorted("%s: %s" % (rel, text) for rel, text in source_templates()
                     if text not in ALLOWED and not _pattern(text).search(guide))
    assert not missing, "guide_troubleshooting.rst has no entry for:\n" + "\n".join(missing)


def test_assigned_messages_are_still_in_the_source_and_in_the_guide():
    guide = _guide()
    for rel, template in ASSIGNED:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as handle:
            assert template in handle.read(), "%s no longer has %r: update ASSIGNED" % (rel, template)
        assert _pattern(template.strip()).search(guide), template


def test_allow_list_entries_still_exist():
    templates = {text for _where, text in source_templates()}
    assert ALLOWED <= templates, "stale ALLOWED entries: %s" % sorted(ALLOWED - templates)


def test_pattern_matches_a_placeholder_and_not_a_reworded_text():
    assert _pattern("the sender %s was refused").search("``the sender <address> was refused``")
    assert not _pattern("the sender %s was refused").search("``the sender <address> was rejected``")
    assert not _pattern("a %s b").search("``a x`` and ``y b``")
