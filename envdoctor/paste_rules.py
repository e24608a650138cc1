"""Causes of pasted errors: each rule reads the messages a paste holds (and the facts they gave) and names
the cause, the line it rests on, the fix and where that fix is documented.

One finding id per kind of cause; ids never change. A fix that is "install another build" carries
``envdoctor install``, which :func:`envdoctor.diagnose.concrete_fixes` replaces with the resolver's
command for the machine the paste (and ``--here``) describes. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from envdoctor import compat, extensions
from envdoctor.extensions import Catalog
from envdoctor.facts import Facts, Finding
from envdoctor.i18n import _, joined, listed
from envdoctor.readers.pastes import PasteReading
from envdoctor.readers.pastes.signals import Signal
from envdoctor.rules.install_fix import _install_fix

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes

LOCALLY = "https://pytorch.org/get-started/locally/"
PREVIOUS = "https://pytorch.org/get-started/previous-versions/"
CPP_EXTENSION = "https://pytorch.org/docs/stable/cpp_extension.html"
NVIDIA_CUDA_COMPAT = "https://docs.nvidia.com/deploy/cuda-compatibility/"
BINARY_COMPAT = "https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#binary-compatibility"
CONTAINER_TOOLKIT = "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/docker-specialized.html"
WSL_CUDA = "https://docs.nvidia.com/cuda/wsl-user-guide/index.html"
ROCM_GPUS = "https://rocm.docs.amd.com/projects/install-on-linux/en/latest/reference/system-requirements.html"
MPS = "https://developer.apple.com/metal/pytorch/"
NUMPY2 = "https://numpy.org/devdocs/numpy_2_0_migration_guide.html#c-api-changes"
NCCL_ENV = "https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/troubleshooting.html#sharing-data"
CONDA_INSTALL = _("{url} (conda commands per release)", url=PREVIOUS)

Rule = Callable[[PasteReading, "Recipes | None"], Iterable[Finding]]


def _quote(signal: Signal) -> str:
    return _("paste line {line}: {quote}", line=signal.line, quote=signal.quote)


#: The checklist row each cause belongs to (the subjects of :func:`envdoctor.render.text.checklist`): a paste's
#: finding sits under the part of the machine it is about, as check's findings do.
SUBJECTS = {
    "paste.gpu-too-new": "torch", "paste.gpu-too-old": "torch", "paste.gpu-warning-harmless": "torch",
    "paste.no-kernel-image": "torch",
    "paste.driver-too-old": "nvidia.driver", "paste.cpu-only-build": "torch", "paste.no-matching-wheel": "python",
    "paste.missing-library": "torch", "paste.abi-mismatch": "torch", "paste.extension-build": "cuda.toolkit",
    "paste.mps-unavailable": "apple", "paste.rocm": "rocm", "paste.wsl-libcuda": "cuda.toolkit",
    "paste.nvml": "nvidia.driver", "paste.container": "nvidia.driver", "paste.conda": "python.tools",
    "paste.numpy-abi": "python", "paste.multiple-installs": "torch", "paste.nccl": "os",
    "paste.out-of-memory": "nvidia.driver", "paste.cuda-unavailable": "torch",
}


def _finding(id_: str, severity: str, area: str, message: str, signals: Iterable[Signal | None], fix: str,
             commands: list[list[str]], source: str) -> Finding:
    evidence = [_quote(s) for s in signals if s is not None]
    return Finding(id_, severity, area, message, subject=SUBJECTS[id_], fix=fix, commands=commands,
                   evidence=evidence + [_("source: {source}", source=source)])


def _cc_value(text: str) -> float:
    """``sm_86`` / ``8.6`` as a number to compare (8.6)."""
    digits = re.sub(r"[^0-9.]", "", text.replace("sm_", ""))
    if "." not in digits and len(digits) >= 2:
        digits = f"{digits[:-1]}.{digits[-1]}"
    try:
        return float(digits)
    except ValueError:
        return 0.0


def named_gpu(reading: PasteReading) -> str | None:
    """The GPU torch's architecture check names (``NVIDIA GeForce RTX 3090``; "" when its name is blank), or
    None without such a message."""
    signal = _gpu_signal(reading)
    return None if signal is None else signal.get("name").strip().strip("\"'")


def _gpu_signal(reading: PasteReading) -> Signal | None:
    """torch's message about the GPU's architecture; torch 2.11's "Found GPU0 ... (CC)" only where no older-worded
    one says more (it prints "is not compatible" too when it finds no kernel for the GPU)."""
    return reading.first("gpu_incompatible", "gpu_too_old") or reading.first("gpu_cc")


def gpu_architecture(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """torch's own check said the GPU is outside the build's architectures: newer than its newest kernels,
    or older than its oldest. Its "Found GPU0 ..." message said "too old" (torch 2.7); torch 2.9 words it with the
    build's minimum and maximum and says it on either side of them, so there the numbers tell which; torch 2.11
    lists the architectures the build has, and the GPU is judged against them as a build's kernels are."""
    gpu_signal = _gpu_signal(reading)
    if gpu_signal is None:
        return
    sm = gpu_signal.get("sm")
    capability = gpu_signal.get("cc") or (f"{sm[:-1]}.{sm[-1]}" if sm[-1:].isdigit() else f"{sm[:-2]}.{sm[-2:]}")
    cc = _cc_value(capability)
    name = named_gpu(reading) or _("the GPU")
    kernels = reading.first("kernel_list")
    # the build's kernels as the older wording lists them, else as torch 2.11's list does
    built_lines = [] if kernels else reading.all("cc_built")
    built = [arch for line in built_lines for arch in re.findall(r"[0-9]+\.[0-9]+", line.get("list"))]
    archs = [_cc_value(sm) for sm in re.findall(r"sm_[0-9]+", kernels.get("list"))] if kernels else list(map(_cc_value, built))
    if gpu_signal.kind == "gpu_cc" and (not built or compat.kernel_coverage(capability, built, ()) is not None):
        # torch 2.11 warns of a GPU no build of the release supports, also where this build's kernels run on it (an
        # Orin, 8.7, on the 8.0 kernels): compat.kernel_coverage judges, and without the list nothing tells which
        if built:
            yield _harmless(name, capability, ", ".join(built), [gpu_signal, *built_lines])
        return
    minimum = reading.first("min_capability")
    bounds = minimum if minimum and minimum.get("max") else None
    floor = _cc_value(minimum.get("min")) if minimum else (min(archs) if archs else 0.0)
    ceiling = _cc_value(bounds.get("max")) if bounds else (max(archs) if archs else 0.0)
    oldest = floor or "?"
    if gpu_signal.kind == "gpu_too_old" and bounds:
        # SASS for X.y runs on X.z with z >= y (compat.kernel_coverage): torch 2.9 warns about a GB10 (12.1) against
        # a maximum of 12.0, and its kernels run there (pytorch/pytorch#164590 drops that warning)
        below = cc < floor
        above = cc > ceiling and compat.kernel_coverage(capability, [bounds.get("max")], ()) is None
        if not (below or above):  # a GPU inside the range the warning names (pytorch/pytorch#164708): its kernels run
            yield _harmless(name, capability, f"{bounds.get('min')} - {bounds.get('max')}", [gpu_signal, bounds])
            return
        older = below
    else:
        older = gpu_signal.kind == "gpu_too_old" or bool(floor and cc and cc < floor)
    listed = kernels.get("list").strip() if kernels else ", ".join(built)
    if older:
        yield _finding(
            "paste.gpu-too-old", "error", "gpu",
            _("{name} (compute capability {capability}) is older than the oldest architecture this torch build was "
              "compiled for ({floor}) (this build has kernels for {kernels}): its kernels cannot run there",
              name=name, capability=capability, floor=oldest, kernels=listed)
            if listed else
            _("{name} (compute capability {capability}) is older than the oldest architecture this torch build was "
              "compiled for ({floor}): its kernels cannot run there", name=name, capability=capability, floor=oldest),
            [gpu_signal, minimum, kernels, *built_lines],
            _("install an older torch release whose wheels still include this architecture, build torch from source "
              "with TORCH_CUDA_ARCH_LIST naming it, or run on the CPU"),
            _install_fix(reading.facts), PREVIOUS)
        return
    yield _finding(
        "paste.gpu-too-new", "error", "gpu",
        _("{name} (compute capability {capability}) is newer than every architecture this torch build has kernels "
          "for (its newest is {newest}): 'no kernel image is available' at run time",
          name=name, capability=capability, newest=f"sm_{str(ceiling).replace('.', '')}")
        if ceiling else
        _("{name} (compute capability {capability}) is newer than every architecture this torch build has kernels "
          "for: 'no kernel image is available' at run time", name=name, capability=capability),
        [gpu_signal, bounds, kernels, *built_lines],
        _("install a torch build for a CUDA new enough to have kernels for this GPU"), _install_fix(reading.facts),
        LOCALLY)


def _harmless(name: str, capability: str, kernels: str, signals: list[Signal | None]) -> Finding:
    """torch warned about a GPU that the build's kernels run on (SASS for X.y runs on X.z, z >= y)."""
    return _finding(
        "paste.gpu-warning-harmless", "info", "gpu",
        _("{name} (compute capability {capability}) runs this torch build's kernels (built for {kernels}): torch's "
          "warning about it does not stop it", name=name, capability=capability, kernels=kernels),
        signals,
        _("nothing to do; `envdoctor verify` on that machine shows the GPU at work"), [["envdoctor", "verify"]],
        BINARY_COMPAT)


def no_kernel_image(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """A kernel launch found no code for the GPU, and the paste does not say which GPU."""
    signal = reading.first("no_kernel_image")
    if signal is None or reading.first("gpu_incompatible", "gpu_too_old"):
        return
    yield _finding(
        "paste.no-kernel-image", "error", "gpu",
        _("the installed torch (or an extension) has no compiled kernels for this GPU's architecture: the build is "
          "older than the GPU (or the GPU older than the build's oldest architecture)"),
        [signal],
        _("install a torch build whose kernels cover this GPU; the paste does not name the GPU: add --gpu NAME "
          "(nvidia-smi --query-gpu=name,compute_cap --format=csv) or run `envdoctor diagnose - --here` on that "
          "machine"),
        _install_fix(reading.facts), LOCALLY)


def driver_too_old(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """torch's CUDA is newer than the newest CUDA the driver supports."""
    signal = reading.first("driver_too_old")
    if signal is None:
        return
    cuda = reading.facts.nvidia.driver_max_cuda
    yield _finding(
        "paste.driver-too-old", "error", "gpu",
        _("the installed torch was built for a newer CUDA than the NVIDIA driver supports (the driver supports CUDA "
          "{cuda}): torch.cuda.is_available() is False", cuda=cuda) if cuda else
        _("the installed torch was built for a newer CUDA than the NVIDIA driver supports: "
          "torch.cuda.is_available() is False"),
        [signal],
        _("install a torch build for CUDA {cuda} or older, or upgrade the NVIDIA driver (a container cannot: the "
          "host's driver is the one used)", cuda=cuda) if cuda else
        _("install a torch build for this driver, or upgrade the NVIDIA driver (a container cannot: the host's "
          "driver is the one used)"),
        _install_fix(reading.facts), NVIDIA_CUDA_COMPAT)


def cpu_only_build(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """A CPU-only torch asked to use CUDA, or a +cpu build whose session found no GPU."""
    torch = reading.facts.torch
    signal = reading.first("cpu_build") or (
        reading.first("cuda_available") if torch.local == "cpu" and torch.cuda_available is False else None)
    if signal is None:
        return
    version = reading.facts.torch.version
    yield _finding(
        "paste.cpu-only-build", "error", "torch",
        _("the torch that was imported ({version}) is a CPU-only build: it cannot use the GPU (on Windows and macOS "
          "the default PyPI wheel is CPU-only; on Linux a +cpu wheel or conda's cpuonly did it)", version=version)
        if version else
        _("the torch that was imported is a CPU-only build: it cannot use the GPU (on Windows and macOS the default "
          "PyPI wheel is CPU-only; on Linux a +cpu wheel or conda's cpuonly did it)"),
        [signal],
        _("uninstall torch and install the CUDA build for this machine from PyTorch's index"),
        _install_fix(reading.facts), LOCALLY)


def no_matching_wheel(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """pip or uv found no torch file for this Python, platform, index or pin."""
    signal = reading.first("pip_no_version", "uv_no_wheel")
    if signal is None:
        return
    requirement = signal.get("requirement")
    versions = signal.get("versions").strip()
    index = reading.first("looking_in", "index_url")
    url = index.get("url") if index else ""
    offered = [v.strip() for v in versions.split(",") if v.strip()]
    if offered and all(v.startswith("0.") for v in offered):
        why = _("only the 0.1.2 source releases match: the Python is 32-bit (or an unsupported platform), and torch "
                "publishes 64-bit wheels only")
        fix = _("install a 64-bit Python (Windows: the x86-64 installer), make a fresh venv with it and install again")
    elif url and re.search(r"/whl/(?:nightly/)?(cu[0-9]+|rocm[0-9.]+|cpu|xpu)/?$", url) and versions in ("", "none"):
        variant = re.search(r"/whl/(?:nightly/)?([^/]+)/?$", url)
        why = _("the index {url} offers no torch for this Python and platform (the variant {variant} may not exist, "
                "or has no wheel for this Python)", url=url, variant=variant.group(1) if variant else "?")
        fix = _("use an index of a variant that exists for this Python (the command below is the one that fits)")
    elif versions in ("", "none"):
        why = _("no torch wheel exists for this Python version, OS or architecture (a Python newer than the newest "
                "torch supports, a 32-bit Python, or a platform without wheels)")
        fix = _("use a Python that torch publishes wheels for (64-bit, a supported version), or a torch release that "
                "supports this one")
    else:
        why = _("the pin {requirement} names a release with no wheel for this Python and platform (the index offers "
                "{first} ... {last})", requirement=requirement, first=offered[0], last=offered[-1])
        fix = _("drop or update the pin to a release with wheels for this Python, or use an older Python for that "
                "release")
    yield _finding(
        "paste.no-matching-wheel", "error", "python",
        _("pip could not install {requirement}: {why}", requirement=requirement or "torch", why=why),
        [signal, index], fix, _install_fix(reading.facts), PREVIOUS)


def missing_library(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """A shared library torch (or a library it loads) needs is not found; libcuda has its own rules."""
    signals = [s for s in reading.all("missing_library", "could_not_load") if "libcuda.so" not in s.get("lib")]
    if not signals or reading.first("wsl") or any("libcuda.so" in s.get("lib") for s in reading.all("missing_library")):
        return
    dll = reading.first("dll_path")
    lib = (dll.get("lib") if dll else "") or next((s.get("lib") for s in signals if s.get("lib")), "")
    version = reading.facts.torch.version or ""
    init_failed = any("1114" in s.quote or "初始化例程" in s.quote or "initialization routine" in s.quote.lower()
                      for s in signals)
    if lib.lower() in ("fbgemm.dll", "libomp140.x86_64.dll") or "2.4.0" in version:
        fix = _("a DLL the Windows wheel needs is missing (torch 2.4.0's fbgemm.dll needs libomp140.x86_64.dll): "
                "install torch 2.4.1 or newer, or the Microsoft Visual C++ Redistributable")
    elif init_failed:
        fix = _("a torch DLL was found but failed to initialise (WinError 1114): install the latest Microsoft Visual "
                "C++ Redistributable (x64), import torch before other packages that bring their own DLLs, and "
                "reinstall torch in a fresh environment")
    elif lib.endswith((".dll", ".pyd")) or reading.facts.os.system == "Windows":
        fix = _("install the Microsoft Visual C++ Redistributable (x64) and reinstall torch in this environment; "
                "make sure no other CUDA or torch folder on PATH shadows the wheel's DLLs")
    elif re.match(r"lib(?:cudnn|cublas|cudart|cufft|curand|cusparse|cusolver|nccl|nvrtc|nvjitlink)", lib):
        fix = _("{lib} comes with the torch wheel's nvidia-* packages (pip) or the CUDA/cuDNN install (conda, "
                "source builds): reinstall the torch build for this machine so they match it, and unset "
                "LD_LIBRARY_PATH entries that point at another CUDA or cuDNN", lib=lib)
    else:
        fix = _("reinstall the torch build that matches this machine, so its CUDA libraries (the nvidia-* packages) "
                "come with it; unset LD_LIBRARY_PATH entries that point at another CUDA")
    yield _finding(
        "paste.missing-library", "error", "torch",
        _("a shared library could not be loaded ({lib}): it, or one it depends on, is not installed where the "
          "loader looks", lib=lib) if lib else
        _("a shared library could not be loaded: it, or one it depends on, is not installed where the loader looks"),
        [signals[0], dll], fix, _install_fix(reading.facts), LOCALLY)


#: Compiled packages that name themselves in their file paths and are not in the extension catalog.
_OTHER_EXTENSIONS = ("torchvision", "torchaudio", "torchtext", "torch_sparse", "torch_cluster", "torch_geometric",
                     "pytorch3d", "spconv", "mamba_ssm", "causal_conv1d", "transformer_engine")
_COMPANIONS = ("torchvision", "torchaudio", "torchtext")


def _catalog() -> Catalog | None:
    try:
        return extensions.builtin_catalog()
    except extensions.ExtensionDataError:
        return None


def _extension(text: str, catalog: Catalog | None) -> str:
    """The import name of the extension a path or message names (``flash_attn_2_cuda...so`` -> ``flash_attn``)."""
    lowered = text.lower().replace("-", "_")
    names = [*_COMPANIONS, *(ext.import_name for ext in catalog.extensions if ext.compiled), *_OTHER_EXTENSIONS] \
        if catalog else [*_COMPANIONS, *_OTHER_EXTENSIONS]
    return next((name for name in names if name in lowered), "")


def _xformers_for(torch_version: str, catalog: Catalog | None) -> str:
    """The xformers release whose prebuilt wheels pin this torch (recipes/extensions.toml's torch_pins)."""
    ext = catalog.by_dist("xformers") if catalog else None
    public = torch_version.split("+")[0]
    return next((release for release, pin in reversed(list(ext.torch_pins.items())) if pin == f"=={public}"), "") \
        if ext else ""


def _extension_fix(name: str, reading: PasteReading, built: Signal | None,
                   catalog: Catalog | None) -> tuple[str, list[list[str]]] | None:
    """The catalog's fix for a named extension: the wheel built for the pasted torch, or the torch it needs."""
    ext = catalog.by_dist(name) if catalog else None
    if catalog is None or ext is None:
        return None
    dist = ext.dists[0]
    torch = reading.facts.torch
    if built is not None and built.get("built_torch"):
        wanted = built.get("built_torch")
        have = built.get("torch") or torch.version or ""
        release = _xformers_for(have, catalog) if dist == "xformers" else ""
        variant = re.search(r"\+(cu[0-9]+|cpu|rocm[0-9.]+)$", have)
        index = ["--index-url", ext.index_url.format(cuda_variant=variant.group(1))] if variant and ext.index_url else []
        fields = {"dist": dist, "wanted": wanted, "have": have or "?", "public": have.split("+")[0] or "?",
                  "cuda": compat.cuda_from_build_number(built.get("built_cuda")) or built.get("built_cuda") or "?",
                  "wanted_public": wanted.split("+")[0]}
        fix = _("{dist} was built for torch {wanted} (CUDA {cuda}), this environment has torch {have}: install the "
                "{dist} release built for torch {public} ({dist}=={release}), or torch=={wanted_public} that {dist} "
                "needs", release=release, **fields) if release else \
            _("{dist} was built for torch {wanted} (CUDA {cuda}), this environment has torch {have}: install the "
              "{dist} release built for torch {public}, or torch=={wanted_public} that {dist} needs", **fields)
        if release:
            return fix, [["python", "-m", "pip", "install", "--no-deps", f"{dist}=={release}", *index]]
        built_variant = re.search(r"\+(cu[0-9]+|cpu|rocm[0-9.]+)$", wanted)
        torch_index = ["--index-url", ext.index_url.format(cuda_variant=built_variant.group(1))] \
            if built_variant and ext.index_url else []
        return fix, [["python", "-m", "pip", "install", f"torch=={wanted.split('+')[0]}", *torch_index]]
    if not torch.version:
        return None
    build = extensions.TorchBuild(torch.version, torch.cuda, torch.hip)
    return extensions.fix_for(ext, dist, extensions.BuiltFor(), build), \
        [["python", "-m", "pip", "install", "--force-reinstall", "--no-build-isolation", "--no-cache-dir", dist]]


def abi_mismatch(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """A compiled extension or companion built against another torch than the one installed."""
    signal = reading.first("undefined_symbol", "missing_operator", "built_for")
    if signal is None:
        return
    built = next((s for s in reading.all("built_for") if s.get("built_torch")), None)
    catalog = _catalog()
    extension = "xformers" if signal.kind == "built_for" else _extension(
        " ".join((signal.get("path"), signal.get("file"), signal.get("op"), signal.quote)), catalog)
    if not extension:
        extension = next((_extension(s.quote, catalog) for s in reading.signals if _extension(s.quote, catalog)), "")
    companion = extension in _COMPANIONS
    name = extension or _("a compiled extension")
    catalogued = None if companion else _extension_fix(extension, reading, built, catalog)
    if catalogued is not None:
        fix, commands = catalogued
    elif companion:
        fix = _("install the {extension} release made for the installed torch (the same index and variant)",
                extension=extension)
        commands = _install_fix(reading.facts)
    else:
        fix = _("reinstall {name} built for the installed torch: pip uninstall {extension}, then a wheel for this "
                "torch/CUDA/Python or a source build with --no-build-isolation", name=name,
                extension=extension or "EXTENSION")
        commands = [["python", "-m", "pip", "install", "--force-reinstall", "--no-build-isolation", "--no-cache-dir",
                     extension.replace("_", "-") if extension else "EXTENSION"]]
    yield _finding(
        "paste.abi-mismatch", "error", "torch",
        _("{name} was built for torch {built} but torch {torch} is installed: its compiled extensions do not load",
          name=name, built=built.get("built_torch"), torch=built.get("torch") or "?") if built and signal is built else
        _("{name} cannot load its compiled extensions: it was built for another torch than the one installed",
          name=name) if signal.kind == "built_for" else
        _("{name} was built against another torch release than the one installed: its compiled code references a "
          "symbol this torch does not export ({symbol})", name=name, symbol=signal.get("symbol"))
        if signal.get("symbol") else
        _("{name} was built against another torch release than the one installed: its compiled code does not "
          "register its operators with this torch", name=name),
        [signal, built if built is not signal else None], fix, commands,
        PREVIOUS if companion else CPP_EXTENSION)


def extension_build(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """An extension build against the wrong CUDA toolkit or host compiler."""
    mismatch = reading.first("toolkit_mismatch")
    compiler = reading.first("compiler_too_new")
    other = reading.first("cuda_home", "nvcc_arch")
    if mismatch is not None:
        toolkit, torch_cuda = mismatch.get("toolkit"), mismatch.get("torch_cuda")
        yield _finding(
            "paste.extension-build", "error", "cuda",
            _("the extension is compiled with the CUDA {toolkit} toolkit (nvcc / CUDA_HOME) but torch was built with "
              "CUDA {torch_cuda}: torch's build check refuses a different CUDA major",
              toolkit=toolkit, torch_cuda=torch_cuda),
            [mismatch],
            _("install a torch built for CUDA {major}.x (the index of that variant), or point CUDA_HOME at a CUDA "
              "{torch_cuda} toolkit before building", major=toolkit.split(".")[0], torch_cuda=torch_cuda),
            [["python", "-m", "pip", "install", "torch", "--index-url", _index_for(toolkit, recipes)]]
            + [["export", f"CUDA_HOME=/usr/local/cuda-{torch_cuda}"]], CPP_EXTENSION)
    elif compiler is not None:
        cuda, highest = compiler.get("cuda"), compiler.get("max")
        host = {"compiler": compiler.get("compiler") or "", "version": compiler.get("version"), "cuda": cuda,
                "highest": highest}
        if cuda and highest:
            message = _("the host compiler {compiler} {version} is newer than CUDA {cuda} accepts (at most {highest})",
                        **host)
        elif cuda:
            message = _("the host compiler {compiler} {version} is newer than CUDA {cuda} accepts", **host)
        elif highest:
            message = _("the host compiler {compiler} {version} is newer than CUDA this toolkit accepts (at most "
                        "{highest})", **host)
        else:
            message = _("the host compiler {compiler} {version} is newer than CUDA this toolkit accepts", **host)
        yield _finding(
            "paste.extension-build", "error", "cuda", message,
            [compiler],
            _("build with an older host compiler (CC/CXX, or nvcc -ccbin), or use a newer CUDA toolkit that supports "
              "this compiler (and a torch built for it)"),
            [["export", "CC=gcc-10", "CXX=g++-10"]], CPP_EXTENSION)
    elif other is not None:
        yield _finding(
            "paste.extension-build", "error", "cuda",
            _("the extension build could not find a usable CUDA toolkit (CUDA_HOME unset, or nvcc too old for the "
              "GPU architecture asked for)"),
            [other],
            _("install the CUDA toolkit matching torch.version.cuda and set CUDA_HOME to it, or install a prebuilt "
              "wheel"),
            [["python", "-c", "import torch; print(torch.version.cuda)"]], CPP_EXTENSION)


def _index_for(toolkit: str, recipes: Recipes | None) -> str:
    """PyTorch's index for the newest variant of a CUDA major no newer than the toolkit."""
    wanted = compat.parse_version(toolkit)
    best = ""
    best_version = None
    if recipes is not None and wanted is not None:
        for release in recipes.releases:
            for variant in release.variants:
                version = compat.parse_version(variant.cuda) if variant.kind == "cuda" else None
                if version is not None and version.major == wanted.major and version <= wanted and (
                        best_version is None or version > best_version):
                    best, best_version = variant.name, version
    return f"https://download.pytorch.org/whl/{best or 'cu' + toolkit.replace('.', '')}"


def mps_unavailable(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """torch on a Mac could not use MPS: its message, or a session's ``torch.backends.mps.is_available()`` False."""
    signal = reading.first("mps") or next(
        (s for s in reading.all("mps_available") if s.get("available") == "False"), None)
    if signal is None:
        return
    rosetta = "10.16" in "\n".join(s.quote for s in reading.signals) or reading.facts.os.arch == "x86_64"
    yield _finding(
        "paste.mps-unavailable", "error", "gpu",
        _("torch cannot use the Apple GPU (MPS): the Python runs as x86_64 (Rosetta 2 reports macOS as 10.16)")
        if rosetta else
        _("torch cannot use the Apple GPU (MPS): the process sees an older macOS or no Metal device (an x86_64 "
          "Python under Rosetta 2 reports 10.16; a sandbox can hide Metal)"),
        [signal],
        _("use a native arm64 Python (python -c 'import platform; print(platform.machine())' must say arm64) with an "
          "arm64 torch, outside any sandbox that blocks Metal; MPS needs macOS 12.3+"),
        [["python", "-c", "import platform, torch; print(platform.machine(), platform.mac_ver()[0], "
          "torch.backends.mps.is_built(), torch.backends.mps.is_available())"]], MPS)


_OVERRIDES = (("gfx103", "10.3.0"), ("gfx110", "11.0.0"), ("gfx90", "9.0.0"))


def rocm(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """A ROCm torch without code for the AMD GPU, or with no GPU to use."""
    signal = reading.first("hip_no_binary", "hip_no_gpu")
    if signal is None:
        return
    gfx = reading.first("gfx")
    card = reading.first("radeon")
    target = gfx.get("gfx").lower() if gfx else ""
    override = next((value for prefix, value in _OVERRIDES if target.startswith(prefix)), "")
    model = card.get("model") if card else ""
    if signal.kind == "hip_no_gpu":
        message = _("ROCm torch sees no AMD GPU: the user is not in the render/video groups, or the container lacks "
                    "/dev/kfd and /dev/dri")
        fix = _("sudo usermod -aG render,video $USER (log in again); in Docker: --device=/dev/kfd --device=/dev/dri")
        commands = [["rocminfo"]]
    else:
        if target and model:
            message = _("the ROCm torch build has no code object for this AMD GPU ({target}) (Radeon {model}): its "
                        "architecture is not in the build's target list", target=target, model=model)
        elif target:
            message = _("the ROCm torch build has no code object for this AMD GPU ({target}): its architecture is not "
                        "in the build's target list", target=target)
        elif model:
            message = _("the ROCm torch build has no code object for this AMD GPU (Radeon {model}): its architecture "
                        "is not in the build's target list", model=model)
        else:
            message = _("the ROCm torch build has no code object for this AMD GPU: its architecture is not in the "
                        "build's target list")
        fix = _("set HSA_OVERRIDE_GFX_VERSION={override} so ROCm runs the code of the nearest supported target of "
                "the same family", override=override) if override else \
            _("for an RDNA2 card set HSA_OVERRIDE_GFX_VERSION=10.3.0 (RDNA3: 11.0.0); a GPU of another family "
              "needs a torch built with its gfx target (PYTORCH_ROCM_ARCH) or a supported GPU")
        commands = [["export", f"HSA_OVERRIDE_GFX_VERSION={override or '10.3.0'}"], ["rocminfo"]]
    yield _finding("paste.rocm", "error", "gpu", message, [signal, gfx, card], fix, commands, ROCM_GPUS)


def wsl_libcuda(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """On WSL 2 the driver's libcuda lives in /usr/lib/wsl/lib, where cuDNN's dlopen('libcuda.so') does not look."""
    signal = next((s for s in reading.all("missing_library", "could_not_load") if "libcuda.so" in s.quote
                   and "libcuda.so.1" not in s.get("lib")), None)
    if signal is None or reading.first("no_driver"):
        return
    yield _finding(
        "paste.wsl-libcuda", "error", "cuda",
        _("libcuda.so cannot be loaded: on WSL 2 the Windows driver's libcuda is in /usr/lib/wsl/lib, which the "
          "loader cache lists only as libcuda.so.1 (cuDNN asks for libcuda.so)"),
        [signal, reading.first("wsl")],
        _("add /usr/lib/wsl/lib to LD_LIBRARY_PATH (in ~/.bashrc), or run `sudo ldconfig` after fixing the "
          "/usr/lib/wsl/lib symlinks; do not install a Linux NVIDIA driver inside WSL"),
        [["export", "LD_LIBRARY_PATH=/usr/lib/wsl/lib:$LD_LIBRARY_PATH"]], WSL_CUDA)


def nvml(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """nvidia-smi (NVML) cannot talk to the kernel driver."""
    mismatch = reading.first("nvml_mismatch")
    no_driver = reading.first("nvml_no_driver")
    if mismatch is not None:
        yield _finding(
            "paste.nvml", "error", "gpu",
            _("the NVIDIA user-space libraries and the loaded kernel module are different driver versions (a driver "
              "was upgraded without a reboot, or a container installed its own driver)"),
            [mismatch],
            _("reboot (or unload and reload the nvidia kernel modules); in a container, remove the driver installed "
              "inside it: the host's driver is used, and torch should be a build for that driver"),
            [["cat", "/proc/driver/nvidia/version"], ["sudo", "reboot"]], NVIDIA_CUDA_COMPAT)
    elif no_driver is not None:
        yield _finding(
            "paste.nvml", "error", "gpu",
            _("nvidia-smi cannot reach the NVIDIA kernel driver: the module is not loaded (not built for this "
              "kernel, or refused by Secure Boot because it is unsigned)"),
            [no_driver],
            _("check `mokutil --sb-state`: with Secure Boot on, sign the module or disable it; reinstall the driver "
              "for the running kernel (DKMS) and reboot"),
            [["mokutil", "--sb-state"], ["sudo", "modprobe", "nvidia"]], NVIDIA_CUDA_COMPAT)


def container_gpu(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """A container started without the GPUs, or with driver libraries that do not match the host, or a small /dev/shm."""
    no_driver = reading.first("no_driver", "container_runtime", "nvml_unknown")
    if no_driver is None and not reading.facts.nvidia.gpus and reading.first("smi_header") is None:
        no_driver = reading.first("smi_missing")  # nvidia-smi missing where the paste shows no GPU at all
    compat_error = reading.first("forward_compat")
    shm = reading.first("shm_small")
    if compat_error is not None:
        yield _finding(
            "paste.container", "error", "gpu",
            _("CUDA error 804 (forward compatibility on unsupported hardware): the container's CUDA driver libraries "
              "(a cuda-compat package, or libraries the container toolkit mounted) do not match the host's driver"),
            [compat_error, reading.first("smi_header")],
            _("use the host's driver libraries: remove cuda-compat from LD_LIBRARY_PATH in the image, or update the "
              "host's nvidia-container-toolkit so it mounts matching libraries"),
            [["nvidia-container-cli", "info"]], CONTAINER_TOOLKIT)
    elif no_driver is not None:
        yield _finding(
            "paste.container", "error", "gpu",
            _("nvidia-smi is not there: in a container it is mounted only by the NVIDIA runtime (docker run without "
              "--gpus leaves it out), on a host it comes with the driver, which is not installed")
            if no_driver.kind == "smi_missing" else
            _("no NVIDIA driver is visible to this process: a container started without the NVIDIA runtime (docker "
              "run without --gpus), or a host without the driver"),
            [no_driver],
            _("start the container with the GPUs (docker run --gpus all, Kubernetes nvidia.com/gpu) after installing "
              "the NVIDIA Container Toolkit on the host; on a host, install the driver"),
            [["docker", "run", "--gpus", "all", "IMAGE", "nvidia-smi"]], CONTAINER_TOOLKIT)
    elif shm is not None:
        yield _finding(
            "paste.container", "error", "system",
            _("/dev/shm is too small for DataLoader workers to hand batches over (Docker gives 64 MB)"),
            [shm], _("start the container with --ipc=host or --shm-size=8g, or use num_workers=0"),
            [["docker", "run", "--shm-size=8g", "IMAGE"]], CONTAINER_TOOLKIT)


def conda_trap(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """conda's solver refused the specs, or chose the CPU builds."""
    unsat = reading.first("conda_unsat")
    cpu = [s for s in reading.all("conda_cpu") if s.get("package") in ("pytorch", "pytorch-mutex", "cpuonly")]
    if unsat is not None:
        conflicts = reading.all("conda_conflict")
        yield _finding(
            "paste.conda", "error", "python",
            _("conda cannot satisfy the requested packages together: {conflicts}",
              conflicts=joined(c.quote for c in conflicts[:3])) if conflicts else
            _("conda cannot satisfy the requested packages together (a pinned cudatoolkit / python / pytorch "
              "combination that no build provides)"),
            [unsat, *conflicts[:3]],
            _("drop the conflicting pin (cudatoolkit, python) or use the exact combination PyTorch published for that "
              "release; PyTorch no longer publishes conda packages after 2.5, so pip in the conda env is the current "
              "way"),
            _install_fix(reading.facts), CONDA_INSTALL)
    elif cpu:
        yield _finding(
            "paste.conda", "error", "torch",
            _("conda installed the CPU builds of pytorch (pytorch-mutex=cpu / cpuonly): a package in the solve "
              "depends on cpuonly, or the CUDA build was not available for the pins"),
            cpu[:3],
            _("remove cpuonly and pytorch-mutex and install the CUDA build explicitly (pytorch-cuda=X.Y or the "
              "cudatoolkit build string), installing the package that pulled cpuonly separately; or use pip"),
            _install_fix(reading.facts), CONDA_INSTALL)


def numpy_abi(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """A module compiled against another NumPy C API than the one installed."""
    signal = reading.first("numpy_abi")
    if signal is None:
        return
    two = "1.x" in signal.quote or "_ARRAY_API" in signal.quote
    built, found = signal.get("built"), signal.get("numpy")
    newer_needed = bool(built and found and int(built, 16) > int(found, 16))
    yield _finding(
        "paste.numpy-abi", "error", "python",
        _("a module compiled against NumPy 1.x is running with NumPy 2 (a torch or extension wheel built before "
          "NumPy 2)") if two else
        _("a module was compiled against NumPy C API {built} but NumPy {found} is installed", built=built, found=found)
        if built else _("NumPy and a compiled module disagree on the NumPy C API"),
        [signal],
        _('pip install "numpy<2" (or upgrade the module to a build for NumPy 2)') if two or not newer_needed
        else _("upgrade NumPy to the version the module was built against"),
        [["python", "-m", "pip", "install", "numpy<2" if two or not newer_needed else "--upgrade", *(
            [] if two or not newer_needed else ["numpy"])]], NUMPY2)


_USER_SITE = re.compile(r"appdata.roaming.python|\.local.lib.python", re.IGNORECASE)


def multiple_installs(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """Two torch installs in one environment, or one that shadows the intended one."""
    packages = {s.get("package"): s for s in reading.all("conda_package")}
    sites = list(dict.fromkeys(s.get("site").lower() for s in reading.all("torch_path")))
    user_site = [s for s in reading.all("torch_path") if _USER_SITE.search(s.get("site"))]
    installs = reading.all("listed_torch") + [s for s in reading.all("built_for") if s.get("torch")]
    versions = list(dict.fromkeys((s.get("version") or s.get("torch")).split("+")[0] for s in installs))
    pip_and_conda = any(s.get("channel") == "pypi" or s.get("build") == "pypi_0" for s in installs) and (
        any(s.get("package") == "pytorch" and s.get("channel") != "pypi" for s in installs)
        or any(p.startswith("pytorch") for p in packages))
    other_sites = [s for s in reading.all("site_path") if s not in user_site
                   and not _USER_SITE.search(s.get("site"))]
    odd = reading.first("no_version_attr")
    rocm_env_cpu = reading.first("cpu_build") is not None and any(
        "rocm" in s.get("site").lower() for s in reading.all("torch_path"))
    evidence: list[Signal | None] = []
    if len([p for p in packages if p.startswith("pytorch")]) > 1:
        evidence = [*packages.values()]
        why = _("two conda packages install the same torch files ({packages}): each overwrites the other",
                packages=listed(packages))
    elif pip_and_conda or len(versions) > 1:
        evidence = [*installs[:3]]
        shown = listed(_("you have {torch}", torch=s.get("torch")) if s.kind == "built_for" else " ".join(s.quote.split())
                       for s in installs[:3])
        if pip_and_conda:
            why = _("torch is installed twice ({installs}): pip's torch and conda's pytorch write the same files",
                    installs=shown)
        elif len(versions) == 2:
            why = _("torch is installed twice ({installs}): the paste shows torch {first} and {second}: the one "
                    "imported is not the one installed last", installs=shown, first=versions[0], second=versions[1])
        else:
            why = _("torch is installed twice ({installs}): the paste shows torch {first} and {second} and {third}: "
                    "the one imported is not the one installed last", installs=shown, first=versions[0],
                    second=versions[1], third=versions[2])
    elif len(sites) > 1:
        evidence = [*(user_site or reading.all("torch_path"))[:2]]
        why = _("torch is imported from more than one place: a user-site or other environment's torch shadows this "
                "one")
    elif user_site and other_sites:
        evidence = [user_site[0], other_sites[0]]
        why = _("torch is imported from the per-user site-packages, not from the environment the program runs in: "
                "a torch installed with pip install --user (or another Python of the same version) shadows it")
    elif rocm_env_cpu:
        evidence = [reading.first("cpu_build"), reading.first("torch_path")]
        why = _("a CPU-only torch was imported in an environment set up for ROCm: another torch (a per-user site "
                "package, another Python on the path) shadows the one installed there")
    elif odd is not None:
        evidence = [odd]
        why = _("the torch package is broken: files of two installs were mixed, then one was uninstalled")
    else:
        return
    yield _finding(
        "paste.multiple-installs", "error", "torch", why, evidence,
        _("use one environment with one torch: uninstall every copy (pip uninstall torch until none is left, conda "
          "remove the duplicate), set PYTHONNOUSERSITE=1 so a per-user site-packages is not on sys.path, then "
          "install once"),
        [["python", "-c", "import sys, torch; print(sys.executable, torch.__file__, torch.__version__)"]],
        "https://docs.python.org/3/using/cmdline.html#envvar-PYTHONNOUSERSITE")


def nccl(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """NCCL failed on its environment: /dev/shm permissions or size, or the network interface."""
    shm = reading.first("nccl_shm")
    error = reading.first("nccl_error")
    socket = reading.first("nccl_socket")
    if shm is not None:
        denied = "permission" in shm.quote.lower()
        yield _finding(
            "paste.nccl", "error", "system",
            _("NCCL could not create its shared-memory segment in /dev/shm: the process may not write there (/dev/shm "
              "is not mode 1777)") if denied else
            _("NCCL could not create its shared-memory segment in /dev/shm: /dev/shm is full or too small (Docker "
              "gives 64 MB)"),
            [shm, error],
            _("restore /dev/shm to mode 1777 (sudo chmod 1777 /dev/shm)") if denied else
            _("start the container with --ipc=host or --shm-size=... (NCCL_SHM_DISABLE=1 works around it, slower)"),
            [["sudo", "chmod", "1777", "/dev/shm"]] if denied else [["docker", "run", "--ipc=host", "IMAGE"]],
            NCCL_ENV)
    elif socket is not None or error is not None:
        yield _finding(
            "paste.nccl", "error", "system",
            _("NCCL failed on its environment (network interface or system resources)"),
            [socket, error],
            _("run with NCCL_DEBUG=INFO to see the failing call; set NCCL_SOCKET_IFNAME to the interface the nodes "
              "share, and check /dev/shm (mode 1777, enough space)"),
            [["env", "NCCL_DEBUG=INFO", "NCCL_DEBUG_SUBSYS=INIT,NET"]], NCCL_ENV)


def out_of_memory(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """The GPU ran out of memory: a workload's size, not the installation; said so, so no install is blamed."""
    signal = reading.first("out_of_memory")
    if signal is None:
        return
    yield _finding(
        "paste.out-of-memory", "info", "gpu",
        _("the GPU ran out of memory: this is not an environment problem (torch, CUDA and the driver work, they "
          "allocated memory until none was left); reinstalling changes nothing"),
        [signal],
        _("use a smaller batch or model (or mixed precision / gradient checkpointing), free GPU memory held by other "
          "processes, or set PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True when reserved memory is much larger "
          "than allocated"),
        [["nvidia-smi", "--query-compute-apps=pid,process_name,used_memory", "--format=csv"]],
        "https://pytorch.org/docs/stable/notes/cuda.html#optimizing-memory-usage-with-pytorch-cuda-alloc-conf")


def cuda_unavailable(reading: PasteReading, recipes: Recipes | None) -> Iterable[Finding]:
    """A CUDA build whose Python session answered ``is_available()`` False, with no message saying why: what
    tells the causes apart is nvidia-smi's view of that machine."""
    torch = reading.facts.torch
    answered = reading.first("cuda_available")
    if answered is None or torch.cuda_available is not False:  # a +cpu build's False is cpu_only_build's
        return
    cuda = torch.cuda or compat.variant_cuda(torch.local)
    if cuda:
        message = _("torch {version} is built for CUDA {cuda}, yet torch.cuda.is_available() answered False and "
                    "nothing in the paste says why: the usual causes are no NVIDIA driver, a driver too old for CUDA "
                    "{cuda}, or no GPU visible to the process (CUDA_VISIBLE_DEVICES, a container started without "
                    "GPUs)", version=torch.version or "?", cuda=cuda)
        fix = _("run nvidia-smi on that machine and add what it prints to the paste, or run envdoctor check there")
        commands = [["nvidia-smi"], ["envdoctor", "check"]]
    else:
        message = _("torch.cuda.is_available() answered False and nothing in the paste says why: the usual causes are "
                    "a CPU-only torch, no NVIDIA driver, a driver too old for torch's CUDA, or no GPU visible to the "
                    "process (CUDA_VISIBLE_DEVICES, a container started without GPUs)")
        fix = _("add to the paste what torch was built with and what nvidia-smi prints on that machine, or run "
                "envdoctor check there")
        commands = [["python", "-c", "import torch; print(torch.__version__, torch.version.cuda)"], ["nvidia-smi"],
                    ["envdoctor", "check"]]
    yield _finding("paste.cuda-unavailable", "error", "torch", message,
                   [reading.first("torch_version"), reading.first("torch_cuda"), answered], fix, commands,
                   NVIDIA_CUDA_COMPAT)


#: The causes a paste's messages name; :func:`cuda_unavailable` speaks only when none of them does.
RULES: tuple[Rule, ...] = (
    gpu_architecture, no_kernel_image, driver_too_old, cpu_only_build, no_matching_wheel, missing_library,
    abi_mismatch, extension_build, mps_unavailable, rocm, wsl_libcuda, nvml, container_gpu, conda_trap,
    numpy_abi, multiple_installs, nccl, out_of_memory,
)


def evaluate(reading: PasteReading, recipes: Recipes | None = None) -> list[Finding]:
    """Every cause the paste's messages show, in rule order; with none, a CUDA build the session found no GPU
    for is the finding."""
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule(reading, recipes))
    return findings or list(cuda_unavailable(reading, recipes))


def facts_missing(facts: Facts, about_mps: bool = False) -> list[str]:
    """What a paste leaves unknown that the fix depends on, each with how to get it; for a paste about the
    Apple GPU (``about_mps``), the Mac's processor and macOS version instead of nvidia-smi's GPU and driver."""
    out: list[str] = []
    if not facts.os.system and not about_mps:  # a paste about MPS is from a Mac: its macOS version is asked below
        out.append(_("the OS"))
    if not facts.python.version:
        out.append(_("the Python version (python --version)"))
    if about_mps:
        if not facts.apple.macos_version:
            out.append(_("the processor and macOS version (python -c 'import platform; print(platform.machine(), "
                         "platform.mac_ver()[0])')"))
    elif facts.nvidia.status == "unknown" and not facts.rocm.gpus:
        out.append(_("the GPU and driver (nvidia-smi)"))
    if not facts.torch.version:
        out.append(_("the installed torch (python -c 'import torch; print(torch.__version__)')"))
    return out
