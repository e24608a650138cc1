"""Time `envdoctor diagnose` on collect_env reports: a typical one (budget 0.2 s) and large ones (linear?).

In process: reading the report into facts, then the rules and the resolver's fix (recipes loaded once,
as the command loads them once), median of N runs. Large reports are a real report whose CPU section is
padded to 1,000 / 10,000 / 100,000 lines, as a pasted `lscpu` or a long issue thread makes them; the
time per line shows whether reading stays linear. Also the whole command as a fresh process.

    python benchmarks/bench_diagnose.py [--runs 7]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from envdoctor.diagnose import diagnose  # noqa: E402
from envdoctor.readers import read_text  # noqa: E402
from envdoctor.recipes import load_recipes  # noqa: E402

TYPICAL = ROOT / "tests" / "fixtures" / "collect_env" / "2.4.0-wsl2-rtx4070-laptop.txt"
GPU_REPORT = ROOT / "tests" / "fixtures" / "collect_env" / "2.6.0-ubuntu24.10-rtx5090d-cu126.md"


def padded(text: str, lines: int) -> str:
    """The report with its CPU block grown to ``lines`` lines (lscpu's layout)."""
    head, marker, tail = text.partition("CPU:\n")
    filler = "".join(f"Vulnerability Item {i}:                 Not affected\n" for i in range(lines))
    return head + marker + filler + tail


def median_time(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    start = time.perf_counter()
    recipes = load_recipes()
    load_s = time.perf_counter() - start
    rows = []
    for label, path in (("typical report (WSL 2, RTX 4070, 37 lines)", TYPICAL),
                        ("typical report with a finding and a fix (RTX 5090 D, 31 lines)", GPU_REPORT)):
        text = path.read_text(encoding="utf-8")
        rows.append((label, text.count("\n") + 1,
                     median_time(lambda t=text: diagnose(read_text(t, "r"), recipes, "r"), args.runs)))
    base = TYPICAL.read_text(encoding="utf-8")
    for lines in (1_000, 10_000, 100_000):
        text = padded(base, lines)
        rows.append((f"padded to {lines:,} lines", text.count("\n") + 1,
                     median_time(lambda t=text: diagnose(read_text(t, "r"), recipes, "r"), args.runs)))
    fresh: dict[str, list[float]] = {"diagnose": [], "floor": []}
    for _ in range(args.runs):
        for name, argv in (("diagnose", ["diagnose", str(TYPICAL), "--json"]), ("floor", ["--version"])):
            begin = time.perf_counter()
            subprocess.run([sys.executable, "-m", "envdoctor", *argv], cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120, check=False)
            fresh[name].append(time.perf_counter() - begin)
    print(f"{platform.machine()} · {platform.system()} · Python {platform.python_version()} · median of {args.runs} runs"
          f" · recipes loaded once in {load_s:.3f} s\n")
    print("| input | lines | diagnose (s) | µs per line |")
    print("|---|---:|---:|---:|")
    for label, lines, seconds in rows:
        print(f"| {label} | {lines:,} | {seconds:.4f} | {seconds / lines * 1e6:.1f} |")
    print(f"| `envdoctor diagnose {TYPICAL.name} --json` as a fresh process | | "
          f"{statistics.median(fresh['diagnose']):.3f} | |")
    print(f"| `envdoctor --version` (the interpreter and click: the floor of any command) | | "
          f"{statistics.median(fresh['floor']):.3f} | |")


if __name__ == "__main__":
    main()
