"""Properties over many real-looking machines, judged by a reference model written here.

The reference model does not call envdoctor.compat: it is a few lines written from the published
tables, so a mistake shared by rules, resolver and compat shows up here as a failure.

- NVIDIA CUDA Toolkit release notes, Table 3: the "CUDA Version" each driver reports, carried by
  :mod:`tests.strategies` with the driver number; Table 2 and the Minor Version Compatibility guide:
  the family floors below.
- pytorch/pytorch#45130: "NVIDIA GPUs are binary compatible within major compute capability
  revision": SASS for X.y runs on X.z, z >= y; ``sm_XYa`` on X.Y only (CUDA C Programming Guide);
  PTX for X.y is JIT-compiled for X.y and anything newer, only by a driver that supports the CUDA
  it was built with (minor-version compatibility does not cover PTX), and only for GPUs the wheel's
  CUDA release knows: its cuBLAS and cuDNN carry nothing for a newer GPU (NVIDIA Blackwell
  Compatibility Guide: toolkits 12.7 and earlier build no Blackwell targets).
- The kernel lists, Python lists and companion gaps of each wheel are read from the recipe data
  (data is input); whether they cover a GPU is judged here.

Run deterministically with ``HYPOTHESIS_PROFILE=ci``.
"""

from __future__ import annotations

import json
import re

import pytest
import strategies as S
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from envdoctor import compat
from envdoctor.facts import Distribution, Facts, TorchFacts, to_dict
from envdoctor.probes.nvidia import cuda_visibility, gpus_from_query, parse_smi_header, parse_smi_query
from envdoctor.probes.rocm import parse_visible_devices
from envdoctor.probes.system import windows_release
from envdoctor.recipes import Release, VariantRecipe, load_recipes
from envdoctor.resolver import Plan, Request, resolve
from envdoctor.rules import evaluate
from envdoctor.target import describe_target

RECIPES = load_recipes()
TORCH_ERRORS = {"torch.cuda-newer-than-driver", "torch.cuda-minor-newer-than-driver", "torch.no-kernels-for-gpu",
                "torch.cpu-build-on-gpu", "torch.rocm-build-on-nvidia"}
SPECS = [[], ["torch<2.6"], ["torch>=2.4,<2.9"], ["torch==2.7.*"], ["torch>=1.12,<2.0"], ["torch>=2.0"],
         ["torch", "torchvision", "torchaudio"]]

# ---------------------------------------------------------------------------- the reference model

#: Minor-version compatibility floors: release notes Table 2 ("13.x >= 580", "12.x >= 525"), with the
#: precise 12.x numbers quoted from the 12.x-era table and the 11.x numbers from the Minor Version
#: Compatibility guide's footnote (450.80.02 / 452.39). CUDA 10 has none.
FLOORS = {"linux": {11: Version("450.80.02"), 12: Version("525.60.13"), 13: Version("580.65.06")},
          "windows": {11: Version("452.39"), 12: Version("528.33"), 13: Version("580")}}
_ARCH = re.compile(r"(?:sm|compute)_([0-9]+)([0-9])([af]?)")
#: The newest GPU each CUDA release builds for, from NVIDIA's release notes: 10.0 adds Turing (7.5),
#: 11.0 Ampere (8.0), 11.1 GA10x (8.6), 11.8 Ada and Hopper (8.9, 9.0), 12.8 Blackwell (10.0, 12.0),
#: 12.9 sm_103 and sm_121; CUDA 13.0 adds none newer (sm_110 is Thor's new name for sm_101).
NEWEST_TARGET = {(10, 0): (7, 5), (11, 0): (8, 0), (11, 1): (8, 6), (11, 8): (9, 0), (12, 8): (12, 0), (12, 9): (12, 1)}


def newest_target(cuda: str) -> tuple[int, int]:
    want = tuple(int(part) for part in cuda.split(".")[:2])
    return max(target for release, target in NEWEST_TARGET.items() if release <= want)


def ref_level(cuda: str, driver: S.Driver) -> str | None:
    """"full", "minor" or None: how a build for ``cuda`` runs on ``driver``."""
    want = tuple(int(part) for part in cuda.split(".")[:2])
    have = driver.cuda_tuple
    if want <= have:
        return "full"
    floor = FLOORS[driver.column].get(want[0])
    if want[0] == have[0] and floor is not None and Version(driver.version) >= floor:
        return "minor"
    return None


def ref_runs(cc: tuple[int, int], sass: tuple[str, ...], ptx: tuple[str, ...], level: str | None, cuda: str) -> bool:
    """SASS within a major (``a``: this capability only); PTX forward as far as the build's CUDA knows
    GPUs, with a driver that runs that CUDA fully."""
    for entry in sass:
        major, minor, suffix = _ARCH.fullmatch(entry).groups()
        if (int(major), int(minor)) == cc or (suffix != "a" and int(major) == cc[0] and int(minor) <= cc[1]):
            return True
    return (level == "full" and cc <= newest_target(cuda)
            and any(tuple(map(int, _ARCH.fullmatch(p).groups()[:2])) <= cc for p in ptx))


def wheel_kernels(variant: VariantRecipe, platform: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The (SASS, PTX) lists the recipe data records for this variant's wheel on ``platform``."""
    sass = variant.archs_by_platform.get(platform, variant.archs)
    return sass, (variant.ptx if platform in variant.ptx_platforms else ())


def ref_fits(release: Release, variant: VariantRecipe, machine: S.Machine, requirements: list[str]) -> bool:
    """Whether a CUDA wheel installs and runs on an NVIDIA machine, by the published tables."""
    platform = machine.platform
    if variant.kind != "cuda" or platform not in release.platforms or platform not in variant.platforms:
        return False
    if machine.python_tag not in release.python.get(platform, ()):
        return False
    wanted = {canonicalize_name(r.name): r.specifier for r in map(Requirement, requirements or ["torch", "torchvision"])}
    if not wanted.get("torch", SpecifierSet()).contains(release.parsed):
        return False
    for name in ("torchvision", "torchaudio"):
        if name in wanted and (getattr(release, name) is None or
                               machine.python_tag in release.companion_gaps.get(name, {}).get(platform, ())):
            return False
    glibc = variant.glibc.get(platform) or release.glibc.get(platform)
    if platform.startswith("linux") and (machine.glibc is None or (glibc and Version(machine.glibc) < Version(glibc))):
        return False
    assert machine.driver is not None
    level = ref_level(variant.cuda or "0.0", machine.driver)
    sass, ptx = wheel_kernels(variant, platform)
    return level is not None and all(ref_runs(gpu.capability, sass, ptx, level, variant.cuda) for gpu in machine.gpus)


def resolve_for(machine: S.Machine, requirements: list[str] | tuple[str, ...] = ()) -> Plan:
    return resolve(machine.facts(), Request(requirements=list(requirements)), RECIPES)


def installed(facts: Facts, plan: Plan) -> Facts:
    """The same machine after running the plan: what torch/version.py and the dist-info now say."""
    variant = RECIPES.find_variant(plan.torch, plan.variant)
    pypi = RECIPES.release(plan.torch).pypi.get(plan.platform) == plan.variant
    facts.torch = TorchFacts(status="ok", version=plan.torch + ("" if pypi else f"+{plan.variant}"),
                             local=None if pypi else plan.variant, cuda=variant.cuda, hip=variant.rocm,
                             xpu="1" if variant.kind == "xpu" else None, location="/home/dev/venv/lib/site-packages",
                             copies=["/home/dev/venv/lib/site-packages"], installer="pip", source="dist-info",
                             companions=[Distribution(c["package"], c["new"]) for c in plan.changes
                                         if c["package"] in ("torchvision", "torchaudio")])
    return facts


def torch_errors(facts: Facts) -> list[str]:
    return [f"{f.id}: {f.message}" for f in evaluate(facts, RECIPES) if f.id in TORCH_ERRORS and f.severity == "error"]


# ---------------------------------------------------------------------------- a. plan, install, check again


@settings(max_examples=120)
@given(machine=S.machines(), requirements=st.sampled_from(SPECS))
def test_a_planned_build_once_installed_draws_no_torch_error_and_nothing_to_do(machine, requirements):
    plan = resolve_for(machine, requirements)
    json.dumps(plan.to_dict())
    if not plan.ok:
        assert plan.alternatives
        return
    after = installed(machine.facts(), plan)
    assert torch_errors(after) == [], (plan.torch, plan.variant)
    again = resolve(after, Request(requirements=list(requirements)), RECIPES)
    assert (again.ok, again.torch, again.variant, again.action) == (True, plan.torch, plan.variant, "nothing_to_do")


@pytest.mark.parametrize("machine", [
    S.Machine("windows", "windows-x86_64", windows_build="10.0.22631", amd=(S.AmdModel("AMD Radeon RX 7900 XTX", "gfx1100"),)),
    S.Machine("linux", "linux-aarch64", distro=S.distro("ubuntu"), amd=(S.AmdModel("AMD Instinct MI210", "gfx90a"),)),
], ids=["windows", "linux-aarch64"])
def test_a_cpu_plan_for_a_radeon_without_rocm_wheels_is_not_flagged_by_check(machine):
    # torch publishes ROCm wheels for Linux x86_64 only: the CPU build is the one that runs here
    plan = resolve_for(machine)
    assert (plan.ok, plan.variant) == (True, "cpu")
    assert torch_errors(installed(machine.facts(), plan)) == []


# ---------------------------------------------------------------------------- b. monotonic in the driver


@st.composite
def driver_pairs(draw):
    machine = draw(S.nvidia_machines())
    gpus = machine.gpus + machine.hidden
    column = S.LINUX_DRIVERS if machine.driver.column == "linux" else S.WINDOWS_DRIVERS
    other = draw(st.sampled_from([d for d in column if all(S.drives(d, g) for g in gpus)]))
    low, high = sorted([machine.driver, other], key=lambda d: Version(d.version))
    return machine, low, high


@settings(max_examples=80)
@given(pair=driver_pairs(), requirements=st.sampled_from(SPECS[:4]))
def test_b_a_newer_driver_never_yields_an_older_torch_or_a_lower_cuda(pair, requirements):
    machine, low, high = pair
    before = resolve_for(machine.with_driver(low), requirements)
    after = resolve_for(machine.with_driver(high), requirements)
    if not before.ok:
        return
    assert after.ok, (low.version, high.version, before.torch, before.variant, after.alternatives)
    assert Version(after.torch) >= Version(before.torch)
    if after.torch == before.torch:
        old = RECIPES.find_variant(before.torch, before.variant)
        new = RECIPES.find_variant(after.torch, after.variant)
        if old.kind == new.kind == "cuda" and ref_level(old.cuda, high):
            assert Version(new.cuda) >= Version(old.cuda), (before.variant, after.variant)


# ---------------------------------------------------------------------------- c. adding a GPU


@st.composite
def gpu_additions(draw):
    machine = draw(S.nvidia_machines())
    assume(not any(g.jetson for g in machine.gpus))
    platform = "windows-x86_64" if machine.kind in ("windows", "wsl2") else machine.platform
    pool = [g for g in S.NVIDIA_GPUS if platform in g.platforms and S.drives(machine.driver, g) and not g.jetson]
    return machine.with_gpus(machine.gpus), draw(st.sampled_from(pool))


@settings(max_examples=80)
@given(case=gpu_additions(), requirements=st.sampled_from(SPECS[:4]))
def test_c_adding_a_gpu_never_widens_the_choice(case, requirements):
    machine, extra = case
    fewer = resolve_for(machine, requirements)
    more = resolve_for(machine.with_gpus(machine.gpus + (extra,)), requirements)
    if not fewer.ok:
        assert not more.ok, (more.torch, more.variant)
        return
    assert not more.ok or Version(more.torch) <= Version(fewer.torch), (fewer.torch, more.torch)


# ---------------------------------------------------------------------------- d. the reference model


def _nvidia(kind: str, driver: str, *gpus: str, python: str = "3.12.3") -> S.Machine:
    platform = {"aarch64": "linux-aarch64", "windows": "windows-x86_64"}.get(kind, "linux-x86_64")
    return S.Machine("linux" if kind == "aarch64" else kind, platform, python=python,
                     distro=None if kind == "windows" else S.distro("ubuntu"), windows_build="10.0.22631",
                     driver=S.driver(driver), gpus=tuple(S.gpu(name) for name in gpus))


@settings(max_examples=150)
@given(machine=S.nvidia_machines(), requirements=st.sampled_from(SPECS))
@example(machine=_nvidia("aarch64", "580.65.06", "NVIDIA Jetson T5000"), requirements=[])  # Thor: aarch64 sm_110
@example(machine=_nvidia("aarch64", "580.65.06", "Tesla T4"), requirements=[])  # aarch64 lists start at sm_80
@example(machine=_nvidia("windows", "572.61", "NVIDIA GeForce RTX 5090"), requirements=[])  # no PTX on Windows
@example(machine=_nvidia("windows", "570.65", "NVIDIA GeForce RTX 5090", python="3.8.18"), requirements=[])  # cu118 PTX
@example(machine=_nvidia("wsl2", "527.41", "NVIDIA GeForce RTX 4090"), requirements=[])  # below the Windows 12.x floor
@example(machine=_nvidia("linux", "535.104.05", "NVIDIA GeForce GTX 1080", "NVIDIA GeForce RTX 4090"), requirements=[])
def test_d_the_chosen_variant_runs_on_the_driver_and_covers_every_gpu(machine, requirements):
    plan = resolve_for(machine, requirements)
    boards = [g for g in machine.gpus if g.jetson and g.cc != "11.0"]
    if boards:  # Jetson Nano/TX2/Xavier/Orin: NVIDIA's JetPack wheels, not the standard index
        assert not plan.ok
        return
    fitting = [(release, variant) for release in RECIPES.releases for variant in release.variants
               if machine.gpus and ref_fits(release, variant, machine, requirements)]
    if not plan.ok:
        assert not fitting, f"refused, but {[(r.version, v.name) for r, v in fitting[:3]]} fit"
        return
    if not machine.gpus:
        return
    release, variant = RECIPES.release(plan.torch), RECIPES.find_variant(plan.torch, plan.variant)
    assert variant.kind == "cuda"
    level = ref_level(variant.cuda, machine.driver)
    assert level is not None, f"{plan.variant} on driver {machine.driver.version} (CUDA {machine.driver.cuda})"
    sass, ptx = wheel_kernels(variant, machine.platform)
    for gpu in machine.gpus:
        assert ref_runs(gpu.capability, sass, ptx, level, variant.cuda), f"{gpu.name} ({gpu.cc}), {plan.variant}: {sass} {ptx}"
    assert machine.python_tag in release.python[machine.platform]
    assert ref_fits(release, variant, machine, requirements)
    assert release.parsed == max(r.parsed for r, _ in fitting), "a newer release fits"
    same_release = [v for r, v in fitting if r is release]
    if any(ref_level(v.cuda, machine.driver) == "full" for v in same_release):
        assert level == "full", f"{plan.variant} through minor-version compatibility while a full fit exists"


@settings(max_examples=80)
@given(machine=S.nvidia_machines(), data=st.data())
def test_d_a_plan_for_an_unknown_driver_names_a_driver_that_runs_it(machine, data):
    """``--gpu`` without ``--driver``: the plan says which driver it needs, and with any such driver the
    build it chose draws no error from check and fits the reference model."""
    facts = machine.facts()
    facts.nvidia.driver_version = facts.nvidia.driver_max_cuda = None
    plan = resolve(facts, Request(), RECIPES)
    if not plan.ok or not plan.variant.startswith("cu"):
        return
    needed = Version(plan.requires["nvidia_driver"].removeprefix(">= "))
    column = S.WINDOWS_DRIVERS if machine.driver.column == "windows" else S.LINUX_DRIVERS
    enough = [d for d in column if Version(d.version) >= needed and all(S.drives(d, g) for g in machine.gpus + machine.hidden)]
    assume(enough)
    real = machine.with_driver(data.draw(st.sampled_from(enough)))
    assert torch_errors(installed(real.facts(), plan)) == [], (plan.variant, real.driver.version)
    variant = RECIPES.find_variant(plan.torch, plan.variant)
    level = ref_level(variant.cuda, real.driver)
    sass, ptx = wheel_kernels(variant, machine.platform)
    assert level is not None and all(ref_runs(g.capability, sass, ptx, level, variant.cuda) for g in machine.gpus)


#: The first driver branch of each GPU architecture: the Table-3 driver of the first toolkit that supports
#: it (NVIDIA release notes: 10.0 Turing R410, 11.0 GA100 R450, 11.1 GA10x R455, 11.8 Ada and Hopper R520,
#: 12.8 Blackwell sm_100/sm_120 R570, 12.9 sm_103/sm_121 R575, 13.0 Thor sm_110 R580). Older architectures:
#: every driver of the tables drives them.
FIRST_BRANCH = {(7, 5): 410, (8, 0): 450, (8, 6): 455, (8, 9): 520, (9, 0): 520, (10, 0): 570, (10, 3): 575,
                (11, 0): 580, (12, 0): 570, (12, 1): 575}


def ref_drives(driver: str, capability: tuple[int, int]) -> bool:
    """Whether a driver's branch is at least the first branch of the GPU's architecture (same major, nearest
    minor at or below)."""
    floors = [b for (major, minor), b in FIRST_BRANCH.items() if major == capability[0] and minor <= capability[1]]
    return int(driver.split(".")[0]) >= max(floors, default=0)


@settings(max_examples=120)
@given(machine=S.nvidia_machines(), data=st.data())
@example(machine=S.Machine("linux", "linux-x86_64", driver=S.driver("560.35.05"),
                           gpus=(S.gpu("NVIDIA GeForce RTX 5090"),)), data=None)
def test_d_no_plan_installs_a_build_on_a_gpu_its_driver_cannot_drive(machine, data):
    """Any driver of the tables, not only the ones a GPU shipped with: a plan for a GPU the driver predates
    installs no CUDA build and says to upgrade the driver first; any CUDA plan has a driver for every GPU."""
    if data is not None:
        column = S.WINDOWS_DRIVERS if machine.driver.column == "windows" else S.LINUX_DRIVERS
        machine = machine.with_driver(data.draw(st.sampled_from(column)))
    plan = resolve(machine.facts(), Request(), RECIPES)
    undriven = [g for g in machine.gpus if not ref_drives(machine.driver.version, g.capability)]
    cuda_plan = plan.ok and str(plan.variant).startswith("cu")
    if cuda_plan:
        assert not undriven, (plan.variant, machine.driver.version, [g.name for g in undriven])
    elif undriven and not any(g.jetson for g in machine.gpus):
        assert not plan.ok
        assert any(r["decision"].startswith("upgrade the NVIDIA driver first") for r in plan.reasons), plan.reasons


# ---------------------------------------------------------------------------- e. described machines


DEBIAN_GPU_HOST = S.Machine("linux", "linux-x86_64", distro=S.distro("debian"), driver=S.driver("580.65.06"),
                            gpus=(S.gpu("NVIDIA H100 80GB HBM3"),)).facts()
MACOS_HOST = S.Machine("macos", "macos-arm64", macos="15.1").facts()


def described(host: Facts, description: S.Description) -> tuple:
    try:
        facts = describe_target(host, recipes=RECIPES, **description.kwargs())
    except ValueError as exc:
        return ("usage error", str(exc))
    return ("facts", to_dict(facts), resolve(facts, Request(), RECIPES).to_dict())


@settings(max_examples=60)
@given(host=S.host_facts(), other=S.host_facts(), description=S.descriptions())
@example(host=DEBIAN_GPU_HOST, other=MACOS_HOST, description=S.Description("macos", "arm64"))
@example(host=DEBIAN_GPU_HOST, other=MACOS_HOST, description=S.Description("linux", "x86_64", "3.12", "535.104.05",
                                                                            ("NVIDIA GeForce RTX 3090",)))
@example(host=MACOS_HOST, other=DEBIAN_GPU_HOST, description=S.Description("linux", "aarch64", None, "580.65.06",
                                                                            ("NVIDIA Jetson T5000",)))
def test_e_a_described_machine_borrows_nothing_from_the_host(host, other, description):
    assert described(host, description) == described(other, description)


ARM_HOST = S.Machine("linux", "linux-aarch64", distro=S.distro("ubuntu")).facts()


def test_a_described_jetson_records_the_same_flags_on_any_host():
    # once '--target-arch arm64' became 'aarch64' for a Jetson only on hosts that were not linux-aarch64
    description = S.Description("linux", "arm64", gpus=("NVIDIA Jetson T5000",))
    assert described(ARM_HOST, description) == described(MACOS_HOST, description)


# ---------------------------------------------------------------------------- f. parsers on real-looking text


@given(output=S.smi_outputs())
def test_f_smi_query_rows_round_trip(output):
    text, rows = output
    parsed = parse_smi_query(text)
    assert [(r["index"], r["name"], r["compute_cap"]) for r in parsed] == [
        (str(row.index), row.name, row.cc) for row in rows]
    gpus = gpus_from_query(parsed)
    assert [(g.index, g.name, g.compute_capability, g.uuid) for g in gpus] == [
        (row.index, row.name, row.cc, row.uuid) for row in rows]


@given(output=S.smi_outputs(), data=st.data())
def test_f_smi_query_never_takes_a_non_ascii_digit_for_a_number(output, data):
    text, rows = output
    spoilt = data.draw(st.integers(0, len(rows) - 1))
    row = rows[spoilt]
    index = data.draw(S.with_non_ascii_digit(str(row.index)))
    cc = data.draw(S.with_non_ascii_digit(row.cc or "8.6"))
    lines = text.splitlines()
    lines[spoilt] = ", ".join([index, row.name, row.uuid, str(row.memory_mib), cc, row.driver, row.mig, row.pci_bus_id])
    gpus = gpus_from_query(parse_smi_query("\n".join(lines)))
    assert (gpus[spoilt].index, gpus[spoilt].compute_capability, gpus[spoilt].arch) == (None, None, None)
    assert [(g.index, g.compute_capability) for i, g in enumerate(gpus) if i != spoilt] == [
        (r.index, r.cc) for i, r in enumerate(rows) if i != spoilt]


@given(data=st.data(), kind=st.sampled_from(["driver", "version", "cc"]))
def test_f_compat_parsers_take_real_strings_and_refuse_non_ascii_digits(data, kind):
    if kind == "driver":
        text = data.draw(st.sampled_from(S.LINUX_DRIVERS + S.WINDOWS_DRIVERS)).version
        assert str(compat.parse_driver(text)) == text
        parse = compat.parse_driver
    elif kind == "version":
        text = data.draw(st.sampled_from(["2.5.1+cu124", "2.15.0", "12.4.131", "3.13.1", "1.8.0+rocm4.0.1"]
                                         + list(S.PYTHONS)))
        assert str(compat.parse_version(text)) == text
        parse = compat.parse_version
    else:
        gpu = data.draw(st.sampled_from(S.NVIDIA_GPUS))
        text = data.draw(st.sampled_from([gpu.cc, f"sm_{gpu.cc.replace('.', '')}"]))
        assert (compat.parse_cc(text).major, compat.parse_cc(text).minor) == gpu.capability
        parse = compat.parse_cc
    assert parse(data.draw(S.with_non_ascii_digit(text))) is None


#: Header lines of real nvidia-smi tables (tests/fixtures/nvidia: smi-table-535.183.01-4xA10.txt,
#: smi-table-wsl-535.103-driver-537.13-truncated.txt, smi-table-591.86-windows-wddm.txt,
#: smi-table-610.57.04-rtx2080super-kmd.txt) and the (driver, CUDA) each prints.
SMI_HEADERS = [
    ("| NVIDIA-SMI 535.183.01             Driver Version: 535.183.01   CUDA Version: 12.2     |", "535.183.01", "12.2"),
    ("| NVIDIA-SMI 535.103                Driver Version: 537.13       CUDA Version: 12.2     |", "537.13", "12.2"),
    ("| NVIDIA-SMI 591.86                 Driver Version: 591.86         CUDA Version: 13.1     |", "591.86", "13.1"),
    ("| NVIDIA-SMI 610.57.04              KMD Version: 610.57.04     CUDA UMD Version: 13.3     |", "610.57.04", "13.3"),
]


@given(header=st.sampled_from(SMI_HEADERS), field=st.sampled_from(["driver", "cuda"]), data=st.data())
def test_f_smi_header_never_reads_part_of_a_number(header, field, data):
    line, driver, cuda = header
    value = driver if field == "driver" else cuda
    label = "Version: " + value
    spoilt = line.replace(label, "Version: " + data.draw(S.with_non_ascii_digit(value)), 1)
    parsed = parse_smi_header(spoilt)
    got = (parsed.driver_version, parsed.cuda_version) if parsed else (None, None)
    assert got == ((None, cuda) if field == "driver" else (driver, None))


@st.composite
def visibility_cases(draw):
    _, rows = draw(S.smi_outputs())
    gpus = gpus_from_query(parse_smi_query("\n".join(row.line() for row in rows)))
    return gpus, draw(S.visible_devices_entries(len(gpus)))


@given(case=visibility_cases(), bad=S.non_ascii_digits(), position=st.integers(0, 8), data=st.data())
def test_f_cuda_visible_devices_stops_at_an_entry_that_is_not_an_ascii_index(case, bad, position, data):
    # CUDA C Programming Guide, CUDA_VISIBLE_DEVICES: "only the devices whose index precedes the
    # invalid index are visible"; under PCI_BUS_ID order integer entries are nvidia-smi's indices.
    gpus, entries = case
    position = min(position, len(entries))
    seen = cuda_visibility(",".join(entries), gpus, "PCI_BUS_ID")
    assert seen.indices == {int(e) for e in entries} and seen.count == len(entries) and not seen.uncertain
    spoilt = entries[:position] + [data.draw(st.sampled_from([bad, f"{bad}0", f"1{bad}", f" {bad} "]))] + entries[position:]
    assert cuda_visibility(",".join(spoilt), gpus, "PCI_BUS_ID") == cuda_visibility(",".join(entries[:position]),
                                                                                    gpus, "PCI_BUS_ID")
    assert parse_visible_devices(",".join(spoilt)) is None


@given(case=visibility_cases(), separator=st.sampled_from([";", " ", "\t", "、", "，", ", ,", ":", "|"]),
       order=st.sampled_from([None, "PCI_BUS_ID", "FASTEST_FIRST"]))
def test_f_cuda_visible_devices_with_odd_separators_never_raises(case, separator, order):
    gpus, entries = case
    seen = cuda_visibility(separator.join(entries), gpus, order)
    assert seen.indices <= {g.index for g in gpus}
    assert seen.count <= max(len(entries), 1)


@pytest.mark.parametrize("build, release", [("10.0.19045", "10"), ("10.0.22000", "11"), ("10.0.22631", "11"),
                                            ("10.0.26100", "11"), ("6.1.7601", None), ("10.0", None)])
def test_f_windows_release_from_real_builds(build, release):
    # Microsoft: Windows 11 builds start at 22000, and keep the "10.0" version prefix
    assert windows_release(build) == release


@example(build="10.0.²2631")  # once crashed it: '²'.isdigit() is True, int('²') raises
@example(build="10.0.٢٢٦٣١")
@given(build=st.sampled_from(S.WINDOWS_BUILDS).flatmap(
    lambda b: S.with_non_ascii_digit(b.rsplit(".", 1)[1]).map(lambda tail: "10.0." + tail)))
def test_f_windows_release_never_raises_nor_reads_non_ascii_digits(build):
    assert windows_release(build) is None
