# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/docsite/rst/guide_community_general_mail.rst maps every community.general.mail option, and
only to options flint.smtp.send has; a "(none)" row goes stale the day send gains that option."""

from __future__ import annotations

import os
import re

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC

GUIDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                     "docs", "docsite", "rst", "guide_community_general_mail.rst")
# community.general.mail's options (13.3.0, plugins/modules/mail.py)
CG_MAIL_OPTIONS = {"host", "port", "username", "password", "sender", "to", "cc", "bcc", "subject", "body", "attach",
                   "inline", "headers", "charset", "subtype", "secure", "timeout", "ehlohost", "message_id_domain"}
# names flint.smtp.send would give an option that covers an unmapped one
WOULD_BE_CALLED = {"inline": ("inline", "inline_images"), "headers": ("headers",), "charset": ("charset",),
                   "message_id_domain": ("message_id_domain",)}
ANSOPT = re.compile(r":ansopt:`flint\.smtp\.send#module:([a-z0-9_]+)(?:=[^`]*)?`")


def _text():
    with open(GUIDE, encoding="utf-8") as handle:
        return handle.read()


def _rows():
    """{community.general.mail option: second-column text} from the options list-table."""
    # the table's body: after its options, up to the first blank line
    table = _text().split(".. list-table::", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for block in re.split(r"^  \* - ", table, flags=re.M)[2:]:  # [0] is empty, [1] the header row
        cells = re.split(r"^    - ", block, flags=re.M)
        assert len(cells) == 3, block
        rows[re.match(r"``([a-z_]+)``", cells[0]).group(1)] = cells[1]
    return rows


def test_every_community_general_mail_option_has_a_row():
    assert set(_rows()) == CG_MAIL_OPTIONS


def test_only_real_options_are_named():
    named = set(ANSOPT.findall(_text()))
    assert named, "no :ansopt: references found"
    assert named <= set(ARGUMENT_SPEC), "not options of flint.smtp.send: %s" % sorted(named - set(ARGUMENT_SPEC))


def test_unmapped_rows_are_still_unmapped():
    for option, mapped in _rows().items():
        if mapped.strip() == "(none)":
            now = [name for name in WOULD_BE_CALLED.get(option, (option,)) if name in ARGUMENT_SPEC]
            assert not now, "flint.smtp.send has %s now: map community.general.mail's %s to it" % (now, option)
        else:
            assert ANSOPT.search(mapped), "%s: name the flint.smtp.send option with :ansopt:" % option
