# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An OAuth 2.0 token endpoint over HTTPS on loopback, for the XOAUTH2 tests. Test-only.

It checks the exact form it receives (RFC 6749 sections 4.4 and 6, client_secret_post) and
answers as Microsoft's and Google's endpoints do: a token, or an OAuth error. The path picks
the behaviour, so one server covers every case::

    /token      grant_type=refresh_token  with client_id, client_secret, refresh_token -> refresh access token
                grant_type=client_credentials with client_id, client_secret, scope     -> client access token
                anything else -> 400/401 with the RFC 6749 error a real endpoint would send
    /refuse     400 invalid_grant (an expired refresh token), whatever the form
    /html       200 text/html (a proxy's login page)
    /error500   500 text/plain
    /no-token   200 JSON without access_token
    /redirect   302 to /token
    /slow       /token after ``slow_seconds``

The certificate comes from smtp_server.make_tls_context, so it shares the SMTP servers' test CA.
Each request is recorded (path, content type, the form's field names and whether the form was
exactly right) but no secret is kept.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, Optional
from urllib.parse import parse_qsl

import smtp_server

EXPIRED = ("AADSTS700082: The refresh token has expired due to inactivity. Trace ID: 00000000-0000-0000-0000-"
           "000000000000 Correlation ID: 00000000-0000-0000-0000-000000000000")


class TokenEndpoint(object):
    """What the endpoint accepts and what it has seen."""

    def __init__(self, client_id: str, client_secret: str, refresh_token: str, scope: str,
                 refresh_access_token: str, client_access_token: str, slow_seconds: float = 3.0):
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.scope = scope
        self.tokens = {"refresh_token": refresh_access_token, "client_credentials": client_access_token}
        self.slow_seconds = slow_seconds
        self.requests: List[dict] = []
        self.tls_failures = 0
        self.lock = threading.Lock()

    def expected_form(self, grant: str) -> List[tuple]:
        """The exact fields, in order, that flint.smtp must send for ``grant``."""
        last = ("refresh_token", self.refresh_token) if grant == "refresh_token" else ("scope", self.scope)
        return [("grant_type", grant), ("client_id", self.client_id), ("client_secret", self.client_secret), last]

    def answer(self, path: str, ctype: str, body: bytes) -> tuple:
        """(status, content type, body bytes, extra headers) for one POST."""
        form = parse_qsl(body.decode("ascii", "replace"), keep_blank_values=True)
        fields = dict(form)
        grant = fields.get("grant_type", "")
        exact = ctype == "application/x-www-form-urlencoded" and form == self.expected_form(grant)
        with self.lock:
            self.requests.append({"path": path, "content_type": ctype, "fields": [k for k, _v in form],
                                  "grant_type": grant, "exact": exact})
        if path == "/refuse":
            return _oauth_error(400, "invalid_grant", EXPIRED)
        if path == "/html":
            return 200, "text/html", b"<html><body>Sign in to continue</body></html>", {}
        if path == "/error500":
            return 500, "text/plain", b"upstream failure", {}
        if path == "/no-token":
            return _json(200, {"token_type": "Bearer", "expires_in": 3599})
        if path == "/redirect":
            return 302, "text/plain", b"", {"Location": "/token"}
        if path == "/slow":
            time.sleep(self.slow_seconds)
        elif path != "/token":
            return 404, "text/plain", b"not found", {}
        if grant not in self.tokens:
            return _oauth_error(400, "unsupported_grant_type", "grant_type %r is not supported" % grant)
        if fields.get("client_id") != self.client_id or fields.get("client_secret") != self.client_secret:
            return _oauth_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if grant == "refresh_token" and fields.get("refresh_token") != self.refresh_token:
            return _oauth_error(400, "invalid_grant", EXPIRED)
        if grant == "client_credentials" and fields.get("scope") != self.scope:
            return _oauth_error(400, "invalid_scope", "AADSTS70011: The provided value for scope is not valid.")
        if not exact:  # right values, but an extra, missing or reordered field
            return _oauth_error(400, "invalid_request", "unexpected form fields %s" % [k for k, _v in form])
        return _json(200, {"access_token": self.tokens[grant], "token_type": "Bearer", "expires_in": 3599})


def _json(status: int, value: dict) -> tuple:
    return status, "application/json; charset=utf-8", json.dumps(value).encode(), {}


def _oauth_error(status: int, error: str, description: str) -> tuple:
    return _json(status, {"error": error, "error_description": description})


class _Handler(BaseHTTPRequestHandler):
    server_version = "flint-token-test"

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        status, reply_type, data, headers = self.server.endpoint.answer(self.path, ctype, body)
        self.send_response(status)
        self.send_header("Content-Type", reply_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # the recorded requests say more, and never the form's values


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, context: ssl.SSLContext, endpoint: TokenEndpoint):
        super().__init__(address, _Handler)
        self.context = context
        self.endpoint = endpoint

    def finish_request(self, request, client_address):
        # Handshake in the connection's own thread, so one stalled client blocks nobody.
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            with self.endpoint.lock:
                self.endpoint.tls_failures += 1  # the client refused our certificate: expected in tests
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        # A client that gave up (the timeout test) closes before our reply: not a server bug.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class RunningTokenServer(object):
    def __init__(self, server: _TLSServer, ca_path: str):
        self.host, self.port = server.server_address[:2]
        self.ca_path = ca_path
        self.endpoint = server.endpoint

    def url(self, path: str = "/token", host: Optional[str] = None) -> str:
        return "https://%s:%d%s" % (host or self.host, self.port, path)

    @property
    def requests(self) -> List[dict]:
        with self.endpoint.lock:
            return list(self.endpoint.requests)


@contextlib.contextmanager
def running_token_server(endpoint: TokenEndpoint, store: str, ca_dir: Optional[str] = None,
                         cert: str = "good") -> Iterator[RunningTokenServer]:
    """Serve ``endpoint`` on 127.0.0.1 (free port) in a thread, with a certificate from the test CA."""
    cfg = smtp_server.ServerConfig(mode="tls", store=store, ca_dir=ca_dir, cert=cert).validate()
    context, ca_path = smtp_server.make_tls_context(cfg)
    server = _TLSServer(("127.0.0.1", 0), context, endpoint)
    thread = threading.Thread(target=server.serve_forever, name="token-server-%s" % cert, daemon=True)
    thread.start()
    try:
        yield RunningTokenServer(server, ca_path)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def forms_seen(server: RunningTokenServer) -> Dict[str, int]:
    """How many exact forms of each grant the endpoint got."""
    counts: Dict[str, int] = {}
    for request in server.requests:
        if request["exact"]:
            counts[request["grant_type"]] = counts.get(request["grant_type"], 0) + 1
    return counts
