# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the errors the send core raises. Do not use this from other collections.

The core raises; the module and the action plugin translate. Each error knows its Flint
exit code, so result shaping never has to guess:
  1  bad input, or a failure we did not expect (Flint's exception branch);
 -1  the SMTP server, the connection, TLS or authentication failed (Flint's connector failure).
"""

from __future__ import annotations

__all__ = ["FlintSmtpError", "InputError", "DeliveryError", "EXIT_INPUT", "EXIT_SMTP"]

EXIT_INPUT = 1
EXIT_SMTP = -1


class FlintSmtpError(Exception):
    """Base class. ``str(error)`` is the full human message."""

    exit_code = EXIT_INPUT

    def __init__(self, message, phase="input", **details):
        super().__init__(message)
        self.message = message
        self.phase = phase
        self.details = details


class InputError(FlintSmtpError):
    """The task's arguments cannot work. Raised before any connection is opened."""

    exit_code = EXIT_INPUT


class DeliveryError(FlintSmtpError):
    """The server, network, TLS or authentication said no.

    ``details`` holds host, port, smtp_code and smtp_text where known, and ``sent``:
    whether any recipient may already have the message (only with on_refused=warn).
    """

    exit_code = EXIT_SMTP
