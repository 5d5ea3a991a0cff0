# -*- coding: utf-8 -*-
"""Recipients in several transactions of one session when the server caps them (452)."""
from __future__ import annotations

import smtplib

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._deadline import Deadline
from ansible_collections.flint.smtp.plugins.module_utils._errors import DeliveryError
from ansible_collections.flint.smtp.plugins.module_utils._message import prepare_message
from ansible_collections.flint.smtp.plugins.module_utils._options import ServerOptions
from ansible_collections.flint.smtp.plugins.module_utils._transport import SmtpSession

RCPTS = ["r%d@example.com" % n for n in range(1, 8)]


@pytest.fixture(autouse=True, params=[False, True], ids=["one-by-one", "pipelined"])
def pipelining(request, fake_smtp):
    """Every test here runs against a server without PIPELINING and one with it (RFC 2920)."""
    fake_smtp["pipelining"] = request.param
    return request.param


def opened(fake_smtp, limit):
    fake_smtp["features"] = dict({"size": ""}, **({"pipelining": ""} if fake_smtp["pipelining"] else {}))
    fake_smtp["max_rcpt"] = limit
    server = ServerOptions({"target": "mail.example.com", "port": 25, "security": "none", "timeout": 5000})
    session = SmtpSession(server, None, Deadline(5000), ehlo_name="client.example.com")
    session.open()
    return session


def message(recipients=RCPTS):
    return prepare_message({"from": "ops@example.com", "to": list(recipients), "subject": "s", "body": "b"})


def transactions(fake_smtp):
    """[(recipients the fake server accepted in a transaction, ended with DATA?)]."""
    found = []
    for call in fake_smtp["instances"][-1].calls:
        if call[0] == "mail":
            found.append([[], False])
        elif call[0] == "rcpt" and call[2] in (250, 251):
            found[-1][0].append(call[1])
        elif call[0] == "data":
            found[-1][1] = True
    return [tuple(item) for item in found]


def delivered(fake_smtp):
    """Every recipient of a transaction that ended with DATA: who got the message."""
    return [rcpt for rcpts, data in transactions(fake_smtp) if data for rcpt in rcpts]


@pytest.mark.parametrize("on_refused", ["fail", "warn"])
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100])
def test_every_recipient_gets_it_exactly_once(fake_smtp, limit, on_refused):
    session = opened(fake_smtp, limit)
    accepted, refused = session.send(message(), on_refused)
    assert accepted == RCPTS and refused == {}
    assert sorted(delivered(fake_smtp)) == sorted(RCPTS)  # each exactly once
    batches = [rcpts for rcpts, data in transactions(fake_smtp) if data]
    assert len(batches) == -(-len(RCPTS) // limit)


def test_one_transaction_when_the_limit_is_not_reached(fake_smtp):
    session = opened(fake_smtp, 100)
    session.send(message())
    assert transactions(fake_smtp) == [(RCPTS, True)]
    assert [c[2] for c in fake_smtp["instances"][0].calls if c[0] == "rcpt"] == [250] * 7


def test_fail_mode_checks_later_batches_before_anyone_gets_it(fake_smtp):
    fake_smtp["rcpt"] = {"r6@example.com": (550, b"5.1.1 unknown")}
    session = opened(fake_smtp, 2)
    with pytest.raises(DeliveryError) as info:
        session.send(message(), "fail")
    assert all(not data for _rcpts, data in transactions(fake_smtp))  # no DATA at all
    assert info.value.sent is False and "not sent to anyone" in str(info.value)
    assert info.value.details["refused"] == {"r6@example.com": {"code": 550, "text": "5.1.1 unknown"}}


def test_warn_mode_sends_to_the_others_across_batches(fake_smtp):
    fake_smtp["rcpt"] = {"r2@example.com": (550, b"5.1.1 unknown"), "r6@example.com": (550, b"5.1.1 unknown")}
    session = opened(fake_smtp, 2)
    accepted, refused = session.send(message(), "warn")
    assert accepted == ["r1@example.com", "r3@example.com", "r4@example.com", "r5@example.com", "r7@example.com"]
    assert sorted(refused) == ["r2@example.com", "r6@example.com"]
    assert sorted(delivered(fake_smtp)) == sorted(accepted)


def test_452_to_the_first_of_a_fresh_transaction_is_a_real_refusal(fake_smtp):
    # r3 is over quota: 452 every time, also as the first of a transaction. No endless loop.
    fake_smtp["rcpt"] = {"r3@example.com": (452, b"4.2.2 Mailbox full")}
    session = opened(fake_smtp, 2)
    accepted, refused = session.send(message(), "warn")
    assert refused == {"r3@example.com": {"code": 452, "text": "4.2.2 Mailbox full"}}
    assert accepted == [r for r in RCPTS if r != "r3@example.com"]
    assert sorted(delivered(fake_smtp)) == sorted(accepted)
    assert len(transactions(fake_smtp)) <= 6
    with pytest.raises(DeliveryError) as info:
        opened(fake_smtp, 2).send(message(), "fail")
    assert info.value.transient is True and info.value.sent is False and info.value.smtp_code == 452


def test_the_edge_a_recipient_accepted_in_the_check_then_refused(fake_smtp):
    # Accepted in the throw-away transaction, refused when it counts, after batch 1 went out.
    fake_smtp["rcpt"] = {"r4@example.com": [(250, b"ok"), (550, b"5.1.1 gone now")]}
    session = opened(fake_smtp, 2)
    with pytest.raises(DeliveryError) as info:
        session.send(message(["r1@example.com", "r2@example.com", "r3@example.com", "r4@example.com"]), "fail")
    error = info.value
    assert error.sent is True and error.transient is False
    assert error.details["accepted"] == ["r1@example.com", "r2@example.com"]
    assert "already delivered to r1@example.com, r2@example.com in an earlier transaction" in str(error)


@pytest.mark.parametrize("on_refused", ["fail", "warn"])
def test_a_connection_lost_after_an_earlier_batch_is_sent_true_and_never_retried(fake_smtp, on_refused):
    session = opened(fake_smtp, 2)
    rcpts = RCPTS[:4]
    real_mail = fake_smtp["instances"][-1].mail
    count = []

    def mail(sender, options=()):
        count.append(1)
        # the second real transaction: MAIL #2 with warn; with fail, #4 (first try, throw-away check, first for real)
        if len(count) == (4 if on_refused == "fail" else 2):
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_mail(sender, options)

    fake_smtp["instances"][-1].mail = mail
    with pytest.raises(DeliveryError) as info:
        session.send(message(rcpts), on_refused)
    assert delivered(fake_smtp) == rcpts[:2]
    assert info.value.sent is True and info.value.transient is False
    assert info.value.details["accepted"] == rcpts[:2] and "already delivered" in str(info.value)


def test_pipelined_mail_and_every_rcpt_go_out_in_one_write(fake_smtp, pipelining):
    session, sent = opened(fake_smtp, 100), message(RCPTS[:3])
    session.send(sent)
    writes = [call for call in fake_smtp["instances"][-1].calls if call[0] in ("pipelined", "mail")]
    mail = ("mail", "ops@example.com", ["SIZE=%d" % sent.size])
    assert writes == ([("pipelined", 4), mail] if pipelining else [mail])
    assert transactions(fake_smtp) == [(RCPTS[:3], True)]


def test_a_refused_sender_reads_every_reply_then_resets(fake_smtp):
    fake_smtp["mail"] = (550, b"5.7.1 Sender address rejected")
    fake_smtp["rset"] = lambda: fake_smtp["instances"][-1].calls.append("rset!") or (250, b"ok")
    session = opened(fake_smtp, 100)
    with pytest.raises(DeliveryError) as info:
        session.send(message(RCPTS[:3]))
    error = info.value
    assert error.phase == "mail" and error.smtp_code == 550 and error.sent is False
    smtp = fake_smtp["instances"][-1]
    assert "rset!" in smtp.calls and not getattr(smtp, "pending_replies", [])  # no reply left unread
    assert all(not data for _rcpts, data in transactions(fake_smtp))


def test_452_then_an_accepted_recipient_each_in_exactly_one_envelope(fake_smtp):
    # 452 for r2 once (a full mailbox, not a limit), and the server takes r3 after it.
    fake_smtp["rcpt"] = {"r2@example.com": [(452, b"4.2.2 try later"), (250, b"ok")]}
    session = opened(fake_smtp, 100)
    accepted, refused = session.send(message(RCPTS[:3]), "warn")
    assert sorted(accepted) == RCPTS[:3] and refused == {}
    assert sorted(delivered(fake_smtp)) == RCPTS[:3]  # each exactly once, whichever envelope took it


def test_a_newline_cannot_end_a_pipelined_command_early(fake_smtp, pipelining):
    from ansible_collections.flint.smtp.plugins.module_utils._transactions import _command

    assert _command("rcpt", "TO:", "a@example.com", ["NOTIFY=NEVER"]) == "rcpt TO:<a@example.com> NOTIFY=NEVER\r\n"
    for bad in ("a@example.com\r\nRSET", "a@example.com\nDATA", "<a@example.com>\rDATA", "a\r@example.com"):
        try:
            line = _command("rcpt", "TO:", bad, [])
        except ValueError:
            continue  # refused, as smtplib's putcmd refuses it
        # or smtplib.quoteaddr already dropped what follows the address (older email.utils)
        assert line.count("\r") == line.count("\n") == 1 and line.endswith("\r\n"), line
    with pytest.raises(ValueError):
        _command("rcpt", "TO:", "a@example.com", ["NOTIFY=NEVER\r\nDATA"])


def test_at_most_a_hundred_commands_wait_for_their_replies(fake_smtp, pipelining):
    # 250 recipients: their replies, all written at once, could fill both sides' buffers (RFC 2920 3.1)
    many = ["m%03d@example.com" % n for n in range(250)]
    session = opened(fake_smtp, 1000)
    accepted, refused = session.send(message(many))
    assert accepted == many and refused == {}
    groups = [call[1] for call in fake_smtp["instances"][-1].calls if call[0] == "pipelined"]
    assert groups == ([100, 100, 51] if pipelining else [])
    assert delivered(fake_smtp) == many
