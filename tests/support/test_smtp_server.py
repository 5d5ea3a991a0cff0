# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Self-tests of the SMTP test server, with the standard library's smtplib as the client.

Each test checks what a client sees AND what the server recorded, so that a server which
silently misbehaves (accepts what it should refuse, stores nothing, logs secrets) fails here.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import email.message
import json
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import time

import pytest

import smtp_server as S

SERVER_PY = os.path.abspath(S.__file__)
MSG = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody line\r\n.dot line\r\n"
PASSWORD = "s3cret-PW-4711"


@pytest.fixture(params=["process", "thread"])
def any_server(request, smtp_server, smtp_server_thread):
    """The basic behaviours must hold in both isolations."""
    return smtp_server if request.param == "process" else smtp_server_thread


def client_ctx(srv, check_hostname=True):
    ctx = ssl.create_default_context(cafile=srv.ca_path)
    ctx.check_hostname = check_hostname
    return ctx


def connect(srv, timeout=5.0, host=None):
    """Plain or STARTTLS-capable client; SMTP_SSL for implicit TLS (verified against the CA)."""
    host = host or srv.host
    if srv.mode == "tls":
        return smtplib.SMTP_SSL(host, srv.port, timeout=timeout, context=client_ctx(srv))
    return smtplib.SMTP(host, srv.port, timeout=timeout)


def send_simple(srv, rcpts=("b@example.org",), starttls=True, login=None, msg=MSG, **kw):
    with connect(srv) as c:
        if srv.mode == "starttls" and starttls:
            c.starttls(context=client_ctx(srv))
        if login:
            c.login(*login)
        return c.sendmail("a@example.org", list(rcpts), msg, **kw)


def store_text(srv) -> bytes:
    """Every byte the server wrote to its store, for 'no secret leaked' checks."""
    out = b""
    for root, _dirs, files in os.walk(srv.store):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                out += f.read()
    return out


# --- modes ------------------------------------------------------------------------------------


def test_plain_mode_delivers_without_tls(any_server):
    srv = any_server("plain")
    assert srv.ca_path is None
    with connect(srv) as c:
        c.ehlo("client.example")
        assert not c.has_extn("starttls")
        assert not c.has_extn("auth")  # no account configured
        assert c.sendmail("a@example.org", ["b@example.org"], MSG) == {}
    [m] = srv.messages()
    assert m["tls"] is False and m["tls_version"] is None
    assert m["mail_from"] == "a@example.org" and m["rcpt_tos"] == ["b@example.org"]
    assert m["helo"] == "client.example" and m["mode"] == "plain"
    with open(m["data_path"], "rb") as f:
        assert f.read() == MSG  # dot-unstuffed, CRLF kept: exactly what was sent


def test_starttls_with_ca_verification(any_server):
    srv = any_server("starttls")
    assert os.path.isfile(srv.ca_path)
    with connect(srv) as c:
        c.ehlo()
        assert c.has_extn("starttls")
        code, _text = c.starttls(context=client_ctx(srv))
        assert code == 220
        c.ehlo()
        assert not c.has_extn("auth")  # no account configured: no AUTH even under TLS
        c.sendmail("a@example.org", ["b@example.org"], MSG)
    [m] = srv.messages()
    assert m["tls"] is True and m["tls_version"].startswith("TLSv1.")
    [s] = srv.wait_sessions_closed()
    assert s["verbs"] == ["EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"]
    assert [c["tls"] for c in s["commands"][:3]] == [False, False, True]
    assert s["tls_version"] == m["tls_version"]


def test_implicit_tls(any_server):
    srv = any_server("tls")
    with connect(srv) as c:
        c.ehlo()
        assert not c.has_extn("starttls")  # already encrypted
        c.sendmail("a@example.org", ["b@example.org"], MSG)
    [m] = srv.messages()
    assert m["tls"] is True and m["tls_version"].startswith("TLSv1.")
    assert srv.sessions()[0]["commands"][0]["tls"] is True


def test_cert_valid_for_localhost_name(smtp_server):
    srv = smtp_server("tls")
    with connect(srv, host="localhost") as c:
        assert c.noop()[0] == 250


def test_ipv6_loopback(smtp_server):
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    srv = smtp_server("tls", host="::1")
    assert srv.host == "::1"
    send_simple(srv)
    assert srv.messages()[0]["peer"][0] == "::1"


# --- bad certificates ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["starttls", "tls"])
@pytest.mark.parametrize("cert, reason", [
    ("wrong-host", "mismatch"),  # "Hostname mismatch" / "IP address mismatch"
    ("untrusted", "unable to get local issuer certificate"),
    ("expired", "certificate has expired"),
])
def test_bad_certificates_fail_verification(smtp_server, mode, cert, reason):
    srv = smtp_server(mode, cert=cert)
    with pytest.raises(ssl.SSLCertVerificationError) as exc:
        with connect(srv) as c:
            c.starttls(context=client_ctx(srv))
    assert reason in exc.value.verify_message
    assert srv.messages() == []
    if mode == "starttls":  # (an implicit-TLS handshake failure happens before any session)
        [s] = srv.wait_sessions_closed()
        assert s["errors"][0]["error"] == "SSLError" and "MAIL" not in s["verbs"]


def test_wrong_host_cert_is_otherwise_valid(smtp_server):
    # Proves the failure above is the name only: the same chain verifies without name checks.
    srv = smtp_server("starttls", cert="wrong-host")
    with smtplib.SMTP(srv.host, srv.port, timeout=5) as c:
        c.starttls(context=client_ctx(srv, check_hostname=False))
        peer = c.sock.getpeercert()
    assert ("DNS", S.WRONG_NAME) in peer["subjectAltName"]


# --- AUTH --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_auth_ok_is_recorded(smtp_server, mech):
    srv = smtp_server("starttls", auth_user="u", auth_password=PASSWORD)
    with connect(srv) as c:
        c.starttls(context=client_ctx(srv))
        c.ehlo()
        assert set(c.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN"}
        c.user, c.password = "u", PASSWORD
        code, _text = c.auth(mech, getattr(c, "auth_" + mech.lower()))
        assert code == 235
        c.sendmail("a@example.org", ["b@example.org"], MSG)
    [m] = srv.messages()
    assert m["auth_user"] == "u" and m["auth_mechanism"] == mech
    s = srv.sessions()[0]
    assert s["auth"] == [{"mechanism": mech, "success": True, "user": "u"}]
    assert PASSWORD.encode() not in store_text(srv)


def test_auth_bad_password_gets_535_and_is_not_logged(smtp_server):
    srv = smtp_server("tls", auth_user="u", auth_password="right", require_auth=True)
    with connect(srv) as c:
        with pytest.raises(smtplib.SMTPAuthenticationError) as exc:
            c.login("u", PASSWORD)
        assert exc.value.smtp_code == 535
        assert exc.value.smtp_error == b"5.7.8 Authentication credentials invalid"
        # initial-response form, payload on the command line itself
        blob = base64.b64encode(b"\0u\0" + PASSWORD.encode()).decode()
        assert c.docmd("AUTH", "PLAIN " + blob)[0] == 535
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            c.sendmail("a@example.org", ["b@example.org"], MSG)
        assert refused.value.smtp_code == 530
    srv.wait_sessions_closed()
    text = store_text(srv)
    assert PASSWORD.encode() not in text and blob.encode() not in text
    s = srv.sessions()[0]
    # smtplib.login() tries PLAIN, then LOGIN; then our initial-response PLAIN
    assert [c["arg"] for c in s["commands"] if c["verb"] == "AUTH"] == ["PLAIN", "LOGIN", "PLAIN"]
    assert all(a["success"] is False and "user" not in a for a in s["auth"])
    assert srv.messages() == []


def test_auth_refused_before_starttls_by_default(smtp_server):
    srv = smtp_server("starttls", auth_user="u", auth_password=PASSWORD)
    with connect(srv) as c:
        c.ehlo()
        assert not c.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            c.login("u", PASSWORD)
        assert c.docmd("AUTH", "PLAIN")[0] == 538
    [s] = srv.wait_sessions_closed()
    # only our raw AUTH went out (smtplib would not), it was sent in clear, and was refused
    assert [c["tls"] for c in s["commands"] if c["verb"] == "AUTH"] == [False]
    assert "538 5.7.11 Encryption required for requested authentication mechanism" in s["replies"]
    assert s["auth"] == []  # the server never even looked at credentials


def test_auth_over_plaintext_when_allowed(smtp_server):
    srv = smtp_server("plain", auth_user="u", auth_password=PASSWORD, auth_require_tls=False)
    send_simple(srv, login=("u", PASSWORD))
    [m] = srv.messages()
    assert m["auth_user"] == "u" and m["tls"] is False


def test_require_auth_refuses_mail_with_530(smtp_server):
    srv = smtp_server("starttls", auth_user="u", auth_password=PASSWORD, require_auth=True)
    with pytest.raises(smtplib.SMTPSenderRefused) as exc:
        send_simple(srv)
    assert exc.value.smtp_code == 530
    assert srv.messages() == []
    send_simple(srv, login=("u", PASSWORD))
    assert len(srv.messages()) == 1


# --- recipients, sender, data ------------------------------------------------------------------


def test_reject_some_recipients(smtp_server):
    srv = smtp_server("plain", reject_rcpt=r"^bad@")
    refused = send_simple(srv, rcpts=["good@example.org", "bad@example.org"])
    assert refused == {"bad@example.org": (550, b"5.1.1 <bad@example.org>: Recipient address rejected: User unknown")}
    [m] = srv.messages()
    assert m["rcpt_tos"] == ["good@example.org"]


def test_reject_all_recipients_sends_no_data(smtp_server):
    srv = smtp_server("plain", reject_rcpt=r"^bad")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_simple(srv, rcpts=["bad1@example.org", "bad2@example.org"])
    [s] = srv.wait_sessions_closed()
    assert "DATA" not in s["verbs"] and srv.messages() == []


def test_tempfail_recipient(smtp_server):
    srv = smtp_server("plain", tempfail_rcpt="later@")
    refused = send_simple(srv, rcpts=["now@example.org", "later@example.org"])
    assert refused["later@example.org"][0] == 450
    assert srv.messages()[0]["rcpt_tos"] == ["now@example.org"]


def test_max_rcpt_answers_452_per_transaction(smtp_server):
    srv = smtp_server("plain", max_rcpt=2)
    with connect(srv) as c:
        c.ehlo()
        for _round in range(2):  # the limit is per transaction: a new MAIL starts again at zero
            assert c.mail("a@example.org")[0] == 250
            assert [c.rcpt(r)[0] for r in ("b@x.org", "c@x.org", "d@x.org")] == [250, 250, 452]
            assert c.rcpt("e@x.org") == (452, b"4.5.3 Too many recipients")
            assert c.data(MSG)[0] == 250
    assert [m["rcpt_tos"] for m in srv.messages()] == [["b@x.org", "c@x.org"]] * 2


def test_reject_sender(smtp_server):
    srv = smtp_server("plain", reject_mail=r"^a@")
    with pytest.raises(smtplib.SMTPSenderRefused) as exc:
        send_simple(srv)
    assert exc.value.smtp_code == 550 and srv.messages() == []


@pytest.mark.parametrize("code", [554, 451])
def test_reject_at_end_of_data(smtp_server, code):
    srv = smtp_server("starttls", reject_data=code)
    with pytest.raises(smtplib.SMTPDataError) as exc:
        send_simple(srv)
    assert exc.value.smtp_code == code
    assert srv.messages() == []
    assert "DATA" in srv.sessions()[0]["verbs"]


def test_message_size_limit(smtp_server):
    srv = smtp_server("plain", max_message_size=50)
    with pytest.raises(smtplib.SMTPSenderRefused) as exc:
        send_simple(srv, msg=MSG + b"x" * 100 + b"\r\n")
    assert exc.value.smtp_code == 552


# --- drops and delays --------------------------------------------------------------------------


@pytest.mark.parametrize("mode, phase", [
    ("plain", "connect"), ("plain", "ehlo"), ("plain", "mail"), ("plain", "rcpt"),
    ("plain", "data"), ("plain", "dot"), ("starttls", "starttls"), ("starttls", "rcpt"), ("tls", "dot"),
])
def test_drop_at_phase(smtp_server, mode, phase):
    srv = smtp_server(mode, drop_at=phase)
    t0 = time.monotonic()
    with pytest.raises(smtplib.SMTPServerDisconnected) as exc:
        send_simple(srv)
    # a real disconnect, not a server that merely went silent until the client gave up
    assert "timed out" not in str(exc.value) and time.monotonic() - t0 < 3
    assert srv.messages() == []
    [s] = srv.wait_sessions_closed()
    assert s["dropped"] is True
    assert {"kind": "drop", "phase": phase} in s["faults"]
    if phase in ("connect", "ehlo", "mail", "rcpt"):
        assert "DATA" not in s["verbs"]
    if phase == "connect":
        assert s["replies"] == []  # not even the greeting


def test_drop_after_n_commands(smtp_server):
    srv = smtp_server("plain", drop_after=2)
    with smtplib.SMTP(srv.host, srv.port, timeout=5) as c:
        assert c.ehlo()[0] == 250
        assert c.mail("a@example.org")[0] == 250
        with pytest.raises(smtplib.SMTPServerDisconnected) as exc:
            c.rcpt("b@example.org")
        assert "timed out" not in str(exc.value)
    [s] = srv.wait_sessions_closed()
    assert s["verbs"] == ["EHLO", "MAIL", "RCPT"] and s["dropped"]


def test_delay_triggers_client_timeout(smtp_server):
    srv = smtp_server("plain", delay_ms_at={"ehlo": 1000})
    with smtplib.SMTP(srv.host, srv.port, timeout=0.3) as c:
        t0 = time.monotonic()
        with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
            c.ehlo()
        assert time.monotonic() - t0 < 0.9
    # and with a patient client the same server answers, after the delay
    with smtplib.SMTP(srv.host, srv.port, timeout=5) as c:
        t0 = time.monotonic()
        assert c.ehlo()[0] == 250
        assert time.monotonic() - t0 >= 0.95


def test_delay_greeting_and_end_of_data(smtp_server):
    srv = smtp_server("starttls", delay_ms_at=["connect:400", "dot:400"])
    t0 = time.monotonic()
    send_simple(srv)
    assert time.monotonic() - t0 >= 0.8
    assert len(srv.messages()) == 1
    assert [f["phase"] for f in srv.sessions()[0]["faults"]] == ["connect", "dot"]


# --- STARTTLS policy, SMTPUTF8 -------------------------------------------------------------------


def test_refuse_starttls(smtp_server):
    srv = smtp_server("starttls", refuse_starttls=True)
    with connect(srv) as c:
        with pytest.raises(smtplib.SMTPResponseException) as exc:
            c.starttls(context=client_ctx(srv))
    assert exc.value.smtp_code == 454


def test_require_starttls(smtp_server):
    srv = smtp_server("starttls", require_starttls=True)
    with pytest.raises(smtplib.SMTPSenderRefused) as exc:
        send_simple(srv, starttls=False)
    assert exc.value.smtp_code == 530
    send_simple(srv)
    assert len(srv.messages()) == 1
    first = srv.wait_sessions_closed()[0]
    mail = first["commands"][1]  # arg is logged as sent: smtplib 3.13 says "from:", 3.11 "FROM:"
    assert (mail["verb"], mail["arg"].upper(), mail["tls"]) == ("MAIL", "FROM:<A@EXAMPLE.ORG> SIZE=%d" % len(MSG), False)
    assert "530 5.7.0 Must issue a STARTTLS command first" in first["replies"]


def test_smtputf8_advertised_and_recorded(smtp_server):
    srv = smtp_server("plain")
    with connect(srv) as c:
        c.ehlo()
        assert c.has_extn("smtputf8")
        c.sendmail("jörg@example.org", ["zoë@example.org"], MSG, mail_options=["SMTPUTF8"])
    [m] = srv.messages()
    assert m["smtputf8"] is True and m["mail_from"] == "jörg@example.org"
    assert m["rcpt_tos"] == ["zoë@example.org"] and "SMTPUTF8" in m["mail_options"]


def test_smtputf8_can_be_hidden(smtp_server):
    srv = smtp_server("plain", smtputf8=False)
    with connect(srv) as c:
        c.ehlo()
        assert not c.has_extn("smtputf8")
        # smtplib itself refuses to send SMTPUTF8 now; check the server refuses it too
        assert c.docmd("MAIL", "FROM:<a@example.org> SMTPUTF8") == (501, b"Error: SMTPUTF8 disabled")


def test_8bitmime_can_be_hidden(smtp_server):
    srv = smtp_server("plain", eightbitmime=False)
    with connect(srv) as c:
        c.ehlo()
        assert not c.has_extn("8bitmime") and c.has_extn("size")
    with connect(smtp_server("plain")) as c:
        c.ehlo()
        assert c.has_extn("8bitmime")


def test_dsn_only_when_asked(smtp_server):
    srv = smtp_server("plain")
    with connect(srv) as c:
        c.ehlo()
        assert not c.has_extn("dsn")
        assert c.docmd("MAIL", "FROM:<a@example.org> RET=HDRS")[0] == 555
    srv = smtp_server("plain", dsn=True)
    with connect(srv) as c:
        c.ehlo()
        assert c.has_extn("dsn")
        c.sendmail("a@example.org", ["b@example.org"], MSG, mail_options=["RET=HDRS", "ENVID=x1"],
                   rcpt_options=["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;b@example.org"])
    [m] = srv.messages()
    assert "RET=HDRS" in m["mail_options"] and "NOTIFY=FAILURE,DELAY" in m["rcpt_options"]


# --- storage -----------------------------------------------------------------------------------


def test_storage_record_fields(smtp_server):
    srv = smtp_server("starttls")
    with connect(srv) as c:
        c.starttls(context=client_ctx(srv))
        c.ehlo("client.example")
        c.sendmail("a@example.org", ["b@example.org", "c@example.org"], MSG)
        c.sendmail("a@example.org", ["d@example.org"], MSG)  # second message, same session
    msgs = srv.messages()
    assert [m["rcpt_tos"] for m in msgs] == [["b@example.org", "c@example.org"], ["d@example.org"]]
    m = msgs[0]
    assert set(m) == {"id", "session", "mail_from", "rcpt_tos", "mail_options", "rcpt_options", "data_path",
                      "size", "tls", "tls_version", "auth_user", "auth_mechanism", "peer", "helo", "esmtp",
                      "smtputf8", "received_at", "mode", "port"}
    assert m["peer"][0] == "127.0.0.1" and m["port"] == srv.port and m["esmtp"] is True
    assert m["size"] == len(MSG) and f"SIZE={len(MSG)}" in m["mail_options"]
    assert m["auth_user"] is None and m["smtputf8"] is False
    received = datetime.datetime.fromisoformat(m["received_at"])
    assert abs((datetime.datetime.now(datetime.timezone.utc) - received).total_seconds()) < 60
    with open(os.path.join(srv.store, m["id"] + ".json"), encoding="utf-8") as f:
        assert json.load(f) == m
    assert srv.emails()[0]["Subject"] == "hi"
    assert srv.sessions()[0]["messages"] == [msgs[0]["id"], msgs[1]["id"]]


def test_bcc_is_only_in_the_envelope(smtp_server):
    srv = smtp_server("starttls")
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Cc"], msg["Bcc"] = "a@example.org", "to@example.org", "cc@example.org", \
        "hidden@example.org"
    msg["Subject"] = "bcc test"
    msg.set_content("hello")
    with connect(srv) as c:
        c.starttls(context=client_ctx(srv))
        c.send_message(msg)  # smtplib drops the Bcc header, keeps it as a recipient
    [m] = srv.messages()
    assert sorted(m["rcpt_tos"]) == ["cc@example.org", "hidden@example.org", "to@example.org"]
    with open(m["data_path"], "rb") as f:
        assert b"hidden@example.org" not in f.read()


# --- lifecycle and CLI ---------------------------------------------------------------------------


def test_running_server_stops_process_and_cleans_temp_store():
    with S.running_server("plain") as srv:
        pid, port, store = srv.pid, srv.port, srv.store
        send_simple(srv)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not os.path.exists(store)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_stop_closes_open_connections(smtp_server_thread):
    srv = smtp_server_thread("plain")
    c = smtplib.SMTP(srv.host, srv.port, timeout=5)
    srv.stop()
    with pytest.raises(smtplib.SMTPServerDisconnected):
        c.ehlo()
    c.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.org"])
def test_refuses_non_loopback_hosts(tmp_path, host):
    with pytest.raises(ValueError, match="loopback"):
        with S.running_server("plain", store=str(tmp_path), host=host):
            pass
    r = subprocess.run([sys.executable, SERVER_PY, "--store", str(tmp_path), "--host", host],
                       capture_output=True, text=True, timeout=30, check=False)
    assert r.returncode == 2 and "loopback" in r.stderr


@contextlib.contextmanager
def cli_server(tmp_path, *extra):
    """The CLI as the Makefile/demo would run it; yields (process, ready-file path, ready info)."""
    ready = tmp_path / "ready.json"
    ready.write_text("stale")  # the server must replace a stale file, not trust it
    with open(tmp_path / "stderr.txt", "w") as err:
        proc = subprocess.Popen([sys.executable, SERVER_PY, "--mode", "starttls", "--port", "0",
                                 "--store", str(tmp_path / "store"), "--ready-file", str(ready), *extra],
                                stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                info = json.loads(ready.read_text())
                break
            except (ValueError, FileNotFoundError):
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "stderr.txt").read_text()
                time.sleep(0.02)
        yield proc, ready, info
    finally:
        proc.kill()
        proc.communicate()  # reaps it and closes the pipe


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_ready_file_and_signal_stop(tmp_path, sig):
    with cli_server(tmp_path) as (proc, ready, info):
        assert set(info) >= {"host", "port", "ca_path", "store", "sessions_path", "pid", "mode"}
        assert info["pid"] == proc.pid and info["port"] > 0 and os.path.isfile(info["ca_path"])
        assert json.loads(proc.stdout.readline()) == info
        with smtplib.SMTP(info["host"], info["port"], timeout=5) as c:
            c.starttls(context=ssl.create_default_context(cafile=info["ca_path"]))
            c.sendmail("a@example.org", ["b@example.org"], MSG)
        assert len(S.read_messages(info["store"])) == 1
        proc.send_signal(sig)
        assert proc.wait(10) == 0
        assert not ready.exists()


def test_cli_max_seconds_safety_net(tmp_path):
    with cli_server(tmp_path, "--max-seconds", "0.5") as (proc, _ready, _info):
        assert proc.wait(10) == 0


def test_cli_exits_with_parent(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    with cli_server(tmp_path, "--parent-pid", str(parent.pid)) as (proc, _ready, _info):
        parent.kill()
        parent.wait()
        assert proc.wait(10) == 0


def test_ca_is_reused_from_ca_dir(smtp_server, tmp_path):
    a = smtp_server("tls", ca_dir=str(tmp_path / "ca"))
    b = smtp_server("starttls", ca_dir=str(tmp_path / "ca"))
    assert a.ca_path == b.ca_path
    send_simple(a)
    send_simple(b)  # both verify against the one CA file


def test_config_round_trips_through_argv(tmp_path):
    cfg = S.config_from_kwargs("tls", str(tmp_path), drop_at=["rcpt", "dot"], delay_ms_at={"ehlo": 5},
                               auth_user="u", auth_password="p", auth_require_tls=False, smtputf8=False,
                               reject_data=554, cert="expired", eightbitmime=False, max_rcpt=3)
    back = S.parse_args(S.config_to_argv(cfg)).validate()
    assert back == cfg


# --- scripted replies, mid-DATA drops, self-signed certificates ---------------------------------


@pytest.mark.parametrize("phase, code, exc_type", [
    ("connect", 421, smtplib.SMTPConnectError), ("rcpt", 451, smtplib.SMTPRecipientsRefused),
    ("rcpt", 452, smtplib.SMTPRecipientsRefused), ("data", 554, smtplib.SMTPDataError),
    ("dot", 451, smtplib.SMTPDataError), ("mail", 421, smtplib.SMTPSenderRefused),
])
def test_reply_at_answers_with_the_code_first_n_times(smtp_server, phase, code, exc_type):
    srv = smtp_server("plain", reply_at={phase: [code, 1]})
    with pytest.raises(exc_type) as exc:
        send_simple(srv)
    got = exc.value.recipients["b@example.org"][0] if exc_type is smtplib.SMTPRecipientsRefused else exc.value.smtp_code
    assert got == code
    assert srv.messages() == []
    assert send_simple(srv) == {}  # the second time the phase is handled normally
    assert len(srv.messages()) == 1
    first = srv.wait_sessions_closed()[0]
    assert {"kind": "reply", "phase": phase, "code": code} in first["faults"]
    if code == 421:
        assert first["closed"] and first["dropped"], first  # 421 closes the connection


def test_reply_at_without_count_answers_every_time(smtp_server):
    srv = smtp_server("plain", reply_at=["rcpt:452"])
    for _attempt in range(2):
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send_simple(srv)
    assert srv.messages() == []


# A small body can sit whole in the kernel's buffers before the drop, so the client may only see
# the missing reply (no ConnectionError behind it); a 4 MiB body cannot: its write must fail.
@pytest.mark.parametrize("size, cause", [(200, None), (4 * 1024 * 1024, ConnectionError)])
def test_drop_at_body_breaks_the_data_transfer(smtp_server, size, cause):
    srv = smtp_server("plain", drop_at="body")
    with pytest.raises(smtplib.SMTPServerDisconnected) as exc:
        send_simple(srv, msg=MSG + b"x" * size + b"\r\n")
    if cause is not None:
        assert isinstance(exc.value.__context__, cause), repr(exc.value.__context__)
    assert srv.messages() == []
    [s] = srv.wait_sessions_closed()
    assert s["verbs"][-1] == "DATA" and s["replies"][-1].startswith("354")
    assert {"kind": "drop", "phase": "body"} in s["faults"]


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_self_signed_certificate_fails_verification(smtp_server, mode):
    srv = smtp_server(mode, cert="self-signed")
    with pytest.raises(ssl.SSLCertVerificationError) as exc:
        with connect(srv) as c:
            c.starttls(context=client_ctx(srv))
    assert "self-signed certificate" in exc.value.verify_message
    with smtplib.SMTP_SSL(srv.host, srv.port, timeout=5, context=ssl._create_unverified_context()) if mode == "tls" \
            else smtplib.SMTP(srv.host, srv.port, timeout=5) as c:
        if mode == "starttls":
            c.starttls(context=ssl._create_unverified_context())
        cert = c.sock.getpeercert(binary_form=True)
    from cryptography import x509
    parsed = x509.load_der_x509_certificate(cert)
    assert parsed.issuer == parsed.subject  # really self-signed, for the right names
    assert "localhost" in str(parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)


def test_reply_at_and_body_options_are_validated(tmp_path):
    for bad in ({"reply_at": ["rcpt:250"]}, {"reply_at": {"nowhere": 451}}, {"delay_ms_at": {"body": 5}},
                {"reply_at": {"body": 451}}):
        with pytest.raises(ValueError):
            S.config_from_kwargs("plain", str(tmp_path), **bad)
    cfg = S.config_from_kwargs("plain", str(tmp_path), reply_at=["connect:421:2", "dot:451"], drop_at=["body"])
    assert S.parse_args(S.config_to_argv(cfg) + ["--store", str(tmp_path)]).reply_at == ["connect:421:2", "dot:451:0"]


def test_drop_at_queued_stores_the_message_but_never_says_so(smtp_server):
    srv = smtp_server("plain", drop_at="queued")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_simple(srv)
    assert len(srv.messages()) == 1  # delivered, though the client saw a failure
    [s] = srv.wait_sessions_closed()
    assert {"kind": "drop", "phase": "queued"} in s["faults"] and not any(r.startswith("250 2.0.0") for r in s["replies"])
