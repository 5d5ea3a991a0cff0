# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: retries that cannot deliver a message twice. Do not use this from other collections.

Only what the error itself calls transient is tried again, and the session sets
``transient`` only while ``sent`` is False: a connection that failed, or a 4xx before the
server acknowledged the end of DATA, so no server can hold the message. The final dot sent
without a reply (``sent`` None), any 5xx, bad input, certificates and refused credentials are
final; so is a partial send (``sent`` True). Nothing here parses message text.

Every attempt is a fresh session, and all share the task's one time budget: a wait is never
longer than the budget allows, and a retry that would not have time to run is not started.
"""

from __future__ import annotations

import random
import time

from ._errors import EXIT_SMTP, FlintSmtpError

__all__ = ["Backoff", "Retrier", "retryable", "MIN_ATTEMPT_S", "MAX_WAIT_S"]

# A retry is only started when at least this much budget is left after its wait: the
# shortest budget a whole send may have (timeout's minimum, 1000 ms).
MIN_ATTEMPT_S = 1.0
# No single wait is longer than this (or than retry_delay itself, when that is longer).
MAX_WAIT_S = 30.0


def retryable(error):
    """True when sending again cannot deliver twice and may work."""
    if not isinstance(error, FlintSmtpError) or error.exit_code != EXIT_SMTP:
        return False
    return bool(error.transient) and error.sent is False


class Backoff(object):
    """Exponential backoff with decorrelated jitter ("Exponential Backoff And Jitter", AWS, 2015).

    Each wait is random between retry_delay and three times the previous wait, capped. The
    floor keeps retry_delay meaningful (never faster than asked); the randomness spreads the
    retries of many hosts of one play that hit the same busy relay at the same moment.
    """

    def __init__(self, delay_ms, uniform=random.uniform):
        self.base = delay_ms / 1000.0
        self.cap = max(self.base, MAX_WAIT_S)
        self._previous = self.base
        self._uniform = uniform

    def next(self):
        wait = min(self.cap, self._uniform(self.base, self._previous * 3))
        self._previous = max(wait, self.base)
        return wait


class Retrier(object):
    """Runs one attempt after another; ``failures`` is the result's ``attempts`` list.

    ``clock`` and ``sleep`` are injectable so unit tests never really wait; ``clock`` must
    be the deadline's clock.
    """

    def __init__(self, retries, delay_ms, deadline, clock=time.monotonic, sleep=time.sleep,
                 uniform=random.uniform):
        self.retries = retries
        self.deadline = deadline
        self.backoff = Backoff(delay_ms, uniform)
        self.failures = []
        self._clock = clock
        self._sleep = sleep

    def run(self, attempt):
        """Return what ``attempt()`` returns, or raise its last error, saying how many were made."""
        start = self._clock()
        number = 0
        while True:
            number += 1
            began = self._clock()
            try:
                return attempt()
            except FlintSmtpError as exc:
                self.failures.append({
                    "attempt": number, "phase": exc.phase, "smtp_code": exc.smtp_code, "smtp_text": exc.smtp_text,
                    "msg": exc.message, "started_ms": _ms(began - start), "elapsed_ms": _ms(self._clock() - began)})
                wait = self._wait(exc, number)
                if wait is None:
                    raise
            self._sleep(wait)

    def _wait(self, exc, number):
        """Seconds to wait before the next attempt, or None (after explaining why on ``exc``)."""
        if not retryable(exc):
            if number > 1:
                exc.add_text("This was attempt %d; the earlier ones failed too (see attempts), and this error "
                             "is not one to retry." % number)
            return None
        if number > self.retries:
            if self.retries:
                exc.add_text("Gave up after %d attempts (retries: %d)." % (number, self.retries))
            return None
        wait = self.backoff.next()
        room = self.deadline.remaining() - MIN_ATTEMPT_S
        if room < self.backoff.base:
            exc.add_text("Gave up after %d attempt%s: the time budget (timeout %s) ran out, %.1f s left is too "
                         "little for a wait of retry_delay (%d ms) and another attempt. Raise timeout to give "
                         "retries room." % (number, "" if number == 1 else "s", self.deadline.describe(),
                                            max(0.0, self.deadline.remaining()), self.backoff.base * 1000))
            return None
        return min(wait, room)

    def summary(self):
        """A clause for a success message: how many attempts failed before it worked."""
        if not self.failures:
            return ""
        return " on attempt %d (%s)" % (len(self.failures) + 1, "; ".join(
            "%s %s" % (f["phase"], f["smtp_code"] if f["smtp_code"] is not None else "failed")
            for f in self.failures))


def _ms(seconds):
    return int(round(seconds * 1000))
