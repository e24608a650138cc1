"""--junit over an existing file keeps that file's permissions: a private (0600) report stays private."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MACHINE = REPO / "tests" / "machines" / "debian12-no-gpu"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_junit_over_an_existing_file_keeps_its_mode(tmp_path, mode):
    out = tmp_path / "envdoctor.xml"
    out.write_text("old")
    out.chmod(mode)
    done = subprocess.run([sys.executable, "-m", "envdoctor", "check", "--machine", str(MACHINE), "--junit", str(out)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("<?xml")
    assert stat.S_IMODE(out.stat().st_mode) == mode
