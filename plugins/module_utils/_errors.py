# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the errors the send core raises. Do not use this from other collections.

The core raises; the module and the action plugin translate. Each error knows its Flint
exit code, so result shaping never has to guess:
  1  bad input, or a failure we did not expect (Flint's exception branch);
 -1  the SMTP server, the connection, TLS or authentication failed (Flint's connector failure).

The attributes are what retries and result shaping read: ``sent`` (False: nobody can have
the message; None: the final dot went out and no reply came, so nobody knows; True: at
least one recipient has it), ``smtp_code``/``smtp_text`` and ``transient`` (trying the same
send again later may work, and doing so cannot deliver it twice).
"""

from __future__ import annotations

__all__ = ["FlintSmtpError", "InputError", "DeliveryError", "EXIT_INPUT", "EXIT_SMTP", "shown"]

EXIT_INPUT = 1
EXIT_SMTP = -1
# The longest repr() of an input value an error message quotes whole.
SHOWN_LIMIT = 160


def shown(value):
    """repr() of an input value for an error message, cut in the middle when long.

    Input is untrusted: a 1 MB bad address must not become a 1 MB error in the result, the
    Flint JSON, the AWX job events and the logs. Both ends stay, which is where a human looks.
    """
    text = repr(value)
    if len(text) <= SHOWN_LIMIT:
        return text
    half = SHOWN_LIMIT // 2
    return "%s...%s (%d characters)" % (text[:half], text[-half:], len(text))


class FlintSmtpError(Exception):
    """Base class. ``str(error)`` is the full human message."""

    exit_code = EXIT_INPUT

    def __init__(self, message, phase="input", sent=False, smtp_code=None, smtp_text=None, transient=False,
                 **details):
        super().__init__(message)
        self.message = message
        self.phase = phase
        self.sent = sent
        self.smtp_code = smtp_code
        self.smtp_text = smtp_text
        self.transient = bool(transient) and sent is False
        self.details = details

    def add_text(self, text):
        """Append a sentence to the human message (and to ``str(self)``)."""
        self.message = "%s %s" % (self.message, text)
        self.args = (self.message,)

    def result_fields(self):
        """The result keys this error contributes besides msg and the Flint meta/output."""
        fields = {"phase": self.phase}
        if self.exit_code == EXIT_SMTP:
            fields.update(smtp_code=self.smtp_code, smtp_text=self.smtp_text, sent=self.sent)
        return fields


class InputError(FlintSmtpError):
    """The task's arguments cannot work. Raised before any connection is opened."""

    exit_code = EXIT_INPUT


class DeliveryError(FlintSmtpError):
    """The server, network, TLS or authentication said no.

    ``details`` holds host and port.
    """

    exit_code = EXIT_SMTP
