"""The OS and CPU readers compared whole with what the real files mean.

The readers take the text of ``/etc/os-release`` (os-release(5), shell-style quoting; the ID normalised as the
``distro`` package does), ``/proc/version`` or a kernel release (is this WSL 1 or WSL 2?), ``/proc/1/cgroup`` (which
container runtime named the cgroup), ``platform.machine()`` and ``platform.system()`` (one spelling per architecture)
and ``/proc/cpuinfo`` (the first processor's model, flags and Arm implementer and part). The texts are real files and
tool output from public repositories and issues, cited beside each; tabs are written as ``\\t``. Where a text is
assembled by hand for an edge case, its comment says so and what it stands for.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.probes.system import (
    CpuInfo,
    normalise_arch,
    normalise_distro_id,
    parse_cgroup_container,
    parse_cpuinfo,
    parse_os_release,
    parse_proc_version_wsl,
    unquote_os_release_value,
)

FIXTURES = Path(__file__).parent / "fixtures"

# --- os-release ---------------------------------------------------------------------------------------------------

# which-distro/os-release at b92bccaf2aed0c857ca4990ad3b4baa34306236a, wrlinux/7.0.0.2: values with unquoted blanks,
# which the shell splits into words; the reader joins the words with one space.
WRLINUX = "ID=wrlinux\nNAME=Wind River Linux\nVERSION=7.0.0.2\nVERSION_ID=7.0.0.2\nPRETTY_NAME=Wind River Linux 7.0.0.2\n"

# which-distro/os-release at the same commit, dragonfly/6.4: SUPPORT_URL holds "=" inside its quoted value.
DRAGONFLY = """\
NAME=DragonFly
VERSION=6.4-SYNTH
VERSION_ID=6.4
ID=dragonfly
ANSI_COLOR="0;32"
PRETTY_NAME="DragonFlyBSD 6.4-SYNTH"
CPE_NAME="cpe:/o:dragonflybsd:dragonfly:6.4"
SUPPORT_URL="http://chat.efnet.org:9090/?nick=dflynick&channels=%23dragonflybsd&Login=Login"
HOME_URL="https://www.dragonflybsd.org/"
BUG_REPORT_URL="https://bugs.dragonflybsd.org/"
MACHINE_ARCH=x86_64
MACHINE=x86_64
DFLYVERSION=600400
"""

# tests/fixtures/os_release/debian_12.txt (which-distro/os-release, debian/12), every pair as os-release(5) reads it
DEBIAN_12 = {
    "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)",
    "NAME": "Debian GNU/Linux",
    "VERSION_ID": "12",
    "VERSION": "12 (bookworm)",
    "VERSION_CODENAME": "bookworm",
    "ID": "debian",
    "HOME_URL": "https://www.debian.org/",
    "SUPPORT_URL": "https://www.debian.org/support",
    "BUG_REPORT_URL": "https://bugs.debian.org/",
}


def test_unquoted_words_are_joined_by_one_space():
    assert parse_os_release(WRLINUX) == {
        "ID": "wrlinux",
        "NAME": "Wind River Linux",
        "VERSION": "7.0.0.2",
        "VERSION_ID": "7.0.0.2",
        "PRETTY_NAME": "Wind River Linux 7.0.0.2",
    }


def test_a_value_holding_equals_signs_is_split_at_the_first_one():
    assert parse_os_release(DRAGONFLY) == {
        "NAME": "DragonFly",
        "VERSION": "6.4-SYNTH",
        "VERSION_ID": "6.4",
        "ID": "dragonfly",
        "ANSI_COLOR": "0;32",
        "PRETTY_NAME": "DragonFlyBSD 6.4-SYNTH",
        "CPE_NAME": "cpe:/o:dragonflybsd:dragonfly:6.4",
        "SUPPORT_URL": "http://chat.efnet.org:9090/?nick=dflynick&channels=%23dragonflybsd&Login=Login",
        "HOME_URL": "https://www.dragonflybsd.org/",
        "BUG_REPORT_URL": "https://bugs.dragonflybsd.org/",
        "MACHINE_ARCH": "x86_64",
        "MACHINE": "x86_64",
        "DFLYVERSION": "600400",
    }


def test_a_line_that_is_no_assignment_is_skipped_and_reading_goes_on():
    # Assembled: Debian 12's file with two lines a hand edit could leave above it, a key that is no shell name
    # ("VERSION-ID") and a commented-out assignment; both are skipped and every real pair below is still read.
    text = "VERSION-ID=13\n#ID=ubuntu\n" + (FIXTURES / "os_release" / "debian_12.txt").read_text()
    assert parse_os_release(text) == DEBIAN_12


def test_a_lower_case_name_is_a_shell_variable_too():
    # Assembled: os-release(5) is a list of shell variable assignments, and a lower-case name is one; the
    # reader keeps it as written, beside Debian 12's own pairs.
    text = (FIXTURES / "os_release" / "debian_12.txt").read_text() + "variant_id=container\n"
    assert parse_os_release(text) == {**DEBIAN_12, "variant_id": "container"}


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        # assembled: wrlinux's NAME with its first blank escaped, as the shell allows; the same three words
        ("Wind\\ River Linux", "Wind River Linux"),
        # assembled: an empty quoted word between two words stays a word, so two blanks join the three
        ('Wind "" River', "Wind  River"),
        # assembled: an empty quoted word at the end, after a blank, is an empty last word
        ("Wind ''", "Wind "),
        # assembled: a line cut after a backslash; the escape stands for nothing, and no empty word is left
        ("Wind \\", "Wind"),
    ],
)
def test_words_built_of_several_parts(raw, value):
    assert unquote_os_release_value(raw) == value


# --- the distro ID ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("XCP-ng", "xcp-ng"),  # which-distro/os-release XCP-ng/7.4.0: ID="XCP-ng"
        ("openEuler", "openeuler"),  # which-distro/os-release openEuler/24.03: ID="openEuler"
        ("Deepin", "deepin"),  # which-distro/os-release Deepin/20.9: ID=Deepin
        ("ol", "oracle"),  # distro's NORMALIZED_OS_ID (python-distro/distro src/distro/distro.py)
        # Assembled: an ID that breaks os-release(5)'s no-blanks rule; distro's normalize() lowers it and turns each
        # blank into "_" (distro_id.lower().replace(" ", "_")).
        ("Wind River Linux", "wind_river_linux"),
    ],
)
def test_distro_ids_normalised_as_distro_does(raw, normalised):
    assert normalise_distro_id(raw) == normalised


# --- WSL ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wsl"),
    [
        # WSL 1, /proc/sys/kernel/osrelease and /proc/version (powersj/whatsthis#10)
        ("4.4.0-19041-Microsoft", "wsl1"),
        ("Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) "
         "#488-Microsoft Mon Sep 01 13:43:00 PST 2020", "wsl1"),
        # WSL 2 on the same machine (powersj/whatsthis#10)
        ("4.19.128-microsoft-standard", "wsl2"),
        # a self-built WSL 2 kernel (microsoft/WSL#8690)
        ("Linux version 5.19.0-microsoft-standard (me@DESKTOP-M4AP3T8) (gcc (Ubuntu 11.2.0-19ubuntu1) 11.2.0, "
         "GNU ld (GNU Binutils for Ubuntu) 2.38) #2 SMP PREEMPT_DYNAMIC Wed Aug 3 01:11:12 +04 2022", "wsl2"),
        # a self-built WSL 2 kernel with its own LOCALVERSION, neither "standard" nor "WSL2" (arkane-systems/genie#33)
        ("4.19.79-microsoft-custom-arllk-g9203c937e-dirty", "wsl2"),
        # the WSL 2 kernel release announced in systemd/systemd#15614
        ("4.19.112-microsoft-WSL2-standard", "wsl2"),
        # Assembled: self-built WSL 2 kernels can report "Microsoft" with a capital M (romkatv/dotfiles-public#10);
        # these releases stand for such kernels: the WSL 2 marker decides, not the capital.
        ("4.19.84-Microsoft-standard", "wsl2"),
        ("5.10.102.1-Microsoft-WSL2", "wsl2"),
    ],
)
def test_wsl_generation(text, wsl):
    assert parse_proc_version_wsl(text) == wsl


# --- /proc/1/cgroup -----------------------------------------------------------------------------------------------

# genuinetools/bpfd proc/proc_test.go, the "lxc" case (cgroup v1 inside an LXC container)
LXC = """\
10:cpuset:/lxc/debian2
9:pids:/lxc/debian2
8:devices:/lxc/debian2
7:net_cls,net_prio:/lxc/debian2
6:freezer:/lxc/debian2
5:blkio:/lxc/debian2
4:memory:/lxc/debian2
3:cpu,cpuacct:/lxc/debian2
2:perf_event:/lxc/debian2
1:name=systemd:/lxc/debian2
"""

# /proc/1/cgroup in a Docker container on a hybrid host: the v1 lines name docker, the unified line containerd
# (ctrsploit/ctrsploit#280)
DOCKER_HYBRID = """\
12:net_cls,net_prio:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
11:freezer:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
10:rdma:/
9:blkio:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
8:memory:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
7:perf_event:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
6:hugetlb:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
5:cpuset:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
4:devices:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
3:pids:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
2:cpu,cpuacct:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
1:name=systemd:/docker/2403ccfe427f1dc7b6120dccb9ac58c2f8456950380d587a9f33ea7f00dd303d
0::/system.slice/containerd.service
"""

# /proc/self/cgroup in a Kubernetes pod run by containerd, first lines (open-telemetry/opentelemetry-java#4507)
K8S_CONTAINERD = """\
11:perf_event:/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459
10:blkio:/system.slice/containerd.service/kubepods-besteffort-pod0125ec2f_b64a_4868_8f5b_94b56cbab864.slice:cri-containerd:ee4b20e90ac7f42a10bd004d05646b13d8ab5e2c5e7cbc01abf8006bac016459
"""

# genuinetools/bpfd proc/proc_test.go, the "nspawn" case: a systemd-nspawn machine, which the reader does not name
NSPAWN = """\
10:cpuset:/
9:pids:/machine.slice/machine-nspawntest.scope
8:devices:/machine.slice/machine-nspawntest.scope
7:net_cls,net_prio:/
6:freezer:/user/root/0
5:blkio:/machine.slice/machine-nspawntest.scope
4:memory:/machine.slice/machine-nspawntest.scope
3:cpu,cpuacct:/machine.slice/machine-nspawntest.scope
2:perf_event:/
1:name=systemd:/machine.slice/machine-nspawntest.scope
"""


@pytest.mark.parametrize(
    ("text", "runtime"),
    [
        (LXC, "lxc"),
        (DOCKER_HYBRID, "docker"),
        (K8S_CONTAINERD, "kubernetes"),
        # Assembled: the unified line of the Docker text above alone, as a process that containerd started shows it
        # when no other runtime is named.
        ("0::/system.slice/containerd.service\n", "containerd"),
        (NSPAWN, None),
        (None, None),
    ],
)
def test_cgroup_runtime(text, runtime):
    assert parse_cgroup_container(text) == runtime


# --- the architecture ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "system", "arch"),
    [
        # Intel's name for x86-64 (CPython's sysconfig.get_platform: "win-amd64 (... aka x86_64, Intel64, EM64T)"),
        # as Windows' PROCESSOR_ARCHITECTURE may spell it
        ("EM64T", "Windows", "x86_64"),
        # .NET and WinRT spell it X64 (Windows.System.ProcessorArchitecture.X64); Node's process.arch says x64
        ("X64", "Windows", "x86_64"),
        ("x64", "Windows", "x86_64"),
        # a 32-bit process on an aarch64 kernel: uname -m says armv8l (waydroid/waydroid#142, python/cpython#146539)
        ("armv8l", "Linux", "aarch64"),
        # macOS's machine(1) prints arm64e on Apple silicon (romkatv/powerlevel10k#2108)
        ("arm64e", "Darwin", "arm64"),
        # Assembled: upper-case spellings of the Linux names; case is not part of an architecture's name
        ("X86_64", "Linux", "x86_64"),
        ("AARCH64", "Linux", "aarch64"),
        # Assembled: a Linux name given with another system; 64-bit Arm is arm64 there
        ("aarch64", "Windows", "arm64"),
        # other architectures keep their spelling
        ("ppc64le", "Linux", "ppc64le"),
        ("i686", "Linux", "i686"),
    ],
)
def test_arch_spellings(machine, system, arch):
    assert normalise_arch(machine, system) == arch


# --- /proc/cpuinfo ------------------------------------------------------------------------------------------------

CPUINFO = FIXTURES / "cpuinfo"
GRAVITON2_FEATURES = ["fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "cpuid"]

# Jetson AGX Xavier (hrw/arm-socs-table#63), the first two processors: an older aarch64 kernel prints a model name
# line, which is the model; the NVIDIA Carmel part (0x004) is not in the table.
JETSON_XAVIER = """\
processor\t: 0
model name\t: ARMv8 Processor rev 0 (v8l)
BogoMIPS\t: 62.50
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm dcpop
CPU implementer\t: 0x4e
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0x004
CPU revision\t: 0
MTS version\t: 55637613

processor\t: 1
model name\t: ARMv8 Processor rev 0 (v8l)
BogoMIPS\t: 62.50
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm dcpop
CPU implementer\t: 0x4e
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0x004
CPU revision\t: 0
MTS version\t: 55637613
"""

# Jetson TX2 (hrw/arm-socs-table#25), the first two processors: a Cortex-A57 first, then a Denver core of NVIDIA's;
# the first processor's values are the ones read.
JETSON_TX2 = """\
processor\t: 0
model name\t: ARMv8 Processor rev 3 (v8l)
BogoMIPS\t: 62.50
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x1
CPU part\t: 0xd07
CPU revision\t: 3

processor\t: 1
model name\t: ARMv8 Processor rev 0 (v8l)
BogoMIPS\t: 62.50
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32
CPU implementer\t: 0x4e
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0x003
CPU revision\t: 0
MTS version\t: 37620520
"""

# Fujitsu A64FX (RRZE-HPC/likwid#565), one processor's block: implementer 0x46 is not in the table.
A64FX = """\
processor\t: 15
BogoMIPS\t: 200.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm fcma dcpop sve
CPU implementer\t: 0x46
CPU architecture: 8
CPU variant\t: 0x1
CPU part\t: 0x001
CPU revision\t: 0
"""

# An AMD Rembrandt engineering sample (Launchpad bug 1953008, ProcCpuinfo.txt,
# https://launchpadlibrarian.net/571858415/ProcCpuinfo.txt): its model name holds a colon of its own.
ENG_SAMPLE_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx "
    "mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl pni "
    "pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy "
    "svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core "
    "perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd mba ibrs ibpb stibp vmmcall fsgsbase bmi1 "
    "avx2 smep bmi2 invpcid cqm rdt_a rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc "
    "cqm_occup_llc cqm_mbm_total cqm_mbm_local clzero irperf xsaveerptr rdpru wbnoinvd arat npt lbrv svm_lock "
    "nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold avic v_vmsave_vmload vgif "
    "v_spec_ctrl umip pku ospke vaes vpclmulqdq rdpid overflow_recov succor smca"
)
ENG_SAMPLE = f"""\
processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 68
model name\t: AMD Eng Sample: 100-000000560-40_Y
stepping\t: 0
microcode\t: 0xa404002
cpu MHz\t\t: 1600.000
cache size\t: 512 KB
physical id\t: 0
siblings\t: 16
core id\t\t: 0
cpu cores\t: 8
apicid\t\t: 0
initial apicid\t: 0
fpu\t\t: yes
fpu_exception\t: yes
cpuid level\t: 16
wp\t\t: yes
flags\t\t: {ENG_SAMPLE_FLAGS}
bugs\t\t: sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass
bogomips\t: 6188.30
TLB size\t: 2560 4K pages
clflush size\t: 64
cache_alignment\t: 64
address sizes\t: 48 bits physical, 48 bits virtual
power management: ts ttp tm hwpstate cpb eff_freq_ro [13] [14]
"""

# tests/fixtures/cpuinfo/x86_64-amd-epyc-kvm.txt, the flags line of both processors
EPYC_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx "
    "mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid extd_apicid "
    "tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave "
    "avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext "
    "vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq rdseed adx smap avx512ifma "
    "clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves avx512_bf16 clzero xsaveerptr "
    "arat avx512vbmi umip avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid fsrm"
)


def test_graviton2_whole():
    assert parse_cpuinfo((CPUINFO / "aarch64-graviton2.txt").read_text()) == CpuInfo(
        model="ARM Cortex-A72", flags=None, implementer="0x41", part="0xd08", processors=3, features=GRAVITON2_FEATURES)


def test_epyc_whole():
    assert parse_cpuinfo((CPUINFO / "x86_64-amd-epyc-kvm.txt").read_text()) == CpuInfo(
        model="AMD EPYC", flags=set(EPYC_FLAGS.split()), processors=2)


def test_a_model_name_line_wins_over_the_implementer_table():
    assert parse_cpuinfo(JETSON_XAVIER) == CpuInfo(
        model="ARMv8 Processor rev 0 (v8l)", flags=None, implementer="0x4e", part="0x004", processors=2,
        features="fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm dcpop".split())


def test_the_first_processor_of_a_mixed_cluster():
    assert parse_cpuinfo(JETSON_TX2) == CpuInfo(
        model="ARMv8 Processor rev 3 (v8l)", flags=None, implementer="0x41", part="0xd07", processors=2,
        features="fp asimd evtstrm aes pmull sha1 sha2 crc32".split())


def test_an_implementer_outside_the_table_is_named_by_its_number():
    assert parse_cpuinfo(A64FX) == CpuInfo(
        model="implementer 0x46 part 0x001", flags=None, implementer="0x46", part="0x001", processors=1,
        features="fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm fcma dcpop sve".split())


def test_a_model_name_holding_a_colon_is_kept_whole():
    assert parse_cpuinfo(ENG_SAMPLE) == CpuInfo(
        model="AMD Eng Sample: 100-000000560-40_Y", flags=set(ENG_SAMPLE_FLAGS.split()), processors=1)


def test_a_file_cut_before_the_part_line():
    # Assembled: the Graviton2 file cut after processor 0's "CPU architecture" line, before "CPU part": the vendor
    # is known, the part is not.
    text = (CPUINFO / "aarch64-graviton2.txt").read_text()
    cut = text[: text.index("CPU variant")]
    assert parse_cpuinfo(cut) == CpuInfo(
        model="ARM part ?", flags=None, implementer="0x41", part=None, processors=1, features=GRAVITON2_FEATURES)


@pytest.mark.parametrize("text", [None, ""])
def test_no_cpuinfo_is_an_empty_reading(text):
    assert parse_cpuinfo(text) == CpuInfo()
