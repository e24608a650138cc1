"""Rules about the probes themselves: one that crashed, a command that did not answer in time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from envdoctor.facts import Attempt, Facts, Finding
from envdoctor.i18n import _

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes


#: each probed section and the checklist line its probe failures are shown on
SECTIONS = {"os": "os", "cpu": "cpu", "python": "python", "nvidia": "nvidia.driver", "cuda": "cuda.toolkit",
            "cudnn": "cudnn", "rocm": "rocm", "xpu": "xpu", "apple": "apple", "torch": "torch", "limits": "limits.shm"}


def _attempts(facts: Facts) -> Iterable[tuple[str, Attempt]]:
    for name in SECTIONS:
        for attempt in getattr(getattr(facts, name), "attempts", None) or []:
            yield name, attempt


def probe_crashed(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A probe that raised: its section is not known, and the report must not read as fine."""
    for name, attempt in _attempts(facts):
        if attempt.source.startswith("probe:") and attempt.status == "error":
            yield Finding(
                "probe.crashed", "error", "system",
                _("the {name} probe failed ({detail}): what it checks is unknown", name=name,
                  detail=attempt.detail or _("no detail")),
                fix=_("report this with the output of `envdoctor check --record DIR`"), subject=SECTIONS[name])


def probe_timed_out(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """Every command that did not answer in time, so a hung tool is never hidden behind another answer."""
    seen = set()
    for name, attempt in _attempts(facts):
        if attempt.status != "timed_out" or (name == "nvidia" and facts.nvidia.status == "timed_out"):
            continue  # nvidia.smi-timed-out already says it
        if (name, attempt.source) in seen:
            continue
        seen.add((name, attempt.source))
        yield Finding(
            "probe.timed-out", "warning", "system",
            _("{source} did not answer in time ({detail}): the {name} facts it would have given are unknown",
              source=attempt.source, detail=attempt.detail or _("timed out"), name=name),
            fix=_("look for a hung tool or driver (try the command by hand); raise --timeout if it is merely slow"),
            evidence=[f"{name}: {attempt.source} -> {attempt.status}"], subject=SECTIONS[name])
