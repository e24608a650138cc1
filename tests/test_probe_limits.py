"""The limits probe: /dev/shm, cgroup v1 and v2 CPU and memory limits, the CPUs allowed and `ulimit -n`.

Parsers are fed the real texts of the recorded container machines (tests/machines/docker-*; their
READMEs name the sources) and the formats the kernel documents; the live probe is compared with what
independent tools on this machine say (`df`, the resource module, os.sched_getaffinity).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest
from conftest import MACHINES_DIR, load_machine

from envdoctor.door import DiskSpace, LiveDoor, MachineFolderError, RecordedDoor, RecordingDoor
from envdoctor.probes import ProbeContext, collect
from envdoctor.probes import limits as probe_limits
from envdoctor.probes.limits import (
    Mount,
    cgroup_dir,
    cgroup_dirs,
    parse_cfs,
    parse_cpu_list,
    parse_cpu_max,
    parse_memory_limit,
    parse_mountinfo,
    parse_open_files,
    parse_proc_cgroup,
    parse_status_cpus,
)

V2_MACHINE = "docker-a10-shm64-cgroup2"
V1_MACHINE = "docker-cgroup1-gpu-busy-no-uvm"
V1_SCOPE = "/system.slice/docker-dc4eaa1a34ec4d593bc0125d31eea823a1d76ae483aeb1409cca80304e34da2e.scope"


def machine_file(machine: str, path: str) -> str:
    return (MACHINES_DIR / machine / "files" / path.lstrip("/")).read_text()


# ---------------------------------------------------------------------------- parsers


def test_mountinfo_of_a_cgroup_v2_container_names_the_unified_hierarchy_and_the_64mb_shm():
    mounts = {m.mount_point: m for m in parse_mountinfo(machine_file(V2_MACHINE, "/proc/self/mountinfo"))}
    assert mounts["/sys/fs/cgroup"].fstype == "cgroup2" and mounts["/sys/fs/cgroup"].root == "/"
    assert mounts["/dev/shm"].fstype == "tmpfs" and "size=65536k" in mounts["/dev/shm"].options
    assert mounts["/etc/hostname"].root.startswith("/docker/containers/be522444")


def test_mountinfo_of_a_cgroup_v1_container_names_each_controller_and_its_root():
    mounts = {m.mount_point: m for m in parse_mountinfo(machine_file(V1_MACHINE, "/proc/self/mountinfo"))}
    cpu = mounts["/sys/fs/cgroup/cpu,cpuacct"]
    assert (cpu.fstype, cpu.root) == ("cgroup", V1_SCOPE)
    assert {"cpu", "cpuacct"} <= cpu.options
    assert "memory" in mounts["/sys/fs/cgroup/memory"].options


def test_mountinfo_unescapes_paths_and_skips_lines_of_another_shape():
    text = ("36 35 0:3 / /mnt/with\\040space rw - tmpfs tmpfs rw,size=10k\n"
            "not a mountinfo line\n"
            "37 35 0:3 / /x rw shared:5 master:1 - ext4 /dev/sda1 rw\n")
    mounts = parse_mountinfo(text)
    assert [m.mount_point for m in mounts] == ["/mnt/with space", "/x"]
    assert mounts[1].fstype == "ext4"
    assert parse_mountinfo(None) == [] and parse_mountinfo("") == []


def test_proc_cgroup_v1_lines_give_each_controller_and_v2_the_empty_key():
    paths = parse_proc_cgroup(machine_file(V1_MACHINE, "/proc/self/cgroup"))
    assert paths["cpu"] == paths["cpuacct"] == paths["memory"] == V1_SCOPE
    assert paths["name=systemd"] == V1_SCOPE
    assert parse_proc_cgroup("0::/\n") == {"": "/"}
    assert parse_proc_cgroup("0::/user.slice/user-1000.slice/session-2.scope\n") == {
        "": "/user.slice/user-1000.slice/session-2.scope"}
    assert parse_proc_cgroup("garbage\n1:cpu:relative\n") == {}


@pytest.mark.parametrize("root, path, expected", [
    ("/", "/", "/sys/fs/cgroup"),  # a container's own cgroup namespace (cgroup v2)
    ("/", "/user.slice/session-2.scope", "/sys/fs/cgroup/user.slice/session-2.scope"),  # a host process
    (V1_SCOPE, V1_SCOPE, "/sys/fs/cgroup"),  # the container's cgroup mounted as the hierarchy's root
    ("/docker/abc", "/docker/abc/child", "/sys/fs/cgroup/child"),
    ("/docker/abc", "/elsewhere", "/sys/fs/cgroup"),  # outside the mounted part: the mount point itself
    ("/", "/../../etc", "/sys/fs/cgroup"),  # a path above the mount (outside a cgroup namespace): the mount
])
def test_the_cgroup_folder_of_a_process_stays_inside_its_mount(root, path, expected):
    assert cgroup_dir(Mount(root, "/sys/fs/cgroup", "cgroup2", frozenset()), path) == expected


def test_limits_are_read_in_the_process_cgroup_and_every_ancestor_up_to_the_mount():
    mount = Mount("/", "/sys/fs/cgroup", "cgroup2", frozenset())
    assert cgroup_dirs(mount, "/a/b") == ["/sys/fs/cgroup/a/b", "/sys/fs/cgroup/a", "/sys/fs/cgroup"]
    assert cgroup_dirs(mount, "/") == ["/sys/fs/cgroup"]


@pytest.mark.parametrize("text, expected", [
    ("max 100000\n", (True, None)),  # no limit (Documentation/admin-guide/cgroup-v2.rst, cpu.max)
    ("200000 100000\n", (True, 2.0)),
    ("50000 100000", (True, 0.5)),
    ("150000", (True, 1.5)),  # the period defaults to 100000
    ("", (False, None)),
    ("lots 100000", (False, None)),
    ("100 0", (False, None)),
])
def test_cpu_max(text, expected):
    assert parse_cpu_max(text) == expected


@pytest.mark.parametrize("quota, period, expected", [
    ("-1\n", "100000\n", (True, None)),  # cgroup v1: no quota
    ("150000\n", "100000\n", (True, 1.5)),
    ("150000", None, (False, None)),
    ("x", "100000", (False, None)),
])
def test_cfs_quota_over_period(quota, period, expected):
    assert parse_cfs(quota, period) == expected


@pytest.mark.parametrize("text, expected", [
    ("max\n", (True, None)),
    ("17179869184\n", (True, 17179869184)),
    ("9223372036854771712\n", (True, None)),  # cgroup v1's "no limit", as this very host prints it
    ("-1", (True, None)),
    ("lots", (False, None)),
])
def test_memory_limit(text, expected):
    assert parse_memory_limit(text) == expected


def test_open_files_from_a_real_limits_table():
    assert parse_open_files(machine_file(V2_MACHINE, "/proc/self/limits")) == (1024, 524288)
    assert parse_open_files("Max open files            unlimited            unlimited            files\n") == (None, None)
    assert parse_open_files("Max cpu time  unlimited  unlimited  seconds\n") == (None, None)


@pytest.mark.parametrize("text, expected", [("0-31", 32), ("0-3,8,10-11", 7), ("5", 1), ("", None), ("3-1", None),
                                            ("0-x", None)])
def test_cpu_lists(text, expected):
    assert parse_cpu_list(text) == expected


def test_cpus_allowed_from_status():
    assert parse_status_cpus("Name:\tpython\nCpus_allowed:\tff\nCpus_allowed_list:\t0-7\n") == 8
    assert parse_status_cpus("Name:\tpython\n") is None


# ---------------------------------------------------------------------------- recorded machines


def test_a_cgroup_v2_docker_container_with_the_default_shm():
    _, facts = load_machine(V2_MACHINE)
    limits = facts.limits
    assert (limits.shm_total_bytes, limits.shm_free_bytes) == (64 << 20, 64 << 20)
    assert (limits.cgroup, limits.cgroup_path) == ("v2", "/")
    assert limits.cpu_limit == 4.0 and limits.memory_limit_bytes == 16 << 30
    assert limits.cpus_allowed == 32
    assert (limits.open_files_soft, limits.open_files_hard) == (1024, 524288)
    assert limits.usable_cpus(facts.cpu.logical_cores) == 4.0


def test_a_cgroup_v1_docker_container_reads_each_controller_hierarchy():
    _, facts = load_machine(V1_MACHINE)
    limits = facts.limits
    assert (limits.cgroup, limits.cgroup_path) == ("v1", V1_SCOPE)
    assert limits.cpu_limit == 1.5 and limits.memory_limit_bytes == 4 << 30
    assert limits.shm_free_bytes == 48 << 20
    assert any(a.source.startswith("cgroup v1") and "cpu.cfs_quota_us: 150000" in a.detail for a in limits.attempts)


def test_machines_recorded_before_these_facts_say_unknown_not_unlimited():
    _, facts = load_machine("ubuntu2204-rtx3090-535")
    limits = facts.limits
    assert limits.shm_total_bytes is None and limits.cgroup is None and limits.open_files_soft is None
    assert limits.usable_cpus(facts.cpu.logical_cores) == 24


def test_other_systems_are_not_probed():
    _, facts = load_machine("macos-arm64")
    assert facts.limits.attempts == [] and facts.limits.shm_total_bytes is None


# ---------------------------------------------------------------------------- this machine, recorded and replayed

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and /dev/shm are Linux's")


@linux_only
def test_the_live_probe_agrees_with_independent_tools():
    facts = probe_limits.probe(ProbeContext(LiveDoor()))
    df = subprocess.run(["df", "-B1", "--output=size,avail", "/dev/shm"], capture_output=True, text=True, timeout=30)
    size, avail = df.stdout.splitlines()[1].split()
    assert facts.shm_total_bytes == int(size)
    assert abs(facts.shm_free_bytes - int(avail)) <= 16 << 20  # other processes may write meanwhile
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert (facts.open_files_soft, facts.open_files_hard) == (soft, hard)
    assert facts.cpus_allowed == len(os.sched_getaffinity(0))
    assert facts.cgroup in ("v1", "v2")


@linux_only
def test_a_recording_keeps_the_limits_and_replays_them(tmp_path):
    recording = RecordingDoor(LiveDoor())
    live = collect(recording, timeout=30).limits
    folder = recording.write(tmp_path / "machine")
    manifest = json.loads((folder / "machine.json").read_text())
    assert manifest["disk_space"]["/dev/shm"]["total_bytes"] == live.shm_total_bytes
    replayed = collect(RecordedDoor(folder), timeout=5).limits
    for field in ("shm_total_bytes", "shm_free_bytes", "cgroup", "cgroup_path", "cpu_limit", "cpus_allowed",
                  "memory_limit_bytes", "open_files_soft", "open_files_hard"):
        assert getattr(replayed, field) == getattr(live, field), field


def test_the_recorded_door_answers_only_what_was_recorded():
    door = RecordedDoor(MACHINES_DIR / V2_MACHINE)
    assert door.disk_space("/dev/shm") == DiskSpace(64 << 20, 64 << 20)
    assert door.disk_space("/tmp") is None


@pytest.mark.parametrize("value, problem", [
    ([], "disk_space: must be an object"),
    ({"/dev/shm": {"total_bytes": 10}}, "exactly total_bytes and free_bytes"),
    ({"/dev/shm": {"total_bytes": 10, "free_bytes": 11}}, "0 <= free <= total"),
    ({"/dev/shm": {"total_bytes": "10", "free_bytes": 1}}, "whole numbers"),
    ({"/dev/shm": {"total_bytes": 10, "free_bytes": True}}, "whole numbers"),
    ({"/dev/shm": {"total_bytes": 10, "free_bytes": 1, "used": 9}}, "exactly total_bytes"),
])
def test_a_bad_disk_space_entry_is_refused_naming_it(tmp_path, value, problem):
    manifest = {"format": "envdoctor.machine/1", "platform": {"system": "Linux", "machine": "x86_64"},
                "disk_space": value}
    (tmp_path / "machine.json").write_text(json.dumps(manifest))
    with pytest.raises(MachineFolderError, match="disk_space") as caught:
        RecordedDoor(tmp_path)
    assert problem in str(caught.value)
