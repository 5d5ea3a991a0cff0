# -*- coding: utf-8 -*-
"""Property test: no run of MIN_FRAGMENT or more characters of a secret survives the scrubber."""
from __future__ import annotations

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._scrub import MIN_FRAGMENT, Scrubber

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
given, settings = hypothesis.given, hypothesis.settings


@settings(max_examples=300, deadline=None)
@given(secret=st.text(min_size=MIN_FRAGMENT, max_size=40), before=st.text(max_size=30), after=st.text(max_size=30),
       data=st.data())
def test_no_run_of_a_secret_survives_in_any_text(secret, before, after, data):
    start = data.draw(st.integers(0, len(secret) - MIN_FRAGMENT))
    end = data.draw(st.integers(start + MIN_FRAGMENT, len(secret)))
    piece = secret[start:end]
    for shown in (piece, ascii(piece)[1:-1], repr(piece.encode("utf-8", "surrogatepass"))[2:-1]):
        out = Scrubber([secret]).text(before + shown + after)
        assert shown not in out or len(shown) < MIN_FRAGMENT
