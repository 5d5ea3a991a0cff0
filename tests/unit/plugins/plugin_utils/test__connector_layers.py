# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.flint.smtp.plugins.plugin_utils._connector_layers import (
    ConnectorError,
    check_credentials_stay,
    host_of,
    merge,
    task_options,
    without_other_server,
)


@pytest.mark.parametrize("target, host", [
    ("Mail.Example.com", "mail.example.com"),
    ("mail.example.com:2525", "mail.example.com"),
    ("[2001:DB8::1]:25", "2001:db8::1"),
    ("2001:db8::1", "2001:db8::1"),
    (" 127.0.0.1:25 ", "127.0.0.1"),
])
def test_host_of(target, host):
    assert host_of(target) == host


def test_task_options_use_the_spec_names_and_drop_empty_values():
    assert task_options({"host": "h", "user_name": "u", "content-type": "text/html", "cc": "", "bcc": None}) == {
        "target": "h", "username": "u", "content_type": "text/html"}


@pytest.mark.parametrize("lower, upper, fails", [
    ({"target": "a", "password": "p"}, {"target": "b"}, True),
    ({"target": "a", "password": "p"}, {"target": "a:465"}, False),
    ({"target": "a", "password": "p"}, {"target": "b", "username": "u", "password": "q"}, False),
    ({"target": "a"}, {"target": "b"}, False),  # nothing secret below
    ({"password": "p"}, {"target": "b"}, False),  # a login without a server goes where it is told
    ({"target": "a", "oauth2_token": "t"}, {"target": "b"}, True),
])
def test_credentials_stay_with_their_server(lower, upper, fails):
    if fails:
        with pytest.raises(ConnectorError, match="refusing to send them to another server"):
            check_credentials_stay("c", lower, upper, "the task")
    else:
        check_credentials_stay("c", lower, upper, "the task")


def test_another_server_keeps_only_message_defaults():
    lower = {"target": "a", "port": 2525, "ca_path": "/ca", "username": "u", "password": "p", "from": "f@x", "cc": ["c"]}
    assert without_other_server(lower, {"target": "b"}) == {"from": "f@x", "cc": ["c"]}
    assert without_other_server(lower, {"target": "A:587"}) == lower


def test_merge_reports_what_came_from_the_profile():
    args = {"connector_name": "c", "user_name": "task-user", "password": "task-pw", "subject": ""}
    merged, used = merge(args, task_options(args), {"target": "a", "username": "u", "password": "p", "subject": "s"})
    assert merged == {"connector_name": "c", "user_name": "task-user", "password": "task-pw", "target": "a",
                      "subject": "s"}
    assert sorted(used) == ["subject", "target"]
