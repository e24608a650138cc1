"""What `envdoctor verify` costs beyond `python -c "import torch"`, on this machine's CPU.

Runs the floor (a fresh `python -c "import torch"`) and `run_verify` on the CPU N times each and
prints a markdown table of medians. The target: the verifier's own cost, with the measured
performance stage switched off (perf_seconds=0), stays under 1 s; the performance stage then adds
its budget on top.

    python benchmarks/bench_verify.py [--runs 5] [--python PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

from envdoctor.door import LiveDoor
from envdoctor.verify import VerifyOptions, run_verify, verify_ok

TARGET_S = 1.0


def time_import(python: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([python, "-c", "import torch"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=300, check=False)
        times.append(time.perf_counter() - start)
    return times


def time_verify(python: str, runs: int, perf_seconds: float) -> tuple[list[float], list[float]]:
    """Wall time of each run, and the summed durations of its checks other than import and perf."""
    walls, checks_cost = [], []
    for _ in range(runs):
        start = time.perf_counter()
        checks = run_verify(LiveDoor(), VerifyOptions(python=python, device="cpu", perf_seconds=perf_seconds))
        walls.append(time.perf_counter() - start)
        if not verify_ok(checks):
            failed = ", ".join(f"{c.id}: {c.message}" for c in checks if c.status == "fail")
            raise SystemExit(f"verify failed on this machine, timings would mean nothing: {failed}")
        checks_cost.append(sum(c.duration_s or 0.0 for c in checks if c.id != "import" and ".perf." not in c.id))
    return walls, checks_cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", default=sys.executable, help="interpreter with torch")
    args = parser.parse_args()
    time_import(args.python, 1)  # warm the page cache
    floor = statistics.median(time_import(args.python, args.runs))
    bare, bare_checks = time_verify(args.python, args.runs, 0.0)
    full, _ = time_verify(args.python, args.runs, VerifyOptions().perf_seconds)
    bare_median, full_median = statistics.median(bare), statistics.median(full)
    overhead = bare_median - floor
    print(f"{platform.machine()} · {platform.system()} · Python {platform.python_version()} · "
          f"{os.cpu_count()} CPUs · median of {args.runs} runs\n")
    print("| what | median (s) | beyond import torch (s) |")
    print("|---|---:|---:|")
    print(f'| `python -c "import torch"` | {floor:.3f} | 0 |')
    print(f"| verify --device cpu, perf stage off | {bare_median:.3f} | {overhead:.3f} |")
    print(f"| ... of which the checks themselves | {statistics.median(bare_checks):.3f} | |")
    print(f"| verify --device cpu, perf budget {VerifyOptions().perf_seconds:g} s | {full_median:.3f} | "
          f"{full_median - floor:.3f} |")
    verdict = "meets" if overhead < TARGET_S else "misses"
    print(f"\nverifier's own cost {overhead:.3f} s {verdict} the {TARGET_S:g} s target")


if __name__ == "__main__":
    main()
