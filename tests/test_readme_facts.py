"""Numbers README states about the code agree with the code."""

from __future__ import annotations

from pathlib import Path

from envdoctor.verify.fleet import BANDWIDTH

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def mib(backend: str) -> int:
    return BANDWIDTH[backend]["bytes"] // (1024 * 1024)


def test_the_fleet_bandwidth_sizes_are_the_ones_the_ranks_move():
    sentence = " ".join(README.split())
    assert (f"the bandwidth measurement is {BANDWIDTH['nccl']['iterations'] + 1} all_reduces of {mib('nccl')} MiB "
            f"(one warm-up) over NCCL, and {BANDWIDTH['gloo']['iterations'] + 1} of {mib('gloo')} MiB over gloo "
            "(CPU-only ranks)") in sentence


def test_set_up_says_how_to_get_the_code_first():
    clone = README.index("git clone ")
    assert clone < README.index("pip install . && envdoctor check")
