"""Which interpreter ``check`` and ``install`` judge when ``--python`` is not given.

Pure. envdoctor is often installed in its own venv or with pipx, so the interpreter running it is
rarely the one the user works in. Like uv, the target is what the user activated: ``VIRTUAL_ENV``,
then ``CONDA_PREFIX``, then a ``.venv`` in the working directory or one of its parents, and only then
the interpreter running envdoctor. An activation whose folder holds no interpreter is passed over,
and the reason says so.
"""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Callable, Mapping

from envdoctor.datatypes import datatype
from envdoctor.i18n import _, joined

#: Where an environment keeps its interpreter: POSIX venvs and conda envs, Windows venvs, Windows conda envs.
VENV_LAYOUTS = (("bin", "python"), ("Scripts", "python.exe"))
CONDA_LAYOUTS = (("bin", "python"), ("python.exe",))


@datatype(frozen=True)
class Choice:
    """The target interpreter and why it was chosen (shown in the report's header)."""

    executable: str
    reason: str


def _is_windows_path(folder: str) -> bool:
    return "\\" in folder or (len(folder) > 1 and folder[1] == ":")


def _join(folder: str, *parts: str) -> str:
    return ntpath.join(folder, *parts) if _is_windows_path(folder) else posixpath.join(folder, *parts)


def _parent(folder: str) -> str:
    trimmed = folder.rstrip("/\\") or folder
    return ntpath.dirname(trimmed) if _is_windows_path(folder) else posixpath.dirname(trimmed)


def _interpreter_in(folder: str, layouts: tuple[tuple[str, ...], ...], exists: Callable[[str], bool]) -> str | None:
    for layout in layouts:
        path = _join(folder, *layout)
        if exists(path):
            return path
    return None


def choose_interpreter(env: Mapping[str, str], cwd: str, own: str, exists: Callable[[str], bool]) -> Choice:
    """The interpreter to judge: the active venv, the active conda env, a ``.venv`` here or above, or ``own``."""
    passed_over = []
    for variable, layouts in (("VIRTUAL_ENV", VENV_LAYOUTS), ("CONDA_PREFIX", CONDA_LAYOUTS)):
        folder = env.get(variable, "")
        if not folder:
            continue
        found = _interpreter_in(folder, layouts, exists)
        if found:
            return Choice(found, _("{variable} is set: the activated environment", variable=variable))
        passed_over.append(_("{variable}={folder} holds no interpreter", variable=variable, folder=folder))
    folder = cwd
    while folder:
        venv = _join(folder, ".venv")
        if exists(_join(venv, "pyvenv.cfg")):
            found = _interpreter_in(venv, VENV_LAYOUTS, exists)
            if found:
                return Choice(found, _("a .venv in the working directory") if folder == cwd
                              else _("a .venv in a parent of the working directory"))
        parent = _parent(folder)
        if parent == folder:
            break
        folder = parent
    active = joined(passed_over) if passed_over else _("no venv or conda env is active")
    return Choice(own, _("the interpreter envdoctor runs on: {active} and no .venv was found", active=active))
