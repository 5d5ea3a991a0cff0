# -*- coding: utf-8 -*-
"""Bulk and loop throughput of flint.smtp against baselines measured in the same run (issue 9).

  batch     one task with `messages` (N messages, 2 KB body, one recipient each) vs plain
            smtplib sending the same N over one reused connection (EmailMessage + send_message):
            in-process core, and the real task inside ansible-playbook (task time, not startup).
  loop      a playbook `loop` of single sends from the controller vs the same loop of
            community.general.mail and vs a `set_fact` loop (Ansible's own per-item floor).
  target    the same loop with send_from=target (the module runs as a module, here over a
            local connection) vs community.general.mail (always a module); with --ssh also both
            loops on the loopback sshd managed host (scripts/testhosts/sshd.sh), once with
            pipelining not configured (Ansible's default) and once with it on for both.

Every figure is a ratio against a baseline from this run on one loopback server
(tests/support/smtp_server.py); absolute times on these machines mean little.
community.general comes from scripts/peers.sh (dev only).

Usage: python benchmarks/bulk.py [--smoke] [--messages N] [--loop N] [--repeat N] [--ssh]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage

from _common import ROOT, collections_path, peer_collections, timed_batch
BODY = ("All systems nominal. " * 100)[:2000]


def bench_smtplib(srv, count):
    start = time.perf_counter()
    with smtplib.SMTP(srv.host, srv.port, local_hostname="bench.example.com", timeout=30) as smtp:
        for i in range(count):
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = "bench@example.com", "r%d@example.net" % i, "report %d" % i
            msg.set_content(BODY)
            smtp.send_message(msg)
    return time.perf_counter() - start


def bench_core(srv, count):
    return timed_batch(srv.host, srv.port, [{"to": "r%d@example.net" % i, "subject": "report %d" % i}
                                            for i in range(count)], BODY)


def _playbook(work, env, tasks, name, hosts="localhost", inventory=None):
    """Run one play; return {task name: seconds} from timestamps taken around each task."""
    timed = []
    for task in tasks:
        tname = task["name"]
        timed.append({"name": "t0 " + tname, "ansible.builtin.set_fact": {"_t0": "{{ now().timestamp() }}"}})
        timed.append(task)
        timed.append({"name": "t1 " + tname, "ansible.builtin.set_fact": {
            "_times": "{{ _times | default({}) | combine({%r: now().timestamp() - (_t0 | float)}) }}" % tname}})
    out = os.path.join(work, name + ".times.json")
    timed.append({"name": "report", "ansible.builtin.copy": {"content": "{{ _times | to_json }}", "dest": out},
                  "delegate_to": "localhost", "vars": {"ansible_connection": "local",
                                                       "ansible_python_interpreter": sys.executable}})
    path = os.path.join(work, name + ".yml")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump([{"hosts": hosts, "gather_facts": False, "tasks": timed}], handle)
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), path]
    argv += ["-i", inventory] if inventory else []
    proc = subprocess.run(argv, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False, cwd=work)
    if proc.returncode != 0:
        raise SystemExit("playbook %s failed:\n%s" % (name, proc.stdout[-4000:]))
    with open(out, encoding="utf-8") as handle:
        return json.load(handle)


def _send_args(srv, **more):
    args = {"target": "%s:%d" % (srv.host, srv.port), "security": "none", "from": "bench@example.com",
            "subject": "bench", "body": BODY, "ehlo_name": "bench.example.com"}
    args.update(more)
    return args


def _mail_args(srv, **more):
    args = {"host": srv.host, "port": srv.port, "secure": "never", "sender": "bench@example.com",
            "subject": "bench", "body": BODY, "ehlohost": "bench.example.com"}
    args.update(more)
    return args


def _ssh_host(work):
    """Start a private loopback sshd managed host (scripts/testhosts/sshd.sh, needs root).

    Returns (inventory with pipelining not configured, inventory with pipelining on, stop).
    """
    state = os.path.join(ROOT, "build", "testhosts", "bench")
    henv = dict(os.environ, FLINT_SSHD_STATE_DIR=os.path.join(state, "sshd"),
                FLINT_SSHD_INVENTORY=os.path.join(state, "inventory.ini"))
    script = os.path.join(ROOT, "scripts", "testhosts", "sshd.sh")
    subprocess.run(["bash", script, "start"], env=henv, check=True, stdout=subprocess.DEVNULL)
    with open(henv["FLINT_SSHD_INVENTORY"], encoding="utf-8") as handle:
        lines = handle.read().splitlines(True)
    inventories = []
    for pipelining in ("", "ansible_pipelining=True\n"):
        path = os.path.join(work, "inventory%s.ini" % ("-pipelining" if pipelining else ""))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("".join(line for line in lines if not line.startswith("ansible_pipelining=")))
            handle.write(pipelining and "[managed:vars]\n" + pipelining)
        inventories.append(path)
    return inventories[0], inventories[1], lambda: subprocess.run(
        ["bash", script, "stop"], env=henv, check=False, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small counts: does it run, are ratios sane")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--loop", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure; the median is kept")
    parser.add_argument("--ssh", action="store_true", default=os.environ.get("FLINT_BENCH_SSH") == "1",
                        help="also the target loop on the loopback sshd managed host (root; scripts/testhosts/sshd.sh;"
                             " default on when FLINT_BENCH_SSH=1, as `make bench` sets it)")
    opts = parser.parse_args()
    count, loop, repeat = (50, 5, 1) if opts.smoke else (opts.messages, opts.loop, opts.repeat)

    import smtp_server  # tests/support

    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path() + os.pathsep + peer_collections(), ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1")
    work = tempfile.mkdtemp(prefix="flint-bench-bulk-")
    figures = {}
    try:
        with smtp_server.running_server("plain", store=os.path.join(work, "store"), isolation="process",
                                        max_seconds=4 * 3600) as srv:  # a full run on a loaded machine passes 10 min
            items = [{"to": "r%d@example.net" % i, "subject": "report %d" % i} for i in range(count)]
            tasks = [
                {"name": "batch", "flint.smtp.send": _send_args(srv, messages=items, max_per_connection=0)},
                {"name": "set_fact loop", "ansible.builtin.set_fact": {"x": "{{ item }}"}, "loop": list(range(loop))},
                # Ansible's floor for a task with our 8 arguments (one of them templated), sending nothing
                {"name": "set_fact 8 args loop", "ansible.builtin.set_fact": dict(
                    ("a_" + key, value) for key, value in _send_args(srv, to="r{{ item }}@example.net").items()),
                 "loop": list(range(loop))},
                {"name": "flint loop", "flint.smtp.send": _send_args(srv, to="r{{ item }}@example.net"),
                 "loop": list(range(loop))},
                {"name": "c.g.mail loop", "community.general.mail": _mail_args(srv, to="r{{ item }}@example.net"),
                 "loop": list(range(loop))},
                {"name": "flint target loop", "flint.smtp.send": _send_args(srv, to="r{{ item }}@example.net",
                                                                            send_from="target"),
                 "loop": list(range(loop))},
            ]
            ssh_tasks = [
                {"name": "flint target loop", "flint.smtp.send": _send_args(srv, to="r{{ item }}@example.net",
                                                                            send_from="target"),
                 "loop": list(range(loop))},
                {"name": "c.g.mail loop", "community.general.mail": _mail_args(srv, to="r{{ item }}@example.net"),
                 "loop": list(range(loop))},
            ]
            if opts.ssh and os.geteuid() != 0:
                print("target loop over sshd: skipped, the loopback sshd managed host needs root")
            ssh = _ssh_host(work) if opts.ssh and os.geteuid() == 0 else None
            runs = {"smtplib": [], "core": [], "playbook": [], "ssh": [], "ssh pipelined": []}
            try:
                for _round in range(repeat):
                    runs["smtplib"].append(bench_smtplib(srv, count))
                    runs["core"].append(bench_core(srv, count))
                    runs["playbook"].append(_playbook(work, env, tasks, "bench"))
                    if ssh:
                        runs["ssh"].append(_playbook(work, env, ssh_tasks, "ssh", "managed", ssh[0]))
                        runs["ssh pipelined"].append(_playbook(work, env, ssh_tasks, "sshp", "managed", ssh[1]))
            finally:
                if ssh:
                    ssh[2]()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = statistics.median
    smtplib_s, core_s = med(runs["smtplib"]), med(runs["core"])
    task = {name: med(float(r[name]) for r in runs["playbook"]) for name in runs["playbook"][0]}
    figures = [
        ("batch core: throughput vs smtplib over one connection", smtplib_s / core_s, ">= 0.90", smtplib_s / core_s >= 0.9),
        ("batch task: throughput vs smtplib over one connection", smtplib_s / task["batch"], ">= 0.90",
         smtplib_s / task["batch"] >= 0.9),
        ("loop: c.g.mail time / flint time (controller)", task["c.g.mail loop"] / task["flint loop"], ">= 30",
         task["c.g.mail loop"] / task["flint loop"] >= 30),
        ("loop: flint time / set_fact floor", task["flint loop"] / task["set_fact loop"], "<= 1.30",
         task["flint loop"] / task["set_fact loop"] <= 1.3),
        ("  (reference) set_fact with our 8 arguments / set_fact floor",
         task["set_fact 8 args loop"] / task["set_fact loop"], "-", True),
        ("target loop: flint time / c.g.mail time", task["flint target loop"] / task["c.g.mail loop"], "<= 0.80",
         task["flint target loop"] / task["c.g.mail loop"] <= 0.8),
    ]
    extra = []
    for key, how in (("ssh", "pipelining not configured"), ("ssh pipelined", "pipelining on for both")):
        if runs[key]:
            ours, peer = (med(float(r[name]) for r in runs[key]) for name in ("flint target loop", "c.g.mail loop"))
            figures.append(("target loop over sshd (%s): flint / c.g.mail" % how, ours / peer,
                            "<= 0.80", ours / peer <= 0.8))
            extra.append("  sshd, %s: flint target loop %.3fs; c.g.mail loop %.3fs" % (how, ours, peer))
    print("flint.smtp bulk benchmark (%s; %d messages, loop of %d, median of %d)"
          % ("smoke" if opts.smoke else "full", count, loop, repeat))
    print("  baselines: smtplib %d msgs %.3fs; set_fact loop %.3fs (with our 8 arguments %.3fs); c.g.mail loop %.3fs"
          % (count, smtplib_s, task["set_fact loop"], task["set_fact 8 args loop"], task["c.g.mail loop"]))
    print("  ours:      core %.3fs; task %.3fs; loop %.3fs; target loop %.3fs"
          % (core_s, task["batch"], task["flint loop"], task["flint target loop"]))
    for line in extra:
        print(line)
    for label, ratio, target, ok in figures:
        print("  %-58s %6.2fx  (target %s)%s" % (label, ratio, target, "" if ok else "  MISSED"))
    # The smoke run only proves the benchmark works: small counts say little about ratios.
    return 0


if __name__ == "__main__":
    sys.exit(main())
