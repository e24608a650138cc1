"""Rank 0's share of `envdoctor verify --distributed`: reading the gathered summaries and comparing them.

Builds N summaries shaped like a real 8-GPU node's (the payload each rank sends), a few of them odd,
packs them as the rank script sends them to its parent (data events of at most 512 KiB), and times
``fleet.read_summaries`` + ``fleet.compare`` (median of --runs) with the peak Python memory of one
run (tracemalloc). The cost per rank should stay flat: the comparison is linear in the ranks.

    python benchmarks/bench_fleet.py [--ranks 1000 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tracemalloc

from envdoctor.verify import fleet

#: One H100 node's summary, as `rank_summary` builds it (values from a torch 2.5.1+cu124 wheel on driver 550).
NODE = {"rank": 0, "local_rank": 0, "envdoctor": "0.1.0", "python": "3.11.7", "torch": "2.5.1+cu124",
        "variant": "cu124", "cuda": "12.4", "cudnn": "9.1.0", "nccl": "2.21.5", "driver": "550.54.15",
        "gpu_count": "8", "gpu_model": "8x NVIDIA H100 80GB HBM3", "failed_checks": [], "unmet_requirements": [],
        "host": "node-0000.cluster.example", "pid": 123456}


def events(count: int) -> list[dict]:
    items, out, size = [], [], 0
    for rank in range(count):
        summary = dict(NODE, rank=rank, local_rank=rank % 8, host=f"node-{rank // 8:04d}.cluster.example")
        if rank % 997 == 5:
            summary["driver"] = "535.104.05"
        text = json.dumps(summary, sort_keys=True)
        items.append({"rank": rank, "summary": text})
        size += len(text)
        if size >= 512 * 1024:
            out.append({"event": "data", "name": "summaries", "items": items})
            items, size = [], 0
    if items:
        out.append({"event": "data", "name": "summaries", "items": items})
    return out


def rank_zero(data: list[dict], count: int) -> tuple[int, int]:
    summaries, problems = fleet.read_summaries(data, count)
    checks, odd = fleet.compare(summaries)
    assert not problems and len(summaries) == count
    return len(checks), len(odd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    payload = len(json.dumps(dict(NODE, host="node-0000.cluster.example"), sort_keys=True))
    print(f"summary of one 8-GPU node: {payload} bytes")
    print("| ranks | median s | us per rank | peak MiB | odd ranks |")
    print("|---:|---:|---:|---:|---:|")
    for count in args.ranks:
        data = events(count)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            _, odd = rank_zero(data, count)
            times.append(time.perf_counter() - start)
        tracemalloc.start()
        rank_zero(data, count)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        median = statistics.median(times)
        print(f"| {count} | {median:.3f} | {median / count * 1e6:.1f} | {peak / 2**20:.1f} | {odd} |")


if __name__ == "__main__":
    main()
