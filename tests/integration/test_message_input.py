# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The new message options and the Flint input (issue 6 rules): inline_images would read files on the
controller, so they never come from the input, neither for the message nor for an item of messages;
the other message options (text version, headers, priority) may, and are data."""

from __future__ import annotations

import pytest

from conftest import assert_flint_shape
from test_input_is_data import SEND_TASK, assert_failed_with_flint_json, run_flint


@pytest.mark.parametrize("where", ["message", "messages item"])
def test_inline_images_never_come_from_the_input(ansible, tag, plain_server, where):
    image = {"path": "/etc/hostname", "cid": "x"}
    flint_input = {"target": plain_server.target, "security": "none", "from": "a@example.com", "to": "b@example.net",
                   "subject": "no files " + tag, "content_type": "text/html", "body": '<img src="cid:x">',
                   "ehlo_name": tag}
    if where == "message":
        flint_input["inline_images"] = [image]
    else:
        flint_input["messages"] = [{"to": "c@example.net", "inline_images": [image]}]
    run = run_flint(ansible, flint_input)
    assert_failed_with_flint_json(run, "inline_images cannot come from the Flint input")
    assert plain_server.sessions_from(tag) == []  # refused before any connection


def test_message_options_from_the_input_are_data(ansible, tag, plain_server):
    flint_input = {"target": plain_server.target, "security": "none", "from": "a@example.com", "to": "b@example.net",
                   "subject": "options " + tag, "content_type": "text/html", "body": "<p>{{ 7*7 }}</p>",
                   "body_text": "{{ 7*7 }} as text\n", "headers": {"X-Ticket": "{{ 6*7 }}"}, "priority": "high",
                   "reply_to": "r@example.net", "ehlo_name": tag}
    run = run_flint(ansible, flint_input)
    assert run.rc == 0, run.describe()
    result = run.result(SEND_TASK)
    assert_flint_shape(result, 0, send_from="controller")
    _meta, msg = plain_server.message_by_id(result["message_id"])
    assert msg.get_body(("plain",)).get_content() == "{{ 7*7 }} as text\n"
    assert msg["X-Ticket"] == "{{ 6*7 }}" and msg["X-Priority"] == "1 (Highest)"
    assert msg["Reply-To"] == "r@example.net"
