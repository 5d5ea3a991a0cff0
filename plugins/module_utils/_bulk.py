# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: many messages in one task over one SMTP session. Do not use this from other collections.

Every item of ``messages`` is checked and rendered before the first connection; a bad item
fails alone (its index and reason) and the rest go out. One session carries them all, a
reconnect happens after ``max_per_connection`` messages, when the server closes the session
or answers 421, and each message keeps the never-twice rule: a message is sent again only
when its error says nobody can have it (``sent`` false) and the failure was temporary.
"""

from __future__ import annotations

import functools
import os
import re
import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ._argspec import ARGUMENT_SPEC
from ._deadline import Deadline
from ._errors import EXIT_INPUT, EXIT_SMTP, DeliveryError, InputError
from ._message import prepare_message
from ._options import MessageOptions
from ._retry import Retrier

__all__ = ["ITEM_OPTIONS", "Pace", "prepare_items", "preview_path", "send_all", "summarize"]

# What an item may override: the message's own options, under their spec names and aliases.
ITEM_OPTIONS = tuple(option for _attr, option in MessageOptions.FIELDS)


def _item_spec():
    spec = {}
    for name in ITEM_OPTIONS:
        option = {key: value for key, value in ARGUMENT_SPEC[name].items() if key not in ("default", "required")}
        spec[name] = option
    return spec


class Item(object):
    """One entry of ``messages``: its prepared message, or why it cannot be sent, and what happened."""

    __slots__ = ("index", "message", "error", "accepted", "refused", "attempts", "sent")

    def __init__(self, index, message=None, error=None):
        self.index = index
        self.message = message
        self.error = error
        self.accepted, self.refused, self.attempts, self.sent = [], {}, [], False

    def fail(self, error):
        self.error = error
        self.sent = error.sent if isinstance(error, DeliveryError) else False

    def result(self):
        entry = {"index": self.index, "message_id": self.message.message_id if self.message else None,
                 "recipients": list(self.message.recipients) if self.message else [],
                 "accepted": self.accepted, "refused": self.refused, "attempts": self.attempts,
                 "sent": self.sent, "error": None}
        if self.error is not None:
            entry["error"] = {"msg": self.error.message, "exit_code": self.error.exit_code}
            entry["error"].update(self.error.result_fields())
        return entry


def prepare_items(params, now=None):
    """Validate and render every item; return Items (bad ones carry their InputError)."""
    items = []
    spec = _item_spec()
    allowed = set(spec) | _aliases()
    validator = ArgumentSpecValidator(spec)
    for index, raw in enumerate(params.get("messages") or []):
        if not isinstance(raw, dict):
            items.append(Item(index, error=InputError("messages[%d]: each item must be a dict of message options, "
                                                      "not %s" % (index, type(raw).__name__))))
            continue
        unknown = sorted(set(raw) - allowed)
        if unknown:
            items.append(Item(index, error=InputError(
                "messages[%d]: %s cannot be set per message (allowed: %s)"
                % (index, ", ".join(unknown), ", ".join(sorted(ITEM_OPTIONS))))))
            continue
        checked = validator.validate(dict(raw))
        if checked.error_messages:
            items.append(Item(index, error=InputError("messages[%d]: %s" % (index, "; ".join(checked.error_messages)))))
            continue
        given = {key: value for key, value in checked.validated_parameters.items() if key in raw or _alias_of(key, raw)}
        merged = dict(params)
        merged.update(given)
        try:
            items.append(Item(index, message=prepare_message(MessageOptions(merged), now=now)))
        except InputError as exc:
            exc.message = "messages[%d]: %s" % (index, exc.message)
            exc.args = (exc.message,)
            items.append(Item(index, error=exc))
    if not items:
        raise InputError("messages: the list is empty; give at least one message, or leave messages out")
    return items


def _aliases():
    return {alias for name in ITEM_OPTIONS for alias in ARGUMENT_SPEC[name].get("aliases", [])}


def _alias_of(name, raw):
    return any(alias in raw for alias in ARGUMENT_SPEC[name].get("aliases", []))


class Pace(object):
    """``rate`` messages per minute: wait for the next slot, never sleep past a deadline."""

    def __init__(self, per_minute, clock=time.monotonic, sleep=time.sleep):
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._clock, self._sleep, self._next = clock, sleep, None

    def wait(self):
        if not self.interval:
            return
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def send_all(items, new_session, auth, delivery, retries=0, pace=None, max_per_connection=0, timeout_ms=60000,
             sleep=time.sleep, retry_delay_ms=0, clock=time.monotonic):
    """Send every prepared item over as few sessions as the options allow.

    ``new_session(deadline)`` returns an unopened SmtpSession; each message gets its own
    budget of ``timeout_ms`` (connecting, when it falls to that message, included), which its
    retries (``_retry.Retrier``: only what cannot have been delivered) and their waits share.
    """
    pace = pace or Pace(0)
    state = {"session": None, "used": 0}

    def attempt(item, deadline):
        session = state["session"]
        if session is not None and max_per_connection and state["used"] >= max_per_connection:
            session.close()
            session = state["session"] = None
        try:
            if session is None:
                session = state["session"] = new_session(deadline)
                state["used"] = 0
                session.open()
                if auth is not None:
                    session.authenticate(auth)
            else:
                session.deadline = deadline
            sent = session.send(item.message, delivery.on_refused)
        except DeliveryError as exc:
            if _session_broken(exc):
                if session is not None:  # None: making the session failed (e.g. the OAuth2 token fetch)
                    session.close()
                state["session"] = None
            raise
        state["used"] += 1
        return sent

    try:
        for item in items:
            if item.error is not None:
                continue
            pace.wait()
            deadline = Deadline(timeout_ms, clock)
            retrier = Retrier(retries, retry_delay_ms, deadline, clock=clock, sleep=sleep)
            try:
                item.accepted, item.refused = retrier.run(functools.partial(attempt, item, deadline))
                item.sent, item.error = True, None
            except DeliveryError as exc:
                item.fail(exc)
            item.attempts = retrier.failures
    finally:
        if state["session"] is not None:
            state["session"].close()


def _session_broken(error):
    """After these the session cannot carry the next message: connect anew."""
    return error.smtp_code in (None, 421) or error.phase in ("connect", "ehlo", "starttls", "auth")


def summarize(items, fail_on):
    """(failed?, exit code, output text, totals)."""
    total = len(items)
    sent = sum(1 for item in items if item.sent is True)
    unknown = sum(1 for item in items if item.sent is None)
    failed = [item for item in items if item.error is not None]
    totals = {"total": total, "sent": sent, "failed": len(failed), "unknown": unknown}
    text = "sent %d of %d" % (sent, total)
    if failed:
        text += "; %d failed (first: messages[%d]: %s)" % (len(failed), failed[0].index,
                                                           _strip_prefix(failed[0].error.message))
    task_failed = bool(failed) and (fail_on == "any" or (fail_on == "all" and len(failed) == total))
    if not task_failed:
        return False, 0, text, totals
    smtp = any(item.error.exit_code == EXIT_SMTP for item in failed)
    return True, EXIT_SMTP if smtp else EXIT_INPUT, text, totals


def _strip_prefix(text):
    return re.sub(r"^messages\[\d+\]: ", "", text)


def preview_path(directory, item):
    """``<index>-<message-id>.eml``, with nothing from the id that could leave the directory."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", item.message.message_id.strip("<>"))
    return os.path.join(directory, "%04d-%s.eml" % (item.index, stem))
