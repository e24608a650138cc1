"""What `envdoctor verify` costs beyond `python -c "import torch"`, per --level, on this machine's CPU.

Runs the floor (a fresh `python -c "import torch"`) and `run_verify --device cpu` at each level N times
and prints a markdown table of medians: the wall time, what it adds to the import, and the slowest
checks. The budgets README states, beyond the import, on a 2-core CPU: quick under 2 s (a CI gate),
standard under 8 s (2 s of it the performance stage), full under 30 s (10 s of it the performance stage).

    python benchmarks/bench_verify.py [--runs 5] [--python PATH] [--levels quick,standard,full]
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

#: Seconds each level may add to `import torch` on a CPU (README's budgets).
BUDGET_S = {"quick": 2.0, "standard": 8.0, "full": 30.0}


def time_import(python: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([python, "-c", "import torch"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=300, check=False)
        times.append(time.perf_counter() - start)
    return times


def time_level(python: str, runs: int, level: str) -> tuple[list[float], dict[str, list[float]]]:
    """Wall time of each run, and each check's duration over the runs."""
    walls: list[float] = []
    durations: dict[str, list[float]] = {}
    for _ in range(runs):
        start = time.perf_counter()
        checks = run_verify(LiveDoor(), VerifyOptions(python=python, device="cpu", level=level))
        walls.append(time.perf_counter() - start)
        if not verify_ok(checks):
            failed = ", ".join(f"{c.id}: {c.message}" for c in checks if c.status == "fail")
            raise SystemExit(f"verify --level {level} failed on this machine, timings would mean nothing: {failed}")
        for check in checks:
            if check.duration_s is not None and check.id != "import":
                durations.setdefault(check.id, []).append(check.duration_s)
    return walls, durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", default=sys.executable, help="interpreter with torch")
    parser.add_argument("--levels", default="quick,standard,full")
    args = parser.parse_args()
    levels = [level for level in args.levels.split(",") if level]
    time_import(args.python, 1)  # warm the page cache
    floor = statistics.median(time_import(args.python, args.runs))
    print(f"{platform.machine()} · {platform.system()} · Python {platform.python_version()} · "
          f"{os.cpu_count()} CPUs · median of {args.runs} runs\n")
    print("| what | median (s) | beyond import torch (s) | budget (s) | slowest checks (median s) |")
    print("|---|---:|---:|---:|---|")
    print(f'| `python -c "import torch"` | {floor:.3f} | 0 | | |')
    verdicts = []
    for level in levels:
        walls, durations = time_level(args.python, args.runs, level)
        median = statistics.median(walls)
        slowest = sorted(((statistics.median(v), k) for k, v in durations.items()), reverse=True)[:3]
        shown = ", ".join(f"{name} {seconds:.2f}" for seconds, name in slowest)
        print(f"| verify --device cpu --level {level} | {median:.3f} | {median - floor:.3f} | {BUDGET_S[level]:g} | "
              f"{shown} |")
        verdicts.append(f"{level}: {median - floor:.2f} s {'within' if median - floor <= BUDGET_S[level] else 'OVER'} "
                        f"its {BUDGET_S[level]:g} s budget")
    print("\n" + "; ".join(verdicts))


if __name__ == "__main__":
    main()
