"""Plans that are right about what is already there and say it plainly, run through the real CLI.

The machines are the recordings under tests/machines/ (each folder's README names its source).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import MACHINES_DIR

ROOT = Path(__file__).parents[1]


def envdoctor(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.run([sys.executable, "-m", "envdoctor", *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env=env)


def plan_of(*args: str) -> dict:
    done = envdoctor("install", "--dry-run", "--json", *args)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["plan"]


def test_the_rocm_build_installed_is_kept_whatever_its_hip_patch_level():
    """version.py says hip 6.2.41133-dd7f95766; the variant is rocm6.2: the same build, nothing to do."""
    plan = plan_of("--machine", str(MACHINES_DIR / "rocm-mi250x"))
    assert (plan["action"], plan["variant"]) == ("nothing_to_do", "rocm6.2")
    assert plan["changes"] == [{"package": "torch", "current": "2.5.1+rocm6.2", "new": "2.5.1", "action": "keep",
                                "detail": ""}]
