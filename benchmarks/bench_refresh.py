"""Time `recipes refresh` against a loopback index of 3 packages x 50 releases, and its peak memory.

The index is synthesised (tests/install_servers.py serves it): torch 3.0.0 ... 3.49.0, each with PyPI
wheels for Linux x86_64 / aarch64, Windows (Pythons 3.11-3.14) and macOS arm64, five variants on the
PyTorch index (cpu, cu130, cu132, rocm7.2, xpu), and torchvision / torchaudio releases pinning each one
exactly. Every release is new to the data, so each run reads 150 torch wheels and 100 companion wheels
by byte ranges and writes 50 releases. Then it times loading the recipes with that overlay (what
`check` and `install` pay for it). Prints a markdown table.

    python benchmarks/bench_refresh.py [--runs 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from install_servers import RefreshIndex, wheel_zip  # noqa: E402

from envdoctor.door import LiveDoor  # noqa: E402
from envdoctor.recipes import load_recipes  # noqa: E402
from envdoctor.refresh.run import run_refresh  # noqa: E402

RELEASES = 50
PYTHONS = ("311", "312", "313", "314")
TAGS = ("manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "win_amd64")
VARIANTS = (("cpu", TAGS[:1] + TAGS[2:]), ("cu130", TAGS), ("cu132", TAGS), ("rocm7.2", TAGS[:1]), ("xpu", TAGS[:1] + TAGS[2:]))
METADATA = (ROOT / "tests" / "fixtures" / "refresh" / "metadata" / "torch-2.14.1-cp312-cp312-manylinux_2_28_x86_64.whl.metadata")


def synthetic_index() -> tuple[dict[str, list[dict]], list[tuple[str, str]], dict[str, bytes]]:
    projects: dict[str, list[dict]] = {"torch": [], "torchvision": [], "torchaudio": []}
    listing: list[tuple[str, str]] = []
    wheels: dict[str, bytes] = {}
    metadata = METADATA.read_bytes()
    for n in range(RELEASES):
        version, day = f"3.{n}.0", f"2027-{1 + n // 28:02d}-{1 + n % 28:02d}"
        for py in PYTHONS:
            for tag in (*TAGS, "macosx_14_0_arm64"):
                name = f"torch-{version}-cp{py}-cp{py}-{tag}.whl"
                projects["torch"].append({"filename": name, "url": name, "requires-python": ">=3.11",
                                          "upload-time": f"{day}T12:00:00Z"})
        for tag in TAGS:
            name = f"torch-{version}-cp314-cp314-{tag}.whl"
            build = "cpu" if tag == "win_amd64" else "cu132"
            wheels[name] = wheel_zip({f"torch-{version}.dist-info/METADATA": metadata,
                                      "torch/version.py": f"__version__ = '{version}+{build}'\n".encode()}, filler=10_000)
        for project, companion in (("torchvision", f"1.{n}.0"), ("torchaudio", f"3.{n}.0")):
            name = f"{project}-{companion}-py3-none-manylinux_2_28_x86_64.whl"
            projects[project].append({"filename": name, "url": name, "upload-time": f"{day}T12:10:00Z"})
            wheels[name] = wheel_zip({f"{project}-{companion}.dist-info/METADATA":
                                      f"Name: {project}\nRequires-Dist: torch=={version}\n".encode()}, filler=10_000)
        for variant, tags in VARIANTS:
            listing += [(variant, f"torch-{version}+{variant}-cp312-cp312-{tag}.whl") for tag in tags]
    return projects, listing, wheels


def serve(pipe) -> None:
    """The index, in a process of its own: the refresh measured shares no interpreter with the server."""
    projects, listing, wheels = synthetic_index()
    with RefreshIndex(projects=projects, listing=listing, wheels=wheels) as index:
        pipe.send((index.pypi_url, index.index_url))
        pipe.recv()


def refresh_once(known, pypi: str, index: str, folder: Path, traced: bool) -> tuple[float, float, object]:
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    run = run_refresh(LiveDoor(), known, pypi=pypi, index=index, offline=False, dry_run=False, python=None, timeout=30,
                      cache_folder=folder / "cache", target_folder=folder / "refreshed")
    took = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if traced else 0.0
    if traced:
        tracemalloc.stop()
    assert len(run.outcome.releases) == RELEASES, run.outcome.notes[:3]
    return took, peak, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    known = load_recipes(refreshed=False)
    here, there = multiprocessing.get_context("fork").Pipe()
    server = multiprocessing.get_context("fork").Process(target=serve, args=(there,), daemon=True)
    server.start()
    pypi, index = here.recv()
    times, peaks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(args.runs):
            took, _, run = refresh_once(known, pypi, index, Path(tmp) / f"run{number}", traced=False)
            times.append(took)
        _, peak, run = refresh_once(known, pypi, index, Path(tmp) / "traced", traced=True)
        peaks.append(peak)
        requests, sizes = run.requests, run.target.stat().st_size  # type: ignore[attr-defined]
        here.send("stop")
        server.join(10)
        loads = []
        for _ in range(5):
            start = time.perf_counter()
            load_recipes(refreshed=Path(tmp) / "traced" / "refreshed")
            loads.append((time.perf_counter() - start) * 1000)
        builtin_only = []
        for _ in range(5):
            start = time.perf_counter()
            load_recipes(refreshed=False)
            builtin_only.append((time.perf_counter() - start) * 1000)
    print(f"bench_refresh · {platform.python_version()} · {platform.machine()} · {RELEASES} releases x 3 packages")
    print()
    print("| measure | median | worst |")
    print("|---|---|---|")
    print(f"| refresh, loopback index ({requests} requests, overlay {sizes / 1024:.0f} KiB) | "
          f"{statistics.median(times):.2f} s | {max(times):.2f} s |")
    print(f"| peak Python memory of a refresh (tracemalloc, one run) | {statistics.median(peaks):.1f} MB | {max(peaks):.1f} MB |")
    print(f"| load recipes, built-in + {RELEASES} refreshed releases | {statistics.median(loads):.0f} ms | {max(loads):.0f} ms |")
    print(f"| load recipes, built-in only | {statistics.median(builtin_only):.0f} ms | {max(builtin_only):.0f} ms |")


if __name__ == "__main__":
    main()
