"""Time `install --dry-run --facts` for a described machine with many identical GPUs.

The facts are the recorded ``rhel9-a100-525-cuda118`` machine's, its one A100 repeated N times. Identical
GPUs are judged once per candidate build; the rest of the run (reading the report, rendering) is linear
in the GPUs. Each row is a fresh process; the median of N runs.

    python benchmarks/bench_many_gpus.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MACHINE = REPO / "tests" / "machines" / "rhel9-a100-525-cuda118"


def envdoctor(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "envdoctor", *args], capture_output=True, text=True, env=env,
                          timeout=600, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    report = json.loads(envdoctor("check", "--json", "--machine", str(MACHINE)).stdout)
    gpu = report["facts"]["nvidia"]["gpus"][0]
    print(f"{platform.machine()} · {platform.system()} · Python {platform.python_version()} · median of {args.runs} runs\n")
    print("| identical GPUs | report size (MiB) | install --dry-run --facts (s) | exit code |")
    print("|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for count in (1, 100, 2_000, 20_000):
            report["facts"]["nvidia"]["gpus"] = [dict(gpu, index=i, uuid=None, pci_bus_id=None) for i in range(count)]
            path = Path(folder) / f"gpus-{count}.json"
            path.write_text(json.dumps(report))
            times, code = [], 0
            for _ in range(args.runs):
                start = time.perf_counter()
                code = envdoctor("install", "--dry-run", "--facts", str(path), "torch").returncode
                times.append(time.perf_counter() - start)
            size = path.stat().st_size / 2**20
            print(f"| {count:,} | {size:.1f} | {statistics.median(times):.2f} | {code} |")


if __name__ == "__main__":
    main()
