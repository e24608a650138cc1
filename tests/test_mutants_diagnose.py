"""diagnose's fix commands and fix texts, whole: every word of the argv a user pastes is checked.

The expected values are written by hand from the reports in tests/fixtures/collect_env/ and from the
commands printed on pytorch.org's "previous versions" page (v2.0.1, CUDA 11.7 wheels).
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from conftest import FIXTURES_DIR

from envdoctor.cli import cli
from envdoctor.diagnose import _forced, _target_flags, add_description, diagnose, unjudged_build
from envdoctor.facts import Facts, Finding, Gpu, NvidiaFacts, OsFacts, PythonFacts, TorchFacts
from envdoctor.readers import read_text
from envdoctor.recipes import load_recipes

REPORTS = FIXTURES_DIR / "collect_env"
PYTORCH_INDEX = "https://download.pytorch.org/whl/"


def findings(name: str) -> dict[str, dict]:
    result = CliRunner().invoke(cli, ["diagnose", str(REPORTS / name), "--json"], catch_exceptions=False)
    return {f["id"]: f for f in json.loads(result.stdout)["findings"]}


@pytest.mark.parametrize(("argv", "forced"), [
    (["pip", "install", "torch==2.5.1"], ["pip", "install", "--force-reinstall", "torch==2.5.1"]),
    (["python", "-m", "pip", "install", "torch==2.5.1"],
     ["python", "-m", "pip", "install", "--force-reinstall", "torch==2.5.1"]),
    (["py", "-3.9", "-m", "pip", "install", "torch"], ["py", "-3.9", "-m", "pip", "install", "--force-reinstall", "torch"]),
    (["uv", "pip", "install", "torch"], ["uv", "pip", "install", "--reinstall", "torch"]),
    (["conda", "install", "pytorch=2.1.0", "-c", "pytorch"],
     ["conda", "install", "--force-reinstall", "pytorch=2.1.0", "-c", "pytorch"]),
    (["mamba", "install", "pytorch"], ["mamba", "install", "--force-reinstall", "pytorch"]),
    # already forced, no install verb, an installer without such a flag: left as they are
    (["pip", "install", "--force-reinstall", "torch"], ["pip", "install", "--force-reinstall", "torch"]),
    (["uv", "pip", "install", "--reinstall", "torch"], ["uv", "pip", "install", "--reinstall", "torch"]),
    (["pip", "download", "torch"], ["pip", "download", "torch"]),
    (["poetry", "install"], ["poetry", "install"]),
    ([], []),
])
def test_forced_adds_the_installers_own_reinstall_flag_after_install(argv, forced):
    assert _forced(argv) == forced


def test_a_gpu_too_new_gets_the_plain_command_of_a_cu129_build():
    """RTX 5090 D (sm_120) needs CUDA 12.8+; driver 570.124.04 (R570) runs 12.8 fully and 12.9's compiled
    kernels through minor-version compatibility; whl/cu129 ends at 2.13.0 (vllm-project/vllm#46378): cu129, not
    forced. torch's own warning in the report (pytorch/pytorch#150733) tells the same cause about the same GPU:
    one finding, the warning's lines its evidence."""
    found = findings("2.6.0-ubuntu24.10-rtx5090d-cu126.md")
    assert "paste.gpu-too-new" not in found
    finding = found["torch.no-kernels-for-gpu"]
    (argv,) = finding["commands"]
    version = argv[4].removeprefix("torch==").removesuffix("+cu129")
    assert re.fullmatch(r"2\.\d+\.\d+", version) and tuple(map(int, version.split("."))) >= (2, 9, 0)
    assert argv == ["python", "-m", "pip", "install", f"torch=={version}+cu129", "--index-url", PYTORCH_INDEX + "cu129"]
    assert finding["fix"] == "install a build whose kernels cover this GPU"
    assert finding["evidence"] == [
        "recipes: torch 2.6.0 cu126 kernels sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90",
        "paste line 5: NVIDIA GeForce RTX 5090 D with CUDA capability sm_120 is not compatible with the current PyTorch "
        "installation.",
        "paste line 6: The current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90.",
        "source: https://pytorch.org/get-started/locally/",
        f"plan: torch {version} cu129 for linux-x86_64, Python 3.12 (the resolver of `envdoctor install`)",
    ]


def test_companions_of_the_same_versions_are_reinstalled_with_the_published_command():
    """torch 2.0.1 with torchvision 0.15.2 and torchaudio 2.0.2 on CUDA 11.7 is pytorch.org's v2.0.1 command,
    run by the report's Python 3.9 through the Windows launcher, and forced: those versions are installed."""
    (argv,) = findings("2.0.1-windows11-gtx1050ti.txt")["torch.companion-mismatch"]["commands"]
    assert argv == ["py", "-3.9", "-m", "pip", "install", "--force-reinstall", "torch==2.0.1", "torchvision==0.15.2",
                    "torchaudio==2.0.2", "--index-url", PYTORCH_INDEX + "cu117"]


def test_a_report_without_the_machine_architecture_asks_for_it():
    finding = findings("no-torch-ubuntu-trailing-spaces.txt")["torch.not-installed"]
    assert finding["commands"] == [["envdoctor", "install", "--dry-run", "--target-os", "linux",
                                    "--target-python", "3.7"]]
    where = str(REPORTS / "no-torch-ubuntu-trailing-spaces.txt")
    assert finding["fix"] == ("see the right command for this machine; the report does not say enough to pick a "
                              "build: add --target-arch x86_64|aarch64|arm64 "
                              f"(to `envdoctor diagnose {where}` or to the command below)")


def test_no_build_for_python_2_7_on_an_intel_mac_names_the_limit():
    """torch 2.2.2 was the last release with macOS x86_64 wheels, for CPython 3.8 to 3.12."""
    finding = findings("no-torch-macos-python2.7.md")["torch.not-installed"]
    assert finding["commands"] == [["envdoctor", "install", "--dry-run", "--target-os", "macos", "--target-arch",
                                    "x86_64", "--target-python", "2.7"]]
    assert finding["fix"] == ("see the right command for this machine; no build fits: torch 2.2.2 needs Python "
                              "3.8, 3.9, 3.10, 3.11, 3.12; this is Python 2.7 (torch 2.2.2 has no wheels for "
                              "Python 2.7 on macos-x86_64)")


# ---------------------------------------------------------------------------- what the user adds, what cannot be judged
# Driver -> newest CUDA: NVIDIA's CUDA Toolkit release notes, table 3 (CUDA 12.0 GA needs Linux >= 525.60.13,
# Windows >= 527.41; 11.8 GA Windows >= 520.06; 12.2 Update 2 Linux >= 535.104.05; 12.2 GA Windows >= 536.25,
# 12.1 Update 1 Windows >= 531.14).

RECIPES = load_recipes(refreshed=False)


@pytest.mark.parametrize(("system", "driver", "cuda"), [
    ("Linux", "526.00", "12.0"), ("Windows", "526.00", "11.8"),
    ("Linux", "535.104.05", "12.2"), ("Windows", "535.104.05", "12.1"),
])
def test_a_described_driver_on_a_report_without_one(system, driver, cuda):
    facts = Facts(os=OsFacts(system=system), nvidia=NvidiaFacts(status="no_driver"))
    out = add_description(facts, RECIPES, driver=driver)
    assert out.nvidia == NvidiaFacts(status="gpus_unknown", message="the GPUs were not described (--gpu)",
                                     driver_version=driver, driver_max_cuda=cuda, source="described")
    assert out.overrides == [f"--driver {driver}"]
    assert facts.nvidia == NvidiaFacts(status="no_driver") and facts.overrides == []


def test_a_described_driver_keeps_the_reports_gpus_and_their_status():
    facts = Facts(os=OsFacts(system="Linux"),
                  nvidia=NvidiaFacts(status="unknown", gpus=[Gpu("nvidia", 0, "NVIDIA GeForce RTX 3090")]))
    out = add_description(facts, RECIPES, driver="550.54.14")
    assert (out.nvidia.status, out.nvidia.message, [g.name for g in out.nvidia.gpus]) == (
        "ok", "", ["NVIDIA GeForce RTX 3090"])
    with pytest.raises(ValueError, match=r"^--driver 'R550': not an NVIDIA driver version such as 535.104.05 or 591.86$"):
        add_description(facts, RECIPES, driver="R550")
    assert add_description(facts, RECIPES) is facts


def test_described_gpus_keep_the_reports_driver_without_calling_it_a_flag():
    facts = Facts(os=OsFacts(system="Linux"), nvidia=NvidiaFacts(
        status="ok", driver_version="550.54.14", gpus=[Gpu("nvidia", 0, "NVIDIA GeForce RTX 3090")]))
    out = add_description(facts, RECIPES, gpus=("NVIDIA A100-SXM4-80GB",))
    assert (out.nvidia.driver_version, [g.name for g in out.nvidia.gpus], out.overrides) == (
        "550.54.14", ["NVIDIA A100-SXM4-80GB"], ["--gpu NVIDIA A100-SXM4-80GB"])
    out = add_description(facts, RECIPES, driver="560.35.03", gpus=("NVIDIA A100-SXM4-80GB",))
    assert (out.nvidia.driver_version, out.overrides) == (
        "560.35.03", ["--gpu NVIDIA A100-SXM4-80GB", "--driver 560.35.03"])
    out = add_description(facts, RECIPES, no_gpu=True)
    assert (out.nvidia.status, out.nvidia.driver_version, out.nvidia.gpus, out.overrides) == (
        "no_gpu", None, [], ["--no-gpu"])


@pytest.mark.parametrize(("version", "what"), [
    ("2.6.0a0+git1234abc", "built from source"),
    ("2.6.0.dev20241112+cu124", "a nightly or pre-release"),
    ("2.6.0rc1", "a nightly or pre-release"),
    ("90.0.0", "a release not in envdoctor's data"),
])
def test_a_build_the_data_cannot_judge_is_said_to_be_one(version, what):
    facts = Facts(torch=TorchFacts(status="ok", version=version, source="/site-packages/torch"))
    assert unjudged_build(facts, RECIPES) == [Finding(
        "diagnose.build-not-judged", "warning", "torch",
        f"torch {version} is {what}: which GPUs and drivers it supports cannot be judged from the data, "
        "so its absence of errors here proves nothing",
        subject="torch", fix="run `envdoctor verify` on that machine, which runs torch for real on every device",
        commands=[["envdoctor", "verify"]], evidence=["/site-packages/torch"])]


def test_a_known_build_and_no_torch_are_not_findings():
    assert unjudged_build(Facts(torch=TorchFacts(status="ok", version="2.5.1+cu121", cuda="12.1")), RECIPES) == []
    assert unjudged_build(Facts(torch=TorchFacts(status="not_installed")), RECIPES) == []
    (finding,) = unjudged_build(Facts(torch=TorchFacts(status="ok", version="90.0.0")), RECIPES)
    assert finding.evidence == []


@pytest.mark.parametrize(("facts", "given", "missing"), [
    (Facts(os=OsFacts(system="Darwin", arch="arm64"), python=PythonFacts(version="3.12.4")),
     ["--target-os", "macos", "--target-arch", "arm64", "--target-python", "3.12"], []),
    (Facts(os=OsFacts(system="Linux", arch="x86_64"), python=PythonFacts(version="3.11.2"),
           nvidia=NvidiaFacts(status="ok", gpus=[Gpu("nvidia", 0, "NVIDIA GeForce RTX 3090")])),
     ["--target-os", "linux", "--target-arch", "x86_64", "--target-python", "3.11", "--gpu", "NVIDIA GeForce RTX 3090"],
     ["--driver VERSION (the version nvidia-smi prints)"]),
    (Facts(os=OsFacts(system="Linux", arch="aarch64"), nvidia=NvidiaFacts(status="gpus_unknown", driver_version="550.54.14")),
     ["--target-os", "linux", "--target-arch", "aarch64", "--driver", "550.54.14"], ["--gpu NAME (or --no-gpu)"]),
])
def test_the_flags_that_describe_a_reported_machine(facts, given, missing):
    assert _target_flags(facts) == (given, missing)


def test_a_paste_with_nothing_recognised_says_what_to_paste():
    reading = read_text("hello world\nnothing here", "paste.txt")
    found = [f for f in diagnose(reading, RECIPES, "paste.txt").findings if f.id.startswith("diagnose.")]
    assert found == [Finding(
        "diagnose.nothing-recognised", "warning", "system",
        "nothing in these 2 line(s) is an error, warning or report envdoctor knows", subject="os",
        fix="paste the whole error with its traceback, and the output of `python -m torch.utils.collect_env` "
            "(and `nvidia-smi` on an NVIDIA machine) with it",
        commands=[["python", "-m", "torch.utils.collect_env"]])]


def test_a_paste_that_lacks_facts_says_which_and_how_to_add_them():
    reading = read_text((FIXTURES_DIR / "pastes" / "022.txt").read_text(encoding="utf-8"), "022.txt")
    (found,) = [f for f in diagnose(reading, RECIPES, "my paste.txt").findings if f.id == "diagnose.paste-lacks"]
    assert found == Finding(
        "diagnose.paste-lacks", "info", "system",
        "the paste does not say the GPU and driver (nvidia-smi), the installed torch "
        "(python -c 'import torch; print(torch.__version__)'); the fixes above are judged without them",
        subject="torch",
        fix="run `envdoctor diagnose 'my paste.txt' --here` on that machine (it adds what this machine's probe "
            "sees), or paste `python -m torch.utils.collect_env` too",
        commands=[["envdoctor", "diagnose", "my paste.txt", "--here"]],
        evidence=["the paste says: OS Linux; Python 3.7 (line 3)"])
