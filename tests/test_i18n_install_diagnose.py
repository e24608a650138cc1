"""Install refusals and plan notes, a diagnosis of real pastes and policy errors go through the catalogue.

Under the pseudo language every catalogue sentence is written between ⟦ ⟧; an English function word
left outside them is text that bypassed the catalogue (the detector is the CLI test's, one place).
The English values stay what they were: the suite's other tests assert them whole.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES_DIR
from test_i18n_cli import english_left

from envdoctor import i18n
from envdoctor.diagnose import diagnose, text_header
from envdoctor.door import HttpResult
from envdoctor.facts import Facts, OsFacts, PythonFacts
from envdoctor.install import command_line, judge_index, mirror_advice, refusals
from envdoctor.policy import PolicyError, evaluate, findings, observe, parse_policy, parse_requirement
from envdoctor.readers import read_text
from envdoctor.recipes import load_recipes
from envdoctor.resolver import Request, resolve


@pytest.fixture
def pseudo():
    i18n.use(i18n.load("pseudo"))
    yield
    i18n.use(i18n.ENGLISH_LANGUAGE)


def said(texts: list[str]) -> list[str]:
    """What each text says in the active language, with the lines that still hold English."""
    return [line for text in texts for line in english_left(i18n.say(text))]


def _facts(**python) -> Facts:
    facts = Facts()
    facts.os = OsFacts(system="Linux", arch="x86_64", glibc="2.35")
    facts.python = PythonFacts(status="ok", executable="/srv/app/.venv/bin/python", version="3.11.9", **python)
    return facts


def test_install_refusals_and_their_advice_are_all_catalogue_sentences(pseudo):
    managed = _facts(externally_managed=True)
    argv = ["/srv/app/.venv/bin/python", "-m", "pip", "install", "torch", "--index-url", "http://mirror.example/whl",
            "torch @ file:///tmp/torch.whl"]
    found = refusals(managed, argv, break_system_packages=False, installer_found=False)
    assert len(found) == 4  # the missing installer, PEP 668, the plain-http index, the file: reference
    assert said([r.message for r in found] + [a for r in found for a in r.advice]) == []
    silent = Facts()
    silent.python = PythonFacts(status="timed_out")
    assert said([r.message for r in refusals(silent, None, False)]) == []
    assert i18n.say(found[0].message) == "⟦/srv/app/.venv/bin/python îs ñöt îñstàlléd (ñöt föûñd öñ PÀTH)⟧"


def test_a_plan_s_notes_and_why_a_manager_gives_no_command_are_catalogue_sentences(pseudo):
    plan = resolve(_facts(in_venv=True), Request(requirements=["torch", "numpy"]), load_recipes()).to_dict()
    notes = plan["command_notes"]
    assert set(notes) >= {"conda", "pip"}  # conda cannot install into a venv; numpy comes in a second pip step
    line, why = command_line(plan, "conda", "posix")
    assert line is None
    assert said([*notes.values(), why]) == []
    checks = [judge_index("the PyTorch index", HttpResult(url, status, code, error=error)) for url, status, code, error in (
        ("https://mirror.example/whl/cu126/torch/", "answered", 404, ""),
        ("https://mirror.example/whl/cu126/torch/", "timed_out", None, "timed out after 8 s"))]
    assert said([c.message for c in checks] + mirror_advice(["sjtu", "tuna"])) == []


@pytest.mark.parametrize("paste", ["005.txt", "035.txt"])
def test_a_diagnosis_of_a_real_paste_says_its_own_findings_and_what_it_read_in_the_catalogue(pseudo, paste):
    path = FIXTURES_DIR / "pastes" / paste
    reading = read_text(path.read_text(encoding="utf-8"), str(path))
    report = diagnose(reading, load_recipes(), str(path))
    own = [f for f in report.findings if f.id.startswith("diagnose.")]
    assert own  # each of these pastes leaves something unjudged or unsaid
    texts = [text_header(reading, str(path)), *reading.paste.said]
    texts += [text for f in own for text in (f.message, f.fix or "", *f.evidence)]
    assert said(texts) == []
    assert i18n.say(text_header(reading, "-")).startswith("⟦ŕéàd ⟦")


def test_policy_errors_and_verdicts_are_catalogue_sentences(pseudo):
    with pytest.raises(PolicyError) as bad_key:
        parse_requirement("gpu>=8")
    with pytest.raises(PolicyError) as bad_file:
        parse_policy('require = ["torch>=two"]', "policy.toml")
    errors = [i18n.message_of(bad_key.value), i18n.message_of(bad_file.value)]
    assert all(isinstance(error, i18n.Text) for error in errors)
    assert said(errors) == []
    requirements = [parse_requirement(text) for text in ("torch>=2.5", "driver>=535", "tflops.bf16>=600")]
    results = evaluate(requirements, observe(_facts()))
    unmet = findings(results)
    # no torch and no NVIDIA driver on a bare machine: known to be absent; TFLOP/s: measured only by verify
    assert [f.id for f in unmet] == ["policy.requirement-unmet"] * 2 + ["policy.requirement-unknown"]
    assert said([text for f in unmet for text in (f.message, f.fix or "", *f.evidence)]) == []


def test_english_is_unchanged_outside_the_pseudo_language():
    found = refusals(_facts(externally_managed=True), ["pip", "install", "torch"], False, installer_found=True)
    assert [(r.message, r.advice) for r in found] == [(
        "/srv/app/.venv/bin/python is managed by the OS (PEP 668); installing into it can break system tools",
        ["/srv/app/.venv/bin/python -m venv .venv, then envdoctor install --python .venv/bin/python",
         "or pass --break-system-packages if you really mean it"])]
    assert i18n.say(found[0].message) == found[0].message
