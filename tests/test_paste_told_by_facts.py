"""A pasted error and a report in one paste: one finding per cause.

When the facts (a collect_env report in the same paste, or what ``--driver`` / ``--gpu`` describe) let a rule judge
the cause the pasted message names, the rule's finding stays and the message's lines become its evidence. The
inputs are real texts from tests/fixtures/pastes/ (README.md there names each thread) and tests/fixtures/collect_env/
(README.md there), put one after the other: the combinations are assembled, each part is not.
"""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import FIXTURES_DIR

from envdoctor.cli import cli

PASTES = FIXTURES_DIR / "pastes"
REPORTS = FIXTURES_DIR / "collect_env"
RTX_5090_D_REPORT = "2.6.0-ubuntu24.10-rtx5090d-cu126.md"  # pytorch/pytorch#150733: 2.6.0+cu126, driver 570.124.04


def judged(tmp_path, paste: str, report: str, *flags: str) -> dict[str, dict]:
    both = tmp_path / "paste.txt"
    both.write_text((PASTES / paste).read_text(encoding="utf-8") + "\n" + (REPORTS / report).read_text(encoding="utf-8"),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["diagnose", str(both), *flags, "--json"], catch_exceptions=False)
    return {f["id"]: f for f in json.loads(result.stdout)["findings"]}


def lines_of(paste: str, *numbers: int) -> list[str]:
    text = (PASTES / paste).read_text(encoding="utf-8").splitlines()
    return [f"paste line {n}: {text[n - 1].strip()}" for n in numbers]


def test_a_driver_too_old_for_the_build_is_one_finding_with_torchs_warning_as_evidence(tmp_path):
    # 005 (shiyu-coder/Kronos#71): torch's "driver on your system is too old (found version 11040)"; the report's
    # torch is built for CUDA 12.6, and --driver 470.82.01 (R470, CUDA 11.4 on Linux in NVIDIA's Table 3) is the
    # driver that message comes from
    found = judged(tmp_path, "005.txt", RTX_5090_D_REPORT, "--driver", "470.82.01")
    assert "paste.driver-too-old" not in found
    finding = found["torch.cuda-newer-than-driver"]
    assert finding["message"] == ("torch 2.6.0+cu126 was built for CUDA 12.6, but driver 470.82.01 supports at most "
                                  "CUDA 11.4: torch.cuda.is_available() will be False")
    assert finding["evidence"] == [
        "torch/version.py cuda = 12.6",
        "driver 470.82.01 supports at most CUDA 11.4 (described)",
        # the paste's line, as its reader quotes it (up to the download URL)
        "paste line 2: /opt/python11Venv/lib/python3.11/site-packages/torch/cuda/__init__.py:182: UserWarning: CUDA "
        "initialization: The NVIDIA driver on your system is too old (found version 11040). Please update your GPU "
        "driver by downloading and installing a new version from the URL: http://www.nvidia.com/Download/index",
        "source: https://docs.nvidia.com/deploy/cuda-compatibility/",
    ]


def test_a_cpu_build_asked_for_cuda_is_one_finding(tmp_path):
    # 022 (facebookresearch/detectron2#460): "Torch not compiled with CUDA enabled"; the report's torch is +cpu and
    # --gpu names the machine's GPU
    found = judged(tmp_path, "022.txt", "generated-2.13.0-cpu-linux.txt", "--gpu", "NVIDIA GeForce RTX 3090",
                   "--driver", "570.124.06")
    assert "paste.cpu-only-build" not in found
    finding = found["torch.cpu-build-on-gpu"]
    assert finding["message"] == ("torch 2.13.0+cpu is a CPU-only build on a machine with 1 NVIDIA GPU(s) "
                                  "(NVIDIA GeForce RTX 3090): it will never use them")
    assert [line for line in finding["evidence"] if line.startswith("paste line")] == [
        'paste line 4: raise AssertionError("Torch not compiled with CUDA enabled")']


def test_no_kernel_image_is_told_by_the_finding_that_names_the_gpu(tmp_path):
    # 015 (HRNet/HigherHRNet-Human-Pose-Estimation#95) names no GPU; a report of torch 2.4.0+cu121 (kernels up to
    # sm_90) with --gpu naming an RTX 5090 (sm_120) does
    found = judged(tmp_path, "015.txt", "2.4.0-wsl2-rtx4070-laptop.txt", "--gpu", "NVIDIA GeForce RTX 5090")
    assert "paste.no-kernel-image" not in found
    finding = found["torch.no-kernels-for-gpu"]
    assert finding["message"] == ("torch 2.4.0+cu121 has no kernels for GPU 0 NVIDIA GeForce RTX 5090 (compute "
                                  "capability 12.0): 'no kernel image is available' at run time")
    assert finding["evidence"] == [
        "recipes: torch 2.4.0 cu121 kernels sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90",
        *lines_of("015.txt", 1),
        "source: https://pytorch.org/get-started/locally/",
    ]


def test_torchs_own_warning_in_the_report_tells_no_kernel_image_too(tmp_path):
    # the RTX 5090 D report holds torch's sm_120 warning: it names the GPU, so 015's bare message adds nothing
    found = judged(tmp_path, "015.txt", RTX_5090_D_REPORT)
    assert not {"paste.no-kernel-image", "paste.gpu-too-new"} & set(found)
    assert [line for line in found["torch.no-kernels-for-gpu"]["evidence"] if line.startswith("paste line")] == [
        "paste line 9: NVIDIA GeForce RTX 5090 D with CUDA capability sm_120 is not compatible with the current "
        "PyTorch installation.",
        "paste line 10: The current PyTorch install supports CUDA capabilities sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 "
        "sm_90."]


def test_torchs_warning_about_another_gpu_than_the_reports_stays_its_own_finding(tmp_path):
    # 003 (an RTX 3090 and a CUDA 10.2 build) above the RTX 5090 D report: two GPUs, two findings
    found = judged(tmp_path, "003.txt", RTX_5090_D_REPORT)
    assert found["paste.gpu-too-new"]["message"] == (
        "NVIDIA GeForce RTX 3090 (compute capability 8.6) is newer than every architecture this torch build has "
        "kernels for (its newest is sm_70): 'no kernel image is available' at run time")
    assert found["torch.no-kernels-for-gpu"]["message"] == (
        "torch 2.6.0+cu126 has no kernels for GPU 0 NVIDIA GeForce RTX 5090 D (compute capability 12.0): 'no kernel "
        "image is available' at run time")
    assert not any(line.startswith("paste line") for line in found["torch.no-kernels-for-gpu"]["evidence"])


def test_a_gpu_too_old_for_the_build_in_the_paste_is_not_the_reports_gpu(tmp_path):
    # 012 (alievk/avatarify-python#58): torch's "GeForce GTX 660 Ti which is of cuda capability 3.0 ... too old" above
    # the RTX 5090 D report: the report's finding is about its own GPU, the paste's about the GTX 660 Ti
    found = judged(tmp_path, "012.txt", RTX_5090_D_REPORT)
    # (the kernel list is the one torch's warning in the report gives: the paste's message names none)
    assert found["paste.gpu-too-old"]["message"] == (
        "GeForce GTX 660 Ti (compute capability 3.0) is older than the oldest architecture this torch build was "
        "compiled for (3.5) (this build has kernels for sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90): its kernels cannot "
        "run there")
    assert not any(line.startswith("paste line") for line in found["torch.no-kernels-for-gpu"]["evidence"])
