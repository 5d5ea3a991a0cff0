# -*- coding: utf-8 -*-
"""The retry loop alone, on a fake clock: which errors are retried, the waits, the budget."""
from __future__ import annotations

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._deadline import Deadline
from ansible_collections.flint.smtp.plugins.module_utils._errors import DeliveryError, InputError
from ansible_collections.flint.smtp.plugins.module_utils._retry import MAX_WAIT_S, Backoff, Retrier, retryable

from .conftest import FakeClock


def error(phase="rcpt", code=451, sent=False, transient=None):
    transient = code is not None and 400 <= code < 500 if transient is None else transient
    return DeliveryError("SMTP %s failed at mail.example.com:587: no (server said %s x)." % (phase, code),
                         phase=phase, smtp_code=code, smtp_text="x" if code else None, sent=sent,
                         transient=transient)


class Script(object):
    """An attempt function: raises the scripted errors in turn, then returns "ok"; ``cost`` s per call."""

    def __init__(self, clock, *errors, cost=0.0):
        self.clock = clock
        self.errors = list(errors)
        self.calls = 0
        self.cost = cost

    def __call__(self):
        self.calls += 1
        self.clock.now += self.cost
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def retrier(clock, retries=2, delay_ms=1000, timeout_ms=60000, uniform=None):
    uniform = uniform or (lambda low, high: low)
    return Retrier(retries, delay_ms, Deadline(timeout_ms, clock), clock=clock, sleep=clock.sleep, uniform=uniform)


@pytest.mark.parametrize("exc, expected", [
    (error("connect", None, transient=True), True),       # refused, timed out, dropped before the dot
    (error("connect", 421), True),                          # banner 421
    (error("mail", 451), True), (error("rcpt", 452), True), (error("data", 451), True),
    (error("data", 554), False), (error("rcpt", 550), False),  # 5xx is final
    (error("auth", 535), False),                            # refused credentials
    (error("starttls", None), False),                       # certificate, TLS: not transient
    (error("data", None, sent=None, transient=True), False),  # final dot, no reply: never again
    (error("rcpt", 451, sent=True), False),                 # someone already has it
    (InputError("to: not an address"), False),
    (ValueError("not ours"), False),
])
def test_what_is_retried(exc, expected):
    assert retryable(exc) is expected


def test_transient_failure_that_clears_is_one_more_attempt():
    clock = FakeClock()
    attempt = Script(clock, error("rcpt", 451), cost=0.25)
    r = retrier(clock)
    assert r.run(attempt) == "ok"
    assert attempt.calls == 2 and clock.sleeps == [1.0]
    (failure,) = r.failures
    assert failure == {"attempt": 1, "phase": "rcpt", "smtp_code": 451, "smtp_text": "x", "started_ms": 0,
                       "elapsed_ms": 250, "msg": "SMTP rcpt failed at mail.example.com:587: no (server said 451 x)."}
    assert r.summary() == " on attempt 2 (rcpt 451)"


@pytest.mark.parametrize("exc", [error("data", 554), error("auth", 535), error("data", None, sent=None),
                                 error("starttls", None), error("rcpt", 451, sent=True)])
def test_final_errors_are_one_attempt(exc):
    clock = FakeClock()
    attempt = Script(clock, exc)
    r = retrier(clock)
    with pytest.raises(DeliveryError) as info:
        r.run(attempt)
    assert attempt.calls == 1 and clock.sleeps == [] and len(r.failures) == 1
    assert info.value is exc and "attempt" not in str(exc)  # a single attempt says nothing about retries


def test_retries_used_up():
    clock = FakeClock()
    attempt = Script(clock, *[error("connect", 421) for _i in range(5)])
    r = retrier(clock, retries=2)
    with pytest.raises(DeliveryError) as info:
        r.run(attempt)
    assert attempt.calls == 3 and len(clock.sleeps) == 2
    assert str(info.value).endswith("(server said 421 x). Gave up after 3 attempts (retries: 2).")
    assert [f["attempt"] for f in r.failures] == [1, 2, 3]


def test_retries_zero_is_a_single_attempt():
    clock = FakeClock()
    attempt = Script(clock, error("connect", 421), error("connect", 421))
    r = retrier(clock, retries=0)
    with pytest.raises(DeliveryError) as info:
        r.run(attempt)
    assert attempt.calls == 1 and clock.sleeps == [] and "Gave up" not in str(info.value)


def test_permanent_error_after_a_transient_one_stops_and_says_so():
    clock = FakeClock()
    attempt = Script(clock, error("rcpt", 451), error("rcpt", 550))
    r = retrier(clock, retries=5)
    with pytest.raises(DeliveryError) as info:
        r.run(attempt)
    assert attempt.calls == 2 and "This was attempt 2" in str(info.value)
    assert [f["smtp_code"] for f in r.failures] == [451, 550]


def test_budget_too_short_for_the_next_wait_starts_no_retry():
    clock = FakeClock()
    # 3 s budget, each attempt takes 1.5 s: after the first, 1.5 s are left, less than the
    # 1 s wait plus the 1 s an attempt needs at least.
    attempt = Script(clock, *[error("mail", 451) for _i in range(5)], cost=1.5)
    r = retrier(clock, retries=5, delay_ms=1000, timeout_ms=3000)
    with pytest.raises(DeliveryError) as info:
        r.run(attempt)
    assert attempt.calls == 1 and clock.sleeps == []
    text = str(info.value)
    assert "Gave up after 1 attempt: the time budget (timeout 3000 ms) ran out, 1.5 s left" in text
    assert text.endswith("Raise timeout to give retries room.") and ".." not in text


def test_waits_are_clipped_to_the_budget_and_never_pass_the_deadline():
    clock = FakeClock()
    attempt = Script(clock, *[error("connect", None, transient=True) for _i in range(50)], cost=0.1)
    start = clock.now
    r = retrier(clock, retries=50, delay_ms=500, timeout_ms=10000, uniform=lambda low, high: high)
    with pytest.raises(DeliveryError, match="ran out"):
        r.run(attempt)
    assert clock.now - start <= 10.0
    # every retry started with at least a second of budget left
    for failure in r.failures[1:]:
        assert failure["started_ms"] <= 9000
    assert all(wait >= 0.5 for wait in clock.sleeps)


def test_backoff_grows_with_decorrelated_jitter_and_is_capped():
    highs = []

    def uniform(low, high):
        highs.append((low, high))
        return high
    backoff = Backoff(1000, uniform)
    waits = [backoff.next() for _i in range(6)]
    assert waits == [3.0, 9.0, 27.0, MAX_WAIT_S, MAX_WAIT_S, MAX_WAIT_S]
    assert all(low == 1.0 for low, _high in highs)  # never faster than retry_delay
    lowest = Backoff(1000, lambda low, high: low)
    assert [lowest.next() for _i in range(3)] == [1.0, 1.0, 1.0]


def test_backoff_is_random_between_the_floor_and_three_times_the_last_wait():
    backoff = Backoff(200)
    for _i in range(200):
        wait = backoff.next()
        assert 0.2 <= wait <= MAX_WAIT_S


def test_a_retry_delay_above_the_cap_is_kept():
    assert Backoff(90000, lambda low, high: high).next() == 90.0


def test_zero_delay_retries_at_once():
    clock = FakeClock()
    attempt = Script(clock, error("connect", 421), error("connect", 421))
    assert retrier(clock, delay_ms=0).run(attempt) == "ok" and clock.sleeps == [0.0, 0.0]


def test_other_exceptions_pass_through_unrecorded():
    clock = FakeClock()
    r = retrier(clock)

    def boom():
        raise RuntimeError("bug")
    with pytest.raises(RuntimeError):
        r.run(boom)
    assert r.failures == []
