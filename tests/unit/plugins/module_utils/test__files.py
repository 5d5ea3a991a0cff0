# -*- coding: utf-8 -*-
from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.flint.smtp.plugins.module_utils._errors import InputError
from ansible_collections.flint.smtp.plugins.module_utils._files import write_private


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_symlink_at_the_path_is_replaced_and_its_target_untouched(tmp_path):
    target = tmp_path / "bashrc"
    target.write_bytes(b"keep me\n")
    target.chmod(0o644)
    link = tmp_path / "out.eml"
    link.symlink_to(target)
    write_private(str(link), b"mail")
    assert not link.is_symlink() and link.read_bytes() == b"mail" and _mode(str(link)) == 0o600
    assert target.read_bytes() == b"keep me\n" and _mode(str(target)) == 0o644


def test_existing_world_readable_file_becomes_owner_only(tmp_path):
    path = tmp_path / "out.eml"
    path.write_bytes(b"old, longer content")
    path.chmod(0o644)
    write_private(str(path), b"new")
    assert path.read_bytes() == b"new" and _mode(str(path)) == 0o600
    assert os.listdir(str(tmp_path)) == ["out.eml"]  # no temporary file left


def test_dangling_symlink_is_replaced_not_followed(tmp_path):
    link = tmp_path / "out.eml"
    link.symlink_to(tmp_path / "created-through-link")
    write_private(str(link), b"x")
    assert not (tmp_path / "created-through-link").exists() and not link.is_symlink()


def test_missing_directory_and_directory_path_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_private(str(tmp_path / "nope" / "x.eml"), b"x")
    with pytest.raises(InputError, match="is a directory"):
        write_private(str(tmp_path), b"x")
