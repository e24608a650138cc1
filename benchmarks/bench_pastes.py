"""Time `envdoctor diagnose` on pastes: a real traceback, a 1 MB log with the error inside, a 100,000-line
nvidia-smi-style GPU list, and 250 hostile 4,000-character lines that hold a message's fixed words amid text that
almost matches (reading must stay linear: the time per line is printed).

In process (recipes loaded once, as the command does), median of N runs.

    python benchmarks/bench_pastes.py [--runs 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from envdoctor.diagnose import diagnose  # noqa: E402
from envdoctor.readers import read_text  # noqa: E402
from envdoctor.recipes import load_recipes  # noqa: E402

PASTES = ROOT / "tests" / "fixtures" / "pastes"


def median_time(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    recipes = load_recipes()
    error = (PASTES / "004.txt").read_text(encoding="utf-8")
    log_line = "2024-05-01 12:00:00 INFO step 1200 loss=0.4312 lr=3e-4 /home/u/train.py:88 torch cuda ok\n"
    one_mb = log_line * (1024 * 1024 // len(log_line)) + error
    gpu_list = "".join(f"GPU {i}: NVIDIA H100 80GB HBM3 (UUID: GPU-{i:08d}-0000-0000-0000-000000000000)\n"
                       for i in range(100_000)) + error
    fillers = ("a." * 2000, "/" * 4000, "x" * 4000, "0." * 2000, "torch/" * 700)
    words = (": undefined symbol: _Z", ": cannot open shared object file", " with CUDA capability sm_86 is not compatible",
             "site-packages/torch/", " has no wheels with a matching Python ABI tag")
    hostile = "".join(f"{fillers[i % 5][:1900]}{words[i % 5]}{fillers[(i + 1) % 5][:1900]}\n" for i in range(250))
    print(f"python {platform.python_version()} on {platform.machine()}, median of {runs}")
    for name, text in (("real traceback (004)", error), ("1 MB log + error", one_mb),
                       ("100,000-line GPU list + error", gpu_list), ("250 hostile 4,000-char lines", hostile)):
        seconds = median_time(lambda text=text: diagnose(read_text(text, "paste"), recipes, "paste"), runs)
        lines = text.count("\n") + 1
        print(f"{name:32s} {len(text) / 1e6:6.2f} MB {lines:8d} lines {seconds * 1000:9.1f} ms "
              f"{seconds / lines * 1e6:7.2f} us/line")


if __name__ == "__main__":
    main()
