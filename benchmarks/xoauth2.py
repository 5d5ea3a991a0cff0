# -*- coding: utf-8 -*-
"""What XOAUTH2 costs per send, against a password login measured in the same run (issue 7).

One in-process send (the core that the action plugin runs on the controller) over STARTTLS to
one loopback server (tests/support/smtp_server.py), each way:

  password        AUTH PLAIN/LOGIN with username and password (the baseline)
  token           XOAUTH2 with oauth2_token given
  refresh grant   XOAUTH2, the token fetched first from the loopback HTTPS token endpoint
                  (tests/support/token_server.py): one more TLS handshake and HTTP round trip

Every figure is a median over --repeat sends and a ratio against the baseline; absolute
times on these shared machines mean little.

Usage: python benchmarks/xoauth2.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from _common import collections_path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--smoke", action="store_true", help="3 rounds only: does it run (make test)")
    args = parser.parse_args()
    if args.smoke:
        args.repeat = 3
    collections_path()
    import smtp_server  # pylint: disable=import-outside-toplevel
    import token_server  # pylint: disable=import-outside-toplevel
    from ansible_collections.flint.smtp.plugins.module_utils._send import run  # pylint: disable=import-outside-toplevel

    store = tempfile.mkdtemp(prefix="flint-bench-xoauth2-")
    endpoint = token_server.TokenEndpoint("cid", "c-secret", "r-token", "s", "AT-R", "AT-C")
    with smtp_server.running_server("starttls", store=store, auth_user="u@example.com", auth_password="pw",
                                    xoauth2_token=["AT-R", "AT-G"], max_seconds=600) as srv, \
            token_server.running_token_server(endpoint, os.path.join(store, "token"), ca_dir=store) as tok:
        base = {"target": "127.0.0.1:%d" % srv.port, "ca_path": srv.ca_path, "from": "u@example.com",
                "to": ["r@example.net"], "subject": "bench", "body": "x" * 2000, "ehlo_name": "bench.example.com"}
        cases = {
            "password": dict(base, username="u@example.com", password="pw"),
            "token": dict(base, username="u@example.com", oauth2_token="AT-G"),
            "refresh grant": dict(base, username="u@example.com", oauth2_token_url=tok.url(), oauth2_client_id="cid",
                                  oauth2_client_secret="c-secret", oauth2_refresh_token="r-token",
                                  oauth2_ca_path=tok.ca_path),
        }
        times = {name: [] for name in cases}
        for _round in range(args.repeat):
            for name, params in cases.items():  # interleaved: a load spike hits every case alike
                start = time.perf_counter()
                result = run(params, send_from="controller")
                times[name].append(time.perf_counter() - start)
                assert not result.get("failed"), result["msg"]
        baseline = statistics.median(times["password"])
        print("XOAUTH2 cost per send, median of %d, STARTTLS on loopback" % args.repeat)
        for name, values in times.items():
            median = statistics.median(values)
            print("  %-14s %7.1f ms   x%.2f of password" % (name, median * 1000, median / baseline))
        print("  token requests seen by the endpoint: %d (one per refresh-grant send)" % len(tok.requests))


if __name__ == "__main__":
    main()
