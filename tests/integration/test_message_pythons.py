# -*- coding: utf-8 -*-
# Copyright: flint.smtp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The message code runs on every target Python (module_utils must work on 3.8+): on each installed
pyenv interpreter, a full message is built, streamed, and compared with the email package of that
same Python rendering the same message with the files inside (up to the MIME boundaries)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess

import pytest

import ansible_collections.flint.smtp.plugins.module_utils._message as message_module

COLLECTIONS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(message_module.__file__)))))))

SCRIPT = r'''
import email, email.policy, json, os, sys, tempfile
from ansible_collections.flint.smtp.plugins.module_utils._message import prepare_message
work = tempfile.mkdtemp()
logo, blob = os.path.join(work, "logo.png"), os.path.join(work, u"Gr\u00fc\u00dfe \u2713.bin")
open(logo, "wb").write(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
open(blob, "wb").write(os.urandom(1024 * 1024 + 3))
params = {"from": u"Zo\u00eb <ops@example.com>", "to": ["a@example.com"], "subject": u"Gr\u00fc\u00dfe \u2713",
          "content_type": "text/html", "body": u'<p>Hi \u2713</p>\n.<img src="cid:logo">',
          "inline_images": [{"path": logo, "cid": "logo"}], "attachments": [blob], "reply_to": ["r@example.com"],
          "headers": {"X-A": u"\u00fc"}, "priority": "high", "in_reply_to": "p@example.com"}
import ansible_collections.flint.smtp.plugins.module_utils._message as m
m.make_msgid = lambda domain: "<fixed@%s>" % domain
import datetime
now = datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc)  # both renderings: the same Date
streamed = prepare_message(params, now=now)
reference = prepare_message(params, now=now, materialize=True)
data = b"".join(streamed.chunks())
chunk_peak = max(len(c) for c in streamed.chunks())
def normalized(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for i, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        raw = raw.replace(part.get_boundary().encode(), b"B%d" % i)
    return raw
print(json.dumps({"python": sys.version.split()[0], "equal": normalized(data) == normalized(reference),
                  "size": streamed.size == len(data), "structure": streamed.structure, "chunk": chunk_peak}))
'''


def _pythons():
    pyenv = shutil.which("pyenv")
    root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip() if pyenv else ""
    found = {}
    for exe in sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3"))) if root else []:
        minor = int(os.path.basename(os.path.dirname(os.path.dirname(exe))).split(".")[1])
        if minor >= 8:
            found[minor] = exe  # the newest patch release of each minor version
    return [found[k] for k in sorted(found)]


@pytest.mark.parametrize("python", _pythons() or [pytest.param(None, marks=pytest.mark.skip("no pyenv Pythons"))])
def test_streamed_message_on_target_python(python):
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    out = subprocess.run([python, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["equal"] and result["size"], result
    assert result["structure"] == ("multipart/mixed(multipart/alternative(text/plain, multipart/related(text/html, "
                                   "image/png)), application/octet-stream)")
    assert result["chunk"] < 128 * 1024, result  # a 1 MB file goes out in small pieces
