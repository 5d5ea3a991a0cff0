# -*- coding: utf-8 -*-
from __future__ import annotations

import smtplib
import socket
import ssl

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._auth import PasswordAuth
from ansible_collections.flint.smtp.plugins.module_utils._errors import DeliveryError
from ansible_collections.flint.smtp.plugins.module_utils._deadline import Deadline
from ansible_collections.flint.smtp.plugins.module_utils._message import prepare_message
from ansible_collections.flint.smtp.plugins.module_utils._options import ServerOptions
from ansible_collections.flint.smtp.plugins.module_utils._transport import SmtpSession


def message(to=("a@example.com", "b@example.com")):
    return prepare_message({"from": "ops@example.com", "to": list(to), "subject": "s", "body": "b"})


def session(security="starttls", host="mail.example.com", port=587, timeout=5000, clock=None):
    server = ServerOptions({"target": host, "port": port, "security": security, "timeout": timeout})
    deadline = Deadline(timeout, clock) if clock else Deadline(timeout)
    return SmtpSession(server, ssl.create_default_context(), deadline, ehlo_name="client.example.com")


def calls(script):
    return script["instances"][0].calls


def test_starttls_session_sends_with_our_context(fake_smtp):
    fake_smtp["features"] = {"starttls": "", "size": "", "8bitmime": ""}
    s = session()
    s.open()
    sent = message()
    accepted, refused = s.send(sent)
    s.close()
    fake = fake_smtp["instances"][0]
    assert fake.context is s.context and fake.context.verify_mode == ssl.CERT_REQUIRED
    assert 4.0 < fake.timeout <= 5.0 and fake.local_hostname == "client.example.com"
    assert accepted == ["a@example.com", "b@example.com"] and refused == {}
    mail = [c for c in fake.calls if c[0] == "mail"][0]
    # The message is 7-bit (see _message): no BODY=8BITMIME even where it is offered.
    assert mail[2] == ["SIZE=%d" % sent.size]


def test_missing_starttls_fails_before_anything_is_sent(fake_smtp):
    fake_smtp["features"] = {"auth": "PLAIN"}
    with pytest.raises(DeliveryError) as info:
        session().open()
    assert info.value.phase == "starttls" and "does not offer STARTTLS" in str(info.value)
    assert "mail.example.com:587" in str(info.value)
    assert not any(c[0] in ("mail", "login") for c in calls(fake_smtp) if isinstance(c, tuple))


@pytest.mark.parametrize("exc, phrase", [
    (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
    (socket.timeout("timed out"), "no answer within the task's timeout of 5000 ms"),
    (socket.gaierror(-2, "Name or service not known"), "cannot resolve host name"),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "closed the connection"),
    (smtplib.SMTPConnectError(554, b"go away"), "554 go away"),
])
def test_connect_errors_are_explained(fake_smtp, exc, phrase):
    fake_smtp["connect_reply"] = exc
    with pytest.raises(DeliveryError) as info:
        session().open()
    assert info.value.phase == "connect" and phrase in str(info.value)
    assert info.value.exit_code == -1


def test_bad_certificate_is_explained(fake_smtp):
    fake_smtp["features"] = {"starttls": ""}
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "Hostname mismatch, certificate is not valid for 'mail.example.com'."
    fake_smtp["starttls"] = error
    with pytest.raises(DeliveryError) as info:
        session().open()
    assert "Hostname mismatch" in str(info.value) and "ca_path" in str(info.value)


def test_wrong_version_number_hints_at_the_port(fake_smtp):
    fake_smtp["connect_reply"] = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    with pytest.raises(DeliveryError, match="security: starttls for port 587"):
        session("tls").open()


def test_auth_rejected(fake_smtp):
    fake_smtp["features"] = {"starttls": "", "auth": "PLAIN LOGIN"}
    fake_smtp["login"] = smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid")
    s = session()
    s.open()
    with pytest.raises(DeliveryError) as info:
        s.authenticate(PasswordAuth("u", "p"))
    assert info.value.phase == "auth" and info.value.smtp_code == 535
    assert "535 5.7.8 Authentication credentials invalid" in str(info.value)


def test_auth_not_offered(fake_smtp):
    fake_smtp["features"] = {"starttls": ""}
    s = session()
    s.open()
    with pytest.raises(DeliveryError, match="does not offer AUTH"):
        s.authenticate(PasswordAuth("u", "p"))


def test_partial_refusal_resets_before_data(fake_smtp):
    fake_smtp["rcpt"] = {"b@example.com": (550, b"5.1.1 no such user")}
    s = session("none")
    s.open()
    with pytest.raises(DeliveryError) as info:
        s.send(message())
    assert info.value.phase == "rcpt" and "not sent to anyone" in str(info.value)
    assert info.value.sent is False and info.value.transient is False  # 550 will not change on a retry
    assert "rset" in calls(fake_smtp) and not any(c[0] == "data" for c in calls(fake_smtp) if isinstance(c, tuple))


def test_partial_refusal_can_be_a_warning(fake_smtp):
    fake_smtp["rcpt"] = {"b@example.com": (550, b"5.1.1 no such user")}
    s = session("none")
    s.open()
    accepted, refused = s.send(message(), on_refused="warn")
    assert accepted == ["a@example.com"]
    assert refused == {"b@example.com": {"code": 550, "text": "5.1.1 no such user"}}


def test_everyone_refused_fails_even_with_warn(fake_smtp):
    fake_smtp["rcpt"] = {"a@example.com": (450, b"try later"), "b@example.com": (450, b"try later")}
    s = session("none")
    s.open()
    with pytest.raises(DeliveryError, match="temporary") as info:
        s.send(message(), on_refused="warn")
    assert info.value.transient is True and info.value.sent is False


def test_sender_refused(fake_smtp):
    fake_smtp["mail"] = (553, b"5.7.1 sender not owned by user")
    s = session("none")
    s.open()
    with pytest.raises(DeliveryError) as info:
        s.send(message())
    assert info.value.phase == "mail" and "553" in str(info.value)


def test_data_refused(fake_smtp):
    fake_smtp["data_cmd"] = (554, b"5.6.0 spam")
    s = session("none")
    s.open()
    with pytest.raises(DeliveryError) as info:
        s.send(message())
    assert info.value.phase == "data" and info.value.sent is False and info.value.smtp_code == 554
    assert not any(c[0] == "data" for c in calls(fake_smtp) if isinstance(c, tuple))


@pytest.mark.parametrize("code, transient", [(451, True), (554, False)])
def test_final_reply_refusal_is_not_sent(fake_smtp, code, transient):
    fake_smtp["data"] = (code, b"x.y.z after the dot")
    s = session("none")
    s.open()
    with pytest.raises(DeliveryError) as info:
        s.send(message())
    assert info.value.sent is False and info.value.transient is transient and info.value.smtp_code == code


def test_connection_lost_before_the_final_dot_is_not_sent(fake_smtp):
    fake_smtp["data_send"] = smtplib.SMTPServerDisconnected("Server not connected")
    s = session("none")
    s.open()
    with pytest.raises(DeliveryError) as info:
        s.send(message())
    assert info.value.sent is False and info.value.transient is True


def test_content_is_dot_stuffed_and_ends_with_the_final_dot(fake_smtp):
    s = session("none")
    s.open()
    s.send(prepare_message({"from": "ops@example.com", "to": ["a@example.com"], "body": ".hidden\n..two"}))
    payload = fake_smtp["instances"][0].wire  # everything sent after DATA (streamed in chunks)
    assert b"\r\n..hidden\r\n...two" in payload and payload.endswith(b"\r\n.\r\n")


def test_budget_spent_fails_before_the_next_step(fake_smtp):
    now = [0.0]
    s = session("none", timeout=2000, clock=lambda: now[0])
    s.open()
    now[0] = 2.5
    with pytest.raises(DeliveryError, match="timeout of 2000 ms") as info:
        s.send(message())
    assert info.value.phase == "mail" and "mail" not in [c[0] for c in calls(fake_smtp) if isinstance(c, tuple)]


def test_connection_lost_during_data_is_reported_as_unknown(fake_smtp):
    fake_smtp["data"] = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    s = session("none")
    s.open()
    with pytest.raises(DeliveryError) as info:
        s.send(message())
    assert info.value.sent is None and info.value.transient is False and "may or may not" in str(info.value)


def test_smtputf8_needs_server_support(fake_smtp):
    s = session("none")
    s.open()
    with pytest.raises(DeliveryError, match="the local part .* of jörg@xn--exmple-cua.de is not ASCII, which "
                       "needs SMTPUTF8, and the server does not offer SMTPUTF8"):
        s.send(message(to=["ok@exämple.de", "jörg@exämple.de"]))


def test_non_ascii_domain_needs_no_smtputf8(fake_smtp):
    fake_smtp["features"] = {}
    s = session("none")
    s.open()
    accepted, _refused = s.send(message(to=["ok@exämple.de"]))
    assert accepted == ["ok@xn--exmple-cua.de"]
    mail = [c for c in calls(fake_smtp) if isinstance(c, tuple) and c[0] == "mail"][0]
    assert mail[2] == []


def test_default_ehlo_name_is_known_without_dns(fake_smtp, monkeypatch):
    def no_dns(*_args, **_kwargs):
        raise AssertionError("no DNS query may be made")

    monkeypatch.setattr(socket, "getfqdn", no_dns)
    monkeypatch.setattr(socket, "gethostbyname", no_dns)
    monkeypatch.setattr(socket, "gethostname", lambda: "box.corp.example")
    server = ServerOptions({"target": "mail.example.com", "port": 25, "security": "none", "timeout": 5000})
    s = SmtpSession(server, None, Deadline(5000))
    s.open()
    assert fake_smtp["instances"][0].local_hostname == "box.corp.example"


def test_smtputf8_options_when_offered(fake_smtp):
    fake_smtp["features"] = {"smtputf8": "", "8bitmime": ""}
    s = session("none")
    s.open()
    s.send(message(to=["jörg@example.de"]))
    mail = [c for c in calls(fake_smtp) if isinstance(c, tuple) and c[0] == "mail"][0]
    assert mail[2] == ["SMTPUTF8", "BODY=8BITMIME"]


def test_quit_errors_after_acceptance_are_ignored(fake_smtp):
    fake_smtp["quit"] = smtplib.SMTPServerDisconnected("gone")
    s = session("none")
    s.open()
    s.send(message())
    s.close()
    assert "close" in calls(fake_smtp)


def test_ipv6_host_is_bracketed_in_messages():
    assert session(host="::1", port=25).where == "[::1]:25"
