"""The limits probe's readers, case by case: /proc/self/mountinfo, /proc/self/cgroup, the cgroup folder of a
process below a cgroup mount, cgroup v2 ``cpu.max`` / ``memory.max``, cgroup v1 ``cpu.cfs_quota_us`` /
``cpu.cfs_period_us`` / ``memory.limit_in_bytes``, and ``Cpus_allowed_list`` of /proc/self/status.

Formats: proc(5) (mountinfo, /proc/[pid]/cgroup, /proc/[pid]/status) and the kernel's
Documentation/admin-guide/cgroup-v2.rst (cpu.max, memory.max). Real texts are quoted from the public
repositories and issue threads named beside them; inputs assembled by hand say so.
"""

from __future__ import annotations

import pytest

from envdoctor.probes.limits import (
    Mount,
    cgroup_dir,
    cgroup_dirs,
    parse_cfs,
    parse_cpu_max,
    parse_memory_limit,
    parse_mountinfo,
    parse_proc_cgroup,
    parse_status_cpus,
)

# A Kubernetes pod on cgroup v1 with containerd's systemd cgroup driver: the cgroup names hold colons.
# Lines of a real /proc/self/mountinfo quoted in nginx/agent, src/core/environment_test.go (envMountInfo).
CONTAINERD_ID = "d4e8e05a546c86b6443f101966c618e47753ed01fa9929cae00d3b692f7a9f80"
CONTAINERD_SCOPE = ("/system.slice/containerd.service/kubepods-besteffort-pod214f3ba8_4b69_4bdb_a7d5_5ecc73f04ae9.slice"
                    f":cri-containerd:{CONTAINERD_ID}")
CONTAINERD_MOUNTINFO = (
    "5631 5630 0:529 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755\n"
    f"5634 5631 0:34 {CONTAINERD_SCOPE} /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime master:16"
    " - cgroup cgroup rw,memory\n"
    f"5636 5631 0:36 {CONTAINERD_SCOPE} /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime master:18"
    " - cgroup cgroup rw,cpu,cpuacct\n"
    "5644 5627 0:514 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k\n"
)
MEMORY_V1 = Mount(CONTAINERD_SCOPE, "/sys/fs/cgroup/memory", "cgroup", frozenset({"rw", "memory"}))
CPU_V1 = Mount(CONTAINERD_SCOPE, "/sys/fs/cgroup/cpu,cpuacct", "cgroup", frozenset({"rw", "cpu", "cpuacct"}))
UNIFIED = Mount("/", "/sys/fs/cgroup", "cgroup2", frozenset({"rw", "nsdelegate", "memory_recursiveprot"}))


# ---------------------------------------------------------------------------- /proc/self/mountinfo


def test_mountinfo_of_a_containerd_pod_keeps_cgroup_roots_with_colons():
    assert parse_mountinfo(CONTAINERD_MOUNTINFO) == [
        Mount("/", "/sys/fs/cgroup", "tmpfs", frozenset({"rw", "mode=755"})),
        MEMORY_V1,
        CPU_V1,
        Mount("/", "/dev/shm", "tmpfs", frozenset({"rw", "size=65536k"})),
    ]


@pytest.mark.parametrize("line, mount", [
    # `mount -t tmpfs "" /tmp/bb`: the kernel writes the empty source as nothing, leaving two spaces
    # (opencontainers/runc pull request #1829).
    ("242 45 0:66 / /tmp/bb rw,relatime shared:212 - tmpfs  rw,seclabel",
     Mount("/", "/tmp/bb", "tmpfs", frozenset({"rw", "seclabel"}))),
    # The same on another machine (util-linux/util-linux pull request #619).
    ("74 25 0:59 / /mnt/tmpfs rw,relatime shared:38 - tmpfs  rw", Mount("/", "/mnt/tmpfs", "tmpfs", frozenset({"rw"}))),
    # Assembled: a cgroup v1 hierarchy mounted with an empty source; its controllers are still named.
    ("30 23 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup  rw,cpu,cpuacct",
     Mount("/", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", frozenset({"rw", "cpu", "cpuacct"}))),
    # Assembled: `mount -t tmpfs - /mnt/scratch`, a source that is a lone "-" like the separator before it.
    ("75 25 0:60 / /mnt/scratch rw,relatime shared:39 - tmpfs - rw,size=1024k",
     Mount("/", "/mnt/scratch", "tmpfs", frozenset({"rw", "size=1024k"}))),
])
def test_an_empty_or_dash_mount_source_does_not_shift_the_fields_after_it(line, mount):
    assert parse_mountinfo(line + "\n") == [mount]


@pytest.mark.parametrize("line, mounts", [
    # Assembled from the /dev/shm line above, cut off after SOURCE: a mount without superblock options.
    ("5644 5627 0:514 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm",
     [Mount("/", "/dev/shm", "tmpfs", frozenset())]),
    # Assembled: cut off after TYPE (no source, no options): not a mount line.
    ("5644 5627 0:514 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs", []),
    # Assembled: cut off right after the separator.
    ("5644 5627 0:514 / /dev/shm rw,nosuid,nodev,noexec,relatime - ", []),
    # Assembled: the first fields lost (five before the separator, proc(5) has at least six).
    ("0:514 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k", []),
    ("5627 0:514 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k", []),
])
def test_cut_off_mountinfo_lines(line, mounts):
    assert parse_mountinfo(line) == mounts


def test_a_line_of_another_shape_does_not_end_the_reading():
    # Assembled: a line whose first fields were lost, then a real line (nginx/agent, as above).
    text = ("0:514 / /dev/shm rw,nosuid - tmpfs shm rw,size=65536k\n"
            "5644 5627 0:514 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k\n")
    assert parse_mountinfo(text) == [Mount("/", "/dev/shm", "tmpfs", frozenset({"rw", "size=65536k"}))]


# ---------------------------------------------------------------------------- /proc/self/cgroup


def test_proc_cgroup_line_whose_path_holds_colons():
    # A v1 line of a containerd pod with the systemd cgroup driver (uber-go/automaxprocs,
    # internal/cgroups/subsys_test.go): only the first two colons separate fields.
    path = ("/system.slice/containerd.service/kubepods-besteffort-podb41662f7_b03a_4c65_8ef9_6e4e55c3cf27.slice"
            ":cri-containerd:1753b7cbbf62734d812936961224d5bc0cf8f45214e0d5cdd1a781a053e7c48f")
    assert parse_proc_cgroup(f"12:cpu,cpuacct:{path}\n") == {"cpu": path, "cpuacct": path}


def test_a_proc_cgroup_line_of_another_shape_does_not_end_the_reading():
    # Assembled: a v1 line cut off before its path, then the v2 line of a systemd service.
    assert parse_proc_cgroup("1:name=systemd\n0::/system.slice/ssh.service\n") == {"": "/system.slice/ssh.service"}


# ---------------------------------------------------------------------------- the process's cgroup folder


def test_the_pod_process_cgroup_is_the_mount_point_of_each_hierarchy():
    mounts = {m.mount_point: m for m in parse_mountinfo(CONTAINERD_MOUNTINFO)}
    assert cgroup_dirs(mounts["/sys/fs/cgroup/cpu,cpuacct"], CONTAINERD_SCOPE) == ["/sys/fs/cgroup/cpu,cpuacct"]
    assert cgroup_dirs(mounts["/sys/fs/cgroup/memory"], CONTAINERD_SCOPE) == ["/sys/fs/cgroup/memory"]


DOCKER_ID = "f244832c5a58377c3f1c7581b311c5bd8479808741f3e912d8bea8afe6431cb4"


@pytest.mark.parametrize("mount, path, expected", [
    # Assembled: the hierarchy is mounted from a Docker container's cgroup (root as in nginx/agent's envMountInfo),
    # while the process's cgroup is another one, named longer than that root (the systemd driver's scope):
    # outside the mounted part, so the mount point itself.
    (Mount(f"/docker/{DOCKER_ID}", "/sys/fs/cgroup/memory", "cgroup", frozenset({"rw", "memory"})),
     f"/system.slice/docker-{DOCKER_ID}.scope", "/sys/fs/cgroup/memory"),
    # Assembled: an LXC container named XENIX whose systemd made init.scope below the container's cgroup.
    (Mount("/lxc/XENIX", "/sys/fs/cgroup/memory", "cgroup", frozenset({"rw", "memory"})),
     "/lxc/XENIX/init.scope", "/sys/fs/cgroup/memory/init.scope"),
    # Assembled: the same container seen from the host's hierarchy, the container's cgroup below the mount's root.
    (Mount("/lxc", "/sys/fs/cgroup/memory", "cgroup", frozenset({"rw", "memory"})),
     "/lxc/XENIX", "/sys/fs/cgroup/memory/XENIX"),
    # Assembled: cgroup2 mounted at "/" (a mount namespace of its own): its cgroups lie right below "/".
    (Mount("/", "/", "cgroup2", frozenset({"rw"})), "/user.slice/user-1000.slice", "/user.slice/user-1000.slice"),
    # Assembled: cgroup2 mounted at /mnt/X, and a process outside its cgroup namespace, whose path climbs above
    # the namespace's root (the "/.." form of cgroup_namespaces(7)): the mount point, never its sibling /mnt/other.
    (Mount("/", "/mnt/X", "cgroup2", frozenset({"rw"})), "/../other", "/mnt/X"),
])
def test_the_cgroup_folder_below_a_mount(mount, path, expected):
    assert cgroup_dir(mount, path) == expected


def test_a_deep_cgroup_is_read_up_to_the_mount_with_sixteen_ancestors():
    # Assembled: cgroups nested 16 and 20 levels deep below the unified hierarchy.
    names = [f"level{n}" for n in range(1, 21)]
    folders = ["/sys/fs/cgroup/" + "/".join(names[:depth]) for depth in range(20, 0, -1)] + ["/sys/fs/cgroup"]
    assert cgroup_dirs(UNIFIED, "/" + "/".join(names[:16])) == folders[4:]
    assert cgroup_dirs(UNIFIED, "/" + "/".join(names)) == folders[:17]


# ---------------------------------------------------------------------------- CPU and memory limits


@pytest.mark.parametrize("text, expected", [
    ("max abc\n", (False, None)),  # assembled: "max" with a period that is no number
    ("100000 1e5\n", (False, None)),  # assembled: a period that is no whole number
    ("50000 1\n", (True, 50000.0)),  # assembled: the smallest period that still divides (below the kernel's 1000)
])
def test_cpu_max_periods(text, expected):
    assert parse_cpu_max(text) == expected


@pytest.mark.parametrize("quota, period, expected", [
    ("150000\n", "0\n", (False, None)),  # assembled: a zero period means nothing, and divides nothing
    ("150000\n", "1\n", (True, 150000.0)),  # assembled: the smallest period that still divides
])
def test_cfs_periods(quota, period, expected):
    assert parse_cfs(quota, period) == expected


@pytest.mark.parametrize("text, expected", [
    # The "no limit" of cgroup v1 on a 64 KiB-page kernel (arm64, ppc64le): PAGE_COUNTER_MAX pages of 65536 bytes.
    ("9223372036854710272\n", (True, None)),
    ("4611686018427387904\n", (True, None)),  # assembled: 2**62, where "no limit" begins
    ("4611686018427387903\n", (True, 4611686018427387903)),  # assembled: one byte less is a limit
])
def test_memory_limit_around_the_no_limit_threshold(text, expected):
    assert parse_memory_limit(text) == expected


# ---------------------------------------------------------------------------- Cpus_allowed_list


def test_the_first_cpus_allowed_list_line_decides():
    # Assembled: two Cpus_allowed_list lines, the first garbled (a colon inside the list): that first one is read.
    text = "Cpus_allowed:\tff\nCpus_allowed_list:\t0-3:7\nCpus_allowed_list:\t0-7\n"
    assert parse_status_cpus(text) is None
