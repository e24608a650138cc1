"""Time `envdoctor check --json` against what users run instead, on this machine.

Compares, each as a fresh process: envdoctor check --json, `python -m torch.utils.collect_env`
and a bare `python -c "import torch"` (the floor for anything that imports torch), with
`envdoctor --version` beside them: the floor under check (the interpreter's start, click and the CLI
imported, nothing probed). envdoctor runs as
users have it: installed from a wheel of this checkout into a venv of the benchmark's own, which is also
the activated environment every command runs in (with the given interpreter's torch). The commands
are interleaved (one of each per round, N rounds), so a change in the machine's load touches every
command alike. Wall time and CPU time (user + sys of the process and its children) are both
reported: on a shared machine the CPU time moves less than the wall time. The commands run with
bytecode written and read (PYTHONDONTWRITEBYTECODE is dropped from their environment), and the
warm-up round also fills envdoctor's cache of validated recipes, as on an installed machine. That cache
lives in a folder of the benchmark's own (XDG_CACHE_HOME): a cache entry is keyed by envdoctor's code
files, so another checkout's envdoctor running meanwhile on the same account would otherwise replace it
and every timed run would validate the recipes again. Prints a markdown table for README.md;
``--max-check-ms`` and ``--min-ratio`` make it a gate (exit 1 when missed).

    python benchmarks/bench_check.py [--rounds 15] [--python PATH] [--max-check-ms 100] [--min-ratio 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK = "envdoctor check --json"
COLLECT_ENV = "python -m torch.utils.collect_env"


#: The environment of every command: bytecode cached as an installed package has it (and, in main, a cache
#: folder of the benchmark's own).
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree) of one run: os.wait4 gives the child's own
    rusage, which includes its reaped descendants (the probes' commands, the pyinfo child)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = 0  # reaped by wait4: tell Popen not to wait for it again
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--python", default=sys.executable, help="interpreter with envdoctor and torch")
    parser.add_argument("--max-check-ms", type=float, help="fail when check's wall median is above this")
    parser.add_argument("--min-ratio", type=float, help="fail when collect_env / check (wall medians) is below this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="envdoctor-bench-") as folder:
        ENV["XDG_CACHE_HOME"] = os.path.join(folder, "cache")
        measure(args, folder)


def _run(argv: list[str]) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=600).stdout.strip()


def install_as_users_have_it(python: str, folder: str) -> str:
    """A venv with envdoctor installed from a wheel of this checkout, as ``pip install envdoctor`` leaves it
    (a development install's import hook would cost every start, envdoctor's and its target interpreter's,
    some 10 ms), and with ``python``'s packages (torch, envdoctor's dependencies) on its path through a
    ``.pth`` file. Returns the venv's interpreter."""
    _run([python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", f"{folder}/wheel", REPO])
    _run([python, "-m", "venv", f"{folder}/venv"])
    venv_python = os.path.join(folder, "venv", "bin", "python")
    wheels = [os.path.join(folder, "wheel", name) for name in os.listdir(f"{folder}/wheel")]
    _run([venv_python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", *wheels])
    where = "import sysconfig; p = sysconfig.get_paths(); print(p['purelib']); print(p['platlib'])"
    packages = dict.fromkeys(_run([python, "-c", where]).splitlines())
    with open(os.path.join(_run([venv_python, "-c", where]).splitlines()[0], "benchmark-packages.pth"), "w") as pth:
        pth.write("".join(f"{path}\n" for path in packages))
    ENV["VIRTUAL_ENV"] = os.path.join(folder, "venv")  # the activated environment: check's target
    ENV["PATH"] = os.pathsep.join([os.path.join(folder, "venv", "bin"), ENV.get("PATH", "")])
    return venv_python


def measure(args: argparse.Namespace, folder: str) -> None:
    python = install_as_users_have_it(args.python, folder)
    version = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('torch'))"],
                             capture_output=True, text=True, timeout=60).stdout.strip() or "not installed"
    commands = {
        CHECK: [os.path.join(os.path.dirname(python), "envdoctor"), "check", "--json"],
        # the floor under check: the interpreter's start and the imports every envdoctor command makes
        "envdoctor --version": [os.path.join(os.path.dirname(python), "envdoctor"), "--version"],
        COLLECT_ENV: [python, "-m", "torch.utils.collect_env"],
        'python -c "import torch"': [python, "-c", "import torch"],
    }
    for argv in commands.values():  # warm the page cache
        run_once(argv)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, argv in commands.items():
            samples[name].append(run_once(argv))
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in samples.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in samples.items()}
    base = wall[CHECK]
    load = f" · load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(f"{platform.machine()} · {platform.system()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
          f"torch {version} · medians of {args.rounds} interleaved rounds{load}\n")
    print("| command | wall median (ms) | CPU median (ms, user+sys) | wall vs envdoctor check | CPU vs envdoctor check |")
    print("|---|---:|---:|---:|---:|")
    for name in commands:
        print(f"| `{name}` | {wall[name] * 1000:.0f} | {cpu[name] * 1000:.0f} | {wall[name] / base:.1f}x "
              f"| {cpu[name] / cpu[CHECK]:.1f}x |")
    missed = []
    if args.max_check_ms is not None and base * 1000 > args.max_check_ms:
        missed.append(f"check took {base * 1000:.0f} ms (limit {args.max_check_ms:g})")
    if args.min_ratio is not None and wall[COLLECT_ENV] / base < args.min_ratio:
        missed.append(f"collect_env is only {wall[COLLECT_ENV] / base:.1f}x check (want {args.min_ratio:g}x)")
    if missed:
        print("\n" + "; ".join(missed), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
