# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: one open, authenticated session kept for the next send. Do not use this from other collections.

A ``loop`` runs every item in the same controller worker process, so that process can keep
the session of one item for the next: one TCP connect, TLS handshake, EHLO and AUTH for the
whole loop instead of one per item. A session is reused only for exactly the same server,
TLS settings and credentials (the key), is checked with NOOP when it sat idle, is dropped
after any failure, and is closed with QUIT when the worker ends.
"""

from __future__ import annotations

import hashlib
import smtplib
import time

from ._deadline import Deadline
from ._errors import DeliveryError

__all__ = ["SessionCache", "session_key"]


def session_key(server, auth):
    """Everything that makes two sessions different; secrets only as a digest."""
    secret = getattr(auth, "secret_digest", None)
    if auth is not None and secret is None:
        # PasswordAuth keeps the password private; digest it here, never store it in the key.
        secret = hashlib.sha256(repr((auth.username, getattr(auth, "_password", ""))).encode("utf-8")).hexdigest()
    return (server.host, server.port, server.security, bool(server.validate_certs), server.ca_path,
            server.ehlo_name, type(auth).__name__, getattr(auth, "username", None), secret)


class SessionCache(object):
    """Holds at most one open session; another key closes it first."""

    def __init__(self, idle_check=2.0, clock=time.monotonic):
        self.idle_check = idle_check
        self._clock = clock
        self._key = self._session = None
        self._last_used = 0.0
        self.last = None  # the session the latest send used (also when it failed): for the result

    @staticmethod
    def key(server, auth):
        """session_key(); a method so that the send core (also shipped to managed hosts, which
        never keep sessions) needs no import of this file."""
        return session_key(server, auth)

    def _fresh(self, key, make_session, auth, deadline):
        self.close()
        session = self.last = make_session(deadline)
        try:
            session.open()
            if auth is not None:
                session.authenticate(auth)
        except DeliveryError:
            session.close()
            raise
        self._key, self._session = key, session
        return session

    def _reusable(self, key, deadline):
        """The kept session if it has the same key and still answers; else None."""
        session = self._session
        if session is None or key != self._key or session.smtp is None:
            self.close()
            return None
        session.deadline = deadline
        if self._clock() - self._last_used >= self.idle_check:
            try:
                session.smtp.sock.settimeout(min(deadline.remaining(), 5.0) or 0.001)
                code, _text = session.smtp.noop()
            except (smtplib.SMTPException, OSError, AttributeError):
                code = None
            if code != 250:
                self.close()
                return None
        return session

    def send(self, key, make_session, auth, deadline, message, on_refused):
        """Send over the kept session or a new one. Returns (accepted, refused, session, reused)."""
        session = self.last = self._reusable(key, deadline)
        reused = session is not None
        if session is None:
            session = self._fresh(key, make_session, auth, deadline)
        try:
            accepted, refused = session.send(message, on_refused)
        except DeliveryError as exc:
            self._drop()
            if reused and exc.sent is False and exc.phase == "mail" and exc.smtp_code in (None, 421):
                # The kept session died between two items (server timeout, restart): nobody has
                # the message, so a fresh session may carry it. Only once, and only then.
                session = self._fresh(key, make_session, auth, deadline)
                accepted, refused = self._send_fresh(session, message, on_refused)
                return accepted, refused, session, False
            raise
        self._last_used = self._clock()
        return accepted, refused, session, reused

    def _send_fresh(self, session, message, on_refused):
        try:
            result = session.send(message, on_refused)
        except DeliveryError:
            self._drop()
            raise
        self._last_used = self._clock()
        return result

    def _drop(self):
        if self._session is not None:
            self._session.close()
        self._key = self._session = None

    def close(self):
        """QUIT the kept session, if any (the worker is ending, or another server comes next)."""
        if self._session is not None:
            self._session.deadline = Deadline(5000)  # the last item's budget may be spent: QUIT anyway
        self._drop()
