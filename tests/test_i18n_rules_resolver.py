"""Every finding of the rules and every reason of a plan is said through the catalogue.

Under the pseudo language a catalogue sentence comes out accented between ⟦ ⟧ and the values in it (versions,
paths, commands, GPU names) as they are. The oracle is independent of the messages themselves: once the values
a message was given are taken out, no plain English word may be left; and no value handed to a message may be an
English sentence of its own (which would bypass the catalogue inside a translated one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import MACHINES_DIR, load_machine
from test_target import debian_xeon_host

from envdoctor import i18n
from envdoctor.facts import Facts, Finding
from envdoctor.i18n import Text
from envdoctor.recipes import load_recipes
from envdoctor.resolver import Plan, Request, resolve
from envdoctor.rules import evaluate
from envdoctor.target import describe_target

RECIPES = load_recipes()
MACHINES = sorted(p.name for p in MACHINES_DIR.iterdir() if (p / "machine.json").is_file())
#: Names that stay as they are in every language and that the pseudo accents leave unmarked (no vowel it maps).
KEPT_NAMES = {"PTX", "MPS", "mps", "WSL", "gfx", "dxg", "shm", "sm"}
#: Words that make a value read as an English sentence rather than a name, a number or a command.
SENTENCE_WORDS = {"the", "is", "are", "was", "not", "no", "of", "with", "for", "and", "cannot", "has", "needs",
                  "unknown", "known", "none", "build", "driver", "installed"}
_WORD = re.compile(r"(?<![\w\-./=])[A-Za-z]{2,}(?![\w\-./=(])")


@pytest.fixture
def pseudo():
    i18n.use(i18n.load(i18n.PSEUDO))
    yield
    i18n.use(i18n.ENGLISH_LANGUAGE)


def _values(text: Text) -> Iterator[str]:
    """The values filled into a message, its nested messages' included (never a nested message itself)."""
    for value in (text.args or {}).values():
        if isinstance(value, Text):
            yield from _values(value)
        elif value is not None:
            yield str(value)


def english_left(value: str) -> list[str]:
    """What of ``value``, said in the pseudo language, reads as English that bypassed the catalogue."""
    if not isinstance(value, Text):
        return [f"not from the catalogue: {value!r}"]
    problems = [f"a value that is a sentence: {v!r}" for v in _values(value)
                if SENTENCE_WORDS & set(re.findall(r"[a-z]+", v)) and " " in v]
    said = i18n.say(value)
    assert said.startswith("⟦") and said.endswith("⟧"), said
    rest = said.replace("⟦", " ").replace("⟧", " ")
    for found in sorted(set(_values(value)), key=len, reverse=True):
        rest = rest.replace(found, " ")
    problems += [f"{word!r} in {said!r}" for word in _WORD.findall(rest) if word not in KEPT_NAMES]
    return problems


def _finding_texts(finding: Finding) -> Iterator[str]:
    yield finding.message
    if finding.fix is not None:
        yield finding.fix


def _plan_texts(plan: Plan) -> Iterator[str]:
    for reason in plan.reasons:
        yield reason["decision"]
    for warning in plan.warnings:
        if not (not isinstance(warning, Text) and "UNVERIFIED" in warning):  # recipe notes are quoted as written
            yield warning
    yield from plan.notes
    for item in (*plan.alternatives, *plan.limits):
        yield item["message"]
    for rejected in plan.rejected:
        yield rejected["reason"]


@pytest.mark.parametrize("name", MACHINES)
def test_every_finding_on_a_recorded_machine_is_said_through_the_catalogue(name, pseudo):
    _, facts = load_machine(name)
    findings = evaluate(facts, RECIPES)
    problems = [f"{f.id}: {p}" for f in findings for text in _finding_texts(f) for p in english_left(text)]
    assert problems == []


def test_the_recorded_machines_give_findings_to_check():
    """The test above would pass on machines without findings: most of these have some."""
    ids = {f.id for name in MACHINES for f in evaluate(load_machine(name)[1], RECIPES)}
    assert {"torch.not-installed", "nvidia.driver-mismatch", "system.shm-small"} <= ids


def _described(**flags) -> Facts:
    return describe_target(debian_xeon_host(), recipes=RECIPES, target_os="linux", target_arch="x86_64", **flags)


SITUATIONS = {
    "rtx5090-570": (dict(gpus=["RTX 5090"], driver="570.86"), []),
    "rtx5090-old-driver": (dict(gpus=["RTX 5090"], driver="535.104.05"), []),
    "gtx1080-535": (dict(gpus=["GTX 1080"], driver="535.104.05"), []),
    "rtx4090-driver-unknown": (dict(gpus=["RTX 4090"]), []),
    "no-gpu": (dict(no_gpu=True), []),
    "mi250x": (dict(gpus=["MI250X"]), []),
    "old-python": (dict(gpus=["RTX 4090"], driver="570.86", target_python="3.8"), []),
    "request-excludes-every-release": (dict(gpus=["RTX 5090"], driver="570.86"), ["torch<1.0"]),
    "pytorch-alias": (dict(no_gpu=True), ["pytorch"]),
}


@pytest.mark.parametrize("situation", sorted(SITUATIONS))
def test_every_reason_of_a_dry_run_plan_is_said_through_the_catalogue(situation, pseudo):
    flags, requirements = SITUATIONS[situation]
    plan = resolve(_described(**flags), Request(requirements), RECIPES)
    texts = list(_plan_texts(plan))
    assert len(texts) >= 2
    assert [p for text in texts for p in english_left(text)] == []


@pytest.mark.parametrize("name", MACHINES)
def test_every_reason_of_a_plan_for_a_recorded_machine_is_said_through_the_catalogue(name, pseudo):
    _, facts = load_machine(name)
    plan = resolve(facts, Request(), RECIPES)
    assert [p for text in _plan_texts(plan) for p in english_left(text)] == []


def test_english_is_the_text_itself():
    """Outside a renderer nothing changes: a finding's message is its English sentence."""
    plan = resolve(_described(gpus=["RTX 5090"], driver="570.86"), Request(), RECIPES)
    decision = plan.reasons[-1]["decision"]
    assert isinstance(decision, Text) and i18n.ENGLISH_LANGUAGE.say(decision) == str(decision)
