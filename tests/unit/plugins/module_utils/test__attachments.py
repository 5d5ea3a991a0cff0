# -*- coding: utf-8 -*-
from __future__ import annotations

import os

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._attachments import (
    allowed_dirs_from,
    check_attachments,
    open_confined,
    split_paths,
)
from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError


def test_a_list_item_is_exactly_one_path():
    assert split_paths(["Q3 report, final.pdf", " b.txt "]) == ["Q3 report, final.pdf", "b.txt"]


def test_only_a_single_string_is_split():
    assert split_paths("a.txt, b.txt,,") == ["a.txt", "b.txt"]
    assert split_paths("") == [] and split_paths(None) == [] and split_paths([]) == []


@pytest.mark.parametrize("value, text", [
    (5, "not a number"), ({"a": 1}, "not a mapping"), (True, "not a boolean"),
])
def test_other_types_are_refused(value, text):
    with pytest.raises(InputError, match="attachments must be a list of paths or one comma-separated string, "
                       + text):
        split_paths(value)


@pytest.mark.parametrize("item, kind", [(1, "a number"), (["a"], "a list"), (None, "a NoneType")])
def test_list_items_must_be_strings(item, kind):
    with pytest.raises(InputError, match="attachments: item 2 is %s, but each item must be one path" % kind):
        split_paths(["a.txt", item])


def test_expansion_only_when_asked(monkeypatch):
    monkeypatch.setenv("HOME", "/home/x")
    assert split_paths(["~/a"]) == ["/home/x/a"]
    assert split_paths(["~/a"], expand=False) == ["~/a"]


@pytest.fixture
def tree(tmp_path):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "ok.txt").write_bytes(b"ok")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    (allowed / "link.txt").symlink_to(secret)
    (allowed / "inner").symlink_to(allowed)
    return tmp_path, allowed, secret


def test_confined_reads_only_inside_allowed_dirs(tree):
    root, allowed, secret = tree
    roots = allowed_dirs_from(str(allowed))
    (item,) = check_attachments([open_confined(str(allowed / "ok.txt"), roots)], 10)
    assert item.read() == b"ok" and item.filename == "ok.txt"
    for path in (str(secret), str(allowed / "link.txt"), str(allowed / ".." / "secret.txt"), "/etc/passwd"):
        with pytest.raises(InputError, match="outside the directories allowed by FLINT_SMTP_ATTACHMENT_DIRS"):
            open_confined(path, roots)
    # A link that stays inside is fine; the file is what it resolves to.
    assert open_confined(str(allowed / "inner" / "ok.txt"), roots).read() == b"ok"


def test_confined_without_allowed_dirs_names_the_setting(tree):
    _root, allowed, _secret = tree
    with pytest.raises(InputError, match="none are: set FLINT_SMTP_ATTACHMENT_DIRS on the controller"):
        open_confined(str(allowed / "ok.txt"), allowed_dirs_from(""))


def test_confined_refuses_relative_paths_and_non_files(tree):
    _root, allowed, _secret = tree
    roots = [str(allowed)]
    with pytest.raises(InputError, match="must be absolute"):
        open_confined("ok.txt", roots)
    with pytest.raises(InputError, match="not a regular file"):
        open_confined(str(allowed), roots)
    os.mkfifo(str(allowed / "fifo"))
    with pytest.raises(InputError, match="not a regular file"):  # and it does not hang
        open_confined(str(allowed / "fifo"), roots)


def test_confined_reads_the_checked_file_even_if_the_path_is_swapped(tree):
    _root, allowed, secret = tree
    item = open_confined(str(allowed / "ok.txt"), [str(allowed)])
    os.unlink(str(allowed / "ok.txt"))
    os.symlink(str(secret), str(allowed / "ok.txt"))
    assert item.read() == b"ok"


def test_allowed_dirs_must_be_absolute():
    with pytest.raises(InputError, match="FLINT_SMTP_ATTACHMENT_DIRS: relative is not an absolute directory"):
        allowed_dirs_from("/tmp" + os.pathsep + "relative")


def test_a_checked_file_can_be_read_by_several_messages_and_survives_deepcopy(tree):
    import copy  # pylint: disable=import-outside-toplevel

    _root, allowed, _secret = tree
    item = open_confined(str(allowed / "ok.txt"), [str(allowed)])
    assert copy.deepcopy([item])[0] is item
    assert item.read() == b"ok" and item.read() == b"ok"
