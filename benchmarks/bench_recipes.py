"""Time loading + validating the built-in recipes, and one resolution, in-process.

Budgets: loading and validating every recipe < 50 ms; one resolution < 5 ms. Prints a markdown
table (median and worst of N runs, after one warm-up run).

    python benchmarks/bench_recipes.py [--runs 50]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from envdoctor.facts import Facts, Gpu, NvidiaFacts, PythonFacts
from envdoctor.recipes import load_recipes
from envdoctor.resolver import Request, resolve


def gpu_box() -> Facts:
    facts = Facts()
    facts.os.system, facts.os.arch, facts.os.glibc = "Linux", "x86_64", "2.35"
    facts.python = PythonFacts(executable="/usr/bin/python3", version="3.12.3", implementation="cpython")
    facts.nvidia = NvidiaFacts(status="ok", driver_version="550.54.15", driver_max_cuda="12.4",
                               gpus=[Gpu("nvidia", 0, "NVIDIA GeForce GTX 1080"), Gpu("nvidia", 1, "NVIDIA GeForce RTX 4090")])
    return facts


def measure(func, runs: int) -> list[float]:
    func()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    recipes = load_recipes()
    facts = gpu_box()
    rows = {
        "load + validate all recipes": (measure(load_recipes, args.runs), 50.0),
        "resolve (2 GPUs, driver 550)": (measure(lambda: resolve(facts, Request(), recipes), args.runs), 5.0),
        "resolve ('torch>=2.4,<2.6')": (measure(lambda: resolve(facts, Request(["torch>=2.4,<2.6"]), recipes), args.runs), 5.0),
    }
    print(f"{platform.machine()} · {platform.system()} · Python {platform.python_version()} · {args.runs} runs\n")
    print("| operation | median (ms) | worst (ms) | budget (ms) |")
    print("|---|---:|---:|---:|")
    for name, (times, budget) in rows.items():
        print(f"| {name} | {statistics.median(times):.2f} | {max(times):.2f} | {budget:.0f} |")


if __name__ == "__main__":
    main()
