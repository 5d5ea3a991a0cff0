# -*- coding: utf-8 -*-
"""How much do flint.smtp's layers cost over bare smtplib? Ratios, not seconds.

Every number is measured in this run against a baseline measured in the same run, on one
loopback SMTP server (tests/support/smtp_server.py), because absolute times on a shared
machine mean little:

  core      plugins/module_utils/_send.run() (build, validate, send, shape) vs the same
            message built with the email package and sent with smtplib.send_message().
  paths     `ansible localhost -m flint.smtp.send` with send_from=controller vs
            send_from=target (AnsiballZ module on a local connection), whole command.

Usage: python benchmarks/send_paths.py [--smoke] [--rounds N] [--ansible-runs N]
Needs aiosmtpd/trustme (dev venv) and the collection on ANSIBLE_COLLECTIONS_PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage

from _common import collections_path  # noqa: E402  (benchmarks/ is the script's directory)


def _median_time(func, rounds):
    samples = []
    for _round in range(rounds):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_core(srv, rounds, attachment):
    from ansible_collections.flint.smtp.plugins.module_utils._argspec import ARGUMENT_SPEC
    from ansible_collections.flint.smtp.plugins.module_utils._send import run

    params = {name: spec.get("default") for name, spec in ARGUMENT_SPEC.items()}
    params.update({"target": srv.host, "port": srv.port, "security": "none", "from": "bench@example.com",
                   "to": ["a@example.com", "b@example.com"], "subject": "bench", "body": "x" * 2000,
                   "attachments": [attachment]})
    with open(attachment, "rb") as handle:
        blob = handle.read()

    def bare():
        # What a user writes by hand with the standard library: the fair baseline.
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "bench@example.com", "a@example.com, b@example.com", "bench"
        msg.set_content("x" * 2000)
        msg.add_attachment(blob, maintype="application", subtype="octet-stream", filename="report.bin")
        with smtplib.SMTP(srv.host, srv.port, local_hostname="bench", timeout=10) as smtp:
            smtp.send_message(msg)

    def core():
        result = run(params)
        assert result["rc"] == 0, result["msg"]

    bare()
    core()  # warm both (imports, first connection)
    return _median_time(bare, rounds), _median_time(core, rounds)


def bench_paths(srv, runs, env):
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")

    def adhoc(send_from):
        args = ("target=%s port=%d security=none from=bench@example.com to=a@example.com subject=bench "
                "send_from=%s" % (srv.host, srv.port, send_from))
        subprocess.run([ansible, "localhost", "-m", "flint.smtp.send", "-a", args], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    adhoc("controller")
    adhoc("target")
    return _median_time(lambda: adhoc("controller"), runs), _median_time(lambda: adhoc("target"), runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few rounds only: does it run, are ratios sane")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--ansible-runs", type=int, default=7)
    opts = parser.parse_args()
    rounds, runs = (10, 1) if opts.smoke else (opts.rounds, opts.ansible_runs)

    import smtp_server  # tests/support

    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    work = tempfile.mkdtemp(prefix="flint-bench-")
    try:
        attachment = os.path.join(work, "report.bin")
        with open(attachment, "wb") as handle:
            handle.write(os.urandom(64 * 1024))
        with smtp_server.running_server("plain", store=os.path.join(work, "store"), isolation="process") as srv:
            bare, core = bench_core(srv, rounds, attachment)
            controller, target = bench_paths(srv, runs, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("flint.smtp benchmark (%s; rounds=%d, ansible runs=%d)" % ("smoke" if opts.smoke else "full", rounds, runs))
    print("  core send vs bare smtplib+email    : %.2fx  (baseline = 1.00)" % (core / bare))
    print("  ad-hoc target path vs controller    : %.2fx  (controller = 1.00)" % (target / controller))
    ratio_ok = core / bare < 20 and target / controller > 0.5
    if not ratio_ok:
        print("  ratios out of the expected range")
    return 0 if ratio_ok else 1


if __name__ == "__main__":
    sys.exit(main())
