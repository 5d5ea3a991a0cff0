# -*- coding: utf-8 -*-
from __future__ import annotations

import base64

from ansible_collections.flint.smtp.plugins.module_utils._scrub import MASK, MIN_FRAGMENT, Scrubber

SECRET = "Geheimnis-\xe4\xdf-2024!"


def test_whole_secret_and_every_identifying_piece_is_masked():
    scrub = Scrubber([SECRET], ["flint-user"])
    raw = SECRET.encode("utf-8")
    texts = [
        "login with %s failed" % SECRET,
        "UnicodeEncodeError: 'ascii' codec can't encode character %r in position 10" % SECRET[10],
        "echo: %s" % SECRET[3:3 + MIN_FRAGMENT],
        "repr %r" % SECRET,
        "bytes %r" % raw,
        "json \"Geheimnis-\\u00e4\\u00df-2024!\"",
        "b64 " + base64.b64encode(raw).decode(),
        "plain " + base64.b64encode(b"\0flint-user\0" + raw).decode(),
    ]
    for text in texts:
        out = scrub.text(text)
        assert MASK in out, (text, out)
        for start in range(len(SECRET) - MIN_FRAGMENT + 1):
            assert SECRET[start:start + MIN_FRAGMENT] not in out, (text, out)
    # The escaped character of the example goes with the run it is part of.
    assert "\\xe4\\xdf-2" not in scrub.text(ascii(SECRET))


def test_short_runs_and_unrelated_text_stay():
    scrub = Scrubber(["hunter2-Secret"])
    assert scrub.text("the server said 535 5.7.8 bad credentials") == "the server said 535 5.7.8 bad credentials"
    assert scrub.text("hunt the Secr") == "hunt the Secr"  # runs shorter than MIN_FRAGMENT identify nothing
    assert scrub.text("x hunter2 y") == "x %s y" % MASK


def test_short_secret_is_masked_whole_only():
    scrub = Scrubber(["ab1"])
    assert scrub.text("ab1 and ab") == "%s and ab" % MASK


def test_scrub_walks_results_keys_included():
    scrub = Scrubber(["S3cret-value"])
    result = {"msg": "bad S3cret-value", "warnings": ["cret-val"], "S3cret-value": 1, "n": 5, "t": (True, None)}
    assert scrub.scrub(result) == {"msg": "bad " + MASK, "warnings": [MASK], MASK: 1, "n": 5, "t": [True, None]}


def test_no_secrets_is_identity():
    result = {"msg": "x"}
    assert Scrubber([None, ""]).scrub(result) is result


def test_generated_ids_are_not_mangled_by_chance_matches():
    secret = "0f3a9c"  # a short hex token: its runs turn up in any uuid
    scrub = Scrubber([secret])
    job_id = "job-12345678-0f3a9-4c00-8000-000000000000"
    result = scrub.scrub({"meta": {"job-id": job_id, "message": "bad 0f3a9c"}, "message_id": "<1.0f3a9@x>",
                          "msg": "piece 0f3a9"})
    assert result["meta"]["job-id"] == job_id and result["message_id"] == "<1.0f3a9@x>"
    assert result["meta"]["message"] == "bad " + MASK and result["msg"] == "piece " + MASK
    # A job id set to the secret itself is still masked.
    assert scrub.scrub({"job-id": "job-0f3a9c"})["job-id"] == "job-" + MASK


def test_short_base64_runs_are_left_alone():
    scrub = Scrubber(["correct horse battery"])
    b64 = base64.b64encode(b"correct horse battery").decode()
    assert scrub.text("id " + b64[:7]) == "id " + b64[:7]
    assert scrub.text("id " + b64[:8]) == "id " + MASK
