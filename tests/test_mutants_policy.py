"""What policy gates observe and how they compare, compared whole with hand-written values.

cuDNN's version number: cudnn_version.h defines CUDNN_VERSION as MAJOR*10000 + MINOR*100 + PATCH from
cuDNN 9 on (90501 is 9.5.1)."""

from __future__ import annotations

import pytest

from envdoctor import policy
from envdoctor.facts import AppleFacts, Check, Facts, Gpu, NvidiaFacts, RocmFacts, TorchFacts, XpuFacts
from envdoctor.policy import Observed

SMOKE = "the smoke test never reported torch's build"


def test_a_build_without_cuda_or_cudnn_reported_by_verify():
    build = Check("build", "pass", details={"torch": "2.7.0", "cuda": None, "cudnn": None, "nccl": "",
                                            "hip": None, "xpu": "1", "python": "3.12.3"})
    observed = policy.observe(Facts(), [build])
    assert {key: observed[key] for key in ("torch", "cuda", "cudnn", "nccl", "variant", "python")} == {
        "torch": Observed(("2.7.0",), "2.7.0", "torch.__version__ (verify)"),
        "cuda": Observed((), "none (torch is not a CUDA build)", "torch.version.cuda (verify)"),
        "cudnn": Observed((), "none (torch reports no cuDNN)", "verify"),
        "nccl": Observed((), "none (torch reports no NCCL)", "verify"),
        "variant": Observed(("xpu",), "xpu", "torch.version (verify)"),
        "python": Observed(("3.12.3",), "3.12.3", "platform.python_version() (verify)"),
    }


def test_a_cuda_build_reported_by_verify():
    build = Check("build", "pass", details={"torch": "2.6.0", "cuda": "12.6", "cudnn": 90501, "nccl": "2.21.5"})
    observed = policy.observe(Facts(), [build])
    assert {key: observed[key] for key in ("cudnn", "nccl", "variant")} == {
        "cudnn": Observed(("9.5.1",), "9.5.1", "torch backends.cudnn.version() (verify)"),
        "nccl": Observed(("2.21.5",), "2.21.5", "torch cuda.nccl.version() (verify)"),
        "variant": Observed(("cu126",), "cu126", "torch.version.cuda (verify)"),
    }


def test_verify_ran_but_never_reported_the_build():
    observed = policy.observe(Facts(), [Check("devices", "pass", details={})])
    unknown = Observed((), "unknown", "", SMOKE)
    assert {key: observed[key] for key in ("torch", "cuda", "cudnn", "nccl", "variant")} == {
        "torch": unknown, "cuda": unknown, "cudnn": unknown, "nccl": unknown, "variant": unknown}


def test_an_installed_torch_read_without_verify():
    plain = policy.observe(Facts(torch=TorchFacts(status="ok", version="2.5.1", source="dist-info")))
    assert {key: plain[key] for key in ("torch", "cuda", "cudnn", "variant")} == {
        "torch": Observed(("2.5.1",), "2.5.1", "installed torch (dist-info)"),
        "cuda": Observed((), "none (torch is not a CUDA build)", "torch/version.py"),
        "cudnn": Observed((), "none (torch is not a CUDA build)", "torch/version.py"),
        "variant": Observed((), "unknown", "", "the variant of this torch is not known (no local version label)"),
    }
    local = policy.observe(Facts(torch=TorchFacts(status="ok", version="2.5.1+cu124", cuda="12.4")))
    assert local["variant"] == Observed(("cu124",), "cu124", "torch's local version label")
    assert local["cuda"] == Observed(("12.4",), "12.4", "torch/version.py")
    built = policy.observe(Facts(torch=TorchFacts(status="ok", version="2.5.1", cuda="12.4")))
    assert built["variant"] == Observed(("cu124",), "cu124", "the release's default wheel for this platform (recipes)")


@pytest.mark.parametrize(("status", "shown"), [
    ("timed_out", "timed out"), ("error", "error"), ("gpus_unknown", "gpus unknown"),
    ("driver_mismatch", "driver mismatch"), ("unknown", "unknown"),
])
def test_gpus_that_could_not_be_listed(status, shown):
    assert policy.observe(Facts(nvidia=NvidiaFacts(status=status)))["gpus"] == Observed(
        (), "unknown", "", f"the NVIDIA GPUs could not be listed ({shown})")


def test_every_kind_of_gpu_is_counted():
    facts = Facts(nvidia=NvidiaFacts(status="ok", gpus=[Gpu("nvidia", 0, "Tesla T4")]),
                  rocm=RocmFacts(gpus=[Gpu("amd", 0, "MI300X")]),
                  xpu=XpuFacts(present=True, devices=[Gpu("intel", 0, "Max 1550"), Gpu("intel", 1, "Max 1550")]),
                  apple=AppleFacts(mps_possible=True))
    assert policy.observe(facts)["gpus"] == Observed(("5",), "5", "probes (CUDA_VISIBLE_DEVICES applied)")


@pytest.mark.parametrize(("text", "status"), [
    ("variant!=cu126", "met"), ("variant!=cu124", "unmet"), ("variant=cu124", "met"), ("variant==cu126", "unmet"),
])
def test_variant_equality_and_inequality(text, status):
    observed = {"variant": Observed(("cu124",), "cu124", "torch's local version label")}
    (result,) = policy.evaluate([policy.parse_requirement(text)], observed)
    assert result.status == status


@pytest.mark.parametrize(("text", "problem", "start", "width"), [
    ("torch>=2.5+cu1", "'2.5+cu1' is not a plain version such as 2.5", 7, 7),
    ("cuda>=12.4rc1", "'12.4rc1' is not a plain version such as 12.4", 6, 7),
])
def test_a_version_that_is_not_plain_is_refused_with_an_example_for_its_key(text, problem, start, width):
    with pytest.raises(policy.PolicyError) as refused:
        policy.parse_requirement(text)
    assert str(refused.value) == f"{text!r}: {problem}\n  {text}\n  {' ' * start}{'^' * width}"
