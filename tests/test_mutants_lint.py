"""What lint reads from an install command, compared whole with values written by hand.

conda's match specifications (conda docs, "Package match specifications"): ``pytorch=1.12`` is a fuzzy
match, any 1.12.x; ``pytorch=2.1.0=py3.10_cuda12.1_cudnn8.9.2_0`` is release 2.1.0 with that build
string; ``channel::name`` names the channel. pip's requirements are PEP 508, its specifiers PEP 440.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest
from packaging.specifiers import SpecifierSet

from envdoctor.facts import Facts, Finding
from envdoctor.lint import Wanted, _judge_indexes, lint_installs, wanted_of
from envdoctor.lint_wanted import _conda_specifier
from envdoctor.readers.install_commands import Line, parse_command
from envdoctor.recipes import load_recipes
from envdoctor.target import describe_target
from envdoctor.toolkit import DRIVER_ONLY, DRIVER_ONLY_FIX, DRIVER_ONLY_SOURCE

CU118 = "https://download.pytorch.org/whl/cu118"


def wanted(command: str) -> Wanted:
    installs, _, _ = parse_command(Line("x", command))
    (install,) = installs
    return wanted_of(install)


@pytest.mark.parametrize(("rest", "spec"), [
    ("=1.12", "==1.12.*"),  # fuzzy: 1.12.0, 1.12.1 ...
    ("==1.12", "==1.12.*"),
    ("=1.12.1", "==1.12.1"),
    ("==1.12.1", "==1.12.1"),
    ("=1.12.1=py3.9_cuda11.6_cudnn8.3.2_0", "==1.12.1"),  # the build string is not a version
    ("=1.*", "==1.*"),
    (">=1.8", ">=1.8"),
    (">=1.8,<2", "<2,>=1.8"),
    ("", ""),
    ("=", ""),
    ("~~1", ""),  # not a specifier: nothing is assumed
])
def test_conda_version_specs_as_pep_440(rest, spec):
    assert _conda_specifier(rest) == SpecifierSet(spec)


def test_a_fuzzy_conda_pin_takes_any_patch_release_and_no_other_minor():
    spec = _conda_specifier("=1.12")
    assert [v for v in ("1.12.0", "1.12.1", "1.13.0", "1.1.2", "11.2") if spec.contains(v)] == ["1.12.0", "1.12.1"]


def test_a_conda_command_whole():
    assert wanted("conda install pytorch=1.12 torchvision==0.13.1 cudatoolkit=11.6 python=3.9 numpy cpuonly "
                  "-c pytorch") == Wanted(
        specs={"torch": SpecifierSet("==1.12.*"), "torchvision": SpecifierSet("==0.13.1")},
        pins={"torchvision": "0.13.1"}, variant="cu116", variant_from="cudatoolkit=11.6", others=["numpy"],
        python="3.9", cudatoolkit="11.6", cpuonly=True)


def test_a_conda_command_with_a_channel_prefix_and_a_build_string():
    installs, _, _ = parse_command(Line("x", "conda install -c conda-forge pytorch-cuda=12.1 "
                                             "pytorch::pytorch=2.1.0=py3.10_cuda12.1_cudnn8.9.2_0 'torchaudio>=2.1'"))
    (install,) = installs
    assert wanted_of(install) == Wanted(
        specs={"torch": SpecifierSet("==2.1.0"), "torchaudio": SpecifierSet(">=2.1")}, pins={"torch": "2.1.0"},
        variant="cu121", variant_from="pytorch-cuda=12.1", pytorch_cuda="12.1")
    assert install.channels == ["conda-forge", "pytorch"]


def test_cpuonly_alone_is_the_cpu_variant():
    assert wanted("conda install pytorch cpuonly") == Wanted(
        specs={"torch": SpecifierSet()}, variant="cpu", variant_from="cpuonly", cpuonly=True)


def test_a_pip_command_whole():
    wheel = f"{CU118}/torchaudio-2.0.2%2Bcu118-cp310-cp310-linux_x86_64.whl"
    assert wanted(f"pip install torch==2.0.1+cu118 'torchvision>=0.15,<0.16' numpy pytorch 'torch-!!' {wheel} "
                  f"--index-url {CU118}") == Wanted(
        specs={"torch": SpecifierSet("==2.0.1"), "torchvision": SpecifierSet(">=0.15,<0.16"),
               "torchaudio": SpecifierSet("==2.0.2")},
        pins={"torch": "2.0.1", "torchaudio": "2.0.2"}, locals={"torch": "cu118", "torchaudio": "cu118"},
        variant="cu118", variant_from="torch==2.0.1+cu118", stub=True, others=["numpy"], unreadable=["torch-!!"],
        wheel_urls=[wheel])


def test_the_index_names_the_variant_when_no_pin_does():
    assert wanted(f"pip install torch==2.0.1 torchvision==0.15.* --index-url {CU118}") == Wanted(
        specs={"torch": SpecifierSet("==2.0.1"), "torchvision": SpecifierSet("==0.15.*")}, pins={"torch": "2.0.1"},
        variant="cu118", variant_from=CU118)


# ---------------------------------------------------------------------------- whole findings for whole commands
# Published facts behind the expected values: torch 2.5.1's Linux x86_64 wheel on PyPI is the CUDA 12.4 build;
# the pytorch conda channel's last release is 2.5.1 (pytorch#138506); pytorch.org's v2.1.0 conda command for
# CUDA 12.1 is `pytorch==2.1.0 ... pytorch-cuda=12.1 -c pytorch -c nvidia`; an R535 driver runs CUDA 12.2.

RECIPES = load_recipes(refreshed=False)
RTX3090 = describe_target(Facts(), recipes=RECIPES, target_os="linux", target_arch="x86_64", target_python="3.11",
                          gpus=("NVIDIA GeForce RTX 3090",), driver="535.104.05")
NO_GPU = describe_target(Facts(), recipes=RECIPES, target_os="linux", target_arch="x86_64", target_python="3.11",
                         no_gpu=True)
CPU_INSTEAD = ["python", "-m", "pip", "install", "torch==2.5.1", "--index-url", "https://download.pytorch.org/whl/cpu"]


def judged(command: str, facts: Facts):
    installs, scripts, _ = parse_command(Line("run.sh:1", command))
    (one,) = lint_installs(installs, scripts, facts, RECIPES)
    return one


@pytest.mark.parametrize(("command", "what"), [
    ("pip install torch==2.5.1", "torch 2.5.1 cu124 (the PyPI default here)"),
    (f"pip install torch==2.5.1 --index-url {CU118[:-5]}cu121", "torch 2.5.1 cu121"),
])
def test_a_cuda_build_on_a_machine_without_a_gpu(command, what):
    one = judged(command, NO_GPU)
    assert one.instead == CPU_INSTEAD
    assert one.findings == [Finding(
        "lint.gpu-build-without-gpu", "warning", "lint",
        f"this installs {what}, a CUDA build whose GPU libraries are gigabytes that this machine cannot use: "
        "install plans the CPU build (cpu) for it", subject="run.sh:1",
        fix="install the CPU build (the command below)", commands=[CPU_INSTEAD],
        evidence=["source: the resolver, for the same request as `envdoctor install`: variant cpu: no GPU to use",
                  f"line: {command}"])]


def test_the_pytorch_conda_channel_with_its_cuda_pairing():
    command = "conda install pytorch=2.1.0 pytorch-cuda=11.8 -c pytorch -c nvidia"
    instead = ["conda", "install", "-y", "pytorch==2.1.0", "pytorch-cuda=12.1", "-c", "pytorch", "-c", "nvidia"]
    one = judged(command, RTX3090)
    assert one.instead == instead
    assert one.findings == [Finding(
        "lint.pytorch-conda-channel", "warning", "lint",
        "the pytorch conda channel got no builds after torch 2.5.1: this installs 2.5.1 at the newest. "
        "pytorch-cuda=11.8 is that channel's CUDA pairing (with -c nvidia). conda-forge builds current releases",
        subject="run.sh:1", fix="install from conda-forge (or with pip): the command below", commands=[instead],
        evidence=["source: recipes/torch.toml: 2.5 is the last release on the pytorch conda channel (pytorch#138506)",
                  f"line: {command}"])]


def test_the_pytorch_conda_channel_without_a_cuda_pairing_says_nothing_of_one():
    one = judged("conda install pytorch=2.1.0 cpuonly -c pytorch", NO_GPU)
    (finding,) = [f for f in one.findings if f.id == "lint.pytorch-conda-channel"]
    assert finding.message == ("the pytorch conda channel got no builds after torch 2.5.1: this installs 2.5.1 at "
                               "the newest. conda-forge builds current releases")


def test_a_system_toolkit_and_cudnn_are_not_needed():
    command = "sudo apt-get install -y cuda-toolkit-12-4 libcudnn8"
    one = judged(command, RTX3090)
    assert one.instead is not None
    version = one.instead[4].removeprefix("torch==")
    assert one.instead == ["python", "-m", "pip", "install", f"torch=={version}", "--index-url",
                           "https://download.pytorch.org/whl/cu126"]
    evidence = [f"source: {DRIVER_ONLY_SOURCE}", f"line: {command}"]
    assert one.findings == [
        Finding("lint.cuda-toolkit-not-needed", "warning", "lint",
                f"cuda-toolkit-12-4: a CUDA toolkit is not needed for torch; {DRIVER_ONLY}; CUDA 12.4 would compile "
                "extensions for torch built with CUDA 12.6; torch itself does not use it", subject="run.sh:1",
                fix=DRIVER_ONLY_FIX, commands=[one.instead], evidence=evidence),
        Finding("lint.cudnn-not-needed", "warning", "lint",
                f"libcudnn8: torch does not load the system's cuDNN; {DRIVER_ONLY}", subject="run.sh:1",
                fix=DRIVER_ONLY_FIX, commands=[one.instead], evidence=evidence),
    ]


def test_the_nightly_find_links_page_of_the_1_x_era():
    command = "pip install torch==1.10.0 -f https://download.pytorch.org/whl/torch_nightly.html"
    one = judged(command, RTX3090)
    assert one.instead is not None and one.instead[-2:] == ["--index-url", "https://download.pytorch.org/whl/cu126"]
    assert [f.id for f in one.findings] == ["lint.find-links-page", "lint.nothing-installs"]
    assert one.findings[0] == Finding(
        "lint.find-links-page", "warning", "lint",
        "-f https://download.pytorch.org/whl/torch_nightly.html is the find-links page of the torch 1.x era: the "
        "newest release installed that way is 1.10.2; since 1.11.0 wheels come from a per-variant index "
        "(--index-url https://download.pytorch.org/whl/cu126), and +cuXYZ pins are no longer needed",
        subject="run.sh:1", fix="use the variant's index URL (the command below)", commands=[one.instead],
        evidence=["source: recipes/torch.toml: index_style 'find-links' up to 1.10.2 (PyPI simple index; "
                  "previous-versions.md (pip lists cpu/cu102/cu111 only); builder release/1.10)", f"line: {command}"])
    # torch 1.10 shipped wheels for CPython 3.6 to 3.9 only
    assert one.findings[1].message == ("no torch release matching ==1.10.0 has a PyPI build for linux-x86_64 for "
                                       "Python 3.11: the installer finds nothing")


@pytest.mark.parametrize("command", ["pip install pytorch", "pip3 install pytorch==1.0"])
def test_the_pypi_stub_named_pytorch(command):
    one = judged(command, RTX3090)
    assert one.instead is not None
    assert one.findings == [Finding(
        "lint.pytorch-stub", "error", "lint",
        "'pytorch' on PyPI is a placeholder that fails to install ('You tried to install \"pytorch\". The package "
        "named for PyTorch is \"torch\"'): the package is 'torch'", subject="run.sh:1", fix="install 'torch'",
        commands=[one.instead],
        evidence=["source: the PyPI project 'pytorch' (setup.py raises that exception; pytorch/pytorch#939, #42353)",
                  f"line: {command}"])]


def test_a_mirror_index_is_not_judged_as_the_pypi_default():
    one = judged("pip install torch==2.5.1 --index-url https://mirror.example/simple", NO_GPU)
    assert (one.findings, one.instead) == ([], None)


# ---------------------------------------------------------------------------- more findings compared whole
# Published facts: torch 2.5.1 pairs torchvision 0.20.1 (pytorch.org previous versions); PyPI's Windows wheel of
# torch is the CPU build; CUDA 12.4 needs driver >= 525.60.13 and R470 runs CUDA 11.4 (CUDA release notes, table 3);
# Ubuntu 22.04's nvidia-cuda-toolkit is 11.5.1 (packages.ubuntu.com/jammy); flash-attn's README installs it with
# --no-build-isolation; PEP 440 forbids local versions on PyPI.

TOOLKIT_SOURCE = f"source: {DRIVER_ONLY_SOURCE}"
WINDOWS_3090 = describe_target(Facts(), recipes=RECIPES, target_os="windows", target_arch="x86_64",
                               target_python="3.11", gpus=("NVIDIA GeForce RTX 3090",), driver="535.104.05")
R470 = describe_target(Facts(), recipes=RECIPES, target_os="linux", target_arch="x86_64", target_python="3.11",
                       gpus=("NVIDIA GeForce RTX 3090",), driver="470.57.02")
CU121 = ["python", "-m", "pip", "install", "torch==2.5.1", "--index-url", "https://download.pytorch.org/whl/cu121"]
NEWEST_CU126 = ["python", "-m", "pip", "install", "torch==2.14.1", "--index-url", "https://download.pytorch.org/whl/cu126"]


def test_a_local_pin_without_the_index_that_has_it():
    command = "pip install torch==2.0.1+cu118"
    instead = ["python", "-m", "pip", "install", "torch==2.0.1", "--index-url", CU118]
    one = judged(command, RTX3090)
    assert (one.instead, one.findings) == (instead, [Finding(
        "lint.local-pin-without-index", "error", "lint",
        "torch+cu118: PyPI has no wheels with a local version (+cu118); without the PyTorch index or find-links page "
        "no such version is found", subject="run.sh:1",
        fix="use the plain version with the variant's index URL (the command below)", commands=[instead],
        evidence=["source: PEP 440 local versions; PyPI accepts no uploads with a local version", f"line: {command}"])])


def test_a_direct_reference_after_an_unreadable_requirement_is_still_found():
    url = "https://example.com/torch-2.5.1-cp311-cp311-linux_x86_64.whl"
    command = f"pip install 'torch-!!' 'torch @ {url}'"
    one = judged(command, RTX3090)
    assert [(f.id, f.message) for f in one.findings] == [
        ("lint.direct-reference", f"'torch @ {url}' installs whatever lies at that URL, not the build chosen for this "
                                  "machine or what torch was made with (envdoctor install refuses it)"),
        ("lint.unreadable-requirement", "'torch-!!' is not a requirement the installer can read")]


def test_flash_attn_without_no_build_isolation():
    command = "pip install torch==2.5.1 flash-attn"
    one = judged(command, RTX3090)
    # flash-attn stays in the replacement: its build tools, then itself built against the torch installed
    then = [["python", "-m", "pip", "install", "ninja", "packaging", "psutil", "wheel"],
            ["python", "-m", "pip", "install", "--no-build-isolation", "--no-binary", "flash-attn", "flash-attn"]]
    assert (one.instead, one.then, one.findings) == (CU121, then, [Finding(
        "lint.extension-build-isolation", "error", "lint",
        "flash-attn compiles against the torch it imports at build time: without --no-build-isolation pip builds it "
        "in an isolated environment with no torch (\"No module named 'torch'\") or a fresh one from PyPI, not the "
        "torch installed here", subject="run.sh:1",
        fix="install torch first, then: pip install flash-attn --no-build-isolation (and ninja, packaging)",
        commands=[CU121, *then], evidence=[
            "source: https://github.com/Dao-AILab/flash-attention#installation-and-features (pip install flash-attn "
            "--no-build-isolation)", f"line: {command}"])])


def test_a_variant_last_built_for_an_older_series():
    # cu128's newest release in the data is 2.11.0, the one before it 2.10.0: the evidence names 2.11's series
    command = "pip install torch --index-url https://download.pytorch.org/whl/cu128"
    one = judged(command, RTX3090)
    [finding] = one.findings
    assert (finding.id, finding.severity, finding.message, finding.evidence[0].split(" (")[0]) == (
        "lint.variant-outdated", "warning",
        "cu128 (from https://download.pytorch.org/whl/cu128) is not built any more: the newest release with it is "
        "torch 2.11.0, the newest release is 2.15.0", "source: recipes/torch.toml: series 2.11")


def test_a_companion_pin_of_another_torch_is_an_error():
    one = judged("pip install torch==2.5.1 torchvision==0.19.0", RTX3090)
    (finding,) = [f for f in one.findings if f.id == "lint.companion-mismatch"]
    assert (finding.severity, finding.message, finding.fix) == (
        "error", "torchvision==0.19.0 does not pair torch==2.5.1: torch 2.5.1 pairs torchvision 0.20.1",
        "pin torchvision==0.20.1, or leave it unpinned: pip install torch==2.5.1 torchvision==0.20.1")


def test_a_release_older_than_the_data():
    command = "pip install torch==1.4.0"
    one = judged(command, RTX3090)
    assert (one.instead, one.findings) == (NEWEST_CU126, [Finding(
        "lint.release-too-old", "warning", "lint",
        "torch 1.4.0 is older than every release envdoctor knows (1.8.0 on): whether its wheels install on this "
        "Python and run on these GPUs is not checked", subject="run.sh:1",
        fix="use a current release (the command below)", commands=[NEWEST_CU126],
        evidence=["source: recipes/torch.toml: releases from 1.8.0", f"line: {command}"])])


#: The source a build's finding cites: the row of torch 2.5.1 cu124 in recipes/torch.toml (read, not restated).
CU124_SOURCE = RECIPES.release("2.5.1").variant("cu124").source
CU118_2_5_1 = ["python", "-m", "pip", "install", "torch==2.5.1", "--index-url", "https://download.pytorch.org/whl/cu118"]


@pytest.mark.parametrize(("command", "id_", "what"), [
    ("pip install torch==2.5.1 --index-url https://download.pytorch.org/whl/cu124", "lint.variant-does-not-fit",
     "torch 2.5.1 cu124"),
    # PyPI's Linux x86_64 wheel of torch 2.5.1 is its CUDA 12.4 build (its files on PyPI)
    ("pip install torch==2.5.1", "lint.default-build-does-not-fit",
     "torch 2.5.1 from PyPI (its default wheel here is cu124)"),
])
def test_a_cuda_12_4_build_on_an_r470_driver_does_not_fit(command, id_, what):
    one = judged(command, R470)
    assert (one.instead, one.findings) == (CU118_2_5_1, [Finding(
        id_, "error", "lint",
        f"this installs {what}, which does not run on this machine: the driver 470.57.02 supports CUDA 11.4; cu124 "
        "needs CUDA 12.4 (driver >= 525.60.13)", subject="run.sh:1",
        fix="the command below picks the build for this machine", commands=[CU118_2_5_1],
        evidence=[f"source: the resolver (recipes/torch.toml series 2.5; {CU124_SOURCE})", f"line: {command}"])])


def test_pypi_s_cpu_default_on_windows_with_a_gpu():
    command = "pip install torch==2.5.1"
    instead = ["py", "-3.11", "-m", "pip", "install", "torch==2.5.1", "--index-url",
               "https://download.pytorch.org/whl/cu121"]
    one = judged(command, WINDOWS_3090)
    assert (one.instead, one.findings) == (instead, [Finding(
        "lint.cpu-build-on-gpu", "warning", "lint",
        "PyPI's default wheel here is torch 2.5.1 cpu, which leaves the GPU unused (torch.cuda.is_available() is "
        "False): install plans cu121 for it", subject="run.sh:1",
        fix="install the GPU build from its index (the command below)", commands=[instead],
        evidence=["source: the resolver, for the same request as `envdoctor install`: variant cu121: its CUDA 12.1 <= "
                  "the driver's CUDA 12.1; kernels sm_50, sm_60, sm_61, sm_70, sm_75, sm_80, sm_86, sm_90 cover every "
                  "GPU", f"line: {command}"])])


def test_nvidia_s_runfile_is_a_cuda_installer():
    command = "sh cuda_12.4.0_550.54.14_linux.run"
    one = judged(command, RTX3090)
    assert (one.instead, one.findings) == (NEWEST_CU126, [Finding(
        "lint.cuda-installer-not-needed", "warning", "lint",
        f"cuda_12.4.0_550.54.14_linux.run is NVIDIA's CUDA 12.4 installer, not needed for torch; {DRIVER_ONLY}; "
        "CUDA 12.4 would compile extensions for torch built with CUDA 12.6; torch itself does not use it",
        subject="run.sh:1", fix=DRIVER_ONLY_FIX, commands=[NEWEST_CU126], evidence=[TOOLKIT_SOURCE, f"line: {command}"])])


def test_ubuntu_s_own_cuda_toolkit_is_named_with_its_version():
    facts = copy.deepcopy(RTX3090)
    facts.os.distro_id, facts.os.distro_version = "ubuntu", "22.04"
    one = judged("sudo apt-get install -y nvidia-cuda-toolkit", facts)
    [finding] = one.findings
    assert finding.message == (
        "nvidia-cuda-toolkit (CUDA 11.5 on Ubuntu 22.04: packages.ubuntu.com/jammy/nvidia-cuda-toolkit: "
        f"11.5.1-1ubuntu1): a CUDA toolkit is not needed for torch; {DRIVER_ONLY}; CUDA 11.5 cannot even compile "
        "extensions for torch built with CUDA 12.6: the major versions differ")


def test_a_conda_toolkit_pin_is_read_as_its_cuda_line():
    one = judged("conda install -c nvidia cuda-toolkit=12.4.1", RTX3090)
    [finding] = one.findings
    assert (finding.id, finding.message) == ("lint.cuda-toolkit-not-needed", (
        f"cuda-toolkit=12.4.1: a CUDA toolkit is not needed for torch; {DRIVER_ONLY}; CUDA 12.4 would compile "
        "extensions for torch built with CUDA 12.6; torch itself does not use it"))


def test_nvidia_s_cuda_wheels_alone():
    command = "pip install nvidia-cuda-runtime-cu12==12.4.127 nvidia-cudnn-cu12"
    one = judged(command, RTX3090)
    assert (one.instead, one.findings) == (NEWEST_CU126, [Finding(
        "lint.cuda-wheels-alone", "warning", "lint",
        "nvidia-cuda-runtime-cu12==12.4.127, nvidia-cudnn-cu12 on their own do not make torch use the GPU: torch's "
        f"wheels require the NVIDIA CUDA wheels of their own build and install them; {DRIVER_ONLY}",
        subject="run.sh:1", fix="install torch itself (the command below): it brings the CUDA wheels it needs",
        commands=[NEWEST_CU126], evidence=[TOOLKIT_SOURCE, f"line: {command}"])])


def test_the_find_links_era_is_cited_by_its_last_release():
    """Data where 1.10.1 cites another source than 1.10.2 (assembled): the evidence is the last release's."""
    recipes = dataclasses.replace(RECIPES, releases=tuple(
        dataclasses.replace(release, source="builder release/1.10 (1.10.1)") if release.version == "1.10.1" else release
        for release in RECIPES.releases))
    installs, _, _ = parse_command(Line("x", "pip install torch==1.10.0 -f https://download.pytorch.org/whl/torch_stable.html"))
    (install,) = installs
    out: list[Finding] = []
    _judge_indexes(install, wanted_of(install), recipes, out)
    assert [finding.evidence for finding in out] == [[
        "source: recipes/torch.toml: index_style 'find-links' up to 1.10.2 (PyPI simple index; previous-versions.md "
        "(pip lists cpu/cu102/cu111 only); builder release/1.10)",
        "line: pip install torch==1.10.0 -f https://download.pytorch.org/whl/torch_stable.html"]]


def test_a_conda_command_on_an_amd_machine_is_answered_with_pip():
    """conda-forge builds torch for CPUs and CUDA only: the ROCm build comes from pip, and the note says why."""
    amd = describe_target(Facts(), recipes=RECIPES, target_os="linux", target_arch="x86_64", target_python="3.11",
                          gpus=("AMD Radeon RX 7900 XTX",))
    one = judged("conda install -c conda-forge cudnn", amd)
    assert (one.instead, one.instead_note, [f.id for f in one.findings]) == (
        ["python", "-m", "pip", "install", "torch==2.14.1", "--index-url", "https://download.pytorch.org/whl/rocm7.2"],
        "conda cannot install it (conda has no ROCM build of torch; use pip or uv): pip", ["lint.cudnn-not-needed"])


def test_a_piped_script_where_no_torch_installs_names_no_command():
    """torch 2.2.2 was the last release with macOS x86_64 wheels, for CPython 3.8 to 3.12 (its files on PyPI): an
    Intel Mac's Python 3.13 has no torch, so the finding carries no command and the note says why."""
    intel_mac = describe_target(Facts(), recipes=RECIPES, target_os="macos", target_arch="x86_64",
                                target_python="3.13", no_gpu=True)
    installs, scripts, _ = parse_command(Line("run.sh:1", "curl -fsSL https://pytorch.org/install.sh | sh"))
    (one,) = lint_installs(installs, scripts, intel_mac, RECIPES)
    assert (one.instead, one.instead_note, [(f.id, f.commands) for f in one.findings]) == (
        None, "torch 2.2.2 needs Python 3.8, 3.9, 3.10, 3.11, 3.12; this is Python 3.13 (torch 2.2.2 has no wheels for "
              "Python 3.13 on macos-x86_64)", [("lint.no-such-installer", [])])
