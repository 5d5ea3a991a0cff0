# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A minimal, fast SMTP sink on loopback for benchmarks: counts each message's bytes, keeps nothing.

aiosmtpd (smtp_server.py) takes ~10 s to take in 70 MB line by line, which only makes memory
benchmarks long; what a server really received is tested with smtp_server.py. Stdlib only.
"""

from __future__ import annotations

import socketserver
import threading

__all__ = ["Sink"]


class _Sink(socketserver.StreamRequestHandler):
    """Just enough ESMTP for smtplib: counts each message's bytes, keeps nothing."""

    def reply(self, line):
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self):
        self.reply("220 sink ESMTP")
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 0")
            elif verb == b"DATA":
                self.reply("354 go ahead")
                self.server.sizes.append(self.read_data())
                self.reply("250 OK queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")

    def read_data(self):
        size, tail = 0, b"\r\n"
        while True:
            block = self.rfile.read1(256 * 1024)
            if not block:
                raise ConnectionError("closed in DATA")
            size += len(block)
            window = tail + block
            if b"\r\n.\r\n" in window:
                return size - 3
            tail = window[-4:]


class Sink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        socketserver.ThreadingTCPServer.__init__(self, ("127.0.0.1", 0), _Sink)
        self.sizes = []
        self.host, self.port = self.server_address
        threading.Thread(target=self.serve_forever, daemon=True).start()
