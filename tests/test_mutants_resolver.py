"""The resolver's plans, failures and alternatives compared whole, on small hand-built machines (assembled here,
not probed) and the recipes as shipped; where a branch needs a build the recipes do not hold, one of their
variants is changed in the test and says so.

Versions are checked against published tables: NVIDIA's CUDA Toolkit release notes (Table 3, the driver each
toolkit needs), and PyTorch's previous-versions page (which torchvision pairs which torch).
"""

from __future__ import annotations

from dataclasses import replace

from packaging.version import Version

from envdoctor.facts import Distribution, Facts, Gpu, NvidiaFacts, PythonFacts, RocmFacts, TorchFacts
from envdoctor.recipes import load_recipes
from envdoctor.resolver import Request, alternatives, candidates, resolve

RECIPES = load_recipes()


def linux(python="3.11.7", abi="") -> Facts:
    facts = Facts()
    facts.os.system, facts.os.arch, facts.os.glibc = "Linux", "x86_64", "2.35"
    facts.python = PythonFacts(executable="/opt/venv/bin/python", version=python, implementation="cpython",
                               abi_flags=abi)
    return facts


def nvidia(driver: str, name: str, cc: str | None = None) -> Facts:
    facts = linux()
    facts.nvidia = NvidiaFacts(status="ok", driver_version=driver, source="nvidia-smi",
                               gpus=[Gpu("nvidia", 0, name, compute_capability=cc)])
    return facts


# ---------------------------------------------------------------------------- candidates.py


def test_an_amd_gpu_of_unknown_gfx_is_planned_with_a_warning():
    """A ROCm GPU whose gfx target rocminfo did not give and whose name is not in recipes/gpus.toml."""
    facts = linux()
    facts.rocm = RocmFacts(status="ok", version="6.2.0", gpus=[Gpu("amd", 0, "AMD Radeon Graphics", arch=None)])
    plan = resolve(facts, Request(), RECIPES)
    assert [str(w) for w in plan.warnings][0] == ("kernels for AMD Radeon Graphics (gfx unknown) not checked: the "
                                                  "GPU's gfx target is unknown")


def test_an_nvidia_gpu_of_unknown_compute_capability_is_planned_with_a_warning():
    """"NVIDIA Graphics Device" is what nvidia-smi names a GPU its driver has no name for."""
    plan = resolve(nvidia("570.124.06", "NVIDIA Graphics Device"), Request(), RECIPES)
    assert (plan.torch, plan.variant) == ("2.14.1", "cu126")
    assert [str(w) for w in plan.warnings] == [
        "compute capability of GPU 0 NVIDIA Graphics Device is unknown: kernels not checked"]


def test_a_companion_without_a_wheel_for_the_python_is_a_rejection():
    """torch 2.5.1 published CPython 3.13 wheels; torchvision 0.20.1, its pair (PyTorch's previous-versions
    page), did not (its PyPI file list ends at cp312), which is what recipes/torch.toml records."""
    plan = resolve(linux(python="3.13.1"), Request(), RECIPES)
    rejected = [r for r in plan.rejected if (r["torch"], r["variant"]) == ("2.5.1", "cpu")]
    assert [{**r, "reason": str(r["reason"])} for r in rejected] == [{
        "torch": "2.5.1", "variant": "cpu",
        "reason": "torchvision 0.20.1 (for torch 2.5.1) has no wheel for Python 3.13 on linux-x86_64"}]


def test_a_cuda_variant_without_a_cuda_version_fails_on_the_driver():
    """Assembled: the recipes' cu124 of torch 2.5.1 with its CUDA version taken away."""
    release = RECIPES.release("2.5.1")
    variant = replace(release.variant("cu124"), cuda=None, toolkit=None)
    machine = candidates._machine(nvidia("550.54.15", "NVIDIA A100-SXM4-80GB"), RECIPES)
    candidate = candidates._Candidate(release, variant, [], [])
    candidates._check_cuda(candidate, machine, RECIPES)
    assert [(f.kind, str(f.reason), f.needs) for f in candidate.failures] == [
        ("driver", "cu124: CUDA version unknown", "")]
    assert [{**a, "message": str(a["message"])} for a in alternatives._alternatives([candidate], machine)] == [
        {"change": "driver", "message": "cu124: CUDA version unknown"}]


def test_a_gpu_reached_only_through_ptx_of_a_newer_cuda_than_the_driver_s_is_a_driver_failure():
    """Assembled: the recipes' cu124 of torch 2.5.1 (built with CUDA 12.4.1) cut to SASS sm_70 and sm_80 and PTX
    sm_80, on an H100 (sm_90, which no sm_8x cubin runs on) and driver 535.104.05, whose CUDA is 12.2 (Table 3:
    CUDA 12.2 Update 2 needs >= 535.104.05). CUDA 12.4 runs there through minor-version compatibility, which does
    not cover JIT-compiling PTX: that needs CUDA 12.4 Update 1's own driver, >= 550.54.15 (Table 3)."""
    release = RECIPES.release("2.5.1")
    variant = replace(release.variant("cu124"), archs=("sm_70", "sm_80"), ptx=("sm_80",), archs_by_platform={})
    machine = candidates._machine(nvidia("535.104.05", "NVIDIA H100 80GB HBM3", "9.0"), RECIPES)
    candidate = candidates._Candidate(release, variant, [], [])
    candidates._check_cuda(candidate, machine, RECIPES)
    assert [(f.kind, str(f.reason), f.needs) for f in candidate.failures] == [
        ("driver", "GPU 0 NVIDIA H100 80GB HBM3: sm_90 has only PTX in this build, and JIT-compiling PTX of CUDA 12.4 "
         "needs driver >= 550.54.15 (minor-version compatibility does not cover PTX)", "550.54.15")]


# ---------------------------------------------------------------------------- alternatives.py


def as_text(items):
    return [{key: value if isinstance(value, list) else str(value) for key, value in item.items()} for item in items]


def test_an_old_python_is_told_which_pythons_the_requested_torch_has():
    """torch 2.5.1 published wheels for CPython 3.9 to 3.13 (its release notes; PyPI's file list), torch 2.4.1
    for 3.8 to 3.12."""
    plan = resolve(linux(python="3.8.10"), Request(["torch==2.5.1"]), RECIPES)
    assert as_text(plan.alternatives) == [
        {"change": "torch", "torch": "2.4.1", "variant": "cpu",
         "message": "torch 2.4.1 with cpu is the newest release that fits this machine; the request excludes it (torch "
                    "2.4.1 does not satisfy 'torch==2.5.1')"},
        {"change": "python", "torch": "2.5.1", "variant": "cpu", "needs": "3.9, 3.10, 3.11, 3.12, 3.13",
         "message": "torch 2.5.1 needs Python 3.9, 3.10, 3.11, 3.12, 3.13; this is Python 3.8 (torch 2.5.1 has no "
                    "wheels for Python 3.8 on linux-x86_64)"}]


def test_pypy_is_told_to_use_cpython_and_which_versions():
    facts = linux(python="3.10.14")
    facts.python.implementation = "PyPy"
    plan = resolve(facts, Request(["torch==2.5.1"]), RECIPES)
    assert as_text(plan.alternatives) == [
        {"change": "python", "torch": "2.5.1", "variant": "cpu", "needs": "3.9, 3.10, 3.11, 3.12, 3.13",
         "message": "torch 2.5.1 has wheels for CPython 3.9, 3.10, 3.11, 3.12, 3.13 only; this is pypy 3.10: use a "
                    "CPython interpreter"}]


def test_a_platform_without_wheels_is_told_so():
    """No torch wheel was ever published for linux-riscv64; the first of the sorted reasons is the oldest release's
    (torch 1.10.0, the oldest in the recipes)."""
    facts = linux()
    facts.os.arch = "riscv64"
    plan = resolve(facts, Request(), RECIPES)
    assert as_text(plan.alternatives) == [
        {"change": "none", "message": "torch 1.10.0 cpu has no wheels for linux-riscv64"}]


def test_a_companion_with_no_release_for_a_newer_torch_caps_the_plan():
    """Assembled: a torch 2.5.1 candidate failing only because the request names a torchaudio it has none of
    (every release of the recipes pairs one, so no plan reaches this)."""
    older, newer = RECIPES.release("2.4.1"), RECIPES.release("2.5.1")
    machine = candidates._machine(linux(), RECIPES)
    chosen = candidates._Candidate(older, older.variant("cpu"), [], [])
    blocked = candidates._Candidate(newer, newer.variant("cpu"), [candidates._Failure(
        "spec", "torch 2.5.1 has no matching torchaudio release")], [])
    message = alternatives._limit_message("spec", blocked, chosen, [blocked], machine, {})
    assert str(message) == "capped at torch 2.4.1 because torchaudio has no release for torch 2.5.1"


# ---------------------------------------------------------------------------- choose.py


def test_a_companion_without_a_local_tag_becomes_another_build():
    """A T4 on driver 535.104.05 (CUDA 12.2): torch 2.5.1's CUDA 12.1 build (cu121) is the one that fits fully. The
    installed torchvision 0.20.1 names no build (PyPI's), the plan pins 0.20.1+cu121."""
    facts = nvidia("535.104.05", "Tesla T4", "7.5")
    facts.torch = TorchFacts(status="ok", version="2.5.1+cpu", local="cpu", installer="pip", copies=["/site"],
                             location="/site", source="torch/version.py",
                             companions=[Distribution("torchvision", "0.20.1", installer="pip")])
    plan = resolve(facts, Request(["torch==2.5.1", "torchvision"]), RECIPES)
    assert (plan.torch, plan.variant) == ("2.5.1", "cu121")
    assert as_text(plan.changes) == [
        {"package": "torch", "current": "2.5.1+cpu", "new": "2.5.1+cu121", "action": "reinstall",
         "detail": "CPU -> CUDA 12.1"},
        {"package": "torchvision", "current": "0.20.1", "new": "0.20.1+cu121", "action": "reinstall",
         "detail": "another build -> CUDA 12.1"}]


def test_a_described_machine_s_environment_is_described():
    facts = linux()
    facts.python = PythonFacts(status="unknown", version="3.11")
    plan = resolve(facts, Request(), RECIPES)
    assert plan.environment == {"kind": "described", "prefix": None, "python": None, "manager_reason": ""}


def test_a_mismatched_driver_gets_no_plan_and_is_told_to_fix_the_driver_first():
    facts = linux()
    facts.nvidia = NvidiaFacts(status="driver_mismatch",
                               message="Failed to initialize NVML: Driver/library version mismatch")
    plan = resolve(facts, Request(), RECIPES)
    assert (plan.ok, plan.torch) == (False, None)
    assert as_text(plan.reasons) == [
        {"decision": "the NVIDIA driver is in a mismatched state: no build can be chosen safely",
         "evidence": "nvidia status driver_mismatch: Failed to initialize NVML: Driver/library version mismatch",
         "source": "facts"}]
    assert as_text(plan.alternatives) == [
        {"change": "driver", "message": "fix the driver first (envdoctor check says how)"},
        {"change": "gpu", "message": "describe the GPUs: --gpu NAME|sm_XY|gfxNNN (with --driver VERSION), or --no-gpu"},
        {"change": "variant", "message": "or name the build: --variant cpu (or cu126, rocm6.4, ...)"}]


def test_a_cuda_variant_is_explained_by_its_fit_and_kernels():
    """Driver 550.54.15 reports CUDA 12.4 (Table 3: 12.4 Update 1 needs >= 550.54.15); torch 2.5.1+cu124's
    torch.cuda.get_arch_list() is sm_50 ... sm_90, which covers the A100's sm_80."""
    plan = resolve(nvidia("550.54.15", "NVIDIA A100-SXM4-80GB", "8.0"), Request(["torch==2.5.1"]), RECIPES)
    decisions = [str(reason["decision"]) for reason in plan.reasons]
    assert decisions[-1] == ("variant cu124: its CUDA 12.4 <= the driver's CUDA 12.4; kernels sm_50, sm_60, sm_70, "
                             "sm_75, sm_80, sm_86, sm_90 cover every GPU")


def test_a_limit_names_the_build_that_fits_the_driver_fully_whatever_order_the_data_lists_it_in():
    """Assembled: CentOS 7's glibc 2.17, an RTX 4090 (sm_89, in every CUDA 12 and 13 build's list) and the Linux driver
    of the toolkit the newest release's oldest CUDA build was made with (NVIDIA's Table 3, as recipes/cuda_drivers.toml
    holds it). That build fits the driver fully; a newer CUDA of its major runs only through minor-version
    compatibility. Every build of the newest release needs a newer glibc, so the limit names one of them: the one a
    plan would install if glibc allowed, the full fit, both on the data as shipped and on a copy of it that lists
    the newest release's builds newest first."""
    top = RECIPES.releases[0]
    builds = sorted((v for v in top.variants if v.kind == "cuda"), key=lambda v: Version(v.cuda or "0"))
    oldest = builds[0]
    assert any(Version(v.cuda or "0").major == Version(oldest.cuda or "0").major for v in builds[1:])
    driver = next(row.linux for row in RECIPES.toolkits if row.version == Version(oldest.toolkit or ""))
    facts = nvidia(str(driver), "NVIDIA GeForce RTX 4090")
    facts.os.glibc = "2.17"
    floor = oldest.glibc.get("linux-x86_64") or top.glibc["linux-x86_64"]
    assert Version(floor) > Version("2.17")
    reversed_top = replace(top, variants=tuple(reversed(top.variants)))
    newest_first = replace(RECIPES, releases=(reversed_top, *RECIPES.releases[1:]))
    for recipes in (RECIPES, newest_first):
        plan = resolve(facts, Request(), recipes)
        assert as_text(plan.limits) == [{"kind": "glibc", "newest": top.version, "message": (
            f"torch {plan.torch}, not {top.version}: torch {top.version} {oldest.name} needs glibc >= {floor}, "
            "this has 2.17")}]


def test_a_release_whose_build_with_kernels_for_the_gpu_needs_a_newer_driver_is_held_back_by_the_driver():
    """An RTX 5090 (sm_120) on driver 570.124.06, which supports CUDA 12.8 (NVIDIA's Table 3: 12.8 Update 1 needs >=
    570.124.06). Each release newer than the plan has a build with sm_120 kernels whose CUDA needs a newer driver, and
    may have others without sm_120 kernels: what holds each back is the driver, never the kernels, and one line says
    so for all of them, with the driver the newest release's sm_120 build needs: through CUDA minor-version
    compatibility, the Linux driver of the first toolkit of its CUDA major (Table 3 as recipes/cuda_drivers.toml
    holds it)."""
    plan = resolve(nvidia("570.124.06", "NVIDIA GeForce RTX 5090", "12.0"), Request(), RECIPES)
    newer = [r for r in RECIPES.releases if Version(r.version) > Version(plan.torch or "")]
    assert newer
    for release in newer:
        with_kernels = [v for v in release.variants if v.kind == "cuda" and "sm_120" in v.archs]
        assert with_kernels and all(Version(v.cuda or "0") > Version("12.8") for v in with_kernels)
    top = newer[0]
    need = min(row.linux for v in top.variants if v.kind == "cuda" and "sm_120" in v.archs
               for row in RECIPES.toolkits if row.version.major == Version(v.cuda or "0").major)
    assert as_text(plan.limits) == [{"kind": "driver", "newest": top.version, "message": (
        f"torch {plan.torch}, not {top.version}: your driver 570.124.06 supports CUDA 12.8; "
        f"upgrade the driver to >= {need} for torch up to {top.version}")}]


def test_releases_without_the_build_asked_for_by_name_are_no_limit():
    """--variant cu118 on an A100 (sm_80) with driver 550.54.15: the plan is the newest release with a cu118 build
    (recipes/torch.toml), and the newer releases, which have none, are passed over for that alone: no limit line."""
    with_cu118 = [r for r in RECIPES.releases if any(v.name == "cu118" for v in r.variants)]
    assert with_cu118 and with_cu118[0] is not RECIPES.releases[0]
    plan = resolve(nvidia("550.54.15", "NVIDIA A100-SXM4-80GB", "8.0"), Request(variant="cu118"), RECIPES)
    assert (plan.torch, plan.variant, as_text(plan.limits)) == (with_cu118[0].version, "cu118", [])


def test_a_newer_release_that_fits_does_not_hide_what_holds_back_the_one_above_the_kept_install():
    """Assembled: a CPU Linux machine with Python 3.11 keeps its healthy install of the third-newest release; the data
    is the real data with the second-newest release's Linux wheels cut to Python 3.14. The newest release fits (only
    the kept install stands in its way, said once), and the release just above the install is held back by Python."""
    newest, above, installed = RECIPES.releases[:3]
    data = replace(RECIPES, releases=(newest, replace(above, python={**above.python, "linux-x86_64": ("3.14",)}),
                                      *RECIPES.releases[2:]))
    facts = linux()
    facts.torch = TorchFacts(status="ok", version=f"{installed.version}+cpu", local="cpu", installer="pip",
                             copies=["/site"], location="/site", source="torch/version.py")
    plan = resolve(facts, Request(), data)
    assert (plan.torch, plan.variant) == (installed.version, "cpu")
    assert as_text(plan.limits) == [
        {"kind": "installed", "newest": newest.version,
         "message": f"torch {installed.version}+cpu is installed and runs here; torch {newest.version} (cpu) is newer: "
                    "add --upgrade to install it"},
        {"kind": "python", "newest": above.version,
         "message": f"torch {installed.version}, not {above.version}: torch {above.version} has no wheels for Python "
                    "3.11 on linux-x86_64"}]


def test_of_two_rocm_builds_of_one_release_the_newer_rocm_is_planned():
    """torch 1.8.1 was published for ROCm 4.0.1 and ROCm 3.10 (PyTorch's previous-versions page, v1.8.1), both with
    gfx906 kernels (recipes/torch.toml). An MI50 (gfx906) with ROCm 4.0.1 and Python 3.8 asked for torch 1.8.1 gets the
    newer ROCm, 4.0.1, before 3.10 whatever order the data lists the builds in (4.0.1 is the newer by its major,
    3.10 has the larger minor)."""
    facts = linux(python="3.8.10")
    facts.rocm = RocmFacts(status="ok", version="4.0.1", gpus=[Gpu("amd", 0, "AMD Instinct MI50", arch="gfx906")])
    release = next(r for r in RECIPES.releases if r.version == "1.8.1")
    assert sorted(v.name for v in release.variants if v.kind == "rocm") == ["rocm3.10", "rocm4.0.1"]
    swapped = replace(RECIPES, releases=tuple(replace(r, variants=tuple(reversed(r.variants))) if r is release else r
                                              for r in RECIPES.releases))
    for recipes in (RECIPES, swapped):
        plan = resolve(facts, Request(["torch==1.8.1"]), recipes)
        assert (plan.ok, plan.torch, plan.variant) == (True, "1.8.1", "rocm4.0.1")


def test_of_builds_that_run_through_minor_version_compatibility_the_closest_cuda_is_planned():
    """torch 2.8.0 was published for CUDA 12.6, 12.8 and 12.9 (PyTorch's previous-versions page, v2.8.0). 525.60.13 is
    the Linux driver of CUDA 12.0 (NVIDIA's Table 3): no 2.8.0 build fits it fully, each runs through CUDA 12's
    minor-version compatibility. The plan is the build closest to what the driver supports, cu126."""
    release = next(r for r in RECIPES.releases if r.version == "2.8.0")
    assert sorted(v.name for v in release.variants if v.kind == "cuda") == ["cu126", "cu128", "cu129"]
    plan = resolve(nvidia("525.60.13", "NVIDIA GeForce RTX 4090", "8.9"), Request(["torch==2.8.0"]), RECIPES)
    assert (plan.ok, plan.torch, plan.variant) == (True, "2.8.0", "cu126")


def test_with_the_driver_unknown_the_build_that_needs_the_oldest_driver_is_planned():
    """A Tesla K80 (sm_37) whose driver version is not known, asked for torch 1.12.1 (built for CUDA 10.2, 11.3 and
    11.6; PyTorch's previous-versions page, v1.12.1). The plan is the build that needs the oldest driver: cu102, whose
    toolkit 10.2.89 needs 440.33 on Linux (NVIDIA's Table 3), said in the plan's warning."""
    facts = linux(python="3.8.10")
    facts.nvidia = NvidiaFacts(status="ok", driver_version=None, source="nvidia-smi",
                               gpus=[Gpu("nvidia", 0, "Tesla K80", compute_capability="3.7")])
    plan = resolve(facts, Request(["torch==1.12.1"]), RECIPES)
    assert (plan.ok, plan.torch, plan.variant) == (True, "1.12.1", "cu102")
    assert [str(w) for w in plan.warnings] == [
        "the NVIDIA driver is not known: this plan needs driver >= 440.33 (Linux); pass --driver VERSION to plan for "
        "the one you have"]



def test_with_the_driver_unknown_the_build_that_needs_the_older_driver_ranks_first_whatever_its_cuda():
    """The ranking rule itself, on an assembled pair: the K80 machine above, its cu102 and cu116 builds of torch 1.12.1
    with what each needs of the unknown driver swapped. No shipped pair is like this (in NVIDIA's Table 3 a newer CUDA
    never needs an older driver, so the older driver and the older CUDA are the same build), but the rule is the
    driver first: the build the most drivers run."""
    facts = linux(python="3.8.10")
    facts.nvidia = NvidiaFacts(status="ok", driver_version=None, source="nvidia-smi",
                               gpus=[Gpu("nvidia", 0, "Tesla K80", compute_capability="3.7")])
    release = next(r for r in RECIPES.releases if r.version == "1.12.1")
    machine = candidates._machine(facts, RECIPES)
    built = {v.name: candidates._check(release, v, machine, RECIPES, [], {}, "cuda", None)
             for v in release.variants if v.name in ("cu102", "cu116")}
    older, newer = built["cu102"], built["cu116"]
    assert (older.failures, newer.failures) == ([], [])
    assert older.needs_driver is not None and newer.needs_driver is not None
    assert older.needs_driver < newer.needs_driver
    assert candidates._rank(older) > candidates._rank(newer)
    older.needs_driver, newer.needs_driver = newer.needs_driver, older.needs_driver
    assert candidates._rank(newer) > candidates._rank(older)
