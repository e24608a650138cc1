"""What README states about the code agrees with the code: its numbers, and every ``envdoctor/...`` path that
README.md and docs/ name exists (a path inside another, ``~/.local/share/envdoctor/...``, is not the package's)."""

from __future__ import annotations

import re
from pathlib import Path

from envdoctor.verify.fleet import BANDWIDTH

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# the package path as prose names it: not part of a longer path, ended by a space, quote or punctuation
PACKAGE_PATH = re.compile(r"(?<![\w./~-])envdoctor/[\w./-]*[\w/]")


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


def named_paths(text: str) -> set[str]:
    return {match.rstrip("/") for match in PACKAGE_PATH.findall(text)}


def test_the_pattern_finds_package_paths_and_leaves_others():
    text = ("`envdoctor/compat.py` and envdoctor/resolver/, then `envdoctor/door/`. "
            "~/.local/share/envdoctor/recipes/torch.toml and https://example.invalid/envdoctor/x.py")
    assert named_paths(text) == {"envdoctor/compat.py", "envdoctor/resolver", "envdoctor/door"}


def test_every_package_path_the_docs_name_exists():
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    named = {(document.relative_to(ROOT).as_posix(), path) for document in documents
             for path in named_paths(document.read_text(encoding="utf-8"))}
    assert len(named) > 25  # README's map of the package alone names more
    missing = sorted(f"{document}: {path}" for document, path in named if not (ROOT / path).exists())
    assert missing == []
