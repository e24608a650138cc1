"""check, install and verify agree: each contradiction once found between them, as a case that must hold.

Each case plans for a machine, marks the planned build installed, and checks the machine again: the
rules must raise no torch/CUDA error about a build the resolver chose, and the resolver must not choose
a build the rules would flag. Expected builds come from the published tables cited beside each case.
"""

from __future__ import annotations

from envdoctor.facts import CudaToolkit, Facts, Gpu, NvidiaFacts, PythonFacts, RocmFacts, TorchFacts
from envdoctor.recipes import load_recipes
from envdoctor.resolver import Request, resolve
from envdoctor.rules import evaluate

RECIPES = load_recipes()
TORCH_ERRORS = {"torch.cuda-newer-than-driver", "torch.cuda-minor-newer-than-driver", "torch.no-kernels-for-gpu",
                "torch.cpu-build-on-gpu", "torch.rocm-build-on-nvidia"}


def box(system="Linux", arch="x86_64", driver=None, max_cuda=None, gpus=(), amd=(), python="3.12.3", tag=None) -> Facts:
    facts = Facts()
    facts.os.system, facts.os.arch = system, arch
    facts.os.glibc = "2.39" if system == "Linux" else None
    machine = {"Windows": "AMD64"}.get(system, arch)
    facts.python = PythonFacts(executable="/venv/bin/python", version=python, implementation="cpython",
                               platform_tag=tag, machine=machine, pointer_bits=64)
    if gpus or driver:
        facts.nvidia = NvidiaFacts(status="ok", driver_version=driver, driver_max_cuda=max_cuda, source="nvidia-smi",
                                   gpus=[Gpu("nvidia", i, name, compute_capability=cc) for i, (name, cc) in enumerate(gpus)])
    if amd:
        facts.rocm = RocmFacts(status="ok", gpus=[Gpu("amd", i, name, arch=gfx) for i, (name, gfx) in enumerate(amd)])
    return facts


def installed(facts: Facts, plan) -> Facts:
    """The same machine after running the plan: the planned build is what version.py now says."""
    variant = RECIPES.find_variant(plan.torch, plan.variant)
    pypi = RECIPES.release(plan.torch).pypi.get(plan.platform) == plan.variant
    facts.torch = TorchFacts(status="ok", version=plan.torch + ("" if pypi else f"+{plan.variant}"),
                             local=None if pypi else plan.variant, cuda=variant.cuda, hip=variant.rocm,
                             location="/venv/lib/site-packages", copies=["/venv/lib/site-packages"], installer="pip")
    return facts


def torch_errors(facts: Facts) -> list[str]:
    return [f"{f.id}: {f.message}" for f in evaluate(facts, RECIPES) if f.id in TORCH_ERRORS and f.severity == "error"]


def plan_then_check(facts: Facts, requirements=()):
    plan = resolve(facts, Request(requirements=list(requirements)), RECIPES)
    assert plan.ok, plan.alternatives
    assert torch_errors(installed(facts, plan)) == []
    return plan


def test_jetson_thor_on_aarch64_gets_a_build_whose_kernels_check_accepts():
    # aarch64 cu13x builds add sm_110 for Thor (pytorch .ci/aarch64_linux/aarch64_ci_build.sh)
    plan = plan_then_check(box(arch="aarch64", driver="580.65.06", max_cuda="13.0", gpus=[("NVIDIA Jetson T5000", "11.0")]))
    assert plan.variant in ("cu130", "cu132")


def test_aarch64_turing_is_never_given_a_build_without_its_kernels():
    # aarch64 cu126 wheels carry sm_80 and sm_90 only; cu13x aarch64 lists start at sm_80 too
    facts = box(arch="aarch64", driver="580.65.06", max_cuda="13.0", gpus=[("NVIDIA T4", "7.5")])
    plan = resolve(facts, Request(), RECIPES)
    if plan.ok:
        assert torch_errors(installed(facts, plan)) == []
        sass, ptx = RECIPES.find_variant(plan.torch, plan.variant).kernels_for("linux-aarch64")
        assert "sm_75" in sass
    else:
        assert all("cu" not in a.get("variant", "") for a in plan.alternatives if a["change"] == "variant")


def test_windows_blackwell_does_not_count_linux_only_ptx():
    # Windows cu128/cu129 builds set 7.5;8.0;8.6;9.0;10.0;12.0 with no +PTX (.ci/pytorch/windows/cuda128.bat)
    facts = box(system="Windows", driver="572.61", max_cuda="12.8", gpus=[("NVIDIA GeForce RTX 5090", "12.0")])
    plan = plan_then_check(facts)
    assert plan.platform == "windows-x86_64"


def test_minor_version_compatibility_is_one_verdict_for_torch_and_nvcc():
    facts = box(driver="535.104.05", max_cuda="12.2", gpus=[("NVIDIA A100-SXM4-80GB", "8.0")])
    facts.cuda.toolkits = [CudaToolkit("12.4.131", "/usr/local/cuda-12.4", active=True)]
    plan = resolve(facts, Request(requirements=["torch==2.6.0"], variant="cu126"), RECIPES)
    assert plan.ok and torch_errors(installed(facts, plan)) == []
    findings = {f.id: f for f in evaluate(installed(facts, plan), RECIPES)}
    torch_says = findings.get("torch.cuda-minor-newer-than-driver")
    nvcc_says = findings["cuda.toolkit-newer-than-driver"]
    assert "minor-version compatibility" in nvcc_says.message and "will not run" not in nvcc_says.message
    if torch_says is not None:
        assert torch_says.severity == "warning" and "minor-version compatibility" in torch_says.message


def test_windows_with_an_amd_gpu_gets_the_cpu_build_and_the_reason():
    facts = box(system="Windows", amd=[("AMD Radeon RX 7900 XTX", "gfx1100")])
    plan = resolve(facts, Request(), RECIPES)
    assert plan.ok and plan.variant == "cpu"
    assert any("no ROCm" in r["decision"] for r in plan.reasons)


def test_no_fit_alternatives_never_name_another_vendors_build():
    facts = box(amd=[("AMD Radeon 780M", "gfx1103")])  # gfx1103 is in no ROCm wheel before 2.13 (audit #2)
    plan = resolve(facts, Request(requirements=["torch<2.13"]), RECIPES)
    assert not plan.ok
    for alternative in plan.alternatives:
        assert not str(alternative.get("variant", "")).startswith(("cu", "xpu"))
        assert "--variant cu" not in alternative["message"]


def test_amd_gpu_without_kernels_in_a_rocm_build_is_not_planned():
    # rocm6.2 wheels (torch 2.5) carry gfx900..gfx1100 only: no gfx1201 (audit #1)
    facts = box(amd=[("AMD Radeon RX 9070 XT", "gfx1201")])
    plan = resolve(facts, Request(requirements=["torch<2.6"]), RECIPES)
    assert not (plan.ok and plan.variant == "rocm6.2")


def test_old_gpu_plan_is_checked_clean():
    plan = plan_then_check(box(driver="580.65.06", max_cuda="13.0", gpus=[("NVIDIA GeForce GTX 1080", "6.1")]))
    assert (plan.torch, plan.variant) == ("2.14.1", "cu126")


def test_cuda_visible_devices_uncertain_order_plans_for_every_gpu_that_may_be_meant():
    facts = box(driver="580.65.06", max_cuda="13.0",
                gpus=[("NVIDIA GeForce GTX 1080", "6.1"), ("NVIDIA GeForce RTX 4090", "8.9")])
    facts.nvidia.cuda_visible_devices, facts.nvidia.visibility_uncertain = "0", True
    plan = plan_then_check(facts)
    assert plan.variant == "cu126"  # the only build that runs on both
    assert "nvidia.visible-devices-order" in {f.id for f in evaluate(facts, RECIPES)}


def test_unknown_driver_plan_never_silently_picks_the_newest_cuda():
    facts = box(gpus=[("NVIDIA H100 80GB HBM3", "9.0")])
    facts.nvidia.driver_version = None
    plan = resolve(facts, Request(), RECIPES)
    assert plan.ok and plan.requires.get("nvidia_driver")
    needed = plan.requires["nvidia_driver"]
    alternatives = [v for v in RECIPES.release(plan.torch).variants if v.kind == "cuda"]
    assert any("needs driver" in w for w in plan.warnings)
    assert plan.variant == min(alternatives, key=lambda v: v.cuda).name, needed


def test_wsl_driver_number_reads_the_windows_column():
    # WSL2 nvidia-smi prints the Windows driver (537.13, CUDA 12.2):
    # tests/fixtures/nvidia/smi-table-wsl-535.103-driver-537.13-truncated.txt
    facts = box(driver="537.13", gpus=[("NVIDIA GeForce RTX 4070", "8.9")])
    facts.os.wsl = "wsl2"
    plan = plan_then_check(facts)
    assert plan.variant == "cu126"


def test_check_and_install_agree_that_a_driver_older_than_the_gpu_comes_first():
    # Blackwell arrived with CUDA 12.8 (Table 3: 570.26, branch R570); R560 cannot drive an RTX 5090
    facts = box(driver="560.35.05", max_cuda="12.6", gpus=[("NVIDIA GeForce RTX 5090", "12.0")])
    plan = resolve(facts, Request(), RECIPES)
    assert not plan.ok and any(r["decision"].startswith("upgrade the NVIDIA driver first") for r in plan.reasons)
    [finding] = [f for f in evaluate(facts, RECIPES) if f.id == "nvidia.driver-older-than-gpu"]
    assert finding.severity == "error" and ">= 570.26" in finding.fix
    upgraded = box(driver="570.124.06", max_cuda="12.8", gpus=[("NVIDIA GeForce RTX 5090", "12.0")])
    assert (plan_then_check(upgraded).torch, plan_then_check(upgraded).variant) == ("2.13.0", "cu129")  # whl/cu129 ends at 2.13.0
    assert "nvidia.driver-older-than-gpu" not in {f.id for f in evaluate(upgraded, RECIPES)}
