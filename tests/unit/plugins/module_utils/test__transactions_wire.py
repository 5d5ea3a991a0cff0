# -*- coding: utf-8 -*-
"""PIPELINING on a real socket: one round trip for MAIL and every RCPT, not one per command."""
from __future__ import annotations

import socket
import threading

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._deadline import Deadline
from ansible_collections.flint.smtp.plugins.module_utils._errors import DeliveryError
from ansible_collections.flint.smtp.plugins.module_utils._message import prepare_message
from ansible_collections.flint.smtp.plugins.module_utils._options import ServerOptions
from ansible_collections.flint.smtp.plugins.module_utils._transport import SmtpSession

RCPTS = ["a@example.net", "b@example.net", "c@example.net"]


class Server(object):
    """Offers PIPELINING (or not) and, when it does, answers nothing of a transaction before it
    holds MAIL and all its RCPTs: a client that waits for the MAIL reply first never gets one."""

    def __init__(self, pipelining, refuse_sender=False):
        self.pipelining, self.refuse_sender = pipelining, refuse_sender
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.chunks, self.commands = [], []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _addr = self.listener.accept()
        with conn:
            conn.sendall(b"220 wire test\r\n")
            buffered = b""
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                self.chunks.append(data)
                buffered += data
                while b"\r\n" in buffered:
                    group = self.pipelining and buffered.upper().startswith(b"MAIL")
                    if group and buffered.count(b"\r\n") < 1 + len(RCPTS):
                        break  # wait for the whole group
                    line, buffered = buffered.split(b"\r\n", 1)
                    if not self._answer(conn, line):
                        return

    def _answer(self, conn, line):
        verb = line[:4].upper()
        self.commands.append(verb.decode())
        if verb == b"EHLO":
            conn.sendall(b"250-wire\r\n" + (b"250-PIPELINING\r\n" if self.pipelining else b"") + b"250 8BITMIME\r\n")
        elif verb == b"MAIL":
            conn.sendall(b"550 5.7.1 no\r\n" if self.refuse_sender else b"250 ok\r\n")
        elif verb == b"RCPT":
            conn.sendall(b"503 5.5.1 need MAIL\r\n" if self.refuse_sender else b"250 ok\r\n")
        elif verb == b"DATA":
            conn.sendall(b"354 go\r\n")
        elif verb == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return False
        elif line == b".":
            self.commands[-1] = "."
            conn.sendall(b"250 queued\r\n")
        elif verb in (b"RSET", b"NOOP"):
            conn.sendall(b"250 ok\r\n")
        else:
            self.commands.pop()  # message content
        return True


def _send(server):
    port = server.listener.getsockname()[1]
    options = ServerOptions({"target": "127.0.0.1", "port": port, "security": "none", "timeout": 3000})
    session = SmtpSession(options, None, Deadline(3000), ehlo_name="client.example.com")
    session.open()
    try:
        return session.send(prepare_message({"from": "ops@example.com", "to": RCPTS, "subject": "s", "body": "b"}))
    finally:
        session.close()


@pytest.mark.parametrize("pipelining", [True, False])
def test_mail_and_every_rcpt_in_one_round_trip_when_offered(pipelining):
    server = Server(pipelining)
    accepted, refused = _send(server)
    server.thread.join(5)
    assert accepted == RCPTS and refused == {}
    assert server.commands == ["EHLO", "MAIL", "RCPT", "RCPT", "RCPT", "DATA", ".", "QUIT"]
    group = [chunk for chunk in server.chunks if chunk.upper().startswith(b"MAIL")][0]
    assert group.upper().count(b"RCPT TO:") == (len(RCPTS) if pipelining else 0)


def test_a_refused_sender_in_a_pipelined_group_is_the_error_and_nothing_is_left_unread():
    server = Server(True, refuse_sender=True)
    with pytest.raises(DeliveryError) as info:
        _send(server)
    server.thread.join(5)
    assert info.value.phase == "mail" and info.value.smtp_code == 550 and info.value.sent is False
    # RSET and QUIT got their own replies: the session did not read a RCPT's 503 as theirs
    assert server.commands == ["EHLO", "MAIL", "RCPT", "RCPT", "RCPT", "RSET", "QUIT"]
