# -*- coding: utf-8 -*-
"""Input errors quote what was given, but never a whole huge value (it would land in the result,
the Flint JSON, AWX job events and logs)."""
from __future__ import annotations

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._errors import SHOWN_LIMIT, shown
from ansible_collections.flint.smtp.plugins.module_utils._send import run

HUGE = 200000
BASE = {"target": "127.0.0.1", "port": 1, "from": "ops@example.com", "to": "a@example.com", "subject": "s",
        "body": "b"}
# One bad value per option that quotes its input, each far longer than an error should be.
CASES = {
    "to_string": {"to": "x" * HUGE},
    "to_list_item": {"to": ["a@example.com", "y" * HUGE]},
    "to_not_a_string": {"to": [["z" * HUGE]]},
    "to_dots": {"to": "a..b" + "c" * HUGE + "@example.com"},
    "cc_domain_label": {"cc": "a@" + "-bad" * (HUGE // 4) + ".example"},
    "from_no_at": {"from": "w" * HUGE},
    "reply_to": {"reply_to": "<" * 3 + "q" * HUGE},
    "ehlo_name": {"ehlo_name": "e_" * (HUGE // 2)},
    "in_reply_to": {"in_reply_to": "m" * HUGE},
    "message_id_domain": {"message_id_domain": "d_" * (HUGE // 2)},
    "header_name": {"headers": {"X " * (HUGE // 2): "v"}},
    "header_date": {"headers": {"Date": "t" * HUGE}},
    "attachment_path": {"attachments": ["/tmp/\x01" + "p" * HUGE]},
    "save_eml_path": {"save_eml": "/tmp/\x02" + "p" * HUGE, "deliver": False},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_huge_bad_values_give_short_input_errors(name):
    result = run(dict(BASE, **CASES[name]), send_from="controller")
    assert result["meta"]["exit-code"] == 1, result["msg"][:300]
    assert len(result["msg"]) < 1000, (len(result["msg"]), result["msg"][:300])
    assert len(result["meta"]["message"]) < 1000


def test_shown_keeps_short_values_whole_and_both_ends_of_long_ones():
    assert shown("bob@example.com") == "'bob@example.com'"
    text = shown("a" * 50 + "b" * 1000 + "c" * 50)
    assert len(text) < SHOWN_LIMIT + 40
    assert text.startswith("'aaa") and text.endswith("ccc' (1102 characters)") and "..." in text
