# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC
from ansible_collections.flint.smtp.plugins.module_utils._deadline import Deadline
from ansible_collections.flint.smtp.plugins.module_utils._errors import DeliveryError, InputError
from ansible_collections.flint.smtp.plugins.module_utils._options import (
    AuthOptions,
    DeliveryOptions,
    MessageOptions,
    RetryOptions,
    ServerOptions,
    build_options,
)


def test_every_option_belongs_to_exactly_one_group():
    grouped = [opt for group in (ServerOptions, AuthOptions, MessageOptions, DeliveryOptions, RetryOptions)
               for _attr, opt in group.FIELDS]
    assert len(grouped) == len(set(grouped))
    # job identity and where the options come from (flint_input) are read by the module/action
    # plugin, not by the send core
    assert set(ARGUMENT_SPEC) - set(grouped) == {"job_id", "job_user", "flint_input"}


def test_defaults_come_from_the_spec():
    opts = build_options({"target": "mail.example.com"})
    assert opts.server.port == 587 and opts.server.security == "starttls" and opts.server.timeout_ms == 60000
    assert opts.server.validate_certs is True and opts.message.cc == [] and opts.delivery.on_refused == "fail"
    # None means "not given" as well: the spec default applies
    assert build_options({"target": "h", "port": None, "timeout": None}).server.port == 587


@pytest.mark.parametrize("target, port, host, want_port, security", [
    ("mail.example.com", 465, "mail.example.com", 465, "tls"),
    ("mail.example.com:2525", 587, "mail.example.com", 2525, "starttls"),
    ("[2001:db8::25]:465", 587, "2001:db8::25", 465, "tls"),
    (" 127.0.0.1 ", 25, "127.0.0.1", 25, "starttls"),
])
def test_endpoint(target, port, host, want_port, security):
    server = ServerOptions({"target": target, "port": port})
    assert (server.host, server.port, server.security) == (host, want_port, security)


@pytest.mark.parametrize("target, port, phrase", [
    ("", 587, "host name or address is required"),
    ("   ", 587, "host name or address is required"),
    ("mail.example.com", 0, "between 1 and 65535"),
    ("mail.example.com:70000", 587, "between 1 and 65535"),
])
def test_bad_endpoint(target, port, phrase):
    with pytest.raises(InputError, match=phrase):
        ServerOptions({"target": target, "port": port})


@pytest.mark.parametrize("timeout, phrase", [
    (0, "in milliseconds"), (-5, "in milliseconds"), (30, "for 30 seconds write 30000"), (999, "at least 1000"),
    (24 * 3600 * 1000 + 1, "more than one day"), (10 ** 30, "more than one day"),
])
def test_timeout_is_milliseconds_and_bounded(timeout, phrase):
    with pytest.raises(InputError, match=phrase):
        ServerOptions({"target": "h", "timeout": timeout})


def test_timeout_bounds_are_accepted():
    assert ServerOptions({"target": "h", "timeout": 1000}).timeout_ms == 1000
    assert ServerOptions({"target": "h", "timeout": 24 * 3600 * 1000}).timeout_ms == 24 * 3600 * 1000


def test_auth_repr_never_shows_the_password():
    assert "s3cret" not in repr(AuthOptions({"username": "u", "password": "s3cret"}))
    assert "s3cret" not in repr(build_options({"target": "h", "username": "u", "password": "s3cret"}).auth)


def test_deadline_counts_down_and_never_goes_negative():
    now = [100.0]
    deadline = Deadline(1500, clock=lambda: now[0])
    assert deadline.remaining() == 1.5 and not deadline.expired
    now[0] = 101.0
    assert deadline.remaining() == pytest.approx(0.5)
    now[0] = 105.0
    assert deadline.remaining() == 0.0 and deadline.expired


def test_error_attributes():
    error = DeliveryError("x", phase="rcpt", smtp_code=451, smtp_text="later", sent=False, transient=True)
    assert (error.sent, error.smtp_code, error.transient) == (False, 451, True)
    assert error.result_fields() == {"phase": "rcpt", "smtp_code": 451, "smtp_text": "later", "sent": False}
    # what may have been delivered is never worth a retry
    assert DeliveryError("x", sent=None, transient=True).transient is False
    assert InputError("bad").result_fields() == {"phase": "input"}
    error.add_text("More.")
    assert str(error) == "x More." and error.message == "x More."


def test_retry_options_default_from_the_spec():
    retry = build_options({"target": "h"}).retry
    assert (retry.retries, retry.delay_ms) == (2, 1000)
    assert (RetryOptions({"retries": 0, "retry_delay": 0}).retries, RetryOptions({"retry_delay": 0}).delay_ms) == (0, 0)


@pytest.mark.parametrize("params, phrase", [
    ({"retries": -1}, "use 0 for a single attempt"), ({"retry_delay": -5}, "cannot be negative"),
])
def test_bad_retry_options(params, phrase):
    with pytest.raises(InputError, match=phrase):
        build_options(dict(params, target="h"))


def test_a_retry_delay_longer_than_the_budget_is_not_an_input_error():
    # The defaults (retry_delay 1000) must work with the shortest timeout (1000): no retry fits, that's all.
    assert build_options({"target": "h", "timeout": 1000, "retry_delay": 5000}).retry.delay_ms == 5000


@pytest.mark.parametrize("option, value", [
    ("attachments", ["/tmp/a\x00b"]), ("attachments", "/tmp/a\nb, /tmp/c"), ("save_eml", "/tmp/x\x00.eml"),
    ("save_eml_dir", "/tmp/\x1bd"), ("ca_path", "/tmp/c\x00a"), ("oauth2_ca_path", "/tmp/o\x7f"),
    ("inline_images", [{"path": "/tmp/i\x00.png", "cid": "x"}]),
])
def test_paths_with_control_characters_are_input_errors(option, value):
    # A NUL made the OS raise ValueError ("embedded null byte"): an unexpected error before.
    with pytest.raises(InputError, match=r"^%s: the path .* contains the control character" % option):
        build_options({"target": "h", "deliver": False, option: value})
