# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A controllable SMTP server on loopback, for flint.smtp's integration tests and demo.

Test-only code (needs aiosmtpd and trustme). Use it as a library::

    with running_server("starttls", store=tmp, reject_rcpt="^bad@") as srv:
        ...  # send to srv.host:srv.port, trusting srv.ca_path
        assert srv.messages()[0]["rcpt_tos"] == [...]

or as a CLI::

    python tests/support/smtp_server.py --mode tls --port 0 --store DIR --ready-file F

Every accepted message is stored as ``<id>.eml`` + ``<id>.json`` in the store; every SMTP
command, reply and fault is appended to ``<store>/sessions.jsonl`` so tests can assert on what
the server really saw.  AUTH payloads are never logged: only the mechanism.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import datetime
import email
import email.message
import email.policy
import ipaddress
import json
import logging
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from typing import Any, Callable, Dict, Iterator, List, Optional

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword, TLSSetupException

from sasl_xoauth2 import XOAUTH2_ERROR_STATUS, check_xoauth2, token_index

MODES = ("plain", "starttls", "tls")
CERTS = ("good", "wrong-host", "untrusted", "expired", "self-signed")
# Fault phases: "connect" is before the 220 greeting, "dot" after the message body (before the
# final reply), "body" right after the 354 reply (drop only: the client is mid-DATA), "queued"
# after the message was stored, before the 250 (drop only: accepted, but the client never hears
# it); the others are SMTP verbs (HELO counts as "ehlo").
PHASES = ("connect", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "body", "dot", "queued", "rset", "noop",
          "quit")
DROP_ONLY = ("body", "queued")
# Texts for --reply-at codes; 421 also closes the connection, as RFC 5321 says it does.
REPLY_TEXTS = {
    421: "4.3.2 Service not available, closing transmission channel (test fault)",
    450: "4.2.0 Mailbox unavailable, try again later (test fault)",
    451: "4.3.0 Local error in processing, try again later (test fault)",
    452: "4.3.1 Insufficient system storage (test fault)",
    454: "4.7.0 Temporary authentication failure (test fault)",
    535: "5.7.8 Authentication credentials invalid (test fault)",
    550: "5.7.1 Rejected (test fault)",
    554: "5.3.0 Transaction failed (test fault)",
}
GOOD_NAMES = ("localhost", "127.0.0.1", "::1")
WRONG_NAME = "wrong.example"
SESSIONS_FILE = "sessions.jsonl"


@dataclasses.dataclass
class ServerConfig:
    """Everything the server can be told; CLI flags are these names with dashes."""

    mode: str = "starttls"
    host: str = "127.0.0.1"
    port: int = 0
    store: str = ""
    ready_file: Optional[str] = None
    ca_dir: Optional[str] = None  # default: the store
    cert: str = "good"
    banner_host: str = "localhost"
    auth_user: Optional[str] = None
    auth_password: Optional[str] = None
    auth_require_tls: bool = True
    xoauth2_token: List[str] = dataclasses.field(default_factory=list)  # tokens AUTH XOAUTH2 takes for auth_user
    password_auth_reply: Optional[str] = None  # answer every PLAIN/LOGIN with this ("basic auth is off")
    require_auth: bool = False
    require_starttls: bool = False
    refuse_starttls: bool = False
    smtputf8: bool = True
    eightbitmime: bool = True  # False: EHLO does not offer 8BITMIME (a 7-bit-only relay)
    pipelining: bool = True  # advertise PIPELINING (RFC 2920), as Postfix and Exchange do; aiosmtpd reads line by line
    max_rcpt: Optional[int] = None  # RCPT beyond this many in one transaction: 452 4.5.3
    dsn: bool = False  # advertise DSN (RFC 3461) and accept RET/ENVID on MAIL, NOTIFY/ORCPT on RCPT
    max_message_size: int = 33554432  # aiosmtpd's default; 0 = no limit, no SIZE advertised
    reject_mail: Optional[str] = None
    reject_rcpt: Optional[str] = None
    tempfail_rcpt: Optional[str] = None
    reject_data: Optional[int] = None
    drop_at: List[str] = dataclasses.field(default_factory=list)
    drop_after: Optional[int] = None
    delay_ms_at: Dict[str, int] = dataclasses.field(default_factory=dict)
    # phase -> [code, n]: answer the first n occurrences of phase (server-wide, across
    # connections; n = 0: every one) with code instead of handling them. See parse_replies().
    reply_at: Dict[str, List[int]] = dataclasses.field(default_factory=dict)
    max_seconds: float = 600.0
    parent_pid: Optional[int] = None

    def validate(self) -> "ServerConfig":
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")
        if self.cert not in CERTS:
            raise ValueError(f"cert must be one of {CERTS}, not {self.cert!r}")
        if self.host == "localhost":
            # Binding "localhost" may give two sockets (127.0.0.1 and ::1) on different ports.
            self.host = "127.0.0.1"
        if not _is_loopback(self.host):
            # This server is for tests on this machine only; refuse to listen anywhere else.
            raise ValueError(f"host must be a loopback address, not {self.host!r}")
        if not self.store:
            raise ValueError("store is required")
        if (self.auth_user is None) != (self.auth_password is None):
            raise ValueError("auth_user and auth_password go together")
        if isinstance(self.xoauth2_token, str):
            self.xoauth2_token = [self.xoauth2_token]
        if self.xoauth2_token and self.auth_user is None:
            raise ValueError("xoauth2_token needs auth_user (the XOAUTH2 user)")
        if self.require_auth and self.auth_user is None:
            raise ValueError("require_auth needs auth_user/auth_password")
        if self.reject_data is not None and not 400 <= int(self.reject_data) <= 599:
            raise ValueError("reject_data must be a 4xx or 5xx code")
        if isinstance(self.drop_at, str):
            self.drop_at = [self.drop_at]
        self.delay_ms_at = _parse_delays(self.delay_ms_at)
        self.reply_at = parse_replies(self.reply_at)
        if set(DROP_ONLY) & (set(self.delay_ms_at) | set(self.reply_at)):
            raise ValueError(f"phases {DROP_ONLY} only support drop_at")
        for phase in list(self.drop_at) + list(self.delay_ms_at) + list(self.reply_at):
            if phase not in PHASES:
                raise ValueError(f"unknown phase {phase!r}; one of {PHASES}")
        for rx in (self.reject_mail, self.reject_rcpt, self.tempfail_rcpt):
            if rx is not None:
                re.compile(rx)
        return self


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse_delays(value: Any) -> Dict[str, int]:
    """Accept {"ehlo": 2000}, ["ehlo:2000", ...] or "ehlo:2000"."""
    if isinstance(value, dict):
        return {str(k): int(v) for k, v in value.items()}
    if isinstance(value, str):
        value = [value]
    out = {}
    for item in value or []:
        phase, _sep, ms = str(item).partition(":")
        out[phase] = int(ms)
    return out


def parse_replies(value: Any) -> Dict[str, List[int]]:
    """Accept {"rcpt": 451}, {"rcpt": [451, 1]}, ["rcpt:451:1", ...] or "connect:421"."""
    items = value.items() if isinstance(value, dict) else [
        (str(v).split(":", 1)[0], str(v).split(":")[1:]) for v in ([value] if isinstance(value, str) else value or [])]
    out = {}
    for phase, spec in items:
        spec = [spec] if isinstance(spec, (int, str)) else list(spec)
        code, first = int(spec[0]), int(spec[1]) if len(spec) > 1 else 0
        if not 400 <= code <= 599 or first < 0:
            raise ValueError(f"reply_at {phase}: code must be 4xx/5xx and the count >= 0")
        out[str(phase)] = [code, first]
    return out


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")


def _write_atomic(path: str, data: bytes) -> None:
    # Readers poll for these files: they must never see a half-written one.
    tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# TLS material


def make_tls_context(cfg: ServerConfig) -> tuple:
    """Return (server SSLContext, path of the CA PEM that clients should trust)."""
    import trustme  # only needed with TLS; imported late to keep plain mode light

    ca_dir = cfg.ca_dir or cfg.store
    os.makedirs(ca_dir, exist_ok=True)
    ca_pem, ca_key = os.path.join(ca_dir, "ca.pem"), os.path.join(ca_dir, "ca-key.pem")
    if os.path.exists(ca_pem) and os.path.exists(ca_key):
        # Reuse: lets a demo or several servers share one CA file that clients trust.
        with open(ca_pem, "rb") as c, open(ca_key, "rb") as k:
            ca = trustme.CA.from_pem(c.read(), k.read())
    else:
        ca = trustme.CA(organization_name="flint.smtp test CA")
        _write_atomic(ca_key, ca.private_key_pem.bytes())
        _write_atomic(ca_pem, ca.cert_pem.bytes())

    names = list(GOOD_NAMES) + ([cfg.host] if cfg.host not in GOOD_NAMES else [])
    if cfg.cert == "good":
        leaf = ca.issue_cert(*names)
    elif cfg.cert == "wrong-host":
        leaf = ca.issue_cert(WRONG_NAME)
    elif cfg.cert == "untrusted":
        leaf = trustme.CA(organization_name="untrusted test CA").issue_cert(*names)
    elif cfg.cert == "self-signed":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*_self_signed(names, cfg.store))
        return ctx, ca_pem
    else:  # expired
        day = datetime.timedelta(days=1)
        now = datetime.datetime.now(datetime.timezone.utc)
        leaf = ca.issue_cert(*names, not_before=now - 3 * day, not_after=now - day)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(ctx)
    return ctx, ca_pem


def _self_signed(names: List[str], store: str) -> tuple:
    """(cert path, key path) of a certificate that signs itself, for the right names."""
    from cryptography import x509  # trustme's own dependency
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    sans = [x509.IPAddress(ipaddress.ip_address(n)) if _is_loopback(n) else x509.DNSName(n) for n in names]
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False).sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(store, "self-signed.pem"), os.path.join(store, "self-signed-key.pem")
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    _write_atomic(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    return cert_path, key_path


# ---------------------------------------------------------------------------------------------
# The server


class _Recorder:
    """Server-wide state shared by all connections: config, store, session log."""

    def __init__(self, cfg: ServerConfig, port: int):
        self.cfg = cfg
        self.port = port
        self.sessions_path = os.path.join(cfg.store, SESSIONS_FILE)
        self.connections: set = set()
        self._n_sessions = 0
        self._n_messages = 0
        self._rx = {k: re.compile(getattr(cfg, k)) for k in ("reject_mail", "reject_rcpt", "tempfail_rcpt")
                    if getattr(cfg, k) is not None}
        self._replied: Dict[str, int] = {}

    def scripted(self, phase: str) -> Optional[str]:
        """The --reply-at line for this occurrence of phase, or None to handle it normally."""
        if phase not in self.cfg.reply_at:
            return None
        code, first = self.cfg.reply_at[phase]
        self._replied[phase] = self._replied.get(phase, 0) + 1
        if first and self._replied[phase] > first:
            return None
        return f"{code} {REPLY_TEXTS.get(code, f'{code // 100}.0.0 Test fault')}"

    def new_session_id(self) -> str:
        self._n_sessions += 1
        return f"{self.port}-{self._n_sessions:04d}"

    def log(self, sid: str, event: str, **fields: Any) -> None:
        line = json.dumps({"session": sid, "event": event, "t": _now(), **fields}) + "\n"
        # One write() per line on an O_APPEND file: lines from several servers never interleave.
        fd = os.open(self.sessions_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    def matches(self, which: str, address: str) -> bool:
        rx = self._rx.get(which)
        return bool(rx and rx.search(address))

    # aiosmtpd hooks (handle_*) -------------------------------------------------------------

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # the 5-argument hook must set this itself
        if self.cfg.auth_user is None:
            # No accounts configured: do not advertise AUTH at all, like a relay without auth.
            responses = [r for r in responses if not r[4:].startswith("AUTH")]
        if not self.cfg.eightbitmime:
            responses = [r for r in responses if r[4:].upper() != "8BITMIME"]
        if self.cfg.dsn:
            responses = responses[:-1] + ["250-DSN"] + responses[-1:]
        if self.cfg.pipelining:
            responses = responses[:-1] + ["250-PIPELINING"] + responses[-1:]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.matches("reject_mail", address):
            return f"550 5.7.1 <{address}>: Sender address rejected"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.matches("reject_rcpt", address):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.matches("tempfail_rcpt", address):
            return f"450 4.2.0 <{address}>: Recipient address temporarily unavailable"
        if self.cfg.max_rcpt is not None and len(envelope.rcpt_tos) >= self.cfg.max_rcpt:
            # RFC 5321 4.5.3.1.10: the client is to send the rest in a later transaction.
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not await server.fault_point("dot"):
            return "421 dropped"  # never sent: the connection is already closed
        scripted = self.scripted("dot")
        if scripted:
            self.log(server.sid, "fault", kind="reply", phase="dot", code=int(scripted[:3]))
            return scripted
        code = self.cfg.reject_data
        if code is not None:
            if code >= 500:
                return f"{code} 5.6.0 Message rejected by test server"
            return f"{code} 4.3.0 Message temporarily rejected by test server"
        msg = self.store_message(server, session, envelope)
        if "queued" in self.cfg.drop_at:
            server.drop("queued")  # the worst case for a client: it cannot know the mail went
            return "421 dropped"
        return f"250 2.0.0 OK queued as {msg['id']}"

    def store_message(self, server, session, envelope) -> dict:
        self._n_messages += 1
        now = datetime.datetime.now(datetime.timezone.utc)
        mid = f"msg-{now:%Y%m%dT%H%M%S%f}-{self.port}-{self._n_messages:04d}"
        eml = os.path.abspath(os.path.join(self.cfg.store, mid + ".eml"))
        _write_atomic(eml, envelope.original_content)
        auth = session.auth_data if session.authenticated else None
        meta = {
            "id": mid,
            "session": server.sid,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options),
            "rcpt_options": list(envelope.rcpt_options),
            "data_path": eml,
            "size": len(envelope.original_content),
            "tls": server.tls_version() is not None,
            "tls_version": server.tls_version(),
            "auth_user": auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else None,
            "auth_mechanism": getattr(session, "flint_auth_mechanism", None) if auth else None,
            "peer": list(server.peer[:2]),
            "helo": session.host_name,
            "esmtp": bool(session.extended_smtp),
            "smtputf8": bool(envelope.smtp_utf8),
            "received_at": now.isoformat(timespec="microseconds"),
            "mode": self.cfg.mode,
            "port": self.port,
        }
        # JSON last: a test that sees the JSON can rely on the .eml being complete.
        _write_atomic(eml[: -len(".eml")] + ".json", json.dumps(meta, indent=1).encode())
        self.log(server.sid, "message", id=mid)
        return meta

    async def auth_XOAUTH2(self, server, args):
        """AUTH XOAUTH2 as Google and Microsoft run it; only the exact SASL string passes."""
        if len(args) == 2:
            blob = args[1].encode()  # the initial response, still base64: check_xoauth2 decodes
        else:
            blob = await server.challenge_auth("", encode_to_b64=False)
            if blob is MISSING:
                return AuthResult(success=False)
            blob = base64.b64encode(blob)
        verdict = check_xoauth2(blob, self.cfg.auth_user, self.cfg.xoauth2_token)
        ok = verdict == "ok"
        self.log(server.sid, "auth", mechanism="XOAUTH2", success=ok, sasl=verdict,
                 **({"user": self.cfg.auth_user,
                     "token_index": token_index(blob, self.cfg.auth_user, self.cfg.xoauth2_token)} if ok else {}))
        if ok:
            server.session.flint_auth_mechanism = "XOAUTH2"
            return AuthResult(success=True, auth_data=LoginPassword(self.cfg.auth_user.encode(), b""))
        # Google's failure: a base64 JSON status as a 334 challenge, an empty client line, then 535.
        await server.challenge_auth(XOAUTH2_ERROR_STATUS)
        return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if self.cfg.password_auth_reply:
            self.log(server.sid, "auth", mechanism=mechanism, success=False)
            return AuthResult(success=False, handled=False, message=self.cfg.password_auth_reply)
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.cfg.auth_user.encode()
              and auth_data.password == self.cfg.auth_password.encode())
        # Log the outcome and mechanism; the user name only on success (a failed "user" may be
        # a mistyped password), never the password.
        self.log(server.sid, "auth", mechanism=mechanism, success=ok,
                 **({"user": self.cfg.auth_user} if ok else {}))
        if ok:
            session.flint_auth_mechanism = mechanism
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)  # -> 535 5.7.8 ... credentials invalid


class _TestSMTP(SMTP):
    """aiosmtpd's SMTP with a command log and fault injection around every command."""

    def __init__(self, rec: _Recorder, tls_context: Optional[ssl.SSLContext]):
        cfg = rec.cfg
        with warnings.catch_warnings():
            # "Requiring AUTH while not requiring TLS": deliberate here (tls mode, or a test of
            # client-side policy); as a warning it would break tests run with -W error.
            warnings.simplefilter("ignore", UserWarning)
            super().__init__(
                rec,
                hostname=cfg.banner_host,  # avoids socket.getfqdn(), which may hang on DNS
                ident="flint.smtp test server",
                enable_SMTPUTF8=cfg.smtputf8,
                data_size_limit=cfg.max_message_size or None,
                tls_context=tls_context if cfg.mode == "starttls" else None,
                # require_starttls is enforced in _wrap() instead, so refused commands are logged.
                # aiosmtpd only knows about STARTTLS; with implicit TLS every byte is encrypted.
                auth_require_tls=cfg.auth_require_tls and cfg.mode != "tls",
                auth_required=cfg.require_auth,
                authenticator=rec.authenticate,
                auth_exclude_mechanism=[] if cfg.xoauth2_token else ["XOAUTH2"],
                loop=asyncio.get_running_loop(),
            )
        # RFC 4954 section 4: an AUTH line may be 12288 octets; Microsoft's OAuth2 tokens alone are 1-3 KB.
        # aiosmtpd also caps every line at its stream reader's limit (1001): connection_made raises
        # that one; DATA lines keep aiosmtpd's own separate 1001 check.
        self.command_size_limits["AUTH"] = 12288
        self.rec = rec
        self.sid = ""
        self.peer: tuple = ("", 0)
        self._n_commands = 0
        self._greeted = False
        self._dropped = False
        self._smtp_methods = {verb: self._wrap(verb, fn) for verb, fn in self._smtp_methods.items()}

    # connection bookkeeping --------------------------------------------------------------

    def connection_made(self, transport):
        upgrading = self._original_transport is not None  # set by smtp_STARTTLS before the handshake
        super().connection_made(transport)
        reader = getattr(self, "_reader", None)  # set by the super call
        if reader is not None:
            reader._limit = max(reader._limit, 12288 + 2)  # pylint: disable=protected-access
        if upgrading:  # second call: STARTTLS handshake done (aiosmtpd resets the session here)
            self.rec.log(self.sid, "tls", version=self.tls_version())
            return
        self.sid = self.rec.new_session_id()
        self.peer = tuple(transport.get_extra_info("peername") or ("", 0))
        self.rec.connections.add(self)
        self.rec.log(self.sid, "connect", peer=list(self.peer[:2]), tls_version=self.tls_version())

    def connection_lost(self, error):
        if self in self.rec.connections:
            self.rec.connections.discard(self)
            self.rec.log(self.sid, "disconnect", dropped=self._dropped)
        super().connection_lost(error)

    def eof_received(self):
        # The client closed its side (e.g. gave up waiting for a reply we are delaying): logged
        # as "eof", since the connection is only lost once the server side closes too.
        if self.sid:
            self.rec.log(self.sid, "eof")
        return super().eof_received()

    def tls_version(self) -> Optional[str]:
        obj = self.transport.get_extra_info("ssl_object") if self.transport else None
        return obj.version() if obj else None

    def close(self) -> None:
        t = self._original_transport or self.transport
        if t is not None:
            t.close()

    # faults ------------------------------------------------------------------------------

    async def fault_point(self, phase: str) -> bool:
        """Apply delay/drop for this phase; False means the connection was dropped."""
        cfg = self.rec.cfg
        delay = cfg.delay_ms_at.get(phase)
        if delay:
            self.rec.log(self.sid, "fault", kind="delay", phase=phase, ms=delay)
            await asyncio.sleep(delay / 1000)
        if phase in cfg.drop_at:
            self.drop(phase)
            return False
        return True

    def drop(self, phase: str) -> None:
        self.rec.log(self.sid, "fault", kind="drop", phase=phase)
        self._dropped = True
        self.close()

    async def push(self, status):
        if not self._greeted:  # the first push is the 220 greeting
            self._greeted = True
            if not await self.fault_point("connect"):
                return
            if await self.scripted_reply("connect"):
                return
        if self._dropped:
            return
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        self.rec.log(self.sid, "reply", line=text)
        await super().push(status)
        if text.startswith("354") and "body" in self.rec.cfg.drop_at:
            self.drop("body")  # the client is now sending the message: it must see a broken DATA

    async def scripted_reply(self, phase: str) -> bool:
        """Answer with the --reply-at code for phase instead of handling it; True if it did."""
        line = self.rec.scripted(phase)
        if line is None:
            return False
        self.rec.log(self.sid, "fault", kind="reply", phase=phase, code=int(line[:3]))
        self.rec.log(self.sid, "reply", line=line)
        await super().push(line)
        if line.startswith("421"):
            self._dropped = True
            self.close()
        return True

    def _wrap(self, verb: str, method: Callable) -> Callable:
        phase = "ehlo" if verb == "HELO" else verb.lower()

        async def command(arg):
            self._n_commands += 1
            # AUTH's argument may carry the credentials (initial response): keep the mechanism.
            logged = (arg or "").split()[0].upper() if verb == "AUTH" and arg else arg
            self.rec.log(self.sid, "command", verb=verb, arg=logged, tls=self.tls_version() is not None)
            cfg = self.rec.cfg
            if cfg.drop_after is not None and self._n_commands > cfg.drop_after:
                self.drop(f"after-{cfg.drop_after}")
                return
            if not await self.fault_point(phase):
                return
            if await self.scripted_reply(phase):
                return
            if (cfg.require_starttls and cfg.mode == "starttls" and self.tls_version() is None
                    and verb not in ("NOOP", "EHLO", "STARTTLS", "QUIT")):  # as aiosmtpd, RFC 3207 4
                await self.push("530 5.7.0 Must issue a STARTTLS command first")
                return
            if verb == "STARTTLS" and cfg.refuse_starttls:
                await self.push("454 4.7.0 TLS not available due to temporary reason")
                return
            if verb == "AUTH" and cfg.auth_user is None:
                await self.push("502 5.5.1 AUTH not supported")
                return
            await method(arg)

        return command

    def _getparams(self, params):
        # aiosmtpd refuses (555) every MAIL/RCPT parameter it does not know; with dsn the RFC 3461
        # ones pass and reach the hooks in mail_options/rcpt_options, which the message JSON keeps.
        result = super()._getparams(params)
        if result is not None and self.rec.cfg.dsn:
            for name in ("RET", "ENVID", "NOTIFY", "ORCPT"):
                result.pop(name, None)
        return result

    async def handle_exception(self, error):
        cause = error.__cause__ or error
        self.rec.log(self.sid, "error", error=type(cause).__name__, detail=str(cause)[:200])
        if isinstance(error, TLSSetupException):
            # The client rejected our certificate: expected in bad-cert tests, no traceback.
            return "421 4.7.0 TLS handshake failed"
        return await super().handle_exception(error)  # a real bug: aiosmtpd logs the traceback


async def serve(cfg: ServerConfig, on_ready: Optional[Callable] = None, install_signals: bool = False) -> None:
    """Run until stopped. on_ready(info, stop) is called once listening; stop() is thread-safe."""
    cfg.validate()
    mail_log = logging.getLogger("mail.log")
    if mail_log.level == logging.NOTSET:
        # aiosmtpd warns on every AUTH (its own deprecated login_data); our session log says more.
        mail_log.setLevel(logging.ERROR)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    os.makedirs(cfg.store, exist_ok=True)
    if cfg.ready_file and os.path.exists(cfg.ready_file):
        os.unlink(cfg.ready_file)  # a stale file would make waiters think we are up already
    tls_ctx, ca_path = make_tls_context(cfg) if cfg.mode != "plain" else (None, None)
    holder: Dict[str, _Recorder] = {}
    server = await loop.create_server(
        lambda: _TestSMTP(holder["rec"], tls_ctx), cfg.host, cfg.port,
        ssl=tls_ctx if cfg.mode == "tls" else None, ssl_handshake_timeout=10 if cfg.mode == "tls" else None,
        start_serving=False)  # accept only once the recorder below exists
    port = server.sockets[0].getsockname()[1]
    holder["rec"] = rec = _Recorder(cfg, port)
    await server.start_serving()
    info = {"host": cfg.host, "port": port, "ca_path": ca_path, "store": os.path.abspath(cfg.store),
            "sessions_path": os.path.abspath(rec.sessions_path), "mode": cfg.mode, "cert": cfg.cert,
            "pid": os.getpid()}
    if install_signals:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, stop.set)
    loop.call_later(cfg.max_seconds, stop.set)  # safety net: never outlive a hung test run
    watcher = loop.create_task(_watch_parent(cfg.parent_pid, stop)) if cfg.parent_pid else None
    try:
        if cfg.ready_file:
            _write_atomic(cfg.ready_file, json.dumps(info).encode())
        if on_ready:
            on_ready(info, lambda: _call_soon_threadsafe(loop, stop.set))
        await stop.wait()
    finally:
        server.close()
        for conn in list(rec.connections):
            conn.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 3)
        if watcher:
            watcher.cancel()
        if cfg.ready_file:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(cfg.ready_file)


def _call_soon_threadsafe(loop: asyncio.AbstractEventLoop, fn: Callable) -> None:
    # stop() may be called again after the loop has finished: that is fine, it is stopped.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(fn)


async def _watch_parent(pid: int, stop: asyncio.Event) -> None:
    # If the test run is killed hard, do not linger until max_seconds.
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            stop.set()
            return
        except PermissionError:
            pass
        await asyncio.sleep(0.5)


# ---------------------------------------------------------------------------------------------
# Library API


class ServerInfo:
    """A running server: where it listens and what it has received."""

    def __init__(self, info: dict, stop: Callable[[], None]):
        self.host: str = info["host"]
        self.port: int = info["port"]
        self.ca_path: Optional[str] = info["ca_path"]
        self.store: str = info["store"]
        self.mode: str = info["mode"]
        self.pid: int = info["pid"]
        self.info = info
        self.stop = stop

    def __repr__(self) -> str:
        return f"ServerInfo({self.mode} {self.host}:{self.port} store={self.store})"

    def messages(self) -> List[dict]:
        return read_messages(self.store)

    def emails(self) -> List[email.message.EmailMessage]:
        return [load_email(m) for m in self.messages()]

    def sessions(self) -> List[dict]:
        return read_sessions(self.store)

    def wait_until(self, predicate: Callable[["ServerInfo"], bool], timeout: float = 5.0) -> None:
        """Poll predicate(self); replies reach the client before e.g. the disconnect is logged."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(0.02)

    def wait_sessions_closed(self, timeout: float = 5.0) -> List[dict]:
        self.wait_until(lambda s: all(x["closed"] for x in s.sessions()), timeout)
        return self.sessions()


def read_messages(store: str) -> List[dict]:
    out = []
    for name in sorted(os.listdir(store)):
        if name.startswith("msg-") and name.endswith(".json"):
            with open(os.path.join(store, name), encoding="utf-8") as f:
                out.append(json.load(f))
    return out


def load_email(message: dict) -> email.message.EmailMessage:
    with open(message["data_path"], "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def read_sessions(store: str) -> List[dict]:
    """Group sessions.jsonl into one dict per connection, in connection order."""
    path = os.path.join(store, SESSIONS_FILE)
    sessions: Dict[str, dict] = {}
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break  # being written right now
            ev = json.loads(line)
            s = sessions.setdefault(ev["session"], {
                "id": ev["session"], "peer": None, "commands": [], "verbs": [], "replies": [],
                "tls_version": None, "auth": [], "faults": [], "errors": [], "messages": [], "closed": False,
                "dropped": False, "events": []})
            s["events"].append(ev)
            kind = ev["event"]
            if kind == "connect":
                s["peer"], s["tls_version"] = ev["peer"], ev["tls_version"]
            elif kind == "tls":
                s["tls_version"] = ev["version"]
            elif kind == "command":
                s["commands"].append({"verb": ev["verb"], "arg": ev["arg"], "tls": ev["tls"]})
                s["verbs"].append(ev["verb"])
            elif kind == "reply":
                s["replies"].append(ev["line"])
            elif kind == "auth":
                s["auth"].append({k: ev[k] for k in ("mechanism", "success", "user") if k in ev})
            elif kind == "fault":
                s["faults"].append({k: v for k, v in ev.items() if k not in ("session", "event", "t")})
            elif kind == "error":
                s["errors"].append({"error": ev["error"], "detail": ev["detail"]})
            elif kind == "message":
                s["messages"].append(ev["id"])
            elif kind == "disconnect":
                s["closed"], s["dropped"] = True, ev["dropped"]
    return list(sessions.values())


def config_from_kwargs(mode: str, store: str, **opts: Any) -> ServerConfig:
    names = {f.name for f in dataclasses.fields(ServerConfig)}
    unknown = set(opts) - names
    if unknown:
        raise TypeError(f"unknown server options: {sorted(unknown)}")
    return ServerConfig(mode=mode, store=str(store), **opts).validate()


def config_to_argv(cfg: ServerConfig) -> List[str]:
    """The CLI flags that rebuild cfg (used to start the server in a subprocess)."""
    argv = []
    defaults = ServerConfig()
    for f in dataclasses.fields(ServerConfig):
        value, flag = getattr(cfg, f.name), "--" + f.name.replace("_", "-")
        if value == getattr(defaults, f.name) or value is None:
            continue
        if isinstance(value, bool):
            argv.append(flag if value else "--no-" + f.name.replace("_", "-"))
        elif isinstance(value, list):
            for phase in value:
                argv += [flag, phase]
        elif f.name == "delay_ms_at":
            for phase, ms in value.items():
                argv += [flag, f"{phase}:{ms}"]
        elif f.name == "reply_at":
            for phase, (code, first) in value.items():
                argv += [flag, f"{phase}:{code}:{first}"]
        else:
            argv += [flag, str(value)]
    return argv


@contextlib.contextmanager
def running_server(mode: str = "starttls", store: Optional[str] = None, *, isolation: str = "process",
                   python: Optional[str] = None, start_timeout: float = 30.0, **opts: Any) -> Iterator[ServerInfo]:
    """Start a server, yield its ServerInfo, always stop it.

    isolation="process" (default) runs the CLI in a child process (robust when tests also run
    ansible-playbook; the child exits with us); "thread" runs it in a thread of this process.
    store=None uses a temporary directory that is removed afterwards.
    """
    own_store = store is None
    store = tempfile.mkdtemp(prefix="flint-smtp-") if own_store else str(store)
    try:
        if isolation == "thread":
            with _thread_server(config_from_kwargs(mode, store, **opts), start_timeout) as srv:
                yield srv
        elif isolation == "process":
            opts.setdefault("parent_pid", os.getpid())
            with _process_server(config_from_kwargs(mode, store, **opts), python, start_timeout) as srv:
                yield srv
        else:
            raise ValueError("isolation must be 'process' or 'thread'")
    finally:
        if own_store:
            shutil.rmtree(store, ignore_errors=True)


@contextlib.contextmanager
def _thread_server(cfg: ServerConfig, start_timeout: float) -> Iterator[ServerInfo]:
    ready = threading.Event()
    result: Dict[str, Any] = {}

    def on_ready(info, stop):
        result["srv"] = ServerInfo(info, stop)
        ready.set()

    def run():
        try:
            asyncio.run(serve(cfg, on_ready))
        except BaseException as exc:  # reported to the starting thread below
            result["error"] = exc
            ready.set()

    thread = threading.Thread(target=run, name=f"smtp-test-server-{cfg.mode}", daemon=True)
    thread.start()
    if not ready.wait(start_timeout) or "error" in result:
        raise RuntimeError(f"SMTP test server did not start: {result.get('error')!r}")
    srv = result["srv"]
    try:
        yield srv
    finally:
        srv.stop()
        thread.join(10)


@contextlib.contextmanager
def _process_server(cfg: ServerConfig, python: Optional[str], start_timeout: float) -> Iterator[ServerInfo]:
    os.makedirs(cfg.store, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    cfg.ready_file = os.path.join(cfg.store, f".ready-{tag}.json")
    log_path = os.path.join(cfg.store, f"server-{tag}.log")
    argv = [python or sys.executable, os.path.abspath(__file__)] + config_to_argv(cfg)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + start_timeout
        while not os.path.exists(cfg.ready_file):
            if proc.poll() is not None or time.monotonic() > deadline:
                with open(log_path, encoding="utf-8", errors="replace") as f:
                    tail = f.read()[-2000:]
                raise RuntimeError(f"SMTP test server did not start (exit {proc.poll()}):\n{tail}")
            time.sleep(0.01)
        with open(cfg.ready_file, encoding="utf-8") as f:
            info = json.load(f)
        yield ServerInfo(info, lambda: proc.send_signal(signal.SIGTERM) if proc.poll() is None else None)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------------------------------------------
# CLI


def parse_args(argv: Optional[List[str]] = None) -> ServerConfig:
    d = ServerConfig()
    p = argparse.ArgumentParser(description="Controllable SMTP test server (loopback only).")
    a = p.add_argument
    a("--mode", choices=MODES, default=d.mode, help="plain: no TLS; starttls: STARTTLS offered; tls: implicit TLS")
    a("--host", default=d.host, help="loopback address to listen on: 127.0.0.1 (default), ::1; localhost means 127.0.0.1")
    a("--port", type=int, default=d.port, help="0 picks a free port (see --ready-file)")
    a("--store", required=True, help="directory for messages, sessions.jsonl and the CA")
    a("--ready-file", help="written (atomically) as JSON once listening; removed on exit")
    a("--ca-dir", help="where ca.pem/ca-key.pem live; reused if present (default: --store)")
    a("--cert", choices=CERTS, default=d.cert, help="server certificate to present")
    a("--banner-host", default=d.banner_host, help="name in the 220 greeting and EHLO reply")
    a("--auth-user", help="the one account (AUTH PLAIN and LOGIN); without it AUTH is not offered")
    a("--auth-password", help="its password; a wrong one gets 535 5.7.8")
    a("--auth-require-tls", action=argparse.BooleanOptionalAction, default=d.auth_require_tls,
      help="refuse AUTH (538) and hide it from EHLO before STARTTLS")
    a("--xoauth2-token", action="append", default=[], metavar="TOKEN",
      help="offer AUTH XOAUTH2; this token (repeatable) is good for --auth-user, the exact SASL string only")
    a("--password-auth-reply", metavar="REPLY", help="answer every AUTH PLAIN/LOGIN with REPLY (e.g. 535 5.7.139 ...)")
    a("--require-auth", action="store_true", help="MAIL/RCPT/DATA without AUTH get 530")
    a("--require-starttls", action="store_true", help="commands other than EHLO/STARTTLS/QUIT get 530 before TLS")
    a("--refuse-starttls", action="store_true", help="advertise STARTTLS but answer it with 454")
    a("--smtputf8", action=argparse.BooleanOptionalAction, default=d.smtputf8, help="advertise SMTPUTF8")
    a("--eightbitmime", action=argparse.BooleanOptionalAction, default=d.eightbitmime, help="advertise 8BITMIME")
    a("--max-rcpt", type=int, metavar="N", help="answer RCPT TO beyond N in one transaction with 452 4.5.3")
    a("--pipelining", action=argparse.BooleanOptionalAction, default=d.pipelining, help="advertise PIPELINING")
    a("--dsn", action=argparse.BooleanOptionalAction, default=d.dsn, help="advertise DSN, accept its parameters")
    a("--max-message-size", type=int, default=d.max_message_size, help="bytes; 552 above it; 0 = no limit")
    a("--reject-mail", metavar="REGEX", help="MAIL FROM addresses matching (re.search) get 550 5.7.1")
    a("--reject-rcpt", metavar="REGEX", help="RCPT TO addresses matching get 550 5.1.1")
    a("--tempfail-rcpt", metavar="REGEX", help="RCPT TO addresses matching get 450 4.2.0")
    a("--reject-data", type=int, metavar="CODE", help="answer the end of DATA with CODE (4xx/5xx), store nothing")
    a("--drop-at", action="append", default=[], choices=PHASES, help="close the connection at this phase")
    a("--drop-after", type=int, metavar="N", help="close the connection when command N+1 arrives")
    a("--delay-ms-at", action="append", default=[], metavar="PHASE:MS", help="wait MS before answering PHASE")
    a("--reply-at", action="append", default=[], metavar="PHASE:CODE[:N]",
      help="answer PHASE with CODE (4xx/5xx) instead of handling it; only its first N times if N > 0")
    a("--max-seconds", type=float, default=d.max_seconds, help="exit after this long whatever happens")
    a("--parent-pid", type=int, help="exit when this process is gone")
    ns = p.parse_args(argv)
    return ServerConfig(**vars(ns))


def main(argv: Optional[List[str]] = None) -> int:
    try:
        cfg = parse_args(argv).validate()
    except ValueError as exc:
        print(f"smtp_server: {exc}", file=sys.stderr)
        return 2

    def announce(info, _stop):
        print(json.dumps(info), flush=True)  # one JSON line on stdout, same as the ready file

    try:
        asyncio.run(serve(cfg, announce, install_signals=True))
    except OSError as exc:  # e.g. port in use
        print(f"smtp_server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
