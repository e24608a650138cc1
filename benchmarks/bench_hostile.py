"""Memory and time of envdoctor against tools that never stop talking.

Each case runs as its own process, N times; the table gives the median wall time, the peak RSS of
that envdoctor process (sampled every 10 ms with psutil) and the largest RSS of any process in its
tree (``wait4``'s ru_maxrss: the smoke child with torch is counted there, not in the first column).

- ``check --timeout 2 --json`` with an ``nvidia-smi`` first on PATH that prints without end (``yes``)
- ``verify --device cpu --json`` with a torch whose thread floods stdout and stderr
  (tests/fake_torch/endless_output)
- ``run_command(["yes"], 2)`` in a bare Python process

    python benchmarks/bench_hostile.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from envdoctor.entry import main; main()"]


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, int, int, int]:
    """(wall seconds, sampled peak RSS of the process, ru_maxrss of its tree in bytes, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            watched = psutil.Process(proc.pid)
            while not done.is_set():
                peak = max(peak, watched.memory_info().rss)
                time.sleep(0.01)
        except psutil.Error:
            pass

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return wall, peak, usage.ru_maxrss * scale, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("yes") is None:
        raise SystemExit("needs `yes` on PATH")
    with tempfile.TemporaryDirectory(prefix="envdoctor-bench-") as folder:
        smi = Path(folder) / "nvidia-smi"
        smi.write_text('#!/bin/sh\nexec yes "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000)"\n')
        smi.chmod(0o755)
        base = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        cases = [
            ("`check --timeout 2 --json`, endless nvidia-smi", CLI + ["check", "--timeout", "2", "--json"],
             dict(base, PATH=f"{folder}{os.pathsep}{os.environ['PATH']}")),
            ("`verify --device cpu --json`, endless torch output", CLI + ["verify", "--device", "cpu", "--json"],
             dict(base, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests" / "fake_torch" / "endless_output")]))),
            ('`run_command(["yes"], 2)`', [sys.executable, "-c", "from envdoctor.door import run_command\n"
                                           "r = run_command(['yes'], 2.0)\nassert r.truncated"], base),
        ]
        print(f"{platform.machine()} · {platform.system()} · Python {platform.python_version()} · "
              f"{os.cpu_count()} CPUs · median of {args.runs} runs\n")
        print("| case | wall (s) | envdoctor peak RSS (MiB) | largest process in its tree (MiB) | exit code |")
        print("|---|---:|---:|---:|---:|")
        for title, argv, env in cases:
            runs = [measure(argv, env) for _ in range(args.runs)]
            wall = statistics.median(run[0] for run in runs)
            peak = statistics.median(run[1] for run in runs) / 2**20
            tree = statistics.median(run[2] for run in runs) / 2**20
            codes = sorted({run[3] for run in runs})
            print(f"| {title} | {wall:.2f} | {peak:.0f} | {tree:.0f} | {', '.join(map(str, codes))} |")


if __name__ == "__main__":
    main()
