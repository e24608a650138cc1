"""Time `envdoctor check --json` against what users run instead, on this machine.

Compares, each as a fresh process: envdoctor check --json, `python -m torch.utils.collect_env`
and a bare `python -c "import torch"` (the floor for anything that imports torch). Prints a
markdown table (median of N runs) for README.md.

    python benchmarks/bench_check.py [--runs 7] [--python PATH]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time


def time_command(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300, check=False)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", default=sys.executable, help="interpreter with envdoctor and torch")
    args = parser.parse_args()
    version = subprocess.run([args.python, "-c", "import importlib.metadata as m; print(m.version('torch'))"],
                             capture_output=True, text=True, timeout=60).stdout.strip() or "not installed"
    commands = {
        "envdoctor check --json": [args.python, "-m", "envdoctor", "check", "--json"],
        "python -m torch.utils.collect_env": [args.python, "-m", "torch.utils.collect_env"],
        'python -c "import torch"': [args.python, "-c", "import torch"],
    }
    time_command(commands["envdoctor check --json"], 1)  # warm the page cache
    medians = {name: statistics.median(time_command(argv, args.runs)) for name, argv in commands.items()}
    base = medians["envdoctor check --json"]
    print(f"{platform.machine()} · {platform.system()} · Python {platform.python_version()} · "
          f"torch {version} · median of {args.runs} runs\n")
    print("| command | median (s) | vs envdoctor check |")
    print("|---|---:|---:|")
    for name, median in medians.items():
        print(f"| `{name}` | {median:.3f} | {median / base:.1f}x |")


if __name__ == "__main__":
    main()
