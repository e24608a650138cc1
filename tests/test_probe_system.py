"""OS and CPU parsers on real files, and the probes on small machine folders."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.door import RecordedDoor
from envdoctor.probes import ProbeContext
from envdoctor.probes.system import (
    OS_RELEASE_LIMIT,
    normalise_arch,
    normalise_distro_id,
    parse_cgroup_container,
    parse_cpuinfo,
    parse_os_release,
    parse_proc_version_wsl,
    probe_cpu,
    probe_os,
    unquote_os_release_value,
    windows_release,
)

FIXTURES = Path(__file__).parent / "fixtures"
OS_RELEASE_CASES = sorted((FIXTURES / "os_release").glob("*.json"))
LINUX = {"system": "Linux", "machine": "x86_64", "release": "6.1.0-18-amd64", "glibc": "2.36"}


def machine(tmp_path: Path, platform: dict, files: dict | None = None, **parts) -> ProbeContext:
    """A RecordedDoor over a machine folder written from the given parts."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for path, text in (files or {}).items():
        target = tmp_path / "files" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (tmp_path / "machine.json").write_text(
        json.dumps({"format": "envdoctor.machine/1", "platform": platform, **parts}), encoding="utf-8"
    )
    return ProbeContext(door=RecordedDoor(tmp_path), timeout=2.0)


@pytest.mark.parametrize("sidecar", OS_RELEASE_CASES, ids=[p.stem for p in OS_RELEASE_CASES])
def test_real_os_release_files(sidecar):
    meta = json.loads(sidecar.read_text())
    values = parse_os_release((FIXTURES / "os_release" / f"{sidecar.stem}.txt").read_text())
    for key, expected in meta["expect"].items():
        assert values.get(key) == expected, key


def test_os_release_quoting_comments_and_cut_off_lines():
    text = '# comment\nID="rhel"\nID_LIKE="fedora"\n\nNAME=Foo Linux\nPRETTY_NAME="Cut off\nnot a line\n9BAD=x\n'
    values = parse_os_release(text)
    assert values["ID"] == "rhel"
    assert values["ID_LIKE"] == "fedora"
    assert values["PRETTY_NAME"] == "Cut off"
    assert "9BAD" not in values


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ('"12 (bookworm)"', "12 (bookworm)"),
        ("'Fedora Linux 40 (Workstation Edition)'", "Fedora Linux 40 (Workstation Edition)"),
        ("debian", "debian"),
        ('"Say \\"hi\\" for \\$5 \\\\ \\`x\\`"', 'Say "hi" for $5 \\ `x`'),  # os-release(5)'s escapes
        ('"C:\\x"', "C:\\x"),  # before another character a backslash stays, as in the shell
        ("'no \\escapes $here'", "no \\escapes $here"),
        ("a\\ b", "a b"),
        ('""', ""),
        ("", ""),
        ('"cut off', "cut off"),
    ],
)
def test_os_release_values_are_unquoted_as_os_release_5_says(raw, value):
    assert unquote_os_release_value(raw) == value
    assert parse_os_release(f"KEY={raw}\n") == {"KEY": value}


@given(st.text(alphabet='ab #"\'\\\t', max_size=40))
def test_os_release_unquoting_agrees_with_shlex(raw):
    """shlex (POSIX mode, no comments) is an independent oracle wherever it accepts the text.

    Not for ``$`` and backtick: inside double quotes shlex keeps ``\\$`` and ``\\``` as two characters,
    where the shell (and os-release(5)) reads one; the table above covers those.
    """
    try:
        words = shlex.split(raw, comments=False, posix=True)
    except ValueError:  # unbalanced quotes or a trailing backslash: shlex refuses, the parser does not
        unquote_os_release_value(raw)
        return
    assert unquote_os_release_value(raw) == " ".join(words)


@pytest.mark.parametrize("body", ['"' + '\\"' * (8 << 20) + '"', '\\"' * (8 << 20)])
def test_a_16_mib_os_release_of_escaped_quotes_is_read_only_up_to_its_limit(body):
    """16 MiB of escaped quotes: only the first OS_RELEASE_LIMIT characters are unquoted, so the work
    (and the regex engine's memory, which grows with a quoted value's length) stays small."""
    text = f"ID=debian\nNAME={body}\nVERSION_ID=12\n"
    pairs = (OS_RELEASE_LIMIT - len("ID=debian\nNAME=") - body.startswith('"')) // 2
    assert parse_os_release(text) == {"ID": "debian", "NAME": '"' * pairs}


@pytest.mark.parametrize("text", ["", None, "\x00\xff garbage ===", "ID"])
def test_os_release_without_pairs_is_empty(text):
    assert parse_os_release(text) == {}


def test_distro_id_normalised_like_distro():
    assert normalise_distro_id("ol") == "oracle"
    assert normalise_distro_id("opensuse-leap") == "opensuse"
    assert normalise_distro_id("Ubuntu") == "ubuntu"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("wsl2-5.4.72.txt", "wsl2"),
        ("wsl2-4.19.104-custom.txt", "wsl2"),
        ("wsl1-3.4.0.txt", "wsl1"),
        ("wsl1-uname-a-4.4.0-17763.txt", "wsl1"),
        ("native-linux-host.txt", None),
    ],
)
def test_wsl_from_real_proc_version(name, expected):
    assert parse_proc_version_wsl((FIXTURES / "wsl" / name).read_text()) == expected


def test_cgroup_runtimes():
    assert parse_cgroup_container("12:pids:/kubepods/besteffort/pod1/abc\n") == "kubernetes"
    assert parse_cgroup_container("0::/machine.slice/libpod-abc.scope\n") == "podman"
    assert parse_cgroup_container("11:memory:/docker/0123abcd\n") == "docker"
    assert parse_cgroup_container("0::/\n") is None


def test_cpuinfo_x86_model_and_vector_flags():
    info = parse_cpuinfo((FIXTURES / "cpuinfo" / "x86_64-amd-epyc-kvm.txt").read_text())
    assert info.model == "AMD EPYC"
    assert "avx2" in info.flags and "avx512f" in info.flags
    assert info.processors == 2


@pytest.mark.parametrize(
    ("name", "model"),
    [("aarch64-graviton2.txt", "ARM Cortex-A72"), ("aarch64-qualcomm.txt", "Qualcomm part 0x001")],
)
def test_cpuinfo_aarch64_model_from_part(name, model):
    info = parse_cpuinfo((FIXTURES / "cpuinfo" / name).read_text())
    assert info.model == model
    assert info.flags is None


def test_cpuinfo_cut_off_inside_the_flags_line():
    text = (FIXTURES / "cpuinfo" / "x86_64-amd-epyc-kvm.txt").read_text()
    info = parse_cpuinfo(text[: text.index("avx2")])
    assert info.model == "AMD EPYC"
    assert "avx2" not in info.flags


@given(st.text())
def test_parsers_never_raise(text):
    parse_os_release(text)
    parse_cpuinfo(text)
    parse_proc_version_wsl(text)
    parse_cgroup_container(text)
    windows_release(text)


@pytest.mark.parametrize(
    ("machine_name", "system", "arch"),
    [("AMD64", "Windows", "x86_64"), ("x86_64", "Linux", "x86_64"), ("aarch64", "Linux", "aarch64"),
     ("arm64", "Darwin", "arm64"), ("ARM64", "Windows", "arm64")],
)
def test_arch_normalised(machine_name, system, arch):
    assert normalise_arch(machine_name, system) == arch


@pytest.mark.parametrize(
    ("build", "release"), [("10.0.22631", "11"), ("10.0.22000", "11"), ("10.0.19045", "10"), ("", None), ("x.y", None)]
)
def test_windows_release(build, release):
    assert windows_release(build) == release


def test_probe_os_reads_os_release_and_wsl2(tmp_path):
    ctx = machine(
        tmp_path,
        {**LINUX, "release": "5.4.72-microsoft-standard-WSL2"},
        files={
            "/etc/os-release": (FIXTURES / "os_release" / "ubuntu_22.04.txt").read_text(),
            "/proc/version": (FIXTURES / "wsl" / "wsl2-5.4.72.txt").read_text(),
        },
    )
    facts = probe_os(ctx)
    assert (facts.distro_id, facts.distro_version, facts.distro_like) == ("ubuntu", "22.04", ["debian"])
    assert facts.wsl == "wsl2"
    assert facts.glibc == "2.36"
    assert facts.container is None
    assert facts.source == "/etc/os-release"


def test_probe_os_falls_back_to_usr_lib_and_finds_podman(tmp_path):
    ctx = machine(
        tmp_path,
        LINUX,
        files={"/usr/lib/os-release": (FIXTURES / "os_release" / "rocky_9.5.txt").read_text()},
        exists=["/run/.containerenv", "/.dockerenv"],
    )
    facts = probe_os(ctx)
    assert facts.distro_id == "rocky"
    assert facts.source == "/usr/lib/os-release"
    assert facts.attempts[0].source == "/etc/os-release" and facts.attempts[0].status == "not_found"
    assert facts.container == "podman"


def test_probe_os_kubernetes_before_docker_and_wsl1(tmp_path):
    ctx = machine(
        tmp_path,
        {**LINUX, "release": "4.4.0-17763-Microsoft"},
        env={"KUBERNETES_SERVICE_HOST": "10.0.0.1"},
        exists=["/.dockerenv"],
    )
    facts = probe_os(ctx)
    assert facts.container == "kubernetes"
    assert facts.wsl == "wsl1"
    assert facts.distro_id is None


def test_probe_os_windows_and_macos(tmp_path):
    win = probe_os(machine(tmp_path / "w", {"system": "Windows", "machine": "AMD64", "win_ver": "10.0.22631",
                                            "win_edition": "Professional"}))
    assert (win.arch, win.windows_build, win.windows_release) == ("x86_64", "10.0.22631", "11")
    mac = probe_os(machine(tmp_path / "m", {"system": "Darwin", "machine": "arm64", "mac_ver": "13.6"}))
    assert (mac.arch, mac.macos_version, mac.wsl) == ("arm64", "13.6", None)


def test_probe_cpu_linux(tmp_path):
    ctx = machine(
        tmp_path,
        {**LINUX, "cpu_count_logical": 2, "cpu_count_physical": 1, "memory_total_bytes": 1024},
        files={"/proc/cpuinfo": (FIXTURES / "cpuinfo" / "aarch64-graviton2.txt").read_text()},
    )
    facts = probe_cpu(ctx)
    assert facts.model == "ARM Cortex-A72"
    assert (facts.avx2, facts.avx512) == (None, None)
    assert (facts.logical_cores, facts.physical_cores, facts.memory_total_bytes) == (2, 1, 1024)


def test_probe_cpu_macos_sysctl_failure_is_an_attempt(tmp_path):
    ctx = machine(
        tmp_path,
        {"system": "Darwin", "machine": "arm64", "processor": "arm"},
        which={"sysctl": "/usr/sbin/sysctl"},
        commands=[{"argv": ["sysctl", "-n", "machdep.cpu.brand_string"], "status": "ok", "returncode": 1,
                   "stderr": (FIXTURES / "apple" / "sysctl-unknown-oid.txt").read_text()}],
    )
    facts = probe_cpu(ctx)
    assert facts.model is None
    assert facts.attempts[-1].status == "error"
    assert "unknown oid" in facts.attempts[-1].detail


def test_probe_cpu_windows_uses_processor_string(tmp_path):
    text = "Intel64 Family 6 Model 154 Stepping 3, GenuineIntel"
    facts = probe_cpu(machine(tmp_path, {"system": "Windows", "machine": "AMD64", "processor": text}))
    assert facts.model == text
    assert facts.avx2 is None
