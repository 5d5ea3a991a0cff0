# -*- coding: utf-8 -*-
from __future__ import annotations

import io

import pytest

from ansible import constants as C
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import become_loader, connection_loader

from ansible_collections.flint.smtp.plugins.plugin_utils import _pipelining
from ansible_collections.flint.smtp.plugins.plugin_utils._pipelining import pipelining_by_default


def connection(name="local", var_options=None, become=None):
    play_context = PlayContext()
    conn = connection_loader.get(name, play_context, io.StringIO())
    conn.set_options(var_options=var_options or {})
    if become:
        conn.set_become_plugin(become_loader.get(become))
    return conn, play_context


def test_pipelines_when_nothing_was_configured_and_nothing_can_stand_in_the_way(monkeypatch):
    monkeypatch.delenv("ANSIBLE_PIPELINING", raising=False)
    conn, play_context = connection("ssh")
    # before ansible-core 2.19 an explicit false cannot be told from "not set": never on our own there
    assert pipelining_by_default(conn, play_context) is _pipelining._ORIGINS_RELIABLE


def test_pipelines_over_the_local_connection_too(monkeypatch):
    # it pays there as well once the payload is read in one call (_piped_module): 20 sends 7.2 s against 7.7 s
    monkeypatch.delenv("ANSIBLE_PIPELINING", raising=False)
    conn, play_context = connection("local")
    assert conn.has_pipelining
    assert pipelining_by_default(conn, play_context) is _pipelining._ORIGINS_RELIABLE


@pytest.mark.parametrize("var", ["ansible_pipelining", "ansible_ssh_pipelining"])
def test_an_explicit_false_variable_is_obeyed(var):
    conn, play_context = connection("ssh", {var: False})
    assert pipelining_by_default(conn, play_context) is False


def test_an_explicit_false_in_the_environment_is_obeyed(monkeypatch):
    monkeypatch.setenv("ANSIBLE_PIPELINING", "false")
    conn, play_context = connection("ssh")
    assert pipelining_by_default(conn, play_context) is False


def test_become_leaves_it_to_the_users_setting():
    # sudo with requiretty cannot read the module from stdin: never pipeline on our own there.
    conn, play_context = connection("ssh", become="sudo")
    assert pipelining_by_default(conn, play_context) is False
    conn, play_context = connection("ssh")
    play_context.become = True
    assert pipelining_by_default(conn, play_context) is False


def test_async_and_kept_remote_files_need_the_file_on_the_host(monkeypatch):
    monkeypatch.delenv("ANSIBLE_PIPELINING", raising=False)
    conn, play_context = connection("ssh")
    assert pipelining_by_default(conn, play_context) is _pipelining._ORIGINS_RELIABLE
    assert pipelining_by_default(conn, play_context, wrap_async=True) is False
    monkeypatch.setattr(C, "DEFAULT_KEEP_REMOTE_FILES", True)
    assert pipelining_by_default(conn, play_context) is False


def test_a_requested_tty_is_respected():
    conn, play_context = connection("ssh", {"ansible_ssh_extra_args": "-o RequestTTY=yes"})
    assert pipelining_by_default(conn, play_context) is False


def test_connections_without_pipelining_or_without_the_option_are_left_alone():
    class NoPipelining(object):
        has_pipelining = False
        become = None

    class Unknown(object):
        has_pipelining = True
        become = None

        def get_option_and_origin(self, name):
            raise KeyError(name)

    assert pipelining_by_default(NoPipelining(), PlayContext()) is False
    assert pipelining_by_default(Unknown(), PlayContext()) is False
    assert _pipelining._configured(object()) is True
