"""What the processes of a training job may use on Linux: /dev/shm, cgroup CPU and memory limits, open files.

A DataLoader's worker processes hand every batch to the main process through shared memory
(``/dev/shm``): Docker gives a container 64 MB of it unless told otherwise, which the first epoch of
an image model overflows ("bus error ... insufficient shared memory"). A cgroup CPU quota is not seen
by ``os.cpu_count()``, so code that sizes ``num_workers`` or torch's threads from it oversubscribes
the CPUs it has. A low ``ulimit -n`` ends a DataLoader that shares tensors by file descriptor
("Too many open files"). Parsers come first and take text; :func:`probe` reads that text through the
door, all of it from ``/proc/self`` and ``/sys/fs/cgroup`` plus one ``statvfs`` of ``/dev/shm``.

Sources: the kernel's cgroup v2 guide (Documentation/admin-guide/cgroup-v2.rst: ``cpu.max`` is
"$MAX $PERIOD", "max" for no limit; ``memory.max`` a byte count or "max"), cgroup v1's
``cpu.cfs_quota_us`` (-1: no limit) / ``cpu.cfs_period_us`` and ``memory.limit_in_bytes``, proc(5)
for ``/proc/self/mountinfo``, ``/proc/self/cgroup``, ``/proc/self/limits`` and ``Cpus_allowed_list``.
"""

from __future__ import annotations

import posixpath
import re

from envdoctor.datatypes import datatype
from envdoctor.facts import Attempt, LimitsFacts
from envdoctor.i18n import _
from envdoctor.probes import ProbeContext

SHM_PATH = "/dev/shm"
#: cgroup v1 reports "no memory limit" as the largest page-aligned signed 64-bit number (9223372036854771712);
#: anything this large is no limit.
V1_UNLIMITED = 1 << 62
#: Ancestors looked at above the process's own cgroup: a limit set on a parent applies to it too.
MAX_CGROUP_DEPTH = 16
_MOUNT_ESCAPE = re.compile(r"\\([0-7]{3})")
_CPU_RANGE = re.compile(r"^([0-9]{1,6})(?:-([0-9]{1,6}))?$")


@datatype(frozen=True)
class Mount:
    """One line of /proc/self/mountinfo: what is mounted (``root`` inside its filesystem) and where."""

    root: str
    mount_point: str
    fstype: str
    options: frozenset[str]  # the per-superblock options: "rw", "cpu", "cpuacct", "memory", "size=65536k", ...


def _unescape(field: str) -> str:
    """mountinfo writes a space, tab, newline and backslash in a path as an octal escape (``\\040``)."""
    return _MOUNT_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


def parse_mountinfo(text: str | None) -> list[Mount]:
    """Mounts of ``/proc/self/mountinfo``: ``ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] - TYPE SOURCE SUPER``.

    Lines that do not have that shape are skipped. The kernel separates the fields after the ``-`` by one
    space each and writes an empty SOURCE as nothing (``- tmpfs  rw``, after ``mount -t tmpfs "" /mnt``),
    so that part is split on single spaces.
    """
    mounts = []
    for line in (text or "").splitlines():
        head, dash, tail = line.partition(" - ")
        fields, after = head.split(), tail.split(" ")
        if not dash or len(fields) < 6 or len(after) < 2:
            continue
        super_options = after[2].split(",") if len(after) > 2 else []
        mounts.append(Mount(_unescape(fields[3]), _unescape(fields[4]), after[0], frozenset(super_options)))
    return mounts


def parse_proc_cgroup(text: str | None) -> dict[str, str]:
    """``/proc/self/cgroup``: controller -> the process's cgroup path. cgroup v2's one line (``0::/path``)
    is under the key ``""``; a v1 line names its controllers (``4:cpu,cpuacct:/docker/ID`` gives both)."""
    paths: dict[str, str] = {}
    for line in (text or "").splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) != 3 or not parts[2].startswith("/"):
            continue
        for controller in parts[1].split(","):  # cgroup v2's empty list gives the one key ""
            paths.setdefault(controller, parts[2])
    return paths


def cgroup_dir(mount: Mount, path: str) -> str:
    """Where a process in cgroup ``path`` finds its files below ``mount``.

    Inside a container the hierarchy is often mounted from the container's own cgroup (``root`` is
    ``/docker/ID``, or the process's path is ``/`` under a cgroup namespace): the mount point itself
    is then the process's cgroup. A path outside the mount's root falls back to the mount point.
    """
    root = mount.root.rstrip("/")
    if not root:
        relative = path
    elif path == root or path.startswith(root + "/"):
        relative = path[len(root):]
    else:
        relative = "/"
    joined = posixpath.normpath(posixpath.join(mount.mount_point, relative.lstrip("/")))
    inside = joined == mount.mount_point or joined.startswith(mount.mount_point.rstrip("/") + "/")
    return joined if inside else mount.mount_point


def cgroup_dirs(mount: Mount, path: str) -> list[str]:
    """The process's cgroup folder and its ancestors up to the mount point, nearest first."""
    here = cgroup_dir(mount, path)
    dirs = [here]
    while here != mount.mount_point and len(dirs) <= MAX_CGROUP_DEPTH:
        here = posixpath.dirname(here)
        dirs.append(here)
    return dirs


def parse_cpu_max(text: str | None) -> tuple[bool, float | None]:
    """cgroup v2 ``cpu.max`` ("200000 100000" is 2 CPUs, "max 100000" no limit): (understood, CPUs or None)."""
    fields = (text or "").split()
    if len(fields) not in (1, 2) or (len(fields) == 2 and not fields[1].isdigit()):
        return False, None
    if fields[0] == "max":
        return True, None
    period = int(fields[1]) if len(fields) == 2 else 100_000
    if not fields[0].isdigit() or period <= 0:
        return False, None
    return True, int(fields[0]) / period


def parse_cfs(quota: str | None, period: str | None) -> tuple[bool, float | None]:
    """cgroup v1 ``cpu.cfs_quota_us`` (-1: no limit) over ``cpu.cfs_period_us``: (understood, CPUs or None)."""
    quota_text, period_text = (quota or "").strip(), (period or "").strip()
    if quota_text == "-1":
        return True, None
    if not quota_text.isdigit() or not period_text.isdigit() or int(period_text) <= 0:
        return False, None
    return True, int(quota_text) / int(period_text)


def parse_memory_limit(text: str | None) -> tuple[bool, int | None]:
    """``memory.max`` ("max" or bytes) or v1 ``memory.limit_in_bytes`` (a huge number for none)."""
    value = (text or "").strip()
    if value == "max" or value == "-1":
        return True, None
    if not value.isdigit():
        return False, None
    number = int(value)
    return True, None if number >= V1_UNLIMITED else number


def parse_open_files(text: str | None) -> tuple[int | None, int | None]:
    """Soft and hard ``Max open files`` of ``/proc/self/limits``; None for "unlimited" or a missing line."""
    for line in (text or "").splitlines():
        if line.startswith("Max open files"):
            fields = line[len("Max open files"):].split()
            values = [int(f) if f.isdigit() else None for f in fields[:2]]
            if len(values) == 2:
                return values[0], values[1]
    return None, None


def parse_cpu_list(text: str | None) -> int | None:
    """How many CPUs a list like ``0-3,8,10-11`` names (``Cpus_allowed_list``, ``cpuset.cpus``)."""
    total = 0
    value = (text or "").strip()
    if not value:
        return None
    for part in value.split(","):
        match = _CPU_RANGE.match(part.strip())
        if not match:
            return None
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if high < low:
            return None
        total += high - low + 1
    return total


def parse_status_cpus(text: str | None) -> int | None:
    """``Cpus_allowed_list`` of ``/proc/self/status``: the CPUs this process may run on."""
    for line in (text or "").splitlines():
        key, _sep, value = line.partition(":")
        if key.strip() == "Cpus_allowed_list":
            return parse_cpu_list(value)
    return None


def _smallest(values: list[float | None]) -> float | None:
    found = [value for value in values if value is not None]
    return min(found) if found else None


def _read_limits(ctx: ProbeContext, facts: LimitsFacts, dirs: list[str], files: tuple[str, ...],
                 parse) -> tuple[list, list[str]]:
    """Each folder's limit (``parse`` over the files read there), and the files that said something."""
    found, sources = [], []
    for folder in dirs:
        texts = [ctx.door.read_text(posixpath.join(folder, name)) for name in files]
        if texts[0] is None:
            continue
        understood, value = parse(*texts)
        source = posixpath.join(folder, files[0])
        if not understood:
            facts.attempts.append(Attempt(source, "unparsed", " ".join((texts[0] or "").split())[:80]))
            continue
        found.append(value)
        sources.append(f"{source}: {' '.join(texts[0].split())}")
    return found, sources


def _cgroup_limits(ctx: ProbeContext, facts: LimitsFacts) -> None:
    door = ctx.door
    cgroup_text = door.read_text("/proc/self/cgroup")
    mounts = parse_mountinfo(door.read_text("/proc/self/mountinfo"))
    paths = parse_proc_cgroup(cgroup_text)
    if cgroup_text is None or not paths:
        facts.attempts.append(Attempt("/proc/self/cgroup", "not_found" if cgroup_text is None else "unparsed"))
        return
    v2 = next((m for m in mounts if m.fstype == "cgroup2"), None)
    v1 = {controller: m for m in mounts if m.fstype == "cgroup" for controller in m.options}
    if ("cpu" in v1 or "memory" in v1) and ("cpu" in paths or "memory" in paths):
        facts.cgroup = "v1"
        cpu_dirs = cgroup_dirs(v1["cpu"], paths["cpu"]) if "cpu" in v1 and "cpu" in paths else []
        memory_dirs = cgroup_dirs(v1["memory"], paths["memory"]) if "memory" in v1 and "memory" in paths else []
        cpu, cpu_sources = _read_limits(ctx, facts, cpu_dirs, ("cpu.cfs_quota_us", "cpu.cfs_period_us"), parse_cfs)
        memory, memory_sources = _read_limits(ctx, facts, memory_dirs, ("memory.limit_in_bytes",), parse_memory_limit)
        facts.cgroup_path = paths.get("memory") or paths.get("cpu")
    elif v2 is not None and "" in paths:
        facts.cgroup = "v2"
        dirs = cgroup_dirs(v2, paths[""])
        cpu, cpu_sources = _read_limits(ctx, facts, dirs, ("cpu.max",), parse_cpu_max)
        memory, memory_sources = _read_limits(ctx, facts, dirs, ("memory.max",), parse_memory_limit)
        facts.cgroup_path = paths[""]
    else:
        facts.attempts.append(Attempt("/proc/self/mountinfo", "not_found", _("no cgroup filesystem mounted")))
        return
    facts.cpu_limit = _smallest(cpu)
    memory_limit = _smallest(memory)
    facts.memory_limit_bytes = int(memory_limit) if memory_limit is not None else None
    detail = "; ".join(cpu_sources + memory_sources) or _("no limit files readable")
    facts.attempts.append(Attempt(f"cgroup {facts.cgroup} {facts.cgroup_path}", "ok", detail))


def probe(ctx: ProbeContext) -> LimitsFacts:
    """Shared memory, cgroup limits, CPUs allowed and open files of this process (Linux); never raises."""
    facts = LimitsFacts()
    door = ctx.door
    if door.platform().system != "Linux":
        return facts
    space = door.disk_space(SHM_PATH)
    if space is None:
        facts.attempts.append(Attempt(f"{SHM_PATH} (statvfs)", "not_found"))
    else:
        facts.shm_total_bytes, facts.shm_free_bytes = space.total_bytes, space.free_bytes
        facts.attempts.append(Attempt(f"{SHM_PATH} (statvfs)", "ok",
                                      _("{total} bytes, {free} free", total=space.total_bytes,
                                        free=space.free_bytes)))
    _cgroup_limits(ctx, facts)
    status = door.read_text("/proc/self/status")
    facts.cpus_allowed = parse_status_cpus(status)
    if status is not None:
        facts.attempts.append(Attempt("/proc/self/status", "ok" if facts.cpus_allowed else "unparsed",
                                      _("Cpus_allowed_list: {cpus} CPU(s)", cpus=facts.cpus_allowed)))
    limits = door.read_text("/proc/self/limits")
    facts.open_files_soft, facts.open_files_hard = parse_open_files(limits)
    if limits is not None:
        facts.attempts.append(Attempt("/proc/self/limits", "ok" if facts.open_files_soft else "unparsed",
                                      _("open files {soft} soft, {hard} hard", soft=facts.open_files_soft,
                                        hard=facts.open_files_hard)))
    facts.source = "/proc/self, /sys/fs/cgroup, statvfs"
    return facts
