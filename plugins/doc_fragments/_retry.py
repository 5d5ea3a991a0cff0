# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# PRIVATE: the retry options of this collection's modules. Do not use this from other
# collections. Must match plugins/module_utils/_argspec.py (a unit test checks).

from __future__ import annotations


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  retries:
    description:
      - How many times to try again after a failure that a retry cannot turn into a duplicate. V(0) makes
        a single attempt.
      - Retried are a connection that could not be made or broke before the end of the message was sent,
        a timeout, and a temporary (4xx) reply before the server accepted the message. Examples are C(421)
        at the greeting, C(451) or C(452) to MAIL or RCPT, and a 4xx to DATA or to the end of the message.
      - Never retried are permanent (5xx) replies, refused credentials, certificate and TLS errors, bad input,
        a send where some recipients already got the message (O(on_refused=warn)), and a message whose end
        was sent without any reply, because the server may have taken it. That last one fails with
        RV(sent=null) and C(delivery state unknown).
      - Each attempt is a new connection with TLS, EHLO and login. All attempts and the waits between them
        share the one O(timeout) budget, and a retry that the budget has no room for is not started.
      - In check mode with O(check_connection=true), the connection check is retried the same way.
      - RV(attempts) lists each failed attempt.
    type: int
    default: 2
    version_added: 0.2.0
  retry_delay:
    description:
      - The shortest wait before a retry, in B(milliseconds), like O(timeout).
      - Each wait is random, between O(retry_delay) and three times the previous wait, capped at 30 seconds
        (or at O(retry_delay) when that is longer). This is exponential backoff with jitter, so that many hosts
        of one play that hit the same busy server do not all retry at the same moment.
      - A wait is cut short so that at least one second of the O(timeout) budget remains for the next attempt.
        When even O(retry_delay) does not fit, no more attempts are made and the error says so.
    type: int
    default: 1000
    version_added: 0.2.0
"""
