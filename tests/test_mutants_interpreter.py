"""Paths of both kinds and the walk up to a .venv, compared whole (ntpath / posixpath semantics)."""

from __future__ import annotations

import pytest

from envdoctor.interpreter import Choice, _is_windows_path, _parent, choose_interpreter

OWN = "/opt/envdoctor/bin/python"


@pytest.mark.parametrize(("folder", "windows"), [
    ("C:\\w", True), ("C:/w", True), ("c:", True), ("\\\\srv\\share", True), ("w\\x", True),
    ("/w", False), ("C", False), ("", False), ("w:x", True), ("/w:x", False),
])
def test_which_paths_are_windows_paths(folder, windows):
    assert _is_windows_path(folder) is windows


@pytest.mark.parametrize(("folder", "parent"), [
    ("/w/src", "/w"), ("/w/src/", "/w"), ("/data/X/", "/data"), ("/", "/"), ("//srv/share", "//srv"),
    ("C:\\w\\src", "C:\\w"), ("C:\\w\\src\\", "C:\\w"), ("C:\\", "C:"), ("C:", "C:"), ("C:/w/src", "C:/w"),
])
def test_the_parent_of_a_folder(folder, parent):
    assert _parent(folder) == parent


def test_a_windows_walk_finds_a_dot_venv_above():
    exists = {"C:\\w\\.venv\\pyvenv.cfg", "C:\\w\\.venv\\Scripts\\python.exe"}.__contains__
    assert choose_interpreter({}, "C:\\w\\src\\pkg", OWN, exists) == Choice(
        "C:\\w\\.venv\\Scripts\\python.exe", "a .venv in a parent of the working directory")


def test_every_activation_passed_over_is_named_in_order():
    assert choose_interpreter({"VIRTUAL_ENV": "/gone", "CONDA_PREFIX": "/gone2"}, "/", OWN, set().__contains__) == Choice(
        OWN, "the interpreter envdoctor runs on: VIRTUAL_ENV=/gone holds no interpreter; CONDA_PREFIX=/gone2 holds "
             "no interpreter and no .venv was found")
