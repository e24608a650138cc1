"""diagnose on what people paste: the 53 real pastes in tests/fixtures/pastes (sources in its README) each
reach the cause their thread established, however the paste is wrapped."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner
from conftest import FIXTURES_DIR
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.cli import cli
from envdoctor.diagnose import diagnose
from envdoctor.readers import read_text
from envdoctor.readers.pastes import read_paste
from envdoctor.readers.pastes.unwrap import clean_line
from envdoctor.recipes import load_recipes

PASTES = FIXTURES_DIR / "pastes"
#: The finding each category of the fixtures' sidecars (the threads' verdicts) must produce.
CAUSE = {
    "arch_unsupported_too_new": "paste.gpu-too-new",
    "arch_unsupported_too_old": "paste.gpu-too-old",
    "no_kernel_image": "paste.no-kernel-image",
    "driver_too_old": "paste.driver-too-old",
    "cpu_only_build": "paste.cpu-only-build",
    "no_matching_wheel": "paste.no-matching-wheel",
    "missing_shared_library": "paste.missing-library",
    "abi_mismatch": "paste.abi-mismatch",
    "extension_build": "paste.extension-build",
    "mps_unavailable": "paste.mps-unavailable",
    "rocm": "paste.rocm",
    "wsl": "paste.wsl-libcuda",
    "nvml": "paste.nvml",
    "container": "paste.container",
    "conda": "paste.conda",
    "numpy_abi": "paste.numpy-abi",
    "multiple_installs": "paste.multiple-installs",
    "nccl": "paste.nccl",
    "arch_warning_harmless": "paste.gpu-warning-harmless",
}
#: The categories whose finding says the pasted message is no problem.
HARMLESS = {"arch_warning_harmless"}
NAMES = sorted(p.stem for p in PASTES.glob("*.txt"))


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def findings_of(text, recipes, where="paste.txt"):
    return diagnose(read_text(text, where), recipes, where).findings


def test_every_category_of_the_fixtures_has_its_finding():
    categories = {json.loads((PASTES / f"{name}.json").read_text(encoding="utf-8"))["category"] for name in NAMES}
    readme = (PASTES / "README.md").read_text(encoding="utf-8")
    assert len(NAMES) == 54 and categories == set(CAUSE)
    assert all(f"[{name}.txt]({name}.txt)" in readme for name in NAMES), "every paste names its source in the README"


@pytest.mark.parametrize("name", NAMES)
def test_a_real_paste_gets_its_established_cause_with_a_fix(name, recipes):
    sidecar = json.loads((PASTES / f"{name}.json").read_text(encoding="utf-8"))
    text = (PASTES / f"{name}.txt").read_text(encoding="utf-8")
    findings = findings_of(text, recipes)
    (cause,) = [f for f in findings if f.id == CAUSE[sidecar["category"]]]
    assert cause.severity == ("info" if sidecar["category"] in HARMLESS else "error") and cause.fix and cause.commands
    quoted = [e for e in cause.evidence if e.startswith("paste line ")]
    assert quoted, cause.evidence
    number, _, line = quoted[0][len("paste line "):].partition(": ")
    assert line[:40] in clean_line(text.split("\n")[int(number) - 1])
    assert any(e.startswith("source: ") for e in cause.evidence)


def test_what_the_messages_say_becomes_facts():
    # 004: torch's warning names the GPU and its architecture, the path the Python (hand-checked against the text)
    reading = read_paste((PASTES / "004.txt").read_text(encoding="utf-8"))
    (gpu,) = reading.facts.nvidia.gpus
    assert (gpu.name, gpu.compute_capability, gpu.arch) == ("NVIDIA GeForce RTX 5060 Ti", "12.0", "sm_120")
    assert (reading.facts.python.version, reading.facts.os.system) == ("3.11", "Linux")
    # 005: "found version 11040" is CUDA 11.4 (CUDA encodes 1000 * major + 10 * minor)
    assert read_paste((PASTES / "005.txt").read_text(encoding="utf-8")).facts.nvidia.driver_max_cuda == "11.4"
    assert read_paste((PASTES / "008.txt").read_text(encoding="utf-8")).facts.nvidia.driver_max_cuda == "12.8"
    # 023: pip's uninstall line names the installed torch; 009: a Windows path names the OS
    assert read_paste((PASTES / "023.txt").read_text(encoding="utf-8")).facts.torch.version == "2.8.0"
    assert read_paste((PASTES / "009.txt").read_text(encoding="utf-8")).facts.os.system == "Windows"


def test_the_fix_of_a_build_problem_is_the_resolvers_command(recipes):
    # 004 (RTX 5060 Ti, sm_120) described with a driver: the plan must be a CUDA 12.8+ build (sm_120 kernels
    # first shipped in the cu128 wheels: PyTorch 2.7 release notes)
    text = (PASTES / "004.txt").read_text(encoding="utf-8")
    reading = read_text(text, "004.txt")
    from envdoctor.diagnose import add_description
    reading.facts = add_description(reading.facts, recipes, driver="575.57.08")
    reading.facts.os.arch = "x86_64"
    (cause,) = [f for f in diagnose(reading, recipes, "004.txt").findings if f.id == "paste.gpu-too-new"]
    (argv,) = cause.commands
    variant = argv[argv.index("--index-url") + 1].rsplit("/", 1)[1]
    assert variant.startswith("cu") and int(variant[2:]) >= 128


def test_here_judges_the_paste_with_this_interpreter():
    text = (PASTES / "022.txt").read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["diagnose", "-", "--here", "--json"], input=text, catch_exceptions=False)
    data = json.loads(result.stdout)
    (cause,) = [f for f in data["findings"] if f["id"] == "paste.cpu-only-build"]
    assert cause["commands"][0][0] == sys.executable
    assert "diagnose.paste-lacks" not in {f["id"] for f in data["findings"]}


def test_a_paste_without_the_machine_says_which_facts_it_lacks(recipes):
    findings = findings_of((PASTES / "015.txt").read_text(encoding="utf-8"), recipes)
    (lacks,) = [f for f in findings if f.id == "diagnose.paste-lacks"]
    assert "the GPU and driver (nvidia-smi)" in lacks.message and "--here" in (lacks.fix or "")


def test_a_nightly_report_is_said_to_be_unjudged(recipes):
    text = (FIXTURES_DIR / "collect_env" / "2.10.0-macos13-arm64-nightly.md").read_text(encoding="utf-8")
    (finding,) = [f for f in findings_of(text, recipes) if f.id == "diagnose.build-not-judged"]
    assert finding.severity == "warning" and "nightly" in finding.message


def test_a_collect_env_report_with_torchs_warning_inside_names_the_gpu(recipes):
    # the 004 warning pasted above a report whose GPU lines say nothing: the warning's GPU is judged
    report = (FIXTURES_DIR / "collect_env" / "generated-2.13.0-cpu-linux.txt").read_text(encoding="utf-8")
    text = (PASTES / "004.txt").read_text(encoding="utf-8") + "\n" + report
    reading = read_text(text, "both.txt")
    assert reading.kind == "collect_env"
    assert [g.name for g in reading.facts.nvidia.gpus] == ["NVIDIA GeForce RTX 5060 Ti"]
    assert "paste.gpu-too-new" in {f.id for f in diagnose(reading, recipes, "both.txt").findings}


def test_full_width_colons_are_read_in_a_report():
    report = (FIXTURES_DIR / "collect_env" / "generated-2.13.0-cpu-linux.txt").read_text(encoding="utf-8")
    reading = read_text(report.replace(": ", "： "), "zh.txt")
    assert reading.kind == "collect_env" and reading.facts.torch.version == "2.13.0+cpu"


WRAPPERS = {
    "quoted": lambda t: "\n".join("> " + line for line in t.split("\n")),
    "fenced": lambda t: "```\n" + t + "\n```",
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "full-width": lambda t: t.replace(": ", "： ").replace("(", "（").replace(")", "）").replace(",", "，"),
    "prose": lambda t: "I get this when I start it, please help:\n\n" + t + "\n\nThanks in advance!",
}


def comparable(findings):
    return sorted((f.id, f.severity, f.message) for f in findings)


@given(name=st.sampled_from(NAMES), wrappers=st.lists(st.sampled_from(sorted(WRAPPERS)), min_size=1, max_size=3))
def test_property_wrapping_does_not_change_the_findings(name, wrappers):
    recipes = load_recipes()
    text = (PASTES / f"{name}.txt").read_text(encoding="utf-8")
    wrapped = text
    for wrapper in wrappers:
        wrapped = WRAPPERS[wrapper](wrapped)
    assert comparable(findings_of(wrapped, recipes)) == comparable(findings_of(text, recipes))
