# -*- coding: utf-8 -*-
"""The benchmark sink speaks enough SMTP for smtplib and counts the message bytes exactly."""
from __future__ import annotations

import smtplib

from smtp_sink import Sink


def test_sink_counts_each_message():
    sink = Sink()
    try:
        body = b"Subject: x\r\n\r\n" + b"line\r\n" * 10000 + b".starts with a dot\r\nend\r\n"
        with smtplib.SMTP(sink.host, sink.port, local_hostname="bench", timeout=10) as smtp:
            smtp.ehlo()
            assert smtp.has_extn("size") and smtp.has_extn("8bitmime")
            smtp.sendmail("a@example.com", ["b@example.com"], body)
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: y\r\n\r\nshort\r\n")
        # DATA bytes as sent (dot-stuffed, with the CRLF before the final dot)
        assert sink.sizes == [len(body) + 1, len(b"Subject: y\r\n\r\nshort\r\n")]
    finally:
        sink.shutdown()
        sink.server_close()
