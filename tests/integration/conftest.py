# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the flint.smtp integration tests.

The tests run real ``ansible-playbook`` / ``ansible`` processes (from the venv of the running
pytest) against real SMTP servers on loopback (tests/support/smtp_server.py) and, for the
managed-host path, against a real sshd on loopback (scripts/testhosts/sshd.sh).

Results are read from a test-only callback (files/callback_plugins/flint_capture.py) that
writes every task result as a JSON line, which works the same on every ansible-core version.
Every ansible process also loads files/netguard/sitecustomize.py, which refuses (and logs)
any connection to a non-loopback address.

Servers are shared by the whole session; a test finds its own traffic by the EHLO name it
sends (``ehlo_name``, unique per test) or by the Message-ID the module returned.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import grp
import io
import json
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
FILES = os.path.join(HERE, "files")
SUPPORT = os.path.join(REPO_ROOT, "tests", "support")
SSHD_SH = os.path.join(REPO_ROOT, "scripts", "testhosts", "sshd.sh")
# The ansible CLIs of the venv that runs this pytest (do not resolve the symlink: a venv's
# python lives in its bin dir next to ansible-playbook).
BIN = os.path.dirname(sys.executable)
ANSIBLE_PLAYBOOK = os.path.join(BIN, "ansible-playbook")
ANSIBLE = os.path.join(BIN, "ansible")
RUN_TIMEOUT = 300

if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

import smtp_server  # noqa: E402  pylint: disable=wrong-import-position
from postfix_host import postfix  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

SMTP_USER = "flint-user"
# Unique per session, so that "the password is not in the output" cannot pass by accident.
SMTP_PASSWORD = "Pw-%s-%s" % (secrets.token_hex(6), secrets.token_hex(4))
WRONG_PASSWORD = "Wrong-%s" % secrets.token_hex(8)
REFUSED_RCPT = "^nobody"  # every server refuses RCPT TO addresses starting with this


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sshd: needs the loopback SSH managed host (scripts/testhosts/sshd.sh, root)")


# ----------------------------------------------------------------------------- running ansible


def _collections_path():
    """ANSIBLE_COLLECTIONS_PATH as scripts/test.sh sets it; made like scripts/lib.sh otherwise."""
    given = os.environ.get("ANSIBLE_COLLECTIONS_PATH")
    if given:
        for base in given.split(os.pathsep):
            if os.path.isdir(os.path.join(base, "ansible_collections", "flint", "smtp", "plugins")):
                return given
    base = os.path.join(REPO_ROOT, "build", "collections")
    link = os.path.join(base, "ansible_collections", "flint", "smtp")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link) and not os.path.exists(link):
        os.symlink(REPO_ROOT, link)
    return base


class Run(object):
    """One finished ansible-playbook/ansible process: rc, output and the captured results."""

    def __init__(self, argv, proc, run_dir, capture, netguard):
        self.argv = argv
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.dir = run_dir
        self.records = []
        if os.path.exists(capture):
            with open(capture, encoding="utf-8") as handle:
                self.records = [json.loads(line) for line in handle if line.strip()]
        for record in self.records:
            # ansible-core 2.19+ hands callbacks the failure as the event, not as result["failed"].
            if record["status"] == "failed":
                record["result"].setdefault("failed", True)
        self.net = []
        if os.path.exists(netguard):
            with open(netguard, encoding="utf-8") as handle:
                self.net = [json.loads(line) for line in handle if line.strip()]

    @property
    def output(self):
        return self.stdout + self.stderr

    def describe(self):
        return "%s\nrc=%s\n--- stdout\n%s\n--- stderr\n%s" % (
            " ".join(self.argv), self.rc, self.stdout[-6000:], self.stderr[-6000:])

    def record(self, task, host=None):
        """The one (non-loop-item) record of ``task``."""
        found = [r for r in self.records if r["task"] == task and not r["item"]
                 and (host is None or r["host"] == host)]
        assert len(found) == 1, "expected one result for task %r, got %d\n%s" % (task, len(found), self.describe())
        return found[0]

    def result(self, task, host=None):
        return self.record(task, host)["result"]

    def status(self, task, host=None):
        return self.record(task, host)["status"]


class Ansible(object):
    """Runs the venv's ansible CLIs with a clean, test-controlled environment."""

    def __init__(self, tmp_path_factory, home):
        self._tmp = tmp_path_factory
        self.home = home
        self.collections_path = _collections_path()

    def env(self, run_dir, extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "FLINT_CAPTURE_FILE"}
        env.update({
            # Ansible expands the async dir's "~" as the login's home when it polls, but the async
            # wrapper expands it with $HOME: a $HOME elsewhere (a CI runner's) loses every async job.
            "HOME": pwd.getpwuid(os.getuid()).pw_dir,
            "PATH": BIN + os.pathsep + env.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": os.path.join(FILES, "netguard") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
            "ANSIBLE_HOME": self.home,
            # A host that does not pin ansible_python_interpreter (an explicit "localhost" in an
            # inventory) would get interpreter discovery, which picks pyenv's python3.12 shim
            # here, and that shim does not run. Such hosts use this venv's Python, as the
            # implicit localhost does; hosts that pin one (mh1, test_target_pythons) keep theirs.
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_COLLECTIONS_PATH": self.collections_path,
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(FILES, "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "flint_capture",
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "true",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_HOST_KEY_CHECKING": "true",
            "FLINT_CAPTURE_FILE": os.path.join(run_dir, "results.jsonl"),
            "FLINT_NETGUARD_LOG": os.path.join(run_dir, "net.jsonl"),
        })
        env.pop("PYTHONHOME", None)
        env.update(extra or {})
        return env

    def new_dir(self, name="run"):
        return str(self._tmp.mktemp(name))

    def run(self, argv, run_dir=None, env=None):
        run_dir = run_dir or self.new_dir()
        full_env = self.env(run_dir, env)
        proc = subprocess.run(argv, cwd=run_dir, env=full_env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=RUN_TIMEOUT, check=False)
        return Run(argv, proc, run_dir, full_env["FLINT_CAPTURE_FILE"], full_env["FLINT_NETGUARD_LOG"])

    def playbook(self, plays, inventory=None, args=(), verbosity=0, files=None, env=None, name="playbook"):
        """Write ``plays`` (Python data; JSON is YAML) to a fresh dir and run ansible-playbook on it.

        ``files`` maps paths relative to that dir to bytes/str (e.g. ``files/x.txt`` for the
        copy-like lookup of relative attachment paths).
        """
        run_dir = self.new_dir(name)
        for rel, content in (files or {}).items():
            path = os.path.join(run_dir, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        path = os.path.join(run_dir, "playbook.yml")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(plays, handle, indent=1)
        argv = [ANSIBLE_PLAYBOOK, path]
        if inventory:
            argv += ["-i", inventory]
        if verbosity:
            argv.append("-" + "v" * verbosity)
        argv += list(args)
        return self.run(argv, run_dir, env)

    def adhoc(self, pattern, module, module_args, inventory=None, args=(), verbosity=0, env=None):
        argv = [ANSIBLE, pattern, "-m", module, "-a", module_args]
        if inventory:
            argv += ["-i", inventory]
        if verbosity:
            argv.append("-" + "v" * verbosity)
        argv += list(args)
        return self.run(argv, env=env)


@pytest.fixture(scope="session")
def ansible(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("ansible-home"))
    return Ansible(tmp_path_factory, home)


def play(tasks, hosts="localhost", **keywords):
    """One play; ``gather_facts`` off unless given."""
    result = {"name": "flint.smtp integration", "hosts": hosts, "gather_facts": False}
    result.update(keywords)
    result["tasks"] = tasks
    return result


def send(name, args, register=None, **keywords):
    """A flint.smtp.send task that never stops the play, so that one run can hold many cases."""
    task = {"name": name, "flint.smtp.send": args, "ignore_errors": True}
    if register:
        task["register"] = register
    task.update(keywords)
    return task


# ----------------------------------------------------------------------------- SMTP servers


class Server(object):
    """A running test server plus helpers to find one test's traffic in its shared store."""

    def __init__(self, info):
        self.info = info
        self.host = info.host
        self.port = info.port
        self.mode = info.mode
        self.ca_path = info.ca_path
        self.store = info.store

    @property
    def target(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def where(self):
        return "127.0.0.1:%d" % self.port

    def messages(self):
        return self.info.messages()

    def sessions(self):
        return self.info.sessions()

    def messages_from(self, ehlo):
        return [m for m in self.messages() if m["helo"] == ehlo]

    def sessions_from(self, ehlo):
        return [s for s in self.sessions()
                if any(c["verb"] in ("EHLO", "HELO") and c["arg"] == ehlo for c in s["commands"])]

    def message_by_id(self, message_id):
        """(metadata, parsed email) of the stored message with this Message-ID, or None."""
        for meta in self.messages():
            msg = smtp_server.load_email(meta)
            if msg["Message-ID"] == message_id:
                return meta, msg
        return None

    def email(self, meta):
        return smtp_server.load_email(meta)

    def raw(self, meta):
        with open(meta["data_path"], "rb") as handle:
            return handle.read()


def parse_email(data):
    """Parse like the server's load_email (a binary file: universal newlines, so CRLF reads as LF)."""
    return email.message_from_binary_file(io.BytesIO(data), policy=email.policy.default)


@pytest.fixture(scope="session")
def shared_dir():
    """A world-readable directory (pytest's tmp dirs are 0700): the SSH test user must read
    the CA and attachments kept here when a module runs on the managed host."""
    path = tempfile.mkdtemp(prefix="flint-it-", dir="/tmp")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def _servers(tmp_path_factory, shared_dir):
    """Start every server once; they share one test CA (in shared_dir, world-readable)."""
    ca_dir = os.path.join(shared_dir, "ca")
    os.makedirs(ca_dir, mode=0o755)
    specs = {
        "plain": dict(mode="plain"),
        "starttls": dict(mode="starttls", auth_user=SMTP_USER, auth_password=SMTP_PASSWORD, require_auth=True),
        "tls": dict(mode="tls", auth_user=SMTP_USER, auth_password=SMTP_PASSWORD, require_auth=True),
        "wrong_host": dict(mode="starttls", cert="wrong-host", auth_user=SMTP_USER, auth_password=SMTP_PASSWORD),
        "untrusted": dict(mode="tls", cert="untrusted", auth_user=SMTP_USER, auth_password=SMTP_PASSWORD),
        # Faults: a greeting that comes too late, a connection lost after the message body was sent
        # (before the server's answer), a message refused at the end of DATA.
        "slow": dict(mode="plain", delay_ms_at={"connect": 4000}),
        "drop_dot": dict(mode="plain", drop_at=["dot"]),
        "reject_data": dict(mode="plain", reject_data=554),
        "no_smtputf8": dict(mode="plain", smtputf8=False),
        # A 7-bit-only relay (neither 8BITMIME nor SMTPUTF8), and one that takes 2 RCPTs per transaction.
        "no_8bitmime": dict(mode="plain", smtputf8=False, eightbitmime=False),
        "rcpt_limit": dict(mode="plain", max_rcpt=2),
    }
    started = {}
    with contextlib.ExitStack() as stack:
        for name, spec in specs.items():
            mode = spec["mode"]
            opts = {key: value for key, value in spec.items() if key != "mode"}
            store = str(tmp_path_factory.mktemp("smtp-" + name))
            info = stack.enter_context(smtp_server.running_server(
                mode, store=store, ca_dir=ca_dir if mode != "plain" else None, reject_rcpt=REFUSED_RCPT,
                max_seconds=1800, **opts))
            started[name] = Server(info)
        for name in os.listdir(ca_dir):
            os.chmod(os.path.join(ca_dir, name), 0o644)
        yield started


@pytest.fixture(scope="session")
def plain_server(_servers):
    """Plain SMTP, no AUTH offered, no STARTTLS."""
    return _servers["plain"]


@pytest.fixture(scope="session")
def starttls_server(_servers):
    """STARTTLS with the test CA; AUTH required (SMTP_USER / SMTP_PASSWORD)."""
    return _servers["starttls"]


@pytest.fixture(scope="session")
def tls_server(_servers):
    """Implicit TLS with the test CA; AUTH required."""
    return _servers["tls"]


@pytest.fixture(scope="session")
def wrong_host_server(_servers):
    """STARTTLS; the certificate is signed by the test CA but names wrong.example only."""
    return _servers["wrong_host"]


@pytest.fixture(scope="session")
def untrusted_server(_servers):
    """Implicit TLS with a certificate from a CA nobody trusts."""
    return _servers["untrusted"]


@pytest.fixture(scope="session")
def fault_servers(_servers):
    """Plain servers that misbehave: slow (greeting after 4 s), drop_dot, reject_data (554), no_smtputf8,
    no_8bitmime (no 8BITMIME, no SMTPUTF8), rcpt_limit (452 after 2 RCPTs in a transaction)."""
    return {name: _servers[name] for name in ("slow", "drop_dot", "reject_data", "no_smtputf8", "no_8bitmime",
                                              "rcpt_limit")}


@pytest.fixture(scope="session")
def ca_path(_servers):
    return _servers["starttls"].ca_path


@pytest.fixture(scope="session")
def closed_port():
    """A loopback port that refuses connections: bound (so nobody else takes it), never listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def tag():
    """Unique per test: use as ehlo_name (server sessions/messages are found by it) and in subjects."""
    return "t%s.flint.test" % uuid.uuid4().hex[:12]


def auth_args(server, **more):
    """Connection options for ``server`` with the right credentials and the test CA."""
    args = {"target": server.target, "ca_path": server.ca_path, "username": SMTP_USER, "password": SMTP_PASSWORD,
            "timeout": 20000}
    if server.mode == "tls":
        args["security"] = "tls"
    args.update(more)
    return args


def secret_forms(*passwords):
    """Every form in which a password could leak: as is, and base64 as AUTH PLAIN/LOGIN send it."""
    forms = set()
    for password in passwords:
        forms.add(password)
        forms.add(base64.b64encode(password.encode()).decode())
        forms.add(base64.b64encode(("\0%s\0%s" % (SMTP_USER, password)).encode()).decode())
    return sorted(forms)


def assert_flint_shape(result, exit_code, send_from=None):
    """The Flint result shape every run must have, success or failure."""
    meta = result["meta"]
    assert set(meta) == {"job-id", "exit-code", "context", "message", "timeout", "timestamp", "status",
                         "content-type", "username"}, meta
    assert meta["exit-code"] == exit_code, result
    assert result["rc"] == exit_code, result
    assert meta["context"] == "flint-util:smtp:operation:smtp.rb"
    assert meta["status"] == "complete"
    assert meta["content-type"] == "application/json"
    assert meta["job-id"].startswith("job-")
    assert isinstance(meta["timestamp"], int) and meta["timestamp"] > 1600000000000
    assert result["output"] == {"result": meta["message"]}
    if exit_code == 0:
        assert meta["message"] == "success"
        assert not result.get("failed"), result
    else:
        assert result.get("failed") is True, result
        assert meta["message"] == result["msg"]
    if send_from is not None:
        assert result["send_from"] == send_from, result


# ----------------------------------------------------------------------------- managed host (sshd)


class ManagedHost(object):
    def __init__(self, env):
        self.env = env
        self.inventory = env["FLINT_MH_INVENTORY"]
        self.host = env["FLINT_MH_HOST"]
        self.user = env["FLINT_MH_USER"]
        self.home = env["FLINT_MH_HOME"]
        self.uid = pwd.getpwnam(self.user).pw_uid
        self.gid = pwd.getpwnam(self.user).pw_gid
        self.group = grp.getgrgid(self.gid).gr_name

    def owner_of(self, path):
        return os.stat(path).st_uid

    def mode_of(self, path):
        return stat.S_IMODE(os.stat(path).st_mode)


def _sshd_env():
    """A private instance (own state dir, port and inventory) so that other users of the default
    build/testhosts instance on this machine are neither disturbed nor disturbing."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # with pytest -n, one instance per worker
    state = os.environ.get("FLINT_IT_SSHD_DIR",
                           os.path.join(REPO_ROOT, "build", "testhosts", "pytest-integration-" + worker))
    env = dict(os.environ)
    env.update({"FLINT_SSHD_STATE_DIR": os.path.join(state, "sshd"),
                "FLINT_SSHD_INVENTORY": os.path.join(state, "inventory.ini")})
    return env


@pytest.fixture(scope="session")
def managed_host():
    """The loopback SSH managed host, started for the session and stopped at its end.

    Skipped (with the reason) when not root or when the harness cannot exist here; as root
    with sshd available (CI), a failing start is an error, not a skip.
    """
    if os.environ.get("FLINT_IT_NO_SSHD"):
        pytest.skip("SSH managed-host tests disabled by FLINT_IT_NO_SSHD")
    if not os.path.exists(SSHD_SH):
        pytest.skip("sshd harness unavailable: %s is missing" % SSHD_SH)
    if os.geteuid() != 0:
        pytest.skip("SSH managed-host tests need root: scripts/testhosts/sshd.sh installs openssh-server, "
                    "creates the test user and starts sshd (CI runs as root)")
    if not os.path.exists("/usr/sbin/sshd") and not shutil.which("apt-get"):
        pytest.skip("sshd harness unavailable: no /usr/sbin/sshd and no apt-get to install openssh-server")
    env = _sshd_env()
    try:
        proc = subprocess.run(["bash", SSHD_SH, "start"], env=env, capture_output=True, text=True, timeout=900,
                              check=False)
        if proc.returncode != 0:
            pytest.fail("scripts/testhosts/sshd.sh start failed (rc %d):\n%s\n%s"
                        % (proc.returncode, proc.stdout, proc.stderr))
        out = subprocess.run(["bash", SSHD_SH, "env"], env=env, capture_output=True, text=True, timeout=60,
                             check=True).stdout
        values = {}
        for line in out.splitlines():
            if line.startswith("export ") and "=" in line:
                key, value = line[len("export "):].split("=", 1)
                values[key] = value.strip().strip("'\"")
        yield ManagedHost(values)
    finally:
        subprocess.run(["bash", SSHD_SH, "stop"], env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def mh_dir(managed_host):
    """A directory in the SSH test user's home (mode 0700, theirs), removed at the end."""
    path = os.path.join(managed_host.home, "flint-it-%s" % uuid.uuid4().hex[:8])
    os.mkdir(path, 0o700)
    os.chown(path, managed_host.uid, managed_host.gid)
    yield path
    shutil.rmtree(path, ignore_errors=True)
