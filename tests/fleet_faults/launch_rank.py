"""What torchrun starts in the fleet tests: ``python -m envdoctor ARGS``, except on the rank named by
FLEET_TEST_RANK, which misbehaves as FLEET_TEST_FAULT says:

- ``exit``: the rank exits (status 0) before envdoctor starts, as a node whose job step never ran;
- ``hang``: hang/ goes first on PYTHONPATH, so the rank's fleet child stops in its local work between
  two collectives (see hang/sitecustomize.py);
- ``path=DIR``: DIR goes first on PATH, where the test put a fake nvidia-smi, so that rank's probes
  report a driver and a GPU the other ranks do not have.

Synthesised for the tests: envdoctor itself has no fault switches.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    if os.environ.get("RANK") == os.environ.get("FLEET_TEST_RANK"):
        fault = os.environ.get("FLEET_TEST_FAULT", "")
        if fault == "exit":
            sys.exit(0)
        if fault == "hang":
            os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE / "hang"), os.environ.get("PYTHONPATH")) if p)
        if fault.startswith("path="):
            os.environ["PATH"] = fault[len("path="):] + os.pathsep + os.environ.get("PATH", "")
    os.execv(sys.executable, [sys.executable, "-m", "envdoctor", *sys.argv[1:]])
