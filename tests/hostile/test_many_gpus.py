"""Identical GPUs are judged once: a described fleet of thousands plans in linear time, and a build that
lacks kernels for a GPU model names it once with how many more there are.

The capabilities are NVIDIA's published ones (sm_61 Pascal, sm_120 Blackwell); torch 2.14.1's cu130
build carries no sm_61 kernels and its cu126 build none for sm_120 (recipes/ data, from the wheels).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_identical_gpus_are_named_once_with_their_count():
    args = ["install", "--dry-run", "-v", "--target-os", "linux", "--target-arch", "x86_64", "--target-python", "3.12",
            "--gpu", "sm_61", "--gpu", "sm_61", "--gpu", "sm_61", "--gpu", "sm_120", "--driver", "580.65",
            "--variant", "cu129", "torch"]
    done = subprocess.run([sys.executable, "-m", "envdoctor", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    lines = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert ("- 2.14.1 cu130 cu130 is not the requested variant cu129; cu130 of torch 2.14.1 has no kernels for "
            "GPU 0 sm_61 (sm_61) and 2 more like it") in lines
    assert ("- 2.14.1 cu126 cu126 is not the requested variant cu129; cu126 of torch 2.14.1 has no kernels for "
            "GPU 3 sm_120 (sm_120)") in lines
