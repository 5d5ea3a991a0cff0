# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: one SMTP session, phase by phase. Do not use this from other collections.

Every smtplib, socket and ssl exception is turned into a DeliveryError that names the
server, the phase, the server's code and text, and what to try next.
``sent`` on the error is False until DATA has been accepted for at least one recipient,
which is what a future retry must look at to never send a mail twice.
"""

from __future__ import annotations

import smtplib
import socket
import ssl

from ._domains import default_ehlo_name
from ._errors import DeliveryError, InputError
from ._stream import SourceError
from ._transactions import Transactions

__all__ = ["SmtpSession"]


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class SmtpSession(Transactions):
    """Connect, secure, authenticate, send, quit; each step raises DeliveryError.

    ``server`` is a ServerOptions; ``deadline`` the task's one time budget: before every step
    the socket timeout is set to what is left of it.
    """

    def __init__(self, server, context, deadline, ehlo_name=None):
        self.host = server.host
        self.port = server.port
        self.security = server.security
        self.context = context
        self.deadline = deadline
        self.ehlo_name = ehlo_name or server.ehlo_name
        self.smtp = None
        self.tls_version = None
        self.authenticated = False
        self.warnings = []

    @property
    def where(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s:%d" % (host, self.port)

    def info(self):
        return {"host": self.host, "port": self.port, "security": self.security,
                "tls_version": self.tls_version, "authenticated": self.authenticated, "reused": False}

    # -- errors -------------------------------------------------------------

    def _fail(self, phase, what, hint="", code=None, text=None, sent=False, transient=None):
        said = " (server said %s %s)" % (code, text) if code is not None else ""
        detail = ("%s%s" % (what, said)).rstrip(".")  # ssl's verify_message may end with one: no ".."
        message = "SMTP %s failed at %s: %s.%s" % (phase, self.where, detail, " " + hint if hint else "")
        if transient is None:
            transient = code is not None and 400 <= code < 500
        return DeliveryError(message, phase=phase, host=self.host, port=self.port,
                             smtp_code=code, smtp_text=text, sent=sent, transient=transient)

    def _translate(self, phase, exc):
        """Map an exception raised during ``phase`` to a DeliveryError (None: not ours to explain)."""
        cause = exc.__context__
        if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(cause, (socket.timeout, TimeoutError)):
            # smtplib reports a reply that did not come in time as "Connection unexpectedly closed".
            exc = cause
        if isinstance(exc, smtplib.SMTPResponseException):
            code, text = exc.smtp_code, _text(exc.smtp_error)
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                return self._fail(phase, "the server rejected the credentials", "Check username and password; "
                                  "providers such as Gmail and Microsoft 365 need an app password or OAuth2.",
                                  code, text)
            return self._fail(phase, "the server refused", _hint_for_code(code), code, text)
        if isinstance(exc, ssl.SSLCertVerificationError):
            return self._fail(phase, "the server certificate was not accepted: %s" % exc.verify_message,
                              "Set ca_path to the CA that signed it (or, for a lab server only, "
                              "validate_certs: false).")
        if isinstance(exc, ssl.SSLError):
            hint = ""
            if "WRONG_VERSION_NUMBER" in str(exc) or "record layer" in str(exc):
                hint = ("The port does not speak TLS at connect time: use security: starttls for "
                        "port 587/25, security: tls for port 465.")
            return self._fail(phase, "TLS handshake error: %s" % (getattr(exc, "reason", None) or exc), hint)
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return self._timed_out(phase)
        if isinstance(exc, ConnectionRefusedError):
            return self._fail(phase, "connection refused",
                              "Is an SMTP server listening on that port? Check target and port.", transient=True)
        if isinstance(exc, socket.gaierror):
            return self._fail(phase, "cannot resolve host name %s (%s)" % (self.host, exc.strerror),
                              "Check target.", transient=exc.errno == socket.EAI_AGAIN)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return self._fail(phase, "the server closed the connection (%s)" % (exc or "no reason given"),
                              "If the port expects implicit TLS use security: tls; otherwise see the "
                              "server's log.", transient=True)
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return self._fail(phase, str(exc))
        if isinstance(exc, OSError):
            return self._fail(phase, exc.strerror or str(exc) or type(exc).__name__,
                              "Check the network path to the server.", transient=True)
        return None

    def _timed_out(self, phase):
        return self._fail(phase, "no answer within the task's timeout of %s" % self.deadline.describe(),
                          "Check that the host and port are right and reachable, or raise timeout (ms, for "
                          "the whole send).", transient=True)

    def _arm(self, phase):
        """Give the next socket operation what is left of the budget, or fail if nothing is."""
        left = self.deadline.remaining()
        if left <= 0:
            raise self._timed_out(phase)
        if self.smtp is not None and self.smtp.sock is not None:
            self.smtp.sock.settimeout(left)
        return left

    def _step(self, phase, func, *args, **kwargs):
        self._arm(phase)
        try:
            return func(*args, **kwargs)
        except (smtplib.SMTPException, OSError) as exc:
            error = self._translate(phase, exc)
            if error is None:
                raise
            raise error

    # -- phases -------------------------------------------------------------

    def open(self):
        """Connect and, as configured, upgrade to TLS; leaves an EHLO'd session."""
        # smtplib's own default is socket.getfqdn(), a DNS query that can stall where DNS is
        # broken: pass a name always, and pick the real default once our address is known.
        local = self.ehlo_name or "localhost"
        left = self._arm("connect")
        # Host and port go to the constructor: smtplib only takes the TLS server name
        # (for certificate checks) from there, not from a later connect().
        if self.security == "tls":
            self.smtp = self._step("connect", smtplib.SMTP_SSL, self.host, self.port, local_hostname=local,
                                   timeout=left, context=self.context)
        else:
            self.smtp = self._step("connect", smtplib.SMTP, self.host, self.port, local_hostname=local,
                                   timeout=left)
        if not self.ehlo_name:
            sock = getattr(self.smtp, "sock", None)
            self.smtp.local_hostname = default_ehlo_name(sock.getsockname() if sock is not None else None)
        _no_delay(self.smtp.sock)
        self._step("ehlo", self.smtp.ehlo_or_helo_if_needed)
        if self.security == "starttls":
            if not self.smtp.has_extn("starttls"):
                raise self._fail("starttls", "the server does not offer STARTTLS, and security is starttls",
                                 "Nothing was sent in clear text. Use the server's TLS port with security: tls, "
                                 "or security: none if plain SMTP is really intended.")
            code, text = self._step("starttls", self.smtp.starttls, context=self.context)
            if code != 220:
                raise self._fail("starttls", "the server refused STARTTLS", code=code, text=_text(text))
            self._step("ehlo", self.smtp.ehlo_or_helo_if_needed)
        sock = self.smtp.sock
        if isinstance(sock, ssl.SSLSocket):
            self.tls_version = sock.version()

    def authenticate(self, auth):
        if not self.smtp.has_extn("auth"):
            raise self._fail("auth", "the server does not offer AUTH, but %s was given" % auth.credential,
                             "Leave the credentials out for an unauthenticated relay, or check that "
                             "this is the submission port (587/465).")
        mechanisms = self.smtp.esmtp_features.get("auth", "").upper().split()
        missing = auth.offered(mechanisms)
        if missing is not None:
            raise self._fail("auth", *missing)
        self._arm("auth")
        try:
            auth.authenticate(self.smtp)
        except smtplib.SMTPAuthenticationError as exc:
            code, text = exc.smtp_code, _text(exc.smtp_error)
            what, hint = auth.refusal(code, text)
            raise self._fail("auth", what, hint, code, text)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._translate("auth", exc) or self._fail("auth", str(exc) or type(exc).__name__)
        self.authenticated = True

    def _data(self, rendered):
        """DATA, the content, the final dot. Split like smtplib.data() so that we know which side
        of the final dot a failure is on: before it, the server cannot have taken the message
        (sent false, worth a retry); after it with no reply, nobody knows (sent null, never retried).
        The content is streamed (_stream.Rendered): files are read and encoded while written.
        """
        smtp = self.smtp
        code, text = self._step("data", smtp.docmd, "data")
        if code != 354:
            self._reset()
            raise self._fail("data", "the server refused the message", _hint_for_code(code), code, _text(text))
        try:
            for chunk in rendered.wire_chunks():  # dot-stuffed, CRLF, ends with CRLF
                self._step("data", smtp.send, chunk)
        except SourceError as exc:
            # Closing before the final dot makes the server drop what it got: nothing is delivered.
            smtp.close()
            self.smtp = None
            raise InputError("attachment %s; the connection to %s was closed before the end of the message, "
                             "so nothing was delivered" % (exc, self.where), phase="data")
        self._step("data", smtp.send, b".\r\n")
        self._arm("data")
        try:
            code, text = smtp.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            cause = exc.__context__ if isinstance(exc, smtplib.SMTPServerDisconnected) else None
            why = "no answer within the task's timeout of %s" % self.deadline.describe() \
                if isinstance(exc, (socket.timeout, TimeoutError)) or isinstance(cause, (socket.timeout, TimeoutError)) \
                else "the connection broke (%s)" % (exc or type(exc).__name__)
            raise self._fail("data", "delivery state unknown: the whole message and its final dot were sent, but "
                             "%s before the server answered" % why,
                             "The server may or may not have accepted the message, so it is not sent again: "
                             "check the recipient's mailbox or the server's log before sending it by hand.",
                             sent=None, transient=False)
        if code != 250:
            raise self._fail("data", "the server refused the message", _hint_for_code(code), code, _text(text))

    @staticmethod
    def _hint(code):
        return _hint_for_code(code)

    @staticmethod
    def _text(value):
        return _text(value)

    def _check_size(self, size):
        """EHLO's SIZE n (RFC 1870): a bigger message would be refused after all of it was sent."""
        limit = (self.smtp.esmtp_features.get("size") or "").strip()
        if limit.isdigit() and 0 < int(limit) < size:
            raise self._fail("mail", "the message is %d bytes, over the server's limit of %s bytes "
                             "(EHLO SIZE); nothing was sent" % (size, limit),
                             "Send smaller or fewer attachments, or a link to the files instead.")

    def _reset(self):
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            pass

    def close(self):
        """QUIT politely; the message is already accepted, so errors here do not matter."""
        if self.smtp is None:
            return
        try:
            left = self.deadline.remaining()
            if left <= 0:
                self.smtp.close()
            else:
                if self.smtp.sock is not None:
                    self.smtp.sock.settimeout(min(left, 5.0))  # a polite QUIT is not worth more
                self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()
        self.smtp = None


def _hint_for_code(code):
    if code is None:
        return ""
    if 400 <= code < 500:
        return "This is a temporary refusal: trying again later may work."
    if 500 <= code < 600:
        return "This is a permanent refusal: check the addresses and the server's relay policy."
    return ""


def _no_delay(sock):
    """The message goes out in chunks and the final dot in a write of its own: without
    TCP_NODELAY, Nagle holds that small write until the server ACKs the previous one, which
    servers delay (about 40 ms per message, measured). The bytes on the wire do not change."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass  # not TCP (a test double, an exotic transport): only slower
