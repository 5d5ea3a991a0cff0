# -*- coding: utf-8 -*-
"""Peak memory of a send with 5 x 10 MB attachments vs none: flint.smtp (both paths) and community.general.mail.

The same playbook task is run with no attachment and with five 10 MiB files, by

  controller   flint.smtp.send, send_from=controller (action plugin, in the ansible worker)
  target       flint.smtp.send, send_from=target (AnsiballZ module; local connection, so the
               module process is in the measured tree, as it is on a real managed host's side)
  cg.mail      community.general.mail (module), the peer, from tests/requirements/peers.txt

against a minimal loopback SMTP sink in this process (aiosmtpd takes ~10 s to take in 70 MB, which
would only make the runs long; the message content is tested in tests/integration). For each run:

  tree         the largest sum of RSS over the whole ansible-playbook process tree, sampled from
               /proc every few milliseconds (a fork caught before its exec repeats its parent's
               RSS and is left out, see _tree(); PSS would not do: a forked Python un-shares its
               parent's pages as it runs, so a longer run alone would look bigger)
  sender       the peak RSS (VmHWM, kept by the kernel, so nothing falls between samples) of the
               process that sends: the ansible worker on the controller path, the module process
               on the target path and for community.general.mail

and prints the growth per 10 MB attached (median of the rounds). flint.smtp's target is at most
2 MB per 10 MB on both paths (on both measures); the exit code says whether it holds.

Usage: python benchmarks/message_memory.py [--smoke] [--rounds N]
Needs the collection on ANSIBLE_COLLECTIONS_PATH (made under build/ otherwise). community.general
comes from scripts/peers.sh: the `ansible` wheel pinned (with its hash) in tests/requirements/peers.txt,
downloaded once to build/peers/, never installed into a venv.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _common import collections_path, peer_collections

MB = 1024 * 1024
FILES, FILE_MB = 5, 10
LIMIT_PER_10MB = 2.0


# ----------------------------------------------------------------------------- measuring


def _tree(root_pid):
    """{pid: (command name, VmRSS bytes)} of root_pid and all its descendants, now.

    A fork that has not exec'd yet maps all of its parent's pages, so its RSS repeats its
    parent's: below the workers (the root's children, forks that never exec), a process that
    still has its parent's name is such a transient copy on its way to exec sh or python, and
    is left out.
    """
    children, info = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as handle:
                stat = handle.read()
            fields = stat[stat.rindex(b")") + 2:].split()
            name = stat[stat.index(b"(") + 1:stat.rindex(b")")].decode("ascii", "replace")
            children.setdefault(int(fields[1]), []).append(int(entry))
            info[int(entry)] = (name, int(fields[21]) * resource.getpagesize(), int(fields[1]))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    found, todo = {}, [root_pid]
    while todo:
        pid = todo.pop()
        if pid in info:
            name, rss, ppid = info[pid]
            if pid == root_pid or ppid == root_pid or name != info.get(ppid, ("",))[0]:
                found[pid] = (name, rss)
        todo.extend(children.get(pid, ()))
    return found


def _high_water_mark(pid):
    """VmHWM: the peak RSS the kernel saw for this process (so a short peak between samples counts)."""
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def measure_child(argv):
    """Run in a wrapper process: run argv, sample its tree, print JSON with the peaks.

    tree: the largest sum of RSS over the tree; worker/module: the largest VmHWM of an
    ansible worker (a forked ansible-playbook) and of a module process (python), the
    processes that send on the controller and on the target path.
    """
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peaks, start = {"tree": 0, "worker": 0, "module": 0}, time.time()
    while proc.poll() is None:
        tree = _tree(proc.pid)
        peaks["tree"] = max(peaks["tree"], sum(rss for _name, rss in tree.values()))
        for pid, (name, _rss) in tree.items():
            kind = "worker" if name.startswith("ansible-") else "module" if name.startswith("python") else None
            if kind and pid != proc.pid:
                peaks[kind] = max(peaks[kind], _high_water_mark(pid))
        time.sleep(0.005)
    output = proc.stdout.read().decode("utf-8", "replace")
    peaks.update(rc=proc.returncode, output=output[-3000:], seconds=time.time() - start)
    print(json.dumps(peaks))


def measure(argv, env):
    wrapper = [sys.executable, os.path.abspath(__file__), "--measure", "--"] + argv
    out = subprocess.run(wrapper, env=env, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise SystemExit("run failed (rc %s): %s\n%s" % (result["rc"], " ".join(argv), result["output"]))
    return result


# ----------------------------------------------------------------------------- the runs


def playbook(work, name, task):
    path = os.path.join(work, name + ".yml")
    with open(path, "w") as handle:
        json.dump([{"hosts": "localhost", "gather_facts": False, "tasks": [task]}], handle)
    return path


def tasks(srv, files):
    common = {"subject": "memory benchmark", "body": "five files"}
    flint = dict(common, target="%s:%d" % (srv.host, srv.port), security="none", to="bench@example.com",
                 **{"from": "bench@example.com", "attachments": files})
    return {
        "controller": {"flint.smtp.send": dict(flint, send_from="controller")},
        "target": {"flint.smtp.send": dict(flint, send_from="target")},
        "cg.mail": {"community.general.mail": dict(common, host=srv.host, port=srv.port, secure="never",
                                                   sender="bench@example.com", to=["bench@example.com"],
                                                   attach=files)},
    }


def run_all(srv, work, env, rounds, tools):
    big = []
    for index in range(FILES):
        path = os.path.join(work, "file%d.bin" % index)
        with open(path, "wb") as handle:
            for _mb in range(FILE_MB):
                handle.write(os.urandom(MB))
        big.append(path)
    inventory = os.path.join(work, "inventory.ini")
    with open(inventory, "w") as handle:
        handle.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    books = {}
    for label, files in (("none", []), ("5x10MB", big)):
        for tool, task in tasks(srv, files).items():
            books[tool, label] = playbook(work, "%s-%s" % (tool.replace(".", "_"), label), task)
    samples = {}
    for _round in range(rounds):
        for tool in tools:
            for label in ("none", "5x10MB"):
                before = len(srv.sizes)
                result = measure([ansible_playbook, "-i", inventory, books[tool, label]], env)
                got = srv.sizes[before:]
                if len(got) != 1 or (label != "none" and got[0] < FILES * FILE_MB * MB):
                    raise SystemExit("%s %s: the sink did not get the message: %s" % (tool, label, got))
                samples.setdefault((tool, label), []).append(result)
                if os.environ.get("FLINT_BENCH_DEBUG"):
                    print(tool, label, {k: v for k, v in result.items() if k != "output"}, file=sys.stderr)
    return samples


SENDER = {"controller": "worker", "target": "module", "cg.mail": "module"}


def report(samples, tools, rounds, smoke):
    print("flint.smtp message memory (%s; %d round(s); %d x %d MiB attached vs none; medians)"
          % ("smoke" if smoke else "full", rounds, FILES, FILE_MB))
    print("  tree = peak of the summed RSS of the whole ansible-playbook process tree;")
    print("  sender = peak RSS (VmHWM) of the sending process: the worker (controller) or the module (target)")
    columns = ("", "tree none", "tree 5x10", "tree /10MB", "sender none", "sender 5x10", "sender /10MB")
    print("  %-11s %10s %10s %12s %10s %10s %12s" % columns)
    growth = {}
    for tool in tools:
        row = []
        for key in ("tree", SENDER[tool]):
            none = statistics.median(r[key] for r in samples[tool, "none"]) / MB
            full = statistics.median(r[key] for r in samples[tool, "5x10MB"]) / MB
            per = (full - none) / (FILES * FILE_MB / 10.0)
            growth[tool, "tree" if key == "tree" else "sender"] = per
            row += ["%.1f MB" % none, "%.1f MB" % full, "%+.2f MB" % per]
        print("  %-11s %10s %10s %12s %10s %10s %12s" % tuple([tool] + row))
    ok = True
    for tool in ("controller", "target"):
        worst = max(growth[tool, "tree"], growth[tool, "sender"])
        ok = ok and worst <= LIMIT_PER_10MB
        print("  flint.smtp %-10s grows %+.2f MB per 10 MB attached (target <= %.1f): %s"
              % (tool, worst, LIMIT_PER_10MB, "ok" if worst <= LIMIT_PER_10MB else "OVER"))
    if "cg.mail" in tools:
        print("  community.general.mail grows %+.1f MB per 10 MB attached (tree), %+.1f MB (sender)"
              % (growth["cg.mail", "tree"], growth["cg.mail", "sender"]))
    return ok


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--measure":
        measure_child(sys.argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one round: does it run, does the target hold")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true", help="skip community.general.mail")
    opts = parser.parse_args()
    rounds = 1 if opts.smoke else opts.rounds

    tools = ["controller", "target"]
    paths = [collections_path()]
    if not opts.no_peer:
        paths.append(peer_collections())
        tools.append("cg.mail")
    work = tempfile.mkdtemp(prefix="flint-membench-")
    home = os.path.join(work, "ansible-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(paths), ANSIBLE_HOME=home, ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="false")
    from smtp_sink import Sink  # tests/support

    srv = Sink()
    try:
        samples = run_all(srv, work, env, rounds, tools)
    finally:
        srv.shutdown()
        srv.server_close()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if report(samples, tools, rounds, opts.smoke) else 1


if __name__ == "__main__":
    sys.exit(main())
