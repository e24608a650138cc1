"""Probe evidence, door and recipe errors and refresh messages all go through the catalogue.

Under the pseudo language every catalogue sentence comes out in accented letters between ⟦ ⟧, so what
is left outside the brackets bypassed the catalogue. The expected pseudo strings below are written by
hand from the English sentence (a→à, c→ç, e→é, i→î, n→ñ, o→ö, r→ŕ, u→û, y→ý; capitals likewise).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from envdoctor import i18n
from envdoctor.door import MachineFolderError, RecordedDoor, UserFileError, read_user_file
from envdoctor.i18n import Text, message_of, say
from envdoctor.probes import collect
from envdoctor.recipes import DataLayer, RecipeError, load_recipes
from envdoctor.refresh.freshness import data_finding, refresh_report
from envdoctor.refresh.learn import Outcome
from envdoctor.refresh.wheelzip import WheelZipError, directory_location

MACHINES = sorted((Path(__file__).parent / "machines").iterdir())
#: words of an English sentence; a value (a version, a path, a tool's own output) has none of them
ENGLISH_WORDS = {"no", "not", "the", "is", "in", "of", "and", "or", "but", "was", "did", "found", "missing",
                 "unknown", "answer", "listed", "cannot", "must", "file", "folder"}


@pytest.fixture
def pseudo():
    i18n.use(i18n.load("pseudo"))
    yield
    i18n.use(i18n.ENGLISH_LANGUAGE)


def outside(text: str) -> str:
    """What is left of ``text`` once every ⟦ ⟧ span (nested ones too) is taken out."""
    kept, depth = [], 0
    for ch in text:
        if ch == "⟦":
            depth += 1
        elif ch == "⟧":
            depth -= 1
        elif depth == 0:
            kept.append(ch)
    assert depth == 0, text
    return "".join(kept)


def english_words(text: str) -> set[str]:
    """The sentence words in ``text``; a path or a name (``memory.limit_in_bytes``) is one token, not words."""
    return {token.lower() for token in re.findall(r"[\w./-]+", text) if token.isalpha()} & ENGLISH_WORDS


@pytest.mark.parametrize("machine", MACHINES, ids=[m.name for m in MACHINES])
def test_probe_evidence_is_said_or_is_a_value(machine, pseudo):
    facts = collect(RecordedDoor(machine))
    for section in dataclasses.fields(facts):
        for attempt in getattr(getattr(facts, section.name), "attempts", None) or []:
            if isinstance(attempt.detail, Text):
                said = say(attempt.detail)
                assert said.startswith("⟦") and said.endswith("⟧") and outside(said) == "", said
            elif attempt.source != "nvml":  # NVML's answer is the recorded machine's own text
                assert english_words(attempt.detail) == set(), (attempt.source, attempt.detail)


def test_probe_details_hand_checked(pseudo):
    facts = collect(RecordedDoor(Path(__file__).parent / "machines" / "driver-library-mismatch"))
    nvcc = next(a for a in facts.cuda.attempts if a.source == "nvcc")
    assert (nvcc.detail, say(nvcc.detail)) == ("not on PATH", "⟦ñöt öñ PÀTH⟧")
    torch = facts.torch.attempts[-1]
    assert say(torch.detail) == "⟦ñö töŕçh dîstŕîbûtîöñ öñ sýs.pàth⟧"


def test_machine_folder_error_is_said(tmp_path, pseudo):
    with pytest.raises(MachineFolderError) as caught:
        RecordedDoor(tmp_path)
    manifest = tmp_path / "machine.json"
    message = message_of(caught.value)
    assert str(caught.value) == f"{manifest}: no such file (a machine folder needs machine.json)"
    assert say(message) == f"⟦{manifest}: ⟦ñö sûçh fîlé⟧ (à màçhîñé földéŕ ñééds màçhîñé.jsöñ)⟧"


def test_user_file_error_is_said(tmp_path, pseudo):
    with pytest.raises(UserFileError) as caught:
        read_user_file(str(tmp_path), 100)
    assert str(caught.value) == f"{tmp_path}: a directory, not a regular file"
    assert say(message_of(caught.value)) == f"⟦{tmp_path}: ⟦⟦à dîŕéçtöŕý⟧, ñöt à ŕégûlàŕ fîlé⟧⟧"


def test_recipe_error_is_said(tmp_path, pseudo):
    (tmp_path / "stray.toml").write_text("", encoding="utf-8")
    with pytest.raises(RecipeError) as caught:
        load_recipes([tmp_path], refreshed=False)
    said = say(message_of(caught.value))
    assert "unknown recipe file" in str(caught.value)
    assert "stray.toml" in said and english_words(outside(said)) == set(), said


def test_wheel_zip_error_is_said(pseudo):
    with pytest.raises(WheelZipError) as caught:
        directory_location(b"not a zip", 0)
    assert say(message_of(caught.value)) == (
        "⟦ñö éñd-öf-çéñtŕàl-dîŕéçtöŕý ŕéçöŕd îñ thé làst býtés: ñöt à zîp fîlé⟧")


def test_data_finding_is_said(pseudo):
    finding = data_finding([DataLayer("built-in", "/data", "2026-11-28")])
    assert finding.message == "recipes: built-in 2026-11-28"
    assert say(finding.message) == "⟦ŕéçîpés: ⟦⟦bûîlt-îñ⟧ 2026-11-28⟧⟧"
    assert say(finding.fix) == "⟦éñvdöçtöŕ ŕéçîpés ŕéfŕésh léàŕñs ŕéléàsés ñéwéŕ thàñ thé bûîlt-îñ dàtà⟧"
    refreshed = data_finding([DataLayer("built-in", "/data", ""), DataLayer("refreshed", "/r", "", "P", "I")])
    assert refreshed.message == "recipes: built-in (date unknown) + refreshed (date unknown)"
    assert outside(say(refreshed.message)) == ""
    assert [outside(say(line)) for line in refreshed.evidence[2:]] == [""]


def test_refresh_report_is_said(pseudo):
    outcome = Outcome({}, releases=["2.14.0"], not_learned=["2.14.0: its ROCm wheels"])
    report = refresh_report(outcome, dry_run=True, target="/t/torch.toml", requests=3, fetched_bytes=2_000_000,
                            offline=False)
    assert report.splitlines() == [
        "envdoctor recipes refresh · ⟦3 ŕéqûést(s), 2.0 MB⟧",
        "  ⟦ñö ñéw ŕéléàsés öŕ vàŕîàñts⟧",
        "  ! ⟦ñöt léàŕñt: 2.14.0: its ROCm wheels⟧",
        "⟦dŕý ŕûñ: ñöthîñg wŕîttéñ (/t/torch.toml wöûld höld 1 ŕéléàsé(s))⟧",
    ]


def test_refresh_report_english_unchanged():
    outcome = Outcome({}, releases=["2.14.0"])
    assert refresh_report(outcome, dry_run=False, target="/t/torch.toml", requests=0, fetched_bytes=0,
                          offline=True).splitlines() == [
        "envdoctor recipes refresh · from the cache of the last refresh",
        "  no new releases or variants",
        "wrote 1 release(s) to /t/torch.toml",
    ]


def test_machine_json_error_with_literal_braces(tmp_path, pseudo):
    (tmp_path / "machine.json").write_text(
        '{"format": "envdoctor.machine/1", "platform": {"system": "Linux", "machine": "x86_64"}, "disk_space": []}',
        encoding="utf-8")
    with pytest.raises(MachineFolderError) as caught:
        RecordedDoor(tmp_path)
    manifest = tmp_path / "machine.json"
    assert str(caught.value) == f"{manifest}: disk_space: must be an object of path -> {{total_bytes, free_bytes}}"
    assert say(message_of(caught.value)) == (
        f"⟦{manifest}: disk_space: ⟦mûst bé àñ öbjéçt öf pàth -> {{tötàl_býtés, fŕéé_býtés}}⟧⟧")
