"""Rules about what a training job may use: /dev/shm, the cgroup's CPU quota and memory, open files, and GPU
memory other processes already hold."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from envdoctor.facts import Facts, Finding
from envdoctor.i18n import _, joined

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes

#: Below this much free /dev/shm a DataLoader soon overflows it: num_workers x prefetch_factor (2) batches wait there
#: at once, and one batch of 256 3x224x224 float32 images is 154 MB (2 workers: 616 MB; 4 workers: 1.2 GB).
SHM_MIN_BYTES = 1 << 30
#: A DataLoader that shares tensors by file descriptor (torch's default on Linux) keeps one open per tensor in
#: flight; below this soft limit "Too many open files" / "received 0 items of ancdata" come sooner.
OPEN_FILES_ADVISED = 4096
OPEN_FILES_LOW = 1024
#: Memory other processes already hold on a GPU: worth saying from 1 GiB, a warning from half the GPU.
GPU_MEMORY_NOTED_MIB = 1024
GPU_MEMORY_WARN_FRACTION = 0.5
SHM_SOURCES = [
    _("{url} (--shm-size: 64m when not given; --ipc=host)", url="https://docs.docker.com/engine/containers/run/"),
    _("{url} (medium: Memory)", url="https://kubernetes.io/docs/concepts/storage/volumes/#emptydir"),
    _("{url} (PyTorch uses shared memory between processes: run with --ipc=host or --shm-size)",
      url="https://github.com/pytorch/pytorch#docker-image"),
]


def _mib(value: int) -> str:
    return f"{value / (1 << 20):.0f} MiB" if value < (1 << 30) else f"{value / (1 << 30):.1f} GiB"


def _shm_fix(container: str | None) -> str:
    if container == "kubernetes":
        return _("mount a memory-backed emptyDir at /dev/shm (volumes: - name: dshm, emptyDir: {{medium: Memory, "
                 "sizeLimit: 16Gi}}; volumeMounts: - name: dshm, mountPath: /dev/shm)")
    if container:
        return _("restart the {container} container with a larger /dev/shm: docker run --shm-size=16g ... (or "
                 "--ipc=host to share the host's); in Compose, shm_size: 16gb", container=container)
    return _("enlarge it: sudo mount -o remount,size=16G /dev/shm (or lower num_workers / batch size)")


def limits_shared_memory(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A /dev/shm too small (Docker's 64 MB) or too full for a DataLoader's workers to hand batches over."""
    limits = facts.limits
    if limits.shm_total_bytes is None or limits.shm_free_bytes is None or limits.shm_free_bytes >= SHM_MIN_BYTES:
        return
    total, free = limits.shm_total_bytes, limits.shm_free_bytes
    if total < SHM_MIN_BYTES:
        if facts.os.container:
            message = _("/dev/shm in this {container} container is {total} ({free} free): DataLoader workers hand every "
                        "batch over through it, and a few batches in flight overflow it (\"DataLoader worker ... is "
                        "killed by signal: Bus error\", \"insufficient shared memory (shm)\")",
                        container=facts.os.container, total=_mib(total), free=_mib(free))
        else:
            message = _("/dev/shm is {total} ({free} free): DataLoader workers hand every batch over through it, and a "
                        "few batches in flight overflow it (\"DataLoader worker ... is killed by signal: Bus error\", "
                        "\"insufficient shared memory (shm)\")", total=_mib(total), free=_mib(free))
        fix = _shm_fix(facts.os.container)
    else:
        message = _("/dev/shm has {free} free of {total}: DataLoader workers need room there for the batches in flight "
                    "(files left by crashed runs, /dev/shm/torch_*, keep theirs)", free=_mib(free), total=_mib(total))
        fix = _("remove what crashed runs left (ls -la /dev/shm; rm /dev/shm/torch_* when no training runs)")
    yield Finding("system.shm-small", "warning", "system", message, fix=fix,
                  evidence=[_("/dev/shm: {total} bytes, {free} free (statvfs)", total=total, free=free), *SHM_SOURCES],
                  subject="limits.shm")


def limits_cpu_quota(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A cgroup CPU quota below the CPUs the machine shows: os.cpu_count() and torch's threads ignore it."""
    limits, cores = facts.limits, facts.cpu.logical_cores
    shown = min(c for c in (cores, limits.cpus_allowed) if c) if (cores or limits.cpus_allowed) else None
    if limits.cpu_limit is None or shown is None or limits.cpu_limit >= shown:
        return
    usable = limits.cpu_limit
    workers = int(usable)
    threads = max(1, workers)
    message = (_("this {container} container may use {usable:g} CPU(s) (cgroup CPU quota) of the {shown} the machine "
                 "shows: os.cpu_count() and torch's default thread count see {shown}, so "
                 "DataLoader(num_workers=os.cpu_count()) and torch's CPU threads oversubscribe it and are throttled",
                 container=facts.os.container, usable=usable, shown=shown) if facts.os.container else
               _("this process's cgroup may use {usable:g} CPU(s) (cgroup CPU quota) of the {shown} the machine shows: "
                 "os.cpu_count() and torch's default thread count see {shown}, so "
                 "DataLoader(num_workers=os.cpu_count()) and torch's CPU threads oversubscribe it and are throttled",
                 usable=usable, shown=shown))
    yield Finding(
        "system.cpu-limit", "warning", "system",
        message,
        fix=_("use at most {workers} DataLoader worker(s) (num_workers={workers}) and set OMP_NUM_THREADS={threads} "
              "(or torch.set_num_threads({threads})); or raise the quota (docker run --cpus, Kubernetes limits.cpu)",
              workers=workers, threads=threads),
        evidence=[_("cgroup {cgroup} {path}: {usable:g} CPU(s)", cgroup=limits.cgroup, path=limits.cgroup_path,
                    usable=usable),
                  _("{cores} logical CPU(s), {allowed} in this process's affinity mask", cores=cores,
                    allowed=limits.cpus_allowed)],
        subject="limits.cgroup")


def limits_memory(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A cgroup memory limit below the machine's memory: the OOM killer ends a worker there, not at the RAM size."""
    limits, ram = facts.limits, facts.cpu.memory_total_bytes
    if limits.memory_limit_bytes is None or (ram is not None and limits.memory_limit_bytes >= ram):
        return
    message = (_("this process's cgroup may use {limit} of the machine's {ram}: the training process, every DataLoader "
                 "worker and what they put in /dev/shm count against it, and past it the kernel kills one "
                 "(\"DataLoader worker ... is killed by signal: Killed\")", limit=_mib(limits.memory_limit_bytes),
                 ram=_mib(ram)) if ram else
               _("this process's cgroup may use {limit}: the training process, every DataLoader worker and what they "
                 "put in /dev/shm count against it, and past it the kernel kills one (\"DataLoader worker ... is "
                 "killed by signal: Killed\")", limit=_mib(limits.memory_limit_bytes)))
    yield Finding(
        "system.memory-limit", "info", "system",
        message,
        fix=_("fewer DataLoader workers or a smaller batch; or raise the limit (docker run --memory, Kubernetes "
              "limits.memory)"),
        evidence=[_("cgroup {cgroup} {path}: {limit} bytes", cgroup=limits.cgroup, path=limits.cgroup_path,
                    limit=limits.memory_limit_bytes)],
        subject="limits.cgroup")


def limits_open_files(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """A low `ulimit -n`: a DataLoader sharing tensors by file descriptor runs out of them."""
    soft, hard = facts.limits.open_files_soft, facts.limits.open_files_hard
    if soft is None or soft >= OPEN_FILES_ADVISED:
        return
    raise_to = min(hard, 65536) if hard else None
    if raise_to and raise_to > soft:
        fix = _("raise it before training: ulimit -n {limit}", limit=raise_to)
    else:
        fix = _("the hard limit allows no more: call torch.multiprocessing.set_sharing_strategy('file_system') in the "
                "training script, or have the limit raised (docker run --ulimit nofile=65536:65536)")
    yield Finding(
        "system.open-files-low", "warning" if soft < OPEN_FILES_LOW else "info", "system",
        _("ulimit -n is {soft} (hard {hard}): a DataLoader shares each tensor in flight through a file descriptor, and "
          "with many workers or many tensors per batch runs out (\"Too many open files\", \"received 0 items of "
          "ancdata\")", soft=soft, hard=hard if hard is not None else _("unlimited")),
        fix=fix,
        evidence=["/proc/self/limits: Max open files", "https://docs.pytorch.org/docs/stable/multiprocessing.html "
                  "(sharing strategies: file_descriptor, file_system)"],
        subject="limits.open-files")


def nvidia_gpu_memory_in_use(facts: Facts, recipes: Recipes | None) -> Iterable[Finding]:
    """GPU memory other processes already hold: the first batch's "CUDA out of memory", said before it happens."""
    busy = [gpu for gpu in facts.nvidia.visible_gpus() if gpu.memory_used_mib is not None and gpu.memory_total_mib
            and gpu.memory_used_mib >= GPU_MEMORY_NOTED_MIB]
    if not busy:
        return
    crowded = any(gpu.memory_used_mib >= GPU_MEMORY_WARN_FRACTION * gpu.memory_total_mib
                  for gpu in busy if gpu.memory_used_mib is not None and gpu.memory_total_mib)
    shown = joined(_("GPU {index}: {used} of {total} in use", index=gpu.index,
                     used=_mib((gpu.memory_used_mib or 0) << 20), total=_mib((gpu.memory_total_mib or 0) << 20))
                   for gpu in busy)
    yield Finding(
        "nvidia.gpu-memory-in-use", "warning" if crowded else "info", "gpu",
        _("GPU memory is already in use ({shown}): a training job gets only what is left, and its first batch may fail "
          "with \"CUDA out of memory\"", shown=shown),
        fix=_("see what holds it (nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv) and stop "
              "it, or pick a free GPU with CUDA_VISIBLE_DEVICES"),
        evidence=[_("GPU {index}: {used} MiB used of {total} MiB ({source})", index=gpu.index, used=gpu.memory_used_mib,
                    total=gpu.memory_total_mib, source=gpu.source) for gpu in busy],
        subject="nvidia.gpus")
