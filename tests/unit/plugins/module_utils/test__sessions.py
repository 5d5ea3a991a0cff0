# -*- coding: utf-8 -*-
from __future__ import annotations

import smtplib

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._auth import PasswordAuth
from ansible_collections.flint.smtp.plugins.module_utils._deadline import Deadline
from ansible_collections.flint.smtp.plugins.module_utils._errors import DeliveryError
from ansible_collections.flint.smtp.plugins.module_utils._message import prepare_message
from ansible_collections.flint.smtp.plugins.module_utils._options import ServerOptions
from ansible_collections.flint.smtp.plugins.module_utils._sessions import SessionCache, session_key
from ansible_collections.flint.smtp.plugins.module_utils._transport import SmtpSession


class Sock(object):
    def settimeout(self, value):
        pass


def server(**more):
    return ServerOptions(dict({"target": "mail.example.com", "security": "none"}, **more))


def make(srv):
    def factory(deadline):
        session = SmtpSession(srv, None, deadline, ehlo_name="c.example.com")
        return session
    return factory


MSG = prepare_message({"from": "ops@example.com", "to": ["a@example.com"], "body": "b"})


def send(cache, srv, auth=None):
    return cache.send(session_key(srv, auth), make(srv), auth, Deadline(5000), MSG, "fail")


@pytest.fixture
def clock():
    return [0.0]


@pytest.fixture
def cache(clock):
    return SessionCache(idle_check=2.0, clock=lambda: clock[0])


def connects(script):
    return len(script["instances"])


def test_same_key_reuses_without_noop_when_busy(fake_smtp, cache):
    srv = server()
    assert send(cache, srv)[3] is False and send(cache, srv)[3] is True
    assert connects(fake_smtp) == 1 and "noop" not in fake_smtp["instances"][0].calls


def test_idle_session_is_checked_with_noop(fake_smtp, cache, clock):
    fake_smtp["noop"] = (250, b"ok")
    srv = server()
    send(cache, srv)
    fake_smtp["instances"][0].sock = Sock()
    clock[0] = 10.0
    assert send(cache, srv)[3] is True and "noop" in fake_smtp["instances"][0].calls


def test_dead_idle_session_is_replaced(fake_smtp, cache, clock):
    fake_smtp["noop"] = smtplib.SMTPServerDisconnected("gone")
    srv = server()
    send(cache, srv)
    clock[0] = 10.0
    assert send(cache, srv)[3] is False and connects(fake_smtp) == 2


def test_session_closed_between_items_is_reopened_once(fake_smtp, cache):
    srv = server()
    send(cache, srv)
    fake_smtp["mail"] = (421, b"4.4.2 idle timeout")
    with pytest.raises(DeliveryError):
        send(cache, srv)  # the fresh session gets the same 421: no third try
    assert connects(fake_smtp) == 2


@pytest.mark.parametrize("other", [
    {"port": 2525}, {"target": "other.example.com"}, {"security": "starttls"}, {"validate_certs": False},
    {"ca_path": "/etc/ssl/x.pem"}, {"ehlo_name": "x.example.com"},
])
def test_never_reused_across_servers_or_tls(fake_smtp, cache, other):
    assert session_key(server(), None) != session_key(server(**other), None)


def test_never_reused_across_users_or_passwords():
    keys = {session_key(server(), PasswordAuth(u, p)) for u, p in [("u", "a"), ("u", "b"), ("v", "a")]}
    assert len(keys) == 3 and not any("a" == part for key in keys for part in key)


def test_a_failed_mail_closes_the_session(fake_smtp, cache):
    srv = server()
    fake_smtp["rcpt"] = {"a@example.com": (550, b"no")}
    with pytest.raises(DeliveryError):
        send(cache, srv)
    fake_smtp["rcpt"] = {}
    assert send(cache, srv)[3] is False and connects(fake_smtp) == 2


def test_close_says_quit(fake_smtp, cache):
    send(cache, server())
    cache.close()
    assert "quit" in fake_smtp["instances"][0].calls
