# envdoctor:fleet
"""The rank side of ``envdoctor verify --distributed``: join the job, gather, check all_reduce, measure it.

Like ``smoke.py`` this file runs in the target interpreter through runner.SCRIPT_LOADER (as ``python -c``),
so it is self-contained: standard library and torch only, Python 3.8 syntax. stdin carries two
lines, read before torch is imported: where the private channel is and this run's nonce (as for the
smoke test), then this rank's summary (JSON) to gather. Events go to the channel as JSON lines with
the nonce: ``start`` / ``check`` as in the smoke test, ``data`` (rank 0 only: the gathered
summaries, in chunks) and ``done``.

Every step runs under a deadline. Each rank writes the step it has reached into the job's store
(``at/RANK``); when a step has no result in time, a watchdog thread asks the store which ranks never
reached it, reports them by rank and host, and ends the process, so a hung or missing rank is named,
never waited on forever. Summaries travel as JSON bytes in uint8 tensors (the ``all_gather_object``
pattern: one all_gather of the sizes, one of the padded payloads) rather than pickles, which would
let any peer run code here.
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == "":
    del sys.path[0]

import json
import math
import os
import random
import socket
import threading
import time
import traceback
from datetime import timedelta
from typing import Any

HEADER_LIMIT = 4096
SUMMARY_LIMIT = 1024 * 1024
DATA_CHUNK_BYTES = 512 * 1024  # below the parent's limit on one event
#: Elements of the float64 all_reduce checks: one, odd, not a power of two, and 8 MiB.
CHECK_SIZES = (1, 1000, 65539, 1048576)
SEED = 20240617


def open_channel():
    """Read the header and this rank's summary from stdin, close stdin, and return (write, summary)."""
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline(HEADER_LIMIT).decode("ascii"))
    summary = json.loads(stdin.readline(SUMMARY_LIMIT).decode("utf-8") or "{}")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    token, nonce = int(header["channel"]), str(header["nonce"])
    if sys.platform == "win32":
        import msvcrt

        fd = msvcrt.open_osfhandle(token, os.O_WRONLY)
    else:
        fd = token
    os.set_inheritable(fd, False)
    lock = threading.Lock()

    def write(event):
        """One event line, written whole (the watchdog thread writes too)."""
        data = (json.dumps(dict(event, nonce=nonce), default=str, sort_keys=True) + "\n").encode("utf-8")
        with lock:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]

    return write, summary


def error_text(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


class StepFailed(Exception):
    """A step that failed: later steps cannot run (every rank must enter each collective)."""


class Steps:
    """Run each step under the deadline and report it; name the ranks that never reached a step."""

    def __init__(self, write, options):
        self.write = write
        self.rank = options["rank"]
        self.world = options["world_size"]
        self.timeout = float(options["timeout"])
        self.store: Any = None  # the job's store, for this rank's own marks
        self.monitor: Any = None  # rank 0: a second connection to it, for the watchdog thread alone
        self.hosts = {}

    def laggards(self, step):
        """'rank 3 (host-b) is at fleet.gather' for every rank not at ``step``; only rank 0 asks."""
        if self.monitor is None:
            return []
        behind = []
        for other in range(self.world):
            key = f"at/{other}"
            try:
                where = self.monitor.get(key).decode("utf-8") if self.monitor.check([key]) else None
            except Exception:
                where = None
            if where != step:
                host = self.hosts.get(other) or self.host_of(other)
                behind.append({"rank": other, "host": host, "at": where})
        return behind

    def host_of(self, other):
        key = f"arrived/{other}"
        try:
            if self.monitor.check([key]):
                return json.loads(self.monitor.get(key).decode("utf-8")).get("host")
        except Exception:
            return None
        return None

    def describe(self, behind):
        shown = []
        for entry in behind[:20]:
            place = "never arrived" if entry["at"] is None else "still at {}".format(entry["at"])
            shown.append("rank {} ({}) {}".format(entry["rank"], entry["host"] or "host unknown", place))
        more = f" and {len(behind) - 20} more" if len(behind) > 20 else ""
        return "; ".join(shown) + more

    def expire(self, step):
        """The watchdog: the step's deadline passed with no result."""
        behind = self.laggards(step)
        message = f"no result within {self.timeout:g} s"
        if behind:
            message += ": " + self.describe(behind)
        elif self.monitor is not None:
            message += ("; every rank reached this step, so the collective itself did not complete (the network, "
                        "the backend, or a rank stuck inside it)")
        self.write({"event": "check", "id": step, "status": "fail", "title": step, "message": message,
                    "details": {"timed_out": True, "ranks_behind": behind[:1000]}, "metrics": {},
                    "duration_s": self.timeout})
        self.write({"event": "done"})
        os._exit(3)

    def run(self, step, title, func, grace=0.0):
        if self.store is not None:
            try:
                self.store.set(f"at/{self.rank}", step)
            except Exception:
                pass
        self.write({"event": "start", "id": step})
        timer = threading.Timer(self.timeout + grace, self.expire, [step])
        timer.daemon = True
        timer.start()
        start = time.perf_counter()
        try:
            result = func()
        except Exception as exc:
            timer.cancel()
            behind = self.laggards(step)
            message = error_text(exc) + ("; " + self.describe(behind) if behind else "")
            result = {"status": "fail", "message": message,
                      "details": {"ranks_behind": behind[:1000], "traceback": traceback.format_exc(limit=-3)}}
        timer.cancel()
        event = {"event": "check", "id": step, "title": title, "status": result.get("status", "pass"),
                 "message": result.get("message", ""), "details": result.get("details") or {},
                 "metrics": result.get("metrics") or {}, "duration_s": round(time.perf_counter() - start, 6)}
        self.write(event)
        if event["status"] == "fail":
            raise StepFailed(step)
        return result


def connect(torch, options, steps, summary):
    """Join the job's store and wait until every rank has arrived (or name those that did not)."""
    dist = torch.distributed
    timeout = timedelta(seconds=float(options["timeout"]))
    rank, world = options["rank"], options["world_size"]
    is_master = rank == 0 and not options.get("agent_store")
    base = dist.TCPStore(options["master_addr"], int(options["master_port"]), world, is_master, timeout=timeout,
                         wait_for_workers=False)
    store = dist.PrefixStore(options["prefix"], base)
    steps.store = store
    if rank == 0:
        second = dist.TCPStore(options["master_addr"], int(options["master_port"]), world, False,
                               timeout=timedelta(seconds=10))
        steps.monitor = dist.PrefixStore(options["prefix"], second)
    store.set(f"arrived/{rank}", json.dumps({"host": summary.get("host"), "local_rank": options["local_rank"]}))
    store.set(f"at/{rank}", "fleet.join")
    if store.add("arrived", 1) >= world:
        store.set("all-arrived", "1")
    try:
        store.wait(["all-arrived"], timeout)
    except Exception:
        missing = [r for r in range(world) if not store.check([f"arrived/{r}"])] if rank == 0 else []
        shown = ", ".join(str(r) for r in missing[:50]) + (f" and {len(missing) - 50} more" if len(missing) > 50 else "")
        message = "not every rank arrived within {:g} s".format(float(options["timeout"]))
        if missing:
            message += f": rank(s) {shown} never arrived (their host is unknown: they never reached the store)"
        return {"status": "fail", "message": message, "details": {"missing_ranks": missing}}
    return {"status": "pass", "message": f"{world} rank(s) arrived", "details": {}}


def pick_backend(torch, options):
    """nccl where this rank has a CUDA GPU (ROCm builds answer as CUDA and use RCCL), gloo otherwise."""
    wanted = options.get("backend") or "auto"
    if wanted != "auto":
        return wanted
    if torch.cuda.is_available() and torch.cuda.device_count() > 0 and torch.distributed.is_nccl_available():
        return "nccl"
    return "gloo"


def device_for(torch, backend, options):
    if backend == "nccl":
        index = options["local_rank"] % torch.cuda.device_count()
        torch.cuda.set_device(index)
        return torch.device("cuda", index)
    return torch.device("cpu")


def init_group(torch, options, steps, backend, device):
    dist = torch.distributed
    dist.init_process_group(backend, store=torch.distributed.PrefixStore("pg", steps.store), rank=options["rank"],
                            world_size=options["world_size"],
                            timeout=timedelta(seconds=float(options["timeout"]) + 30))
    return {"status": "pass", "message": f"{backend} process group on {device}", "details": {"backend": backend}}


def sync(torch, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def gather(torch, device, summary, write, rank):
    """Every rank's summary, as JSON bytes: sizes first, then the payloads padded to the longest."""
    dist = torch.distributed
    world = dist.get_world_size()
    payload = json.dumps(summary, sort_keys=True).encode("utf-8")
    size = torch.tensor([len(payload)], dtype=torch.int64, device=device)
    sizes = [torch.zeros(1, dtype=torch.int64, device=device) for _ in range(world)]
    dist.all_gather(sizes, size)
    lengths = [int(s.item()) for s in sizes]
    longest = max(lengths)
    mine = torch.zeros(longest, dtype=torch.uint8)
    mine[: len(payload)] = torch.frombuffer(bytearray(payload), dtype=torch.uint8)
    parts = [torch.empty(longest, dtype=torch.uint8, device=device) for _ in range(world)]
    dist.all_gather(parts, mine.to(device))
    if rank == 0:
        chunk, chunk_bytes = [], 0
        for other, part in enumerate(parts):
            length = lengths[other]
            text = bytes(part[:length].cpu().tolist()).decode("utf-8", "replace")
            chunk.append({"rank": other, "summary": text})
            chunk_bytes += length
            if chunk_bytes >= DATA_CHUNK_BYTES:
                write({"event": "data", "name": "summaries", "items": chunk})
                chunk, chunk_bytes = [], 0
        if chunk:
            write({"event": "data", "name": "summaries", "items": chunk})
    return {"status": "pass", "message": f"{world} summaries, {longest} bytes each at most",
            "details": {"bytes_per_rank": longest, "bytes_received_per_rank": longest * world},
            "metrics": {}}


def check_rank_ids(torch, device):
    dist = torch.distributed
    world, rank = dist.get_world_size(), dist.get_rank()
    value = torch.tensor([rank], dtype=torch.int64, device=device)
    dist.all_reduce(value)
    got, expected = int(value.item()), world * (world - 1) // 2
    status = "pass" if got == expected else "fail"
    return {"status": status, "message": f"sum of rank ids {got} (expected {expected})",
            "details": {"got": got, "expected": expected}}


def coefficients(world):
    """Two numbers per rank, drawn from the rank's own seed, so any rank can compute all of them."""
    pairs = []
    for other in range(world):
        draw = random.Random(SEED * 1000003 + other)
        pairs.append((draw.uniform(-1, 1), draw.uniform(-1, 1)))
    return pairs


def check_random_sum(torch, device, elements, pairs):
    """all_reduce of a_r*g + b_r*h (float64) against (sum a)*g + (sum b)*h computed here: every
    element differs, so a misplaced chunk shows, and a lost or doubled rank changes the sums."""
    dist = torch.distributed
    rank, world = dist.get_rank(), dist.get_world_size()
    generator = torch.Generator().manual_seed(SEED + elements)
    g = torch.rand(elements, dtype=torch.float64, generator=generator) * 2 - 1
    h = torch.rand(elements, dtype=torch.float64, generator=generator) * 2 - 1
    a, b = pairs[rank]
    mine = (a * g + b * h).to(device)
    dist.all_reduce(mine)
    got = mine.cpu()
    total_a, total_b = math.fsum(p[0] for p in pairs), math.fsum(p[1] for p in pairs)
    scale_a, scale_b = math.fsum(abs(p[0]) for p in pairs), math.fsum(abs(p[1]) for p in pairs)
    expected = total_a * g + total_b * h
    bound = (world + 2) * 2.0 ** -52 * (scale_a * g.abs() + scale_b * h.abs()) + 1e-300
    error = (got - expected).abs()
    worst = float((error / bound).max().item())
    details = {"elements": elements, "dtype": "float64", "max_abs_error": float(error.max().item()),
               "error_over_bound": worst}
    if not worst <= 1.0:  # written so that NaN fails
        return {"status": "fail", "message": f"wrong sum: error {worst:.3g} times the float64 rounding bound",
                "details": details}
    return {"status": "pass", "message": f"{elements} float64 elements match the reference", "details": details}


def bandwidth(torch, device, options):
    """nccl-tests' all_reduce numbers: time per call (the slowest rank's), algbw = bytes / time,
    busbw = algbw * 2(n-1)/n."""
    dist = torch.distributed
    world = dist.get_world_size()
    spec = options["bandwidth"].get(dist.get_backend()) or options["bandwidth"]["gloo"]
    size, iterations = int(spec["bytes"]), int(spec["iterations"])
    tensor = torch.ones(size // 4, dtype=torch.float32, device=device)
    dist.all_reduce(tensor)  # warm-up: connections and buffers
    sync(torch, device)
    dist.barrier()
    start = time.perf_counter()
    for _ in range(iterations):
        dist.all_reduce(tensor)
    sync(torch, device)
    seconds = torch.tensor([(time.perf_counter() - start) / iterations], dtype=torch.float64, device=device)
    dist.all_reduce(seconds, op=dist.ReduceOp.MAX)
    per_call = float(seconds.item())
    algbw = size / per_call / 1e9
    factor = 2.0 * (world - 1) / world
    busbw = algbw * factor
    details = {"bytes": size, "dtype": "float32", "iterations": iterations, "seconds_per_call": per_call,
               "busbw_factor": factor, "backend": dist.get_backend()}
    message = f"{size // (1024 * 1024)} MiB all_reduce: {per_call * 1000:.3g} ms, algbw {algbw:.3g} GB/s, busbw {busbw:.3g} GB/s"
    return {"status": "pass", "message": message, "details": details,
            "metrics": {"algbw_gb_per_s": round(algbw, 4), "busbw_gb_per_s": round(busbw, 4),
                        "seconds_per_call": per_call}}


def run(options, write, summary):
    steps = Steps(write, options)
    summary = dict(summary, host=socket.gethostname(), pid=os.getpid())
    steps.hosts[options["rank"]] = summary["host"]
    loaded = {}

    def load():
        import torch
        import torch.distributed  # noqa: F401  (fails on builds without distributed support)

        loaded["torch"] = torch
        return {"status": "pass", "message": f"torch {torch.__version__}"}

    try:
        steps.run("fleet.import", "import torch.distributed", load)
        torch = loaded["torch"]
        # the join waits on the store itself for the timeout; the watchdog only backs it up
        steps.run("fleet.join", "every rank arrives", lambda: connect(torch, options, steps, summary),
                  grace=15.0)
        backend = pick_backend(torch, options)
        device = device_for(torch, backend, options)
        steps.run("fleet.init", "process group", lambda: init_group(torch, options, steps, backend, device))
        steps.run("fleet.gather", "gather summaries", lambda: gather(torch, device, summary, write, options["rank"]))
        steps.run("fleet.allreduce.rank_ids", "all_reduce: sum of rank ids", lambda: check_rank_ids(torch, device))
        pairs = coefficients(options["world_size"])
        for elements in CHECK_SIZES:
            steps.run(f"fleet.allreduce.sum.{elements}", f"all_reduce: {elements} float64",
                      lambda elements=elements: check_random_sum(torch, device, elements, pairs))
        steps.run("fleet.busbw", "all_reduce bus bandwidth", lambda: bandwidth(torch, device, options))
        torch.distributed.destroy_process_group()
    except StepFailed:
        write({"event": "done"})
        return 1
    write({"event": "done"})
    return 0


def main(argv):
    options = json.loads(argv[1])
    write, summary = open_channel()
    return run(options, write, summary)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
