"""Findings of the rules compared whole, each on a small hand-built Facts (assembled here, not probed).

The expected findings were checked by hand: the versions, counts and paths are those the Facts give, the
severity and the checklist line are the rule's, and the English sentences are the ones a reader is shown.
"""

from __future__ import annotations

import pytest

from envdoctor.facts import (
    Attempt,
    CudaToolkit,
    Distribution,
    Facts,
    Finding,
    Gpu,
    NvidiaFacts,
    PythonFacts,
    SharedLibrary,
    TorchFacts,
)
from envdoctor.recipes import load_recipes
from envdoctor.rules import cuda, gpu, installed_torch, limits, system


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def linux(gpus=(("NVIDIA GeForce RTX 4090", "8.9"),), driver="550.54.15", max_cuda="12.4") -> Facts:
    facts = Facts()
    facts.os.system, facts.os.arch = "Linux", "x86_64"
    facts.python = PythonFacts(status="ok", executable="/usr/bin/python3", version="3.11.7")
    facts.nvidia = NvidiaFacts(status="ok", driver_version=driver, driver_max_cuda=max_cuda, source="nvidia-smi",
                               gpus=[Gpu("nvidia", i, name, compute_capability=cc) for i, (name, cc) in enumerate(gpus)])
    return facts


def with_torch(facts: Facts, version: str, cuda: str | None = None) -> Facts:
    facts.torch = TorchFacts(status="ok", version=version, local=version.partition("+")[2] or None, cuda=cuda,
                             installer="pip", copies=["/site"], location="/site", source="torch/version.py")
    return facts


def as_text(findings) -> list[Finding]:
    """The findings with every text a plain str, so that a comparison is of values only."""
    return [Finding(f.id, f.severity, f.area, str(f.message), f.subject, None if f.fix is None else str(f.fix),
                    f.commands, [str(e) for e in f.evidence]) for f in findings]


#: what every torch finding offers for /usr/bin/python3
INSTALL = [["envdoctor", "install", "--dry-run", "--python", "/usr/bin/python3"],
           ["envdoctor", "install", "--python", "/usr/bin/python3"]]


# ---------------------------------------------------------------------------- gpu.py


def test_a_container_without_the_gpu_runtime_whole(recipes):
    facts = with_torch(linux(gpus=()), "2.5.1+cu124", cuda="12.4")
    facts.nvidia.status, facts.os.container = "no_driver", "docker"
    facts.nvidia.device_nodes, facts.nvidia.libcuda = [], []
    assert as_text(gpu.nvidia_container_without_gpu_runtime(facts, recipes)) == [Finding(
        "nvidia.container-without-gpu-runtime", "error", "gpu",
        "this docker container has no NVIDIA device nodes (/dev/nvidia*) and no libcuda: it was started without the "
        "GPU runtime, so torch 2.5.1+cu124 (CUDA 12.4) sees no GPU", "nvidia.driver",
        fix="start it with the GPUs: docker run --gpus all (NVIDIA Container Toolkit), podman run --device "
            "nvidia.com/gpu=all (CDI), or request nvidia.com/gpu in Kubernetes",
        evidence=["/dev: no nvidia* or dxg node", "libcuda.so: none in the driver library folders"])]
    facts.nvidia.device_nodes = ["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"]
    assert as_text(gpu.nvidia_container_without_gpu_runtime(facts, recipes)) == [Finding(
        "nvidia.container-without-libcuda", "warning", "gpu",
        "this docker container has the NVIDIA device nodes but no libcuda: the driver libraries were not mounted, "
        "so CUDA cannot start", "nvidia.driver",
        fix="start it with NVIDIA_DRIVER_CAPABILITIES including compute,utility (or --gpus all with the NVIDIA "
            "Container Toolkit)",
        evidence=["device nodes: /dev/nvidia0, /dev/nvidiactl, /dev/nvidia-uvm",
                  "libcuda.so: none in the driver library folders"])]


def test_a_container_without_nvidia_uvm_whole(recipes):
    facts = linux()
    facts.os.container = "podman"
    facts.nvidia.device_nodes = ["/dev/nvidia0", "/dev/nvidiactl"]
    assert as_text(gpu.nvidia_container_without_uvm(facts, recipes)) == [Finding(
        "nvidia.container-without-uvm", "warning", "gpu",
        "this podman container has the NVIDIA device nodes but not /dev/nvidia-uvm: CUDA cannot start in it "
        "(torch.cuda.is_available() is False, \"CUDA unknown error\"); the container runtime passes the node in only "
        "when it exists on the host", "nvidia.driver",
        fix="on the host, load the nvidia-uvm module and create its node (sudo nvidia-modprobe -u -c=0), then "
            "restart the container",
        evidence=["device nodes: /dev/nvidia0, /dev/nvidiactl"])]


def test_an_uncertain_device_order_whole(recipes):
    facts = linux(gpus=(("NVIDIA GeForce GTX 1080", "6.1"), ("NVIDIA GeForce RTX 4090", "8.9")))
    facts.nvidia.cuda_visible_devices, facts.nvidia.visibility_uncertain = "0", True
    assert as_text(gpu.nvidia_visible_devices_order(facts, recipes)) == [Finding(
        "nvidia.visible-devices-order", "warning", "gpu",
        "CUDA_VISIBLE_DEVICES='0' names GPUs in CUDA's order (fastest first), which differs from nvidia-smi's PCI "
        "order on this machine of different GPUs: which GPUs CUDA programs get is not certain, so every GPU that may "
        "be meant is checked", "nvidia.driver",
        fix="set CUDA_DEVICE_ORDER=PCI_BUS_ID (then indices match nvidia-smi), or name GPUs by UUID (GPU-...)",
        evidence=["CUDA_DEVICE_ORDER=None"])]


def test_an_old_torch_under_rosetta_is_not_told_about_mps(recipes):
    """Apple silicon, but an x86_64 Python (Rosetta 2): MPS is out of reach whatever torch, which python.rosetta
    says; the MPS rule speaks only of a native arm64 Python."""
    facts = Facts()
    facts.os.system, facts.os.arch, facts.os.macos_version = "Darwin", "arm64", "13.4"
    facts.python = PythonFacts(status="ok", executable="/usr/local/bin/python3", version="3.9.18",
                               platform_tag="macosx-10.9-x86_64", machine="x86_64", pointer_bits=64)
    facts.apple.apple_silicon, facts.apple.macos_version = True, "13.4"
    with_torch(facts, "1.11.0")
    assert list(gpu.apple_mps_unavailable(facts, recipes)) == []
    facts.python.platform_tag, facts.python.machine = "macosx-11.0-arm64", "arm64"
    assert [str(f.message) for f in gpu.apple_mps_unavailable(facts, recipes)] == [
        "torch 1.11.0 predates the MPS backend (torch 1.12): it runs on the CPU only"]


# ---------------------------------------------------------------------------- installed_torch.py


def test_no_torch_whole(recipes):
    facts = linux()
    assert as_text(installed_torch.torch_absent(facts, recipes)) == [Finding(
        "torch.not-installed", "info", "torch", "torch is not installed in this interpreter", "torch",
        fix="see the right command for this machine", commands=INSTALL)]


def test_a_torchvision_of_another_release_whole(recipes):
    """torch 2.5.1 pairs torchvision 0.20.1 and torch 2.4.1 pairs 0.19.1 (PyTorch's previous-versions page:
    ``pip install torch==2.5.1 torchvision==0.20.1 torchaudio==2.5.1``, ``torch==2.4.1 torchvision==0.19.1``)."""
    facts = with_torch(linux(), "2.5.1+cu124", cuda="12.4")
    facts.torch.companions = [Distribution("torchvision", "0.19.1", installer="pip", source="torchvision METADATA")]
    assert as_text(installed_torch.torch_companions_match(facts, recipes)) == [Finding(
        "torch.companion-mismatch", "error", "torch",
        "torchvision 0.19.1 is built for torch 2.4.1, but torch is 2.5.1+cu124: its compiled operators do not load "
        "(\"operator torchvision::nms does not exist\")", "torch.companions",
        fix="install the torchvision that pairs torch 2.5.1 (torchvision 0.20.1)", commands=INSTALL,
        evidence=["recipes/torch.toml: torch 2.4.1 pairs torchvision 0.19.1", "torchvision METADATA"])]


def test_a_conda_torchvision_without_a_build_string_is_not_taken_for_pypi_s_wheel(recipes):
    """A plain 0.20.1 from pip is PyPI's Linux wheel, the CUDA 12.4 build (the previous-versions page: the
    default ``pip install torch==2.5.1 torchvision==0.20.1`` is its CUDA 12.4 line); one from conda with no
    build string recorded is of an unknown build, so nothing is said about it."""
    facts = with_torch(linux(), "2.5.1+cpu")
    facts.torch.companions = [Distribution("torchvision", "0.20.1", installer="conda",
                                           source="conda-meta/torchvision-0.20.1.json")]
    assert list(installed_torch.torch_companions_match(facts, recipes)) == []
    facts.torch.companions = [Distribution("torchvision", "0.20.1", installer="pip", source="torchvision METADATA")]
    assert as_text(installed_torch.torch_companions_match(facts, recipes)) == [Finding(
        "torch.companion-mismatch", "error", "torch",
        "torchvision 0.20.1 is the cu124 build, torch 2.5.1+cpu the cpu build: torchvision's operators do not run "
        "with this torch (CPU-only kernels for CUDA tensors, or another CUDA major)", "torch.companions",
        fix="install torchvision from the same variant as torch (cpu)", commands=INSTALL,
        evidence=["torchvision METADATA", "torch/version.py",
                  "recipes/torch.toml: the PyPI wheel of torchvision 0.20.1 for linux-x86_64 is cu124"])]


def test_a_cuda_build_the_recipes_do_not_know_is_still_held_to_the_driver(recipes):
    """No recipe for torch 2.99.0, so no kernels to check; its CUDA 12.6 is still newer than driver 550.54.15's
    CUDA 12.4, and CUDA 12.6 GA needs driver >= 560.28.03 (NVIDIA's CUDA Toolkit release notes, Table 3)."""
    facts = with_torch(linux(), "2.99.0+cu126", cuda="12.6")
    assert as_text(installed_torch.torch_cuda_on_this_machine(facts, recipes)) == [Finding(
        "torch.cuda-minor-newer-than-driver", "warning", "torch",
        "torch 2.99.0+cu126 was built for CUDA 12.6, newer than the driver's CUDA 12.4: its compiled kernels run "
        "through minor-version compatibility, code JIT-compiled from PTX at run time will fail", "torch",
        fix="upgrade the driver to >= 560.28.03", commands=INSTALL,
        evidence=["torch/version.py cuda = 12.6", "driver 550.54.15 supports at most CUDA 12.4 (nvidia-smi)"])]


def test_a_source_build_without_cuda_whole(recipes):
    facts = with_torch(linux(), "2.1.0a0+git32f93b1")
    assert as_text(installed_torch.torch_source_build_without_cuda(facts, recipes)) == [Finding(
        "torch.source-build-without-cuda", "error", "torch",
        "torch 2.1.0a0+git32f93b1 was compiled from source without CUDA (no CUDA toolkit found at build time, or "
        "USE_CUDA=0) on a machine with 1 NVIDIA GPU(s) (NVIDIA GeForce RTX 4090): it will never use them", "torch",
        fix="rebuild with CUDA (CUDA_HOME pointing at a toolkit, USE_CUDA=1, TORCH_CUDA_ARCH_LIST covering the GPUs), "
            "or install a released CUDA build", commands=INSTALL,
        evidence=["torch/version.py cuda = None (torch/version.py)"])]


# ---------------------------------------------------------------------------- cuda.py


def test_nvcc_of_another_major_than_torch_whole(recipes):
    facts = with_torch(linux(driver="535.104.05", max_cuda="12.2"), "2.1.2+cu121", cuda="12.1")
    facts.cuda.toolkits = [CudaToolkit("13.0.88", "/usr/local/cuda-13.0", active=True)]
    assert as_text(cuda.cuda_toolkit_vs_torch(facts, recipes)) == [Finding(
        "cuda.toolkit-torch-major-differs", "warning", "cuda",
        "nvcc 13.0.88 and torch's CUDA 12.1 differ in major version: building CUDA extensions "
        "(torch.utils.cpp_extension) will fail", "cuda.toolkit",
        fix="point CUDA_HOME at a CUDA 12.x toolkit when building extensions")]


def test_a_cublas_on_the_library_path_is_judged_by_major_and_minor(recipes):
    """torch 2.1.0+cu121 pins nvidia-cublas-cu12 12.1.3.1 (its wheel's METADATA). The CUDA 12.1.0 toolkit's own
    cuBLAS 12.1.0.26 differs only in the patch level and is not reported; a CUDA 12.0 toolkit's cuBLAS 12.0.2.224
    is an older minor release."""
    facts = with_torch(linux(), "2.1.0+cu121", cuda="12.1")
    facts.torch.nvidia_packages = [Distribution("nvidia-cublas-cu12", "12.1.3.1",
                                                source="nvidia_cublas_cu12-12.1.3.1.dist-info")]
    facts.cuda.ld_library_path_libs = [SharedLibrary("libcublas", "12.1.0.26",
                                                     "/usr/local/cuda-12.1/lib64/libcublas.so.12.1.0.26",
                                                     "LD_LIBRARY_PATH")]
    assert list(cuda.cuda_library_path_shadows_wheel(facts, recipes)) == []
    facts.cuda.ld_library_path_libs = [SharedLibrary("libcublas", "12.0.2.224",
                                                     "/usr/local/cuda-12.0/lib64/libcublas.so.12.0.2.224",
                                                     "LD_LIBRARY_PATH")]
    assert as_text(cuda.cuda_library_path_shadows_wheel(facts, recipes)) == [Finding(
        "cuda.library-path-shadows-wheel", "warning", "cuda",
        "LD_LIBRARY_PATH puts /usr/local/cuda-12.0/lib64/libcublas.so.12.0.2.224 (libcublas 12.0.2.224) ahead of "
        "torch's own nvidia-cublas-cu12 12.1.3.1: the loader takes the system copy first, and torch fails to load or "
        "to find symbols", "cuda.toolkit",
        fix="remove /usr/local/cuda-12.0/lib64 from LD_LIBRARY_PATH when running torch (its wheels find their own "
            "CUDA libraries)",
        evidence=["LD_LIBRARY_PATH", "nvidia_cublas_cu12-12.1.3.1.dist-info"])]



def shadowing(torch_cuda: str | None, packages: list[tuple[str, str]], libraries: list[tuple[str, str]],
              status: str = "ok") -> list[tuple[str, str]]:
    """(severity, library version) of each shadowing finding for a torch with these nvidia-* packages and these
    libraries in an LD_LIBRARY_PATH folder."""
    facts = with_torch(linux(), "2.5.1+cu124" if torch_cuda else "2.5.1+cpu", cuda=torch_cuda)
    facts.torch.status = status
    facts.torch.nvidia_packages = [Distribution(name, version) for name, version in packages]
    facts.cuda.ld_library_path_libs = [SharedLibrary(name, version, f"/opt/lib/{name}.so.{version}", "LD_LIBRARY_PATH")
                                       for name, version in libraries]
    return [(f.severity, f.message.split("(")[1].split(")")[0])
            for f in cuda.cuda_library_path_shadows_wheel(facts, load_recipes(refreshed=False))]


def test_cudnn_is_judged_by_its_major_alone_and_the_others_by_major_and_minor():
    """torch 2.5.1+cu124 pins nvidia-cudnn-cu12 9.1.0.70 and nvidia-cublas-cu12 12.4.5.8 (its wheel's METADATA)."""
    packages = [("nvidia-cudnn-cu12", "9.1.0.70"), ("nvidia-cublas-cu12", "12.4.5.8")]
    # an older cuDNN 9 is the same major: it loads; an older cuBLAS 12 minor does not have every symbol
    assert shadowing("12.4", packages, [("libcudnn", "9.0.0"), ("libcublas", "12.1.3.1")]) == [
        ("warning", "libcublas 12.1.3.1")]
    assert shadowing("12.4", packages, [("libcudnn", "8.9.7"), ("libcublas", "12.4.2.65")]) == [
        ("error", "libcudnn 8.9.7")]


def test_every_library_on_the_path_is_judged_after_one_that_is_fine_or_unknown():
    packages = [("nvidia-cudnn-cu12", "9.1.0.70"), ("nvidia-cublas-cu12", "12.4.5.8")]
    # libcufft has no package here, libcublas 12.4.2.65 is fine: neither stops the judging of the cuDNN after them
    assert shadowing("12.4", packages, [("libcufft", "11.0.0"), ("libcublas", "12.4.2.65"), ("libcudnn", "8.9.7")]) == [
        ("error", "libcudnn 8.9.7")]


def test_no_shadowing_is_judged_for_a_cpu_build_or_a_torch_that_could_not_be_read():
    # nvidia-* packages left behind beside a CPU build, or beside a torch whose metadata could not be read
    packages = [("nvidia-cudnn-cu12", "9.1.0.70")]
    assert shadowing(None, packages, [("libcudnn", "8.9.7")]) == []
    assert shadowing("12.4", packages, [("libcudnn", "8.9.7")], status="error") == []


# ---------------------------------------------------------------------------- limits.py

CPU_FIX = ("use at most 2 DataLoader worker(s) (num_workers=2) and set OMP_NUM_THREADS=2 (or torch.set_num_threads(2)); "
           "or raise the quota (docker run --cpus, Kubernetes limits.cpu)")
CPU_EVIDENCE = ["cgroup v2 /sys/fs/cgroup/user.slice: 2.5 CPU(s)", "16 logical CPU(s), 16 in this process's affinity mask"]


def test_a_cpu_quota_below_the_cores_whole(recipes):
    """A quota of 2.5 CPUs (cpu.max "250000 100000") on 16 cores: 2 whole workers, 2 threads."""
    facts = linux()
    facts.cpu.logical_cores, facts.limits.cpus_allowed, facts.limits.cpu_limit = 16, 16, 2.5
    facts.limits.cgroup, facts.limits.cgroup_path = "v2", "/sys/fs/cgroup/user.slice"
    assert as_text(limits.limits_cpu_quota(facts, recipes)) == [Finding(
        "system.cpu-limit", "warning", "system",
        "this process's cgroup may use 2.5 CPU(s) (cgroup CPU quota) of the 16 the machine shows: os.cpu_count() and "
        "torch's default thread count see 16, so DataLoader(num_workers=os.cpu_count()) and torch's CPU threads "
        "oversubscribe it and are throttled", "limits.cgroup", fix=CPU_FIX, evidence=CPU_EVIDENCE)]
    facts.os.container = "docker"
    assert as_text(limits.limits_cpu_quota(facts, recipes)) == [Finding(
        "system.cpu-limit", "warning", "system",
        "this docker container may use 2.5 CPU(s) (cgroup CPU quota) of the 16 the machine shows: os.cpu_count() and "
        "torch's default thread count see 16, so DataLoader(num_workers=os.cpu_count()) and torch's CPU threads "
        "oversubscribe it and are throttled", "limits.cgroup", fix=CPU_FIX, evidence=CPU_EVIDENCE)]


MEMORY_FIX = ("fewer DataLoader workers or a smaller batch; or raise the limit (docker run --memory, Kubernetes "
              "limits.memory)")


def test_a_memory_limit_whole(recipes):
    """memory.max 8589934592 (8 GiB) on a 64 GiB machine, and where the machine's memory is not known."""
    facts = linux()
    facts.limits.memory_limit_bytes, facts.cpu.memory_total_bytes = 8 << 30, 64 << 30
    facts.limits.cgroup, facts.limits.cgroup_path = "v2", "/sys/fs/cgroup/system.slice/job.scope"
    evidence = ["cgroup v2 /sys/fs/cgroup/system.slice/job.scope: 8589934592 bytes"]
    assert as_text(limits.limits_memory(facts, recipes)) == [Finding(
        "system.memory-limit", "info", "system",
        "this process's cgroup may use 8.0 GiB of the machine's 64.0 GiB: the training process, every DataLoader "
        "worker and what they put in /dev/shm count against it, and past it the kernel kills one (\"DataLoader worker "
        "... is killed by signal: Killed\")", "limits.cgroup", fix=MEMORY_FIX, evidence=evidence)]
    facts.cpu.memory_total_bytes = None
    assert as_text(limits.limits_memory(facts, recipes)) == [Finding(
        "system.memory-limit", "info", "system",
        "this process's cgroup may use 8.0 GiB: the training process, every DataLoader worker and what they put in "
        "/dev/shm count against it, and past it the kernel kills one (\"DataLoader worker ... is killed by signal: "
        "Killed\")", "limits.cgroup", fix=MEMORY_FIX, evidence=evidence)]


# ---------------------------------------------------------------------------- system.py


def test_an_interpreter_that_does_not_answer_whole(recipes):
    facts = linux(gpus=())
    facts.python.status, facts.python.executable = "error", "/opt/missing/bin/python3"
    facts.python.attempts = [Attempt("/opt/missing/bin/python3", "error", "No such file or directory")]
    assert as_text(system.python_runs(facts, recipes)) == [Finding(
        "python.not-runnable", "error", "python",
        "the target interpreter /opt/missing/bin/python3 did not answer: No such file or directory", "python",
        fix="pass an existing interpreter with --python PATH")]


def test_a_32_bit_windows_python_whole(recipes):
    """PyPI has torch wheels for win_amd64 only on Windows: none for win32."""
    facts = linux(gpus=())
    facts.os.system, facts.os.arch = "Windows", "AMD64"
    facts.python.platform_tag, facts.python.machine, facts.python.pointer_bits = "win32", "x86", 32
    assert as_text(system.python_platform(facts, recipes)) == [Finding(
        "python.no-torch-wheels", "error", "python",
        "torch publishes no wheels for windows-x86 (a 32-bit Python): it cannot be installed into this interpreter",
        "python", fix="use a 64-bit CPython on Linux (x86_64, aarch64), Windows (x86_64) or macOS (arm64)",
        evidence=["platform tag win32, 32-bit"])]


def test_an_externally_managed_python_whole(recipes):
    """Debian 12 / Ubuntu 24.04 mark their system Python with /usr/lib/python3.X/EXTERNALLY-MANAGED (PEP 668)."""
    facts = linux(gpus=())
    facts.python.externally_managed = True
    facts.python.externally_managed_path = "/usr/lib/python3.12/EXTERNALLY-MANAGED"
    assert as_text(system.python_externally_managed(facts, recipes)) == [Finding(
        "python.externally-managed", "info", "python",
        "this interpreter is managed by the OS (PEP 668): pip refuses to install into it", "python",
        fix="create a virtual environment: python3 -m venv .venv && . .venv/bin/activate",
        commands=[["/usr/bin/python3", "-m", "venv", ".venv"]],
        evidence=["marker /usr/lib/python3.12/EXTERNALLY-MANAGED"])]


# ---------------------------------------------------------------------------- builds.py (the driver fit)

MINOR_TAIL = ": its compiled kernels run through minor-version compatibility, code JIT-compiled from PTX at run time will fail"


def test_a_driver_with_no_gpu_visible_is_still_held_to_torch_s_cuda(recipes):
    """nvidia-smi answers with driver 550.54.15 (CUDA 12.4) but shows no GPU: torch's CUDA 12.6 is judged all the
    same (CUDA 12.6 GA needs >= 560.28.03, Table 3 of NVIDIA's CUDA Toolkit release notes)."""
    facts = with_torch(linux(gpus=()), "2.99.0+cu126", cuda="12.6")
    facts.nvidia.status = "no_gpu"
    assert as_text(installed_torch.torch_cuda_on_this_machine(facts, recipes)) == [Finding(
        "torch.cuda-minor-newer-than-driver", "warning", "torch",
        "torch 2.99.0+cu126 was built for CUDA 12.6, newer than the driver's CUDA 12.4" + MINOR_TAIL, "torch",
        fix="upgrade the driver to >= 560.28.03", commands=INSTALL,
        evidence=["torch/version.py cuda = 12.6", "driver 550.54.15 supports at most CUDA 12.4 (nvidia-smi)"])]


def test_a_windows_driver_is_read_in_the_windows_column(recipes):
    """Table 3: CUDA 12.3 Update 1 needs >= 546.12 on Windows; CUDA 12.4 Update 1 (torch 2.5.1+cu124's toolkit)
    needs >= 551.78 on Windows, >= 550.54.15 on Linux."""
    facts = with_torch(linux(driver="546.12", max_cuda="12.3"), "2.5.1+cu124", cuda="12.4")
    facts.os.system, facts.os.arch = "Windows", "AMD64"
    facts.python.executable = "C:\\Python311\\python.exe"
    install = [["envdoctor", "install", "--dry-run", "--python", "C:\\Python311\\python.exe"],
               ["envdoctor", "install", "--python", "C:\\Python311\\python.exe"]]
    assert as_text(installed_torch.torch_cuda_on_this_machine(facts, recipes)) == [Finding(
        "torch.cuda-minor-newer-than-driver", "warning", "torch",
        "torch 2.5.1+cu124 was built for CUDA 12.4, newer than the driver's CUDA 12.3" + MINOR_TAIL, "torch",
        fix="upgrade the driver to >= 551.78", commands=install,
        evidence=["torch/version.py cuda = 12.4", "driver 546.12 supports at most CUDA 12.3 (nvidia-smi)"])]


def test_the_cuda_the_driver_reports_comes_before_the_driver_table(recipes):
    """Driver 535.104.05 is CUDA 12.2 by Table 3, but with NVIDIA's forward-compatibility package (cuda-compat-12-4,
    data-center GPUs) nvidia-smi reports CUDA 12.4, which runs the CUDA 12.4 build fully."""
    facts = with_torch(linux(gpus=(("NVIDIA A100-SXM4-80GB", "8.0"),), driver="535.104.05", max_cuda="12.4"),
                       "2.5.1+cu124", cuda="12.4")
    assert list(installed_torch.torch_cuda_on_this_machine(facts, recipes)) == []
    facts.nvidia.driver_max_cuda = None
    assert as_text(installed_torch.torch_cuda_on_this_machine(facts, recipes)) == [Finding(
        "torch.cuda-minor-newer-than-driver", "warning", "torch",
        "torch 2.5.1+cu124 was built for CUDA 12.4, newer than the driver's CUDA 12.2" + MINOR_TAIL, "torch",
        fix="upgrade the driver to >= 550.54.15", commands=INSTALL,
        evidence=["torch/version.py cuda = 12.4", "driver 535.104.05 supports at most CUDA 12.2 (nvidia-smi)"])]
