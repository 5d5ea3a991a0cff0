# -*- coding: utf-8 -*-
"""Property tests: whatever the display names hold, a Flint-style comma string of addresses
comes back as the same mailboxes, however Ansible's list conversion cut it first."""
from __future__ import annotations

from email.utils import formataddr

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._addresses import parse_mailboxes

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

_NAME_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
names = st.text(_NAME_CHARS, max_size=20).map(lambda text: " ".join(text.split()))
locals_ = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789._+-"), min_size=1, max_size=20).filter(
    lambda text: not text.startswith(".") and not text.endswith(".") and ".." not in text)
labels = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=12)
domains = st.lists(labels, min_size=1, max_size=3).map(lambda parts: ".".join(parts + ["example"]))
mailboxes = st.tuples(names, locals_, domains)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(st.lists(mailboxes, min_size=1, max_size=6), st.booleans())
def test_comma_strings_round_trip(boxes, cut_like_ansible):
    text = ", ".join(formataddr((name, "%s@%s" % (local, domain))) for name, local, domain in boxes)
    value = text.split(",") if cut_like_ansible else text
    parsed = parse_mailboxes(value, "to")
    assert [(m.name, m.addr) for m in parsed] == [(name, "%s@%s" % (local, domain)) for name, local, domain in boxes]
