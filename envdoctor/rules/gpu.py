"""Rules about the GPUs and their driver: the NVIDIA driver's state, GPUs it cannot drive or that are hidden,
containers started without the GPU runtime, and Apple's GPU (MPS)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from envdoctor import compat
from envdoctor.facts import Facts, Finding
from envdoctor.i18n import _
from envdoctor.rules.install_fix import _install_fix

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes


def nvidia_driver_state(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    nvidia = facts.nvidia
    if nvidia.status == "driver_mismatch":
        yield Finding(
            "nvidia.driver-mismatch",
            "error",
            "gpu",
            _("NVIDIA driver/library version mismatch: the loaded kernel module and the user-space library differ "
              "({detail})", detail=nvidia.message) if nvidia.message else
            _("NVIDIA driver/library version mismatch: the loaded kernel module and the user-space library differ"),
            fix=_("reboot so the new kernel module loads, or reinstall one consistent driver"),
            evidence=[_("{source}: {detail}", source=a.source, detail=a.detail) for a in nvidia.attempts if a.detail],
            subject="nvidia.driver",
        )
    elif nvidia.status == "timed_out":
        yield Finding(
            "nvidia.smi-timed-out",
            "error",
            "gpu",
            _("nvidia-smi did not answer in time: the driver or a GPU may be hung"),
            fix=_("check `dmesg` for Xid errors; a GPU reset or reboot may be needed"),
            evidence=[_("{source}: {detail}", source=a.source, detail=a.detail)
                      for a in nvidia.attempts if a.status == "timed_out"],
            subject="nvidia.driver",
        )
    elif nvidia.status == "error":
        yield Finding(
            "nvidia.query-failed",
            "error",
            "gpu",
            _("the NVIDIA driver could not be queried: {error}", error=nvidia.message or _("unknown error")),
            fix=_("check that the NVIDIA driver is installed and loaded (`lsmod | grep nvidia`)"),
            subject="nvidia.driver",
        )
    elif nvidia.status == "gpus_unknown":
        yield Finding(
            "nvidia.gpus-unknown",
            "warning",
            "gpu",
            _("NVIDIA driver {driver} is loaded, but neither NVML nor nvidia-smi is there to list the GPUs: their "
              "models and compute capabilities are unknown", driver=nvidia.driver_version) if nvidia.driver_version else
            _("NVIDIA driver is loaded, but neither NVML nor nvidia-smi is there to list the GPUs: their models and "
              "compute capabilities are unknown"),
            fix=_("install the driver's utilities (nvidia-smi / libnvidia-ml), or describe the GPUs with --gpu"),
            evidence=[f"{a.source}: {a.status}" for a in nvidia.attempts],
            subject="nvidia.driver",
        )
    elif nvidia.status == "no_gpu" and nvidia.driver_version:
        yield Finding(
            "nvidia.no-gpu-visible",
            "warning",
            "gpu",
            _("NVIDIA driver {driver} is loaded but no GPU is visible", driver=nvidia.driver_version),
            fix=_("in a container, pass the GPUs (docker run --gpus all); otherwise check `lspci`"),
            subject="nvidia.driver",
        )


def nvidia_driver_older_than_gpu(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A driver from before a GPU's architecture cannot drive it: no torch build helps until it is upgraded."""
    nvidia = facts.nvidia
    if recipes is None or nvidia.status != "ok" or not nvidia.driver_version:
        return
    column = compat.driver_table_os(facts.os.system, facts.os.wsl)
    for gpu in nvidia.visible_gpus():
        capability = compat.gpu_capability(gpu, recipes)
        floor = compat.driver_drives_gpu(capability, nvidia.driver_version, column, recipes.gpu_first_cuda,
                                         recipes.toolkits)
        if floor.drives is not False:
            continue
        label = gpu.label()
        yield Finding(
            "nvidia.driver-older-than-gpu", "error", "gpu",
            _("NVIDIA driver {driver} cannot drive {gpu}: {reason}", driver=nvidia.driver_version, gpu=label,
              reason=floor.reason),
            fix=_("upgrade the NVIDIA driver to >= {driver} (branch R{branch} or newer) before installing torch: no torch "
                  "build runs on this GPU with the current driver", driver=floor.needs,
                  branch=floor.needs.branch if floor.needs else "?"),
            evidence=[_("compute capability {capability}; first CUDA toolkit for it: {cuda} "
                        "(recipes/cuda_drivers.toml gpu_first_cuda)", capability=capability, cuda=floor.first_cuda)],
            subject="nvidia.driver")


def nvidia_hidden_gpus(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    nvidia = facts.nvidia
    visible = nvidia.cuda_visible_count if nvidia.cuda_visible_count is not None else len(nvidia.visible_gpus())
    hidden = len(nvidia.gpus) - visible
    if nvidia.cuda_visible_devices is None or hidden <= 0:
        return
    yield Finding(
        "nvidia.gpus-hidden",
        "warning" if visible == 0 else "info",
        "gpu",
        _("CUDA_VISIBLE_DEVICES={value} hides {hidden} of {total} GPU(s): CUDA programs will see none",
          value=repr(nvidia.cuda_visible_devices), hidden=hidden, total=len(nvidia.gpus)) if visible == 0 else
        _("CUDA_VISIBLE_DEVICES={value} hides {hidden} of {total} GPU(s)", value=repr(nvidia.cuda_visible_devices),
          hidden=hidden, total=len(nvidia.gpus)),
        fix=_("unset CUDA_VISIBLE_DEVICES (or list the GPUs to use) if this is not intended"),
        evidence=[_("hidden indices {indices}", indices=str(nvidia.hidden_gpus)) if nvidia.hidden_gpus
                  else _("which GPUs are hidden is uncertain (see nvidia.visible-devices-order)")],
        subject="nvidia.driver",
    )


def nvidia_visible_devices_order(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    nvidia = facts.nvidia
    if not nvidia.visibility_uncertain:
        return
    yield Finding(
        "nvidia.visible-devices-order", "warning", "gpu",
        _("CUDA_VISIBLE_DEVICES={value} names GPUs in CUDA's order (fastest first), which differs from nvidia-smi's "
          "PCI order on this machine of different GPUs: which GPUs CUDA programs get is not certain, so every GPU "
          "that may be meant is checked", value=repr(nvidia.cuda_visible_devices)),
        fix=_("set CUDA_DEVICE_ORDER=PCI_BUS_ID (then indices match nvidia-smi), or name GPUs by UUID (GPU-...)"),
        evidence=[f"CUDA_DEVICE_ORDER={nvidia.cuda_device_order!r}"], subject="nvidia.driver")


def nvidia_container_without_gpu_runtime(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A container started without the NVIDIA runtime: no /dev/nvidia* (or /dev/dxg) and no libcuda."""
    nvidia, torch = facts.nvidia, facts.torch
    if not facts.os.container or nvidia.device_nodes is None or nvidia.libcuda is None:
        return
    wants_gpu = torch.status == "ok" and bool(torch.cuda)
    if not nvidia.device_nodes and not nvidia.libcuda and wants_gpu:
        yield Finding(
            "nvidia.container-without-gpu-runtime", "error", "gpu",
            _("this {container} container has no NVIDIA device nodes (/dev/nvidia*) and no libcuda: it was started "
              "without the GPU runtime, so torch {torch} (CUDA {cuda}) sees no GPU", container=facts.os.container,
              torch=torch.version, cuda=torch.cuda),
            fix=_("start it with the GPUs: docker run --gpus all (NVIDIA Container Toolkit), podman run --device "
                  "nvidia.com/gpu=all (CDI), or request nvidia.com/gpu in Kubernetes"),
            evidence=[_("/dev: no nvidia* or dxg node"), _("libcuda.so: none in the driver library folders")],
            subject="nvidia.driver")
    elif nvidia.device_nodes and not nvidia.libcuda and wants_gpu:
        yield Finding(
            "nvidia.container-without-libcuda", "warning", "gpu",
            _("this {container} container has the NVIDIA device nodes but no libcuda: the driver libraries were not "
              "mounted, so CUDA cannot start", container=facts.os.container),
            fix=_("start it with NVIDIA_DRIVER_CAPABILITIES including compute,utility (or --gpus all with the NVIDIA "
                  "Container Toolkit)"),
            evidence=[_("device nodes: {nodes}", nodes=", ".join(nvidia.device_nodes)),
                      _("libcuda.so: none in the driver library folders")],
            subject="nvidia.driver")


def nvidia_container_without_uvm(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A container given the GPUs but not /dev/nvidia-uvm, which CUDA needs and the host creates on first use."""
    nvidia = facts.nvidia
    nodes = nvidia.device_nodes
    if not facts.os.container or not nodes or not nvidia.gpus or "/dev/dxg" in nodes or "/dev/nvidia-uvm" in nodes:
        return
    yield Finding(
        "nvidia.container-without-uvm", "warning", "gpu",
        _("this {container} container has the NVIDIA device nodes but not /dev/nvidia-uvm: CUDA cannot start in it "
          "(torch.cuda.is_available() is False, \"CUDA unknown error\"); the container runtime passes the node in only "
          "when it exists on the host", container=facts.os.container),
        fix=_("on the host, load the nvidia-uvm module and create its node (sudo nvidia-modprobe -u -c=0), then "
              "restart the container"),
        evidence=[_("device nodes: {nodes}", nodes=", ".join(nodes))], subject="nvidia.driver")


def apple_mps_unavailable(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A native arm64 Python on Apple silicon whose torch cannot use the GPU (MPS): macOS too old, or torch too old.

    An x86_64 Python under Rosetta 2 is python.rosetta's finding.
    """
    torch, apple = facts.torch, facts.apple
    if torch.status != "ok" or not apple.apple_silicon or compat.target_platform(facts) != "macos-arm64":
        return
    version = compat.parse_version(torch.version)
    if version is not None and version.release[:2] < (1, 12):
        message = _("torch {version} predates the MPS backend (torch 1.12): it runs on the CPU only",
                    version=torch.version)
    elif not apple.mps_possible and apple.macos_version and "older than" in apple.reason:
        message = _("torch cannot use the Apple GPU: {reason}", reason=apple.reason)
    else:
        return
    yield Finding(
        "apple.mps-unavailable", "warning", "gpu", message,
        fix=_("upgrade macOS to {macos} or later and torch to 1.12 or later", macos=compat.MPS_MIN_MACOS),
        commands=_install_fix(facts), evidence=[f"macOS {apple.macos_version}, {apple.source or 'platform'}"],
        subject="apple")
