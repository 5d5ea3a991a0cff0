# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``postfix`` fixture: a real Postfix on loopback (scripts/testhosts/postfix.sh).

One private instance per pytest process (per xdist worker), started once per session and
stopped at its end. Delivered mail lands in one catch-all Maildir; tests find their own
messages by Message-ID (each envelope recipient gets its own file).
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
POSTFIX_SH = os.path.join(REPO_ROOT, "scripts", "testhosts", "postfix.sh")


class Postfix(object):
    """Where the instance listens, its test accounts and what it delivered."""

    def __init__(self, values, ca_path):
        self.env = values
        self.host = values["FLINT_PFX_HOST"]
        self.ports = {"plain": int(values["FLINT_PFX_PORT_PLAIN"]),
                      "submission": int(values["FLINT_PFX_PORT_SUBMISSION"]),
                      "smtps": int(values["FLINT_PFX_PORT_SMTPS"])}
        self.ca_path = ca_path  # a world-readable copy: the SSH test user must read it too
        self.maildir = values["FLINT_PFX_MAILDIR"]
        self.log_path = values["FLINT_PFX_LOG"]
        self.user = values["FLINT_PFX_USER"]
        self.utf8_user = values["FLINT_PFX_UTF8_USER"]
        with open(values["FLINT_PFX_PASSWORD_FILE"], encoding="utf-8") as handle:
            self.password, self.utf8_password = handle.read().splitlines()[:2]

    def target(self, listener):
        return "%s:%d" % (self.host, self.ports[listener])

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def delivered(self):
        """Every delivered file, parsed: [(path, EmailMessage)], oldest first."""
        found = []
        for sub in ("new", "cur"):
            folder = os.path.join(self.maildir, sub)
            for name in os.listdir(folder):
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    found.append((path, email.message_from_binary_file(handle, policy=email.policy.default)))
        return sorted(found, key=lambda item: os.stat(item[0]).st_mtime)

    def by_message_id(self, message_id):
        return [msg for _path, msg in self.delivered() if msg["Message-ID"] == message_id]

    def with_subject_containing(self, text):
        return [msg for _path, msg in self.delivered() if text in str(msg["Subject"] or "")]

    def wait_for(self, message_id, count, timeout=15.0):
        """The ``count`` delivered copies of ``message_id`` (one per envelope recipient)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.by_message_id(message_id)
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) == count, "expected %d deliveries of %s, found %d\n--- postfix log tail\n%s" % (
                    count, message_id, len(found), self.log()[-4000:])
                return found
            time.sleep(0.05)


def _state_dir():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return os.environ.get("FLINT_IT_POSTFIX_DIR",
                          os.path.join(REPO_ROOT, "build", "testhosts", "pytest-integration-" + worker, "postfix"))


def _unavailable():
    """Why Postfix cannot run here, or None. Only these reasons skip; anything else is a failure."""
    if os.environ.get("FLINT_IT_NO_POSTFIX"):
        return "Postfix tests disabled by FLINT_IT_NO_POSTFIX"
    if os.geteuid() != 0:
        return ("Postfix tests need root: scripts/testhosts/postfix.sh installs postfix/sasl2-bin with apt and "
                "starts a private instance (CI runs as root)")
    if not os.path.exists("/usr/sbin/postfix") and not shutil.which("apt-get"):
        return "Postfix unavailable: not installed and no apt-get to install it"
    return None


@pytest.fixture(scope="session")
def postfix(shared_dir):
    """The loopback Postfix, started for the session and stopped at its end."""
    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    env = dict(os.environ, FLINT_POSTFIX_STATE_DIR=_state_dir())
    try:
        proc = subprocess.run(["bash", POSTFIX_SH, "start"], env=env, capture_output=True, text=True, timeout=900,
                              check=False)
        if proc.returncode != 0:
            text = "scripts/testhosts/postfix.sh start failed (rc %d):\n%s\n%s" % (
                proc.returncode, proc.stdout, proc.stderr)
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                pytest.fail(text)
            pytest.skip(text)
        out = subprocess.run(["bash", POSTFIX_SH, "env"], env=env, capture_output=True, text=True, timeout=60,
                             check=True).stdout
        values = {}
        for line in out.splitlines():
            if line.startswith("export ") and "=" in line:
                key, value = line[len("export "):].split("=", 1)
                values[key] = value
        ca_path = os.path.join(shared_dir, "postfix-ca.pem")
        shutil.copyfile(values["FLINT_PFX_CA"], ca_path)
        os.chmod(ca_path, 0o644)
        yield Postfix(values, ca_path)
    finally:
        subprocess.run(["bash", POSTFIX_SH, "stop"], env=env, capture_output=True, text=True, timeout=120,
                       check=False)
