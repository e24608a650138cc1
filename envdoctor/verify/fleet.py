"""``envdoctor verify --distributed``: one pre-flight check of a whole training job's ranks.

How the processes relate. The launcher (``torchrun``, ``srun`` or ``mpirun``) starts one envdoctor
per rank. That process never imports torch: like plain ``verify`` it probes its node and runs the
smoke test in a child process; then it starts a second child in the same interpreter,
``fleet_rank.py``, which imports torch, joins the job through the launcher's rendezvous (the
variables :func:`launch_from_env` reads), gathers every rank's summary to rank 0, checks all_reduce
and measures its bus bandwidth. That child runs under a deadline like the smoke test, and every step
inside it has its own (see ``fleet_rank.py``), so a hung or missing rank is named, not waited on.

Rank 0 compares the summaries (:func:`compare`, linear in the number of ranks) and prints the one
report; the other ranks print nothing on stdout and exit 0 once their part is done, so a launcher
that stops the job when one rank fails never stops rank 0 before it has reported. The job's exit
code is rank 0's: 0 when every rank agrees, verifies and sums correctly, 1 otherwise.

Bandwidth is reported as nccl-tests reports it (nccl-tests, doc/PERFORMANCE.md): algbw = bytes /
time, busbw = algbw * 2(n-1)/n for all_reduce, the time being the slowest rank's mean per call.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envdoctor import __version__, compat, policy
from envdoctor.datatypes import datatype
from envdoctor.door import Door
from envdoctor.facts import Check, Facts
from envdoctor.readers.json_text import parse_json_text
from envdoctor.report import Report
from envdoctor.verify import runner

FLEET_PATH = Path(__file__).resolve().with_name("fleet_rank.py")
FLEET_SCRIPT = FLEET_PATH.read_text(encoding="utf-8")
#: What rank 0 compares across ranks, in report order.
FIELDS = ("envdoctor", "python", "torch", "variant", "cuda", "cudnn", "nccl", "driver", "gpu_model", "gpu_count")
#: The all_reduce whose bandwidth is measured, per backend: bytes and timed calls (after one warm-up).
BANDWIDTH = {"nccl": {"bytes": 256 * 1024 * 1024, "iterations": 20}, "gloo": {"bytes": 8 * 1024 * 1024, "iterations": 5}}
#: Steps the rank script runs, each under the fleet timeout (fleet.import ... fleet.busbw).
STEPS = 10
IMPORT_ALLOWANCE_S = 120.0
MAX_WORLD_SIZE = 1_000_000
MAX_VALUE_LENGTH = 200
SHOWN_RANKS = 10
_ADDRESS = re.compile(r"^[A-Za-z0-9._:%\[\]-]{1,255}$", re.ASCII)
_RUN_ID = re.compile(r"[^A-Za-z0-9._-]+")


class LaunchError(ValueError):
    """No launcher's variables, or values that cannot be a rank; the message says what to do."""


@datatype(frozen=True)
class Launch:
    """Where this process stands in the job, as its launcher said."""

    launcher: str  # "torchrun" | "slurm" | "openmpi" | "mpich" | "env"
    rank: int
    world_size: int
    local_rank: int
    master_addr: str
    master_port: int
    run_id: str  # names this run's keys in the rendezvous store
    agent_store: bool  # torchrun's agent hosts the store; otherwise rank 0 does


#: (launcher, rank, world size, local rank, run id) variables, most explicit first.
LAUNCHERS = (
    ("env", "RANK", "WORLD_SIZE", "LOCAL_RANK", "TORCHELASTIC_RUN_ID"),
    ("slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_JOB_ID"),
    ("openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_MCA_ess_base_jobid"),
    ("mpich", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "PMI_ID"),
)


def _number(env: Mapping[str, str], name: str, low: int, high: int) -> int:
    number = compat.parse_count(env.get(name, ""))
    if number is None or not low <= number <= high:
        raise LaunchError(f"{name}={env.get(name)!r} is not a whole number from {low} to {high}")
    return number


def launch_from_env(env: Mapping[str, str]) -> Launch:
    """The rank and rendezvous from torchrun (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT),
    Slurm's srun (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID), Open MPI's mpirun (OMPI_COMM_WORLD_*) or
    MPICH / Intel MPI (PMI_RANK, PMI_SIZE, MPI_LOCALRANKID). Outside torchrun, MASTER_ADDR must name
    rank 0's host (MASTER_PORT defaults to 29500), as for torch.distributed's env:// rendezvous."""
    found = next((names for names in LAUNCHERS if names[1] in env and names[2] in env), None)
    if found is None:
        raise LaunchError("no launcher found (RANK and WORLD_SIZE are not set): start it with torchrun, srun or "
                          "mpirun, e.g. `torchrun --nproc-per-node 8 -m envdoctor verify --distributed`")
    launcher, rank_name, size_name, local_name, run_name = found
    if launcher == "env" and env.get("TORCHELASTIC_RUN_ID"):
        launcher = "torchrun"
    world = _number(env, size_name, 1, MAX_WORLD_SIZE)
    rank = _number(env, rank_name, 0, world - 1)
    local = _number(env, local_name, 0, MAX_WORLD_SIZE) if env.get(local_name, "").strip() else 0
    address = env.get("MASTER_ADDR", "").strip()
    if not address:
        raise LaunchError(f"MASTER_ADDR is not set: under {launcher}, export MASTER_ADDR=<rank 0's host> (and "
                          "MASTER_PORT, default 29500) before starting the ranks")
    if not _ADDRESS.match(address):
        raise LaunchError(f"MASTER_ADDR={address!r} is not a host name or address")
    port = _number(env, "MASTER_PORT", 1, 65535) if env.get("MASTER_PORT", "").strip() else 29500
    run_id = _RUN_ID.sub("_", env.get(run_name, "") or "job")[:64]
    if launcher == "torchrun":
        run_id += f".{_RUN_ID.sub('_', env.get('TORCHELASTIC_RESTART_COUNT', '0'))[:8]}"
    agent_store = env.get("TORCHELASTIC_USE_AGENT_STORE", "").strip().lower() == "true"
    return Launch(launcher, rank, world, local, address, port, run_id, agent_store)


def stop_children_on_sigterm() -> None:
    """Under a launcher, SIGTERM is how the job is stopped (torchrun stopping its workers, scancel):
    treat it as Ctrl-C, so the children this rank started are stopped before it exits."""
    import signal

    def interrupt(number: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


# ---------------------------------------------------------------------------- one rank's summary


def _field(observed: policy.Observed) -> str:
    if observed.unknown:
        return "unknown"
    return observed.values[0] if len(observed.values) == 1 else observed.text


def gpu_model(facts: Facts | None, checks: Sequence[Check]) -> str:
    """The accelerator models of this node, as torch names them (else as the probes do)."""
    devices = next((check.details for check in checks if check.id == "devices"), None)
    names = [name for label, name in runner.device_names(devices).items()] if devices else []
    if not names and facts is not None:
        names = [gpu.name or "?" for gpu in facts.nvidia.visible_gpus()]
        names += [gpu.name or gpu.arch or "?" for gpu in facts.rocm.gpus]
        names += [device.name or "?" for device in facts.xpu.devices]
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return " + ".join(f"{count}x {name}" if count > 1 else name for name, count in sorted(counts.items())) or "none"


def rank_summary(report: Report, launch: Launch) -> dict[str, Any]:
    """What this rank tells rank 0: the compared facts, and how its own verify went."""
    observed = policy.observe(report.facts, report.checks)
    summary: dict[str, Any] = {"rank": launch.rank, "local_rank": launch.local_rank, "envdoctor": __version__}
    for key, name in (("python", "python"), ("torch", "torch"), ("variant", "variant"), ("cuda", "cuda"),
                      ("cudnn", "cudnn"), ("nccl", "nccl"), ("driver", "driver"), ("gpus", "gpu_count")):
        summary[name] = _field(observed[key])
    summary["gpu_model"] = gpu_model(report.facts, report.checks)
    summary["failed_checks"] = [check.id for check in report.checks if check.status == "fail"][:20]
    summary["unmet_requirements"] = [result.requirement for result in report.requirements if not result.met][:20]
    return summary


# ---------------------------------------------------------------------------- rank 0's comparison


def _clean(value: Any) -> str:
    text = str(value) if value is not None else "none"
    return text[:MAX_VALUE_LENGTH]


def read_summaries(events: Sequence[Mapping[str, Any]], world_size: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The summaries the rank script gathered, one per rank, each value a short string; problems
    (a summary that is not an object, a rank out of range or twice) are listed, never raised."""
    found: dict[int, dict[str, Any]] = {}
    problems: list[str] = []
    for event in events:
        if event.get("name") != "summaries" or not isinstance(event.get("items"), list):
            continue
        for item in event["items"]:
            rank = item.get("rank") if isinstance(item, dict) else None
            if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < world_size or rank in found:
                problems.append(f"a summary for rank {rank!r} was out of range or repeated")
                continue
            try:
                data = parse_json_text(str(item.get("summary", "")), max_depth=4)
            except ValueError as exc:
                problems.append(f"rank {rank}: unreadable summary ({exc})")
                continue
            if not isinstance(data, dict):
                problems.append(f"rank {rank}: the summary is not an object")
                continue
            summary: dict[str, Any] = {key: _clean(data.get(key)) for key in (*FIELDS, "host")}
            summary["rank"] = rank
            summary["local_rank"] = data.get("local_rank") if isinstance(data.get("local_rank"), int) else None
            for key in ("failed_checks", "unmet_requirements"):
                values = data.get(key)
                summary[key] = [_clean(v) for v in values[:20]] if isinstance(values, list) else []
            found[rank] = summary
    return [found[rank] for rank in sorted(found)], problems


def _ranks_text(ranks: Sequence[int], hosts: Mapping[int, str]) -> str:
    """'rank 3 (node-b)' or 'ranks 3 (node-b), 5 (node-c) and 12 more'."""
    shown = ", ".join(f"{rank} ({hosts.get(rank, '?')})" for rank in ranks[:SHOWN_RANKS])
    more = f" and {len(ranks) - SHOWN_RANKS} more" if len(ranks) > SHOWN_RANKS else ""
    return f"rank{'s' if len(ranks) > 1 else ''} {shown}{more}"


def compare(summaries: Sequence[Mapping[str, Any]]) -> tuple[list[Check], list[int]]:
    """One check per compared field (``fleet.same.FIELD``) and one for the ranks' own verify
    (``fleet.ranks.verify``); and every rank that differs anywhere. The value most ranks have is the
    norm (a tie goes to the value of the lowest rank); every other value is named with its ranks and
    hosts. One pass over the ranks per field."""
    hosts = {int(s["rank"]): str(s.get("host") or "?") for s in summaries}
    total = len(summaries)
    checks = []
    odd: set[int] = set()
    for name in FIELDS:
        groups: dict[str, list[int]] = {}
        for summary in summaries:
            groups.setdefault(str(summary.get(name)), []).append(int(summary["rank"]))
        ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[1][0]))
        counts = {value: len(ranks) for value, ranks in ordered}
        if len(ordered) <= 1:
            value = ordered[0][0] if ordered else "?"
            checks.append(Check(f"fleet.same.{name}", "pass", f"same {name} on every rank",
                                f"{name}: {value} on all {total} rank(s)", details={"values": counts}))
            continue
        norm, norm_ranks = ordered[0]
        others = [f"{value} on {_ranks_text(ranks, hosts)}" for value, ranks in ordered[1:]]
        differing = [rank for _, ranks in ordered[1:] for rank in ranks]
        odd.update(differing)
        message = f"{name} differs: {norm} on {len(norm_ranks)} rank(s); " + "; ".join(others)
        checks.append(Check(f"fleet.same.{name}", "fail", f"same {name} on every rank", message,
                            details={"values": counts, "odd_ranks": sorted(differing)[:1000]}))
    failing = [s for s in summaries if s.get("failed_checks") or s.get("unmet_requirements")]
    if failing:
        odd.update(int(s["rank"]) for s in failing)
        parts = []
        for summary in failing[:SHOWN_RANKS]:
            what = [f"{check} failed" for check in summary.get("failed_checks") or []]
            what += [f"{requirement} unmet" for requirement in summary.get("unmet_requirements") or []]
            parts.append(f"{_ranks_text([int(summary['rank'])], hosts)}: {', '.join(what[:5])}")
        more = f"; and {len(failing) - SHOWN_RANKS} more rank(s)" if len(failing) > SHOWN_RANKS else ""
        checks.append(Check("fleet.ranks.verify", "fail", "every rank's own verify",
                            f"{len(failing)} of {total} rank(s) failed their own verify: " + "; ".join(parts) + more,
                            details={"ranks": [int(s["rank"]) for s in failing][:1000]}))
    else:
        checks.append(Check("fleet.ranks.verify", "pass", "every rank's own verify",
                            f"all {total} rank(s) passed their own verify and requirements"))
    return checks, sorted(odd)


# ---------------------------------------------------------------------------- running it


def fleet_options(launch: Launch, timeout: float) -> dict[str, Any]:
    return {"rank": launch.rank, "world_size": launch.world_size, "local_rank": launch.local_rank,
            "master_addr": launch.master_addr, "master_port": launch.master_port, "agent_store": launch.agent_store,
            "prefix": f"envdoctor/{launch.run_id}/", "timeout": float(timeout), "bandwidth": BANDWIDTH}


def fleet_argv(python: str, launch: Launch, timeout: float) -> list[str]:
    """The argv of this rank's child: fleet_rank.py by path (see runner.SCRIPT_LOADER) and its options."""
    return runner.script_argv(python, FLEET_PATH, json.dumps(fleet_options(launch, timeout)))


def run_fleet(door: Door, launch: Launch, report: Report, python: str | None, timeout: float) -> Report:
    """Run this rank's part; on rank 0 return the whole job's report, elsewhere this rank's own
    report with the fleet steps appended (for its one line on stderr)."""
    summary = rank_summary(report, launch)
    nonce = secrets.token_hex(16)
    argv = fleet_argv(python or door.python_executable(), launch, timeout)
    deadline = IMPORT_ALLOWANCE_S + STEPS * (timeout + 30)

    def stdin_for(channel: int) -> bytes:
        return runner.smoke_stdin(channel, nonce) + (json.dumps(summary) + "\n").encode("utf-8")

    run = door.run_with_channel(argv, deadline, stdin_for)
    output = runner.parse_events(run.channel, nonce)
    if run.channel_truncated:
        output.rejected.append("the channel carried more than the door keeps; later events were dropped")
    steps = [runner.check_from_event(event) for event in output.checks]
    failure = runner.child_failure(run.result, output, deadline)
    if failure is not None:
        steps.append(failure)
    protocol = runner.protocol_check(output)
    if protocol is not None:
        steps.append(protocol)
    if launch.rank != 0:
        report.checks = steps + report.checks
        return report
    summaries, problems = read_summaries(output.data, launch.world_size)
    compared: list[Check] = []
    odd: list[int] = []
    if summaries:
        compared, odd = compare(summaries)
    if problems:
        compared.append(Check("fleet.summaries", "fail", "gathered summaries", "; ".join(problems[:5]),
                              details={"problems": problems[:100]}))
    missing = sorted({entry for check in steps for entry in check.details.get("missing_ranks") or []})
    bandwidth = next((check for check in steps if check.id == "fleet.busbw" and check.status == "pass"), None)
    init = next((check for check in steps if check.id == "fleet.init"), None)
    fleet = {
        "launcher": launch.launcher,
        "world_size": launch.world_size,
        "backend": (init.details.get("backend") if init is not None else None),
        "hosts": sorted({s["host"] for s in summaries}),
        "missing_ranks": missing,
        "odd_ranks": odd,
        "ranks": summaries,
        "bandwidth": ({"bytes": bandwidth.details.get("bytes"), "seconds_per_call": bandwidth.details.get("seconds_per_call"),
                       "algbw_gb_per_s": bandwidth.metrics.get("algbw_gb_per_s"),
                       "busbw_gb_per_s": bandwidth.metrics.get("busbw_gb_per_s"),
                       "busbw_factor": bandwidth.details.get("busbw_factor")} if bandwidth is not None else None),
    }
    return Report("verify", report.facts, findings=report.findings, checks=steps + compared + report.checks,
                  requirements=report.requirements, fleet=fleet)
