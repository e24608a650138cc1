"""Lint's findings, what a collect_env report reading says and an extension plan's reasons go through the catalogue.

Under the pseudo language every catalogue sentence is written between ⟦ ⟧; an English function word left
outside them is text that bypassed the catalogue (the detector is the CLI test's, one place). The English
values stay what they were: the suite's other tests assert them whole.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES_DIR
from packaging.requirements import Requirement
from test_i18n_cli import english_left

from envdoctor import i18n
from envdoctor.diagnose import diagnose
from envdoctor.extension_plan import plan_extension
from envdoctor.extensions import builtin_catalog
from envdoctor.facts import CudaToolkit, Facts, Gpu
from envdoctor.lint import findings_of, judged_for, lint_installs, read_file_installs
from envdoctor.readers import read_text
from envdoctor.readers.collect_env import read_collect_env
from envdoctor.recipes import load_recipes
from envdoctor.target import describe_target

TUTORIAL = (FIXTURES_DIR / "lint" / "tutorial-commands.sh").read_text(encoding="utf-8")
#: more stale commands of old notes: a system CUDA toolkit and cuDNN, PyPI's stub, a local pin without its index,
#: a source build without --no-build-isolation, and an xformers pin that moves torch
MORE = """apt-get install -y nvidia-cuda-toolkit libcudnn8
pip install pytorch
pip install torch==1.13.1+cu117
pip install torch==2.4.1 flash-attn
pip install xformers==0.0.23
"""


@pytest.fixture
def pseudo():
    i18n.use(i18n.load("pseudo"))
    yield
    i18n.use(i18n.ENGLISH_LANGUAGE)


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def said(texts: list[str]) -> list[str]:
    """What each text says in the active language, with the lines that still hold English."""
    return [line for text in texts for line in english_left(i18n.say(text))]


def test_lint_findings_for_stale_commands_are_catalogue_sentences(pseudo, recipes):
    machine = describe_target(Facts(), recipes=recipes, target_os="linux", target_arch="x86_64", target_python="3.11",
                              gpus=("NVIDIA GeForce RTX 3090",), driver="535.104.05")
    installs, scripts, _unread = read_file_installs(TUTORIAL + MORE, "shell", "tutorial.sh")
    judged = lint_installs(installs, scripts, machine, recipes)
    findings = findings_of(judged)
    assert {f.id for f in findings} >= {
        "lint.find-links-page", "lint.variant-gone", "lint.pytorch-conda-channel", "lint.cudatoolkit",
        "lint.no-such-installer", "lint.cuda-toolkit-not-needed", "lint.cudnn-not-needed", "lint.pytorch-stub",
        "lint.local-pin-without-index", "lint.extension-build-isolation", "lint.extension-moves-torch"}
    texts = [text for f in findings for text in (f.message, f.fix or "", *f.evidence)]
    texts += [j.instead_note for j in judged] + [judged_for(installs, machine, recipes)]
    assert said(texts) == []
    toolkit = next(f for f in findings if f.id == "lint.cuda-toolkit-not-needed")
    assert i18n.say(toolkit.message).count("⟦") >= 3  # the packages' sentence, the driver-only advice, the toolkit's


@pytest.mark.parametrize("report", ["1.7.1-ubuntu-rtx3080-could-not-collect.txt",
                                    "1.10.2-conda-cuda10.2-libraries-only.txt"])
def test_a_diagnosis_of_a_collect_env_report_says_what_it_read_in_the_catalogue(pseudo, recipes, report):
    path = FIXTURES_DIR / "collect_env" / report
    text = path.read_text(encoding="utf-8")
    reading = read_text(text, str(path))
    assert reading.kind == "collect_env"
    found = diagnose(reading, recipes, str(path)).findings
    assert found
    facts = read_collect_env(text).facts
    sections = (facts.os, facts.python, facts.nvidia, facts.cuda, facts.cudnn, facts.torch)
    texts = [text for f in found for text in (f.message, f.fix or "")]
    texts += [*reading.unread, *reading.notes, facts.nvidia.message, facts.apple.reason]
    texts += [a.detail for section in sections for a in section.attempts]
    assert said(texts) == []


def test_an_extension_plan_s_reasons_warnings_and_estimate_are_catalogue_sentences(pseudo):
    catalog = builtin_catalog()
    machine = Facts()
    machine.nvidia.gpus = [Gpu("nvidia", index=0, compute_capability="8.6")]
    machine.cuda.toolkits = [CudaToolkit("11.8.89", path="/usr/local/cuda", nvcc_path="/usr/local/cuda/bin/nvcc",
                                         active=True)]
    machine.cpu.memory_total_bytes, machine.cpu.logical_cores = 64 * 1024**3, 32
    plans = [plan_extension(catalog.by_dist(Requirement(text).name), Requirement(text), machine, torch, variant,
                            "3.11", "linux-x86_64", None, catalog)
             for text, torch, variant in (("flash-attn==2.6.3", "2.4.1", "cu124"), ("flash-attn", "2.4.1", "cu124"),
                                          ("xformers", "2.4.1", "cu124"), ("xformers", "1.0.0", "cu124"),
                                          ("flash-attn", "2.4.1", "cpu"), ("torch-scatter", "2.4.1", "cu124"))]
    assert [p.how for p in plans] == ["wheel", "build", "wheel", "build", "none", "wheel"]
    texts = [text for p in plans for text in (*p.reasons, *p.warnings, p.estimate)]
    assert any("nvcc 11.8.89 is installed" in t for t in texts)  # the wrong CUDA major warned of
    assert said(texts) == []
