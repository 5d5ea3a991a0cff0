# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the mail transactions of one SMTP session. Do not use this from other collections.

MAIL, RCPT for each recipient, DATA; and what to do when a server takes fewer recipients in
one transaction than the message has. Such a server answers 452 to the first RCPT over its
limit (RFC 5321 4.5.3.1.10); the client is to send the rest in later transactions. So the
rest go in further transactions of the same session, each recipient exactly once. A 452 to
the first recipient of a fresh transaction cannot be the limit: it is a real temporary
refusal of that recipient, which is also why this always ends.

When the server offers PIPELINING (RFC 2920), MAIL and every RCPT of a transaction go out in
one write and their replies are read after it: one round trip instead of one per command, the
time that dominates a batch over a WAN. DATA is never in that group, so what is decided before
DATA is decided on every reply, as without it.
"""

from __future__ import annotations

import smtplib

from ._errors import DeliveryError

__all__ = ["Transactions"]

_ACCEPTED = (250, 251)
_TOO_MANY = 452
# Commands written before their replies are read. A server answers while it reads, and if its
# answers fill both sides' socket buffers while we are still writing, each side waits for the
# other (RFC 2920 3.1); a hundred short replies fit any buffer.
_IN_FLIGHT = 100


class Transactions(object):
    """Mixed into SmtpSession, whose _step, _fail, _reset, _data, _check_size, _hint and warnings it uses."""

    def _mail_options(self, message):
        smtp = self.smtp
        options = []
        if smtp.has_extn("size"):
            self._check_size(message.size)
            options.append("SIZE=%d" % message.size)
        if message.smtputf8:
            if not smtp.has_extn("smtputf8"):
                local = [addr for addr in [message.sender] + list(message.recipients) if not addr.isascii()]
                raise self._fail("mail", "the local part (before the @) of %s is not ASCII, which needs SMTPUTF8, "
                                 "and the server does not offer SMTPUTF8" % ", ".join(local),
                                 "Non-ASCII domains are sent as IDNA and need nothing; use an ASCII local "
                                 "part with this server.")
            options.append("SMTPUTF8")
        # The message is 7-bit unless SMTPUTF8 put UTF-8 addresses in its headers (see _message).
        if not message.ascii and smtp.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if message.dsn and smtp.has_extn("dsn"):
            if message.dsn.get("ret"):
                options.append("RET=%s" % message.dsn["ret"])
        elif message.dsn:
            self.warnings.append("%s does not offer DSN: sent without dsn_notify/dsn_return, so no delivery "
                                 "status notifications were requested" % self.where)
        return options

    def _rcpt_options(self, message):
        """NOTIFY (RFC 3461) for every recipient, when the server offers DSN."""
        notify = message.dsn.get("notify") if message.dsn and self.smtp.has_extn("dsn") else None
        return ["NOTIFY=%s" % ",".join(notify)] if notify else []

    def _transaction(self, message, options, pending):
        """MAIL, then RCPT for ``pending`` until the server's limit: (accepted, refused, deferred).

        A recipient refused with 452 once another was accepted waits for a later transaction. One
        by one, the rest wait with it, untried; pipelined, they were already sent, and one the server
        accepted after that stays in this one: either way each recipient is in exactly one envelope.
        """
        pipelined = self.smtp.has_extn("pipelining")
        replies = (self._pipelined if pipelined else self._one_by_one)(message, options, pending)
        accepted, refused, deferred = [], {}, []
        for index, (rcpt, (code, text)) in enumerate(zip(pending, replies)):
            if code in _ACCEPTED:
                accepted.append(rcpt)
            elif code == _TOO_MANY and accepted:
                if not pipelined:
                    return accepted, refused, list(pending[index:])
                deferred.append(rcpt)
            else:
                refused[rcpt] = {"code": code, "text": self._text(text)}
        return accepted, refused, deferred

    def _sender_refused(self, message, code, text):
        self._reset()
        raise self._fail("mail", "the sender %s was refused" % message.sender, self._hint(code), code,
                         self._text(text))

    def _one_by_one(self, message, options, pending):
        """MAIL, then the RCPT replies as a generator: a RCPT is sent only when its reply is wanted."""
        code, text = self._step("mail", self.smtp.mail, message.sender, options)
        if code != 250:
            self._sender_refused(message, code, text)
        rcpt_options = self._rcpt_options(message)
        return (self._step("rcpt", self.smtp.rcpt, rcpt, rcpt_options) for rcpt in pending)

    def _pipelined(self, message, options, pending):
        """MAIL and every RCPT written together (RFC 2920); the RCPT replies, read after them."""
        smtp = self.smtp
        if "SMTPUTF8" in options:
            smtp.command_encoding = "utf-8"  # what smtplib.mail() does for this option
        rcpt_options = self._rcpt_options(message)
        commands = [_command("mail", "FROM:", message.sender, options)]
        commands += [_command("rcpt", "TO:", rcpt, rcpt_options) for rcpt in pending]
        replies = []
        for start in range(0, len(commands), _IN_FLIGHT):
            group = commands[start:start + _IN_FLIGHT]
            self._step("rcpt" if start else "mail", smtp.send, "".join(group))
            if not start:
                code, text = self._step("mail", smtp.getreply)
                if code != 250:
                    self._drain(len(group) - 1)
                    self._sender_refused(message, code, text)
                group = group[1:]
            replies += [self._step("rcpt", smtp.getreply) for _command_line in group]
        return replies

    def _drain(self, count):
        """Read the replies (503) to the RCPTs written after a refused MAIL, so RSET gets its own."""
        try:
            for _reply in range(count):
                self.smtp.getreply()
        except (smtplib.SMTPException, OSError):
            pass  # it hung up after refusing the sender: the refusal is what the user needs to hear

    def _try_rest(self, message, options, pending):
        """Throw-away transactions (RCPT, then RSET, never DATA) for recipients beyond the first."""
        refused = {}
        while pending and not refused:
            self._reset()
            _accepted, refused, pending = self._transaction(message, options, pending)
        self._reset()
        return refused

    def send(self, message, on_refused="fail"):
        """Deliver to every recipient, in as many transactions as the server needs.

        Returns (accepted, refused). With on_refused=fail nobody may get a mail the task reports
        as failed: a partly refused envelope is reset before DATA, and when the recipients need
        more than one transaction, the later ones are first tried in throw-away transactions
        so that a refusal is known before anyone has the message. The edge the protocol leaves:
        a server that accepts a recipient there and refuses it moments later, after an earlier
        transaction went out; then the error says who already has the message (sent: true).
        """
        self.warnings = []  # this send's: a cached session sends again
        options = self._mail_options(message)
        delivered = []
        try:
            return self._send_batches(message, options, on_refused, delivered)
        except DeliveryError as exc:
            if delivered and exc.sent is False:
                # Whatever broke a later transaction, an earlier one already delivered the message:
                # never let a retry send it again.
                exc.sent, exc.transient = True, False
                exc.details.setdefault("accepted", list(delivered))
                exc.add_text("An earlier transaction already delivered it to %s." % ", ".join(delivered))
            raise

    def _send_batches(self, message, options, on_refused, delivered):
        pending, refused = list(message.recipients), {}
        tried = on_refused != "fail"
        while pending:
            accepted, refused_now, rest = self._transaction(message, options, pending)
            refused.update(refused_now)
            if rest and not tried and not refused:
                tried = True
                refused.update(self._try_rest(message, options, rest))
                if not refused:
                    continue  # every recipient will be taken: now the same transaction for real
            tried = True
            if refused and on_refused == "fail" or not accepted:
                self._reset()
                if refused and on_refused == "fail":
                    raise self._refusal(message, refused, delivered)
                pending = rest
                continue
            self._data(message.rendered)  # streamed again for each transaction
            delivered += accepted
            pending = rest
        if not delivered:
            raise self._refusal(message, refused, delivered)
        return delivered, refused

    def _refusal(self, message, refused, delivered):
        first = sorted(refused.items())[0]
        total = len(message.recipients)
        if delivered:
            outcome = "the message was already delivered to %s in an earlier transaction" % ", ".join(delivered)
        else:
            outcome = "the message was not sent to anyone"
        # Worth another try only when every refusal was temporary and nobody has the message.
        transient = not delivered and all(400 <= why["code"] < 500 for why in refused.values())
        error = self._fail("rcpt", "%d of %d recipients refused (%s); %s"
                           % (len(refused), total, ", ".join(sorted(refused)), outcome),
                           self._hint(first[1]["code"]) or "Set on_refused: warn to send to the others.",
                           first[1]["code"], first[1]["text"], sent=bool(delivered), transient=transient)
        error.details.update(accepted=list(delivered), refused=dict(refused))
        return error


def _command(verb, keyword, address, options):
    """One command line as smtplib.mail()/rcpt() write it; CR or LF would end it early."""
    line = "%s %s%s%s" % (verb, keyword, smtplib.quoteaddr(address), "".join(" " + opt for opt in options))
    if "\r" in line or "\n" in line:
        raise ValueError("command and arguments contain prohibited newline characters")
    return line + "\r\n"
