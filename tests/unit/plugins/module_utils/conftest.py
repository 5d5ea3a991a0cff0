# -*- coding: utf-8 -*-
"""A scripted stand-in for smtplib.SMTP, for the error paths a real server rarely takes."""
from __future__ import annotations

import smtplib

import pytest


class FakeSMTP(object):
    """Records every call; ``script`` says what each SMTP step answers or raises."""

    instances = []

    def __init__(self, script, host="", port=0, local_hostname=None, timeout=None, context=None):
        self.script = script
        self.calls = []
        self.timeout = timeout
        self.context = context
        self.local_hostname = local_hostname
        self.esmtp_features = dict(script.get("features", {"size": "", "8bitmime": "", "auth": "PLAIN"}))
        self.sock = None
        FakeSMTP.instances.append(self)
        if host:  # like smtplib: the constructor connects
            self.connect(host, port)

    def _answer(self, step, default):
        self.calls.append(step)
        value = self.script.get(step, default)
        if callable(value):
            value = value()
        if isinstance(value, BaseException):
            raise value
        return value

    def connect(self, host, port):
        self.calls.append(("connect", host, port))
        return self._answer("connect_reply", (220, b"ready"))

    def ehlo_or_helo_if_needed(self):
        return self._answer("ehlo", None)

    def has_extn(self, name):
        return name.lower() in self.esmtp_features

    def starttls(self, context=None):
        self.context = context
        return self._answer("starttls", (220, b"go ahead"))

    def login(self, user, password):
        self.calls.append(("login", user))
        return self._answer("login", (235, b"ok"))

    def mail(self, sender, options=()):
        self.calls.append(("mail", sender, list(options)))
        self.in_transaction = 0
        return self._answer("mail", (250, b"ok"))

    def rcpt(self, rcpt, options=()):
        """``script["rcpt"][addr]``: a reply, a callable giving one, or a list of replies (one per RCPT
        of that address); ``script["max_rcpt"]``: 452 beyond that many accepted recipients in one transaction."""
        limit = self.script.get("max_rcpt")
        if limit is not None and getattr(self, "in_transaction", 0) >= limit:
            answer = (452, b"4.5.3 Too many recipients")
        else:
            answer = self.script.get("rcpt", {}).get(rcpt, (250, b"ok"))
            if callable(answer):
                answer = answer()
            if isinstance(answer, list):
                answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if answer[0] in (250, 251):
            self.in_transaction = getattr(self, "in_transaction", 0) + 1
        self.calls.append(("rcpt", rcpt, answer[0]))
        return answer

    def docmd(self, cmd, args=""):
        self.calls.append(("docmd", cmd))
        return self._answer("data_cmd", (354, b"go ahead"))

    def send(self, payload):
        if isinstance(payload, str) and payload[:5].lower() in ("mail ", "rcpt "):
            return self._pipelined(payload)
        # The content (streamed: several calls) and the final dot; the session splits smtplib's
        # data() in three. ``wire`` is everything sent after DATA.
        self.calls.append(("data", len(payload)))
        self.payload = payload
        self.wire = getattr(self, "wire", b"") + payload
        return self._answer("data_send", None)

    def _pipelined(self, payload):
        """MAIL and RCPTs in one write (PIPELINING): answered as one by one, the replies wait for getreply()."""
        assert payload.endswith("\r\n"), payload
        lines = payload[:-2].split("\r\n")
        self.calls.append(("pipelined", len(lines)))
        self.pending_replies = getattr(self, "pending_replies", [])
        for line in lines:
            verb, rest = line.split(" ", 1)
            address, _sep, options = rest.split(":", 1)[1].partition(" ")
            handler = {"mail": self.mail, "rcpt": self.rcpt}[verb.lower()]
            self.pending_replies.append(handler(address.strip("<>"), options.split() if options else ()))

    def getreply(self):
        if getattr(self, "pending_replies", None):
            return self.pending_replies.pop(0)
        return self._answer("data", (250, b"queued"))

    def noop(self):
        return self._answer("noop", (250, b"ok"))

    def rset(self):
        return self._answer("rset", (250, b"ok"))

    def quit(self):
        return self._answer("quit", (221, b"bye"))

    def close(self):
        self.calls.append("close")


@pytest.fixture
def fake_smtp(monkeypatch):
    """Patch smtplib so a session talks to FakeSMTP; returns the script dict to fill in."""
    script = {}
    FakeSMTP.instances = []

    def factory(*args, **kwargs):
        return FakeSMTP(script, *args, **kwargs)

    monkeypatch.setattr(smtplib, "SMTP", factory)
    monkeypatch.setattr(smtplib, "SMTP_SSL", factory)
    script["instances"] = FakeSMTP.instances
    return script


class FakeClock(object):
    """Monotonic time that only moves when someone sleeps (or a test says so)."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def answers(*replies):
    """A scripted step that answers differently each time (the last answer repeats)."""
    replies = list(replies)

    def next_reply():
        value = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(value, BaseException):
            raise value
        return value
    return next_reply


@pytest.fixture
def clock(monkeypatch):
    """A fake clock behind the send core's budget and retry waits: nothing really sleeps."""
    from ansible_collections.flint.smtp.plugins.module_utils import _deadline, _retry, _send

    fake = FakeClock()
    monkeypatch.setattr(_send, "Deadline", lambda timeout_ms: _deadline.Deadline(timeout_ms, fake))
    # Waits at their floor (retry_delay): what they are is test__retry.py's business.
    monkeypatch.setattr(_send, "Retrier", lambda *args, **kwargs: _retry.Retrier(
        *args, clock=fake, sleep=fake.sleep, uniform=lambda low, high: low, **kwargs))
    return fake
