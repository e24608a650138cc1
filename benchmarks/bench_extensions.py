"""Time `envdoctor check --json` on a venv with 20 compiled extensions installed, against the same venv without.

The extensions are metadata-only wheels of real release names and labels (tests/extension_wheels.py); check
reads their dist-info only, so the cost is listing sys.path and opening 20 METADATA files. Budget: the
extensions probe itself (timed in-process, catalog loaded) takes at most 50 ms over 20 extensions; the whole
check is timed too, bare and full runs interleaved so that a busy machine slows both alike. Prints a markdown
table (medians of N runs).

    python benchmarks/bench_extensions.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from extension_wheels import build_all  # noqa: E402
from install_servers import torch_wheel  # noqa: E402

BUDGET_S = 0.05
#: 20 distributions: 19 catalogued (each project, every PyG and triton name) and einops, which is not read.
TWENTY = {
    "flash_attn": ("2.6.3+cu123torch2.4cxx11abiFALSE", ["torch", "einops"]),
    "xformers": ("0.0.28.post1+cu121", ["numpy", "torch==2.4.1"]),
    "apex": ("0.1", []),
    "bitsandbytes": ("0.45.0", ["torch", "numpy"]),
    "torch_scatter": ("2.1.2+pt24cu121", []),
    "torch_sparse": ("0.6.18+pt212cu130", ["scipy"]),
    "torch_cluster": ("1.6.3+pt213cpu", []),
    "torch_spline_conv": ("1.2.2+pt24cu121", []),
    "pyg_lib": ("0.4.0+pt20cu118", []),
    "mmcv": ("2.1.0", []),
    "mmcv_full": ("1.7.2", []),
    "detectron2": ("0.6+cu113", []),
    "deepspeed": ("0.15.1", ["torch"]),
    "vllm": ("0.6.3", ["torch==2.4.0"]),
    "torchao": ("0.7.0+cu124", []),
    "triton": ("3.0.0", []),
    "pytorch_triton": ("3.1.0", []),
    "pytorch_triton_rocm": ("3.1.0", []),
    "pytorch_triton_xpu": ("3.1.0", []),
    "einops": ("0.8.0", []),
}


def check_seconds(python: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "envdoctor", "check", "--python", python, "--json"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300, check=False)
    return time.perf_counter() - start


def probe_seconds(python: str, runs: int) -> tuple[float, int]:
    """Median time of the extensions probe alone on ``python`` (its pyinfo answer and the catalog ready)."""
    from envdoctor.door import LiveDoor
    from envdoctor.extensions import builtin_catalog
    from envdoctor.probes import ProbeContext, extensions

    builtin_catalog()
    ctx = ProbeContext(door=LiveDoor(), python=python)
    ctx.pyinfo()
    times, found = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        found = len(extensions.probe(ctx.for_probe()).installed)
        times.append(time.perf_counter() - start)
    return statistics.median(times), found


def make_venv(root: Path, wheels: list[Path]) -> str:
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    python = str(root / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", *map(str, wheels)],
                   check=True, timeout=900)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    wheel = torch_wheel()
    if wheel is None:
        raise SystemExit("no torch-2.13.0+cpu wheel for this Python on disk")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        bare = make_venv(root / "bare", [wheel])
        full = make_venv(root / "full", [wheel, *build_all(root / "wheels", TWENTY)])
        bare_times, full_times = [], []
        for _ in range(args.runs):
            bare_times.append(check_seconds(bare))
            full_times.append(check_seconds(full))
        probe, found = probe_seconds(full, args.runs)
    print(f"| venv (torch 2.13.0 CPU) | check --json, median of {args.runs} |")
    print("|---|---|")
    print(f"| no extensions | {statistics.median(bare_times):.3f} s |")
    print(f"| 20 extensions | {statistics.median(full_times):.3f} s |")
    verdict = "within" if probe <= BUDGET_S else "OVER"
    print(f"| the extensions probe alone ({found} found) | {probe * 1000:.1f} ms (budget {BUDGET_S * 1000:.0f} ms: {verdict}) |")
    raise SystemExit(0 if probe <= BUDGET_S else 1)


if __name__ == "__main__":
    main()
