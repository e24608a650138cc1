"""envdoctor lint: copied install commands (docs, tutorials, READMEs, Dockerfiles) judged for a machine.

Commands are real: tests/fixtures/lint/README.md names where each file comes from. Findings are checked
against what is known independently of the recipes where that is possible (the pytorch conda channel's
last release is stated in pytorch/pytorch#138506; an RTX 3090 with driver 535 runs CUDA 12.2 at most).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES_DIR

from envdoctor.cli import cli
from envdoctor.facts import Facts
from envdoctor.lint import lint_installs, wanted_of
from envdoctor.readers.install_commands import Line, file_kind, parse_command, read_file_installs
from envdoctor.recipes import load_recipes
from envdoctor.target import describe_target

REPO = Path(__file__).resolve().parents[1]

LINT = FIXTURES_DIR / "lint"
#: A described machine: an RTX 3090 with an R535 driver (CUDA 12.2), Python 3.11 on Linux x86_64.
RTX3090 = ["--target-os", "linux", "--target-arch", "x86_64", "--target-python", "3.11",
           "--gpu", "NVIDIA GeForce RTX 3090", "--driver", "535.104.05"]
#: The same GPU with a driver that runs CUDA 13.0.
RTX3090_NEW = [*RTX3090[:-1], "580.65.06"]
TUTORIAL = (LINT / "tutorial-commands.sh").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def described(recipes, driver="535.104.05", gpus=("NVIDIA GeForce RTX 3090",), python="3.11") -> Facts:
    return describe_target(Facts(), recipes=recipes, target_os="linux", target_arch="x86_64", target_python=python,
                           gpus=gpus, driver=driver)


def lint_json(*args):
    result = CliRunner().invoke(cli, ["lint", *args, "--json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def ids(data):
    return [f["id"] for f in data["findings"]]


@pytest.mark.parametrize("command, expected", [
    (TUTORIAL[0], {"lint.find-links-page", "lint.variant-gone"}),
    (TUTORIAL[1], {"lint.pytorch-conda-channel", "lint.cudatoolkit"}),
    (TUTORIAL[2], {"lint.no-such-installer"}),
    (TUTORIAL[3], {"lint.pytorch-conda-channel"}),
])
def test_the_four_tutorial_commands_are_flagged_with_their_reasons(command, expected):
    code, data = lint_json(command, *RTX3090)
    assert code == 1 == data["exit_code"] and data["command"] == "lint"
    assert expected <= set(ids(data))
    for finding in data["findings"]:
        assert any(e.startswith("source: ") for e in finding["evidence"]), finding["id"]
        assert finding["subject"] == "command" and finding["commands"], finding["id"]


def test_the_tutorial_reasons_say_what_changed():
    _, data = lint_json(TUTORIAL[3], *RTX3090)
    channel = next(f for f in data["findings"] if f["id"] == "lint.pytorch-conda-channel")
    assert "after torch 2.5.1" in channel["message"] and "pytorch-cuda=12.1" in channel["message"]
    assert any("pytorch#138506" in e for e in channel["evidence"])
    _, data = lint_json(TUTORIAL[2], *RTX3090)
    assert "PyTorch has no installer script" in data["findings"][0]["message"]
    _, data = lint_json(TUTORIAL[0], *RTX3090)
    gone = next(f for f in data["findings"] if f["id"] == "lint.variant-gone")
    assert "cu100" in gone["message"]


def test_the_replacement_keeps_the_packages_and_the_manager(recipes):
    _, data = lint_json(TUTORIAL[3], *RTX3090)
    (argv,) = {tuple(f["commands"][0]) for f in data["findings"]}
    assert argv[:2] == ("mamba", "install") and "conda-forge" in argv
    _, data = lint_json(TUTORIAL[0], *RTX3090)
    (argv,) = {tuple(f["commands"][0]) for f in data["findings"]}
    assert argv[:4] == ("python", "-m", "pip", "install")
    assert {a.split("==")[0] for a in argv if "==" in a} == {"torch", "torchvision"}
    # an R535 driver runs CUDA 12.2 at most: whatever the variant, it is a CUDA 12 build it can run
    variant = argv[argv.index("--index-url") + 1].rsplit("/", 1)[1]
    assert variant.startswith("cu12")


def test_current_commands_on_a_machine_they_fit_pass():
    for command in (LINT / "current-commands.sh").read_text(encoding="utf-8").splitlines():
        code, data = lint_json(command, *RTX3090_NEW)
        assert (code, ids(data)) == (0, []), command


def test_the_default_wheel_on_an_old_driver():
    code, data = lint_json("pip install torch torchvision", *RTX3090)
    finding = next(f for f in data["findings"] if f["id"] == "lint.default-build-does-not-fit")
    assert code == 1 and "535.104.05" in finding["message"]


def test_a_variant_the_driver_cannot_run():
    code, data = lint_json("pip3 install torch --index-url https://download.pytorch.org/whl/cu130", *RTX3090)
    assert code == 1 and "lint.variant-does-not-fit" in ids(data)


def test_a_variant_without_kernels_for_the_gpu():
    machine = RTX3090_NEW[:RTX3090_NEW.index("--gpu")] + ["--gpu", "NVIDIA GeForce RTX 5090", "--driver", "580.65.06"]
    code, data = lint_json("pip install 'torch<2.7' --index-url https://download.pytorch.org/whl/cu124", *machine)
    finding = next(f for f in data["findings"] if f["id"] == "lint.variant-does-not-fit")
    assert code == 1 and "sm_120" in finding["message"]


def test_an_index_without_the_pinned_version():
    code, data = lint_json("pip install torch==2.7.1+cu121 --extra-index-url https://download.pytorch.org/whl/cu121",
                           *RTX3090)
    assert "lint.index-lacks-version" in ids(data) and code == 1


def test_companion_pins_that_do_not_match_torch():
    code, data = lint_json("pip install torch==2.1.0 torchvision==0.15.2", *RTX3090)
    finding = next(f for f in data["findings"] if f["id"] == "lint.companion-mismatch")
    assert "0.16.0" in finding["message"]
    argv = finding["commands"][0]
    assert "torch==2.1.0" in argv and "torchvision==0.16.0" in argv


def test_the_pypi_stub_and_an_unquoted_specifier():
    _, data = lint_json("pip install pytorch", *RTX3090)
    assert ids(data) == ["lint.pytorch-stub"]
    _, data = lint_json("pip install torch>=2.4", *RTX3090)
    assert "lint.unquoted-specifier" in ids(data)
    _, data = lint_json("pip install 'torch>=2.4'", *RTX3090)
    assert "lint.unquoted-specifier" not in ids(data)


def test_a_local_pin_without_an_index():
    _, data = lint_json("pip install torch==2.0.1+cu118", *RTX3090)
    assert "lint.local-pin-without-index" in ids(data)
    _, data = lint_json("pip install torch==2.0.1+cu118 --index-url https://download.pytorch.org/whl/cu118", *RTX3090)
    assert "lint.local-pin-without-index" not in ids(data)


@pytest.mark.parametrize("name, expected", [
    ("khlam-docker-pytorch.Dockerfile", {"lint.find-links-page"}),
    ("lllyasviel-ControlNet-environment.yaml", {"lint.pytorch-conda-channel"}),
    ("lukasfolle-pytorch-gpu-everything-README.md", {"lint.pytorch-conda-channel", "lint.cudatoolkit"}),
    ("sidosidonie-Cocktail-install.sh", {"lint.pytorch-conda-channel"}),
    ("c17hawke-AIOps-init_setup.sh", {"lint.pytorch-conda-channel", "lint.cudatoolkit"}),
    ("WHU-HZY-VIMTS-install.sh", {"lint.companion-mismatch"}),
    ("nabarunbaruaAIML-Meta_Learning-init_setup_linux.sh", {"lint.find-links-page"}),
    ("AIRI-Institute-StyleFeatureEditor-env_install.sh", {"lint.find-links-page"}),
])
def test_real_files(name, expected):
    code, data = lint_json("--file", str(LINT / name), *RTX3090_NEW)
    assert expected <= set(ids(data)) and code == 1
    assert all(f["subject"].startswith(str(LINT / name) + ":") for f in data["findings"])


@pytest.mark.parametrize("name", ["PavelShpagin-drone-embeddings-server-setup.sh",
                                  "jiuyue1123-LAM_Audio2Expression-install_cu118.sh"])
def test_current_or_deliberately_pinned_scripts_pass(name):
    # the second pins torch 2.1.2 with cu118: an old release, but one that installs and runs here
    code, data = lint_json("--file", str(LINT / name), *RTX3090_NEW)
    assert (code, ids(data)) == (0, [])


def test_an_unpinned_legacy_variant_is_outdated_unless_it_is_the_one_for_the_driver():
    command = "pip install torch torchvision --index-url https://download.pytorch.org/whl/cu118"
    _, data = lint_json(command, *RTX3090_NEW)
    assert "lint.variant-outdated" in ids(data)
    old_driver = [*RTX3090[:-1], "470.256.02"]  # R470 runs CUDA 11.4: cu118 (minor-version compatible) is its newest
    _, data = lint_json(command, *old_driver)
    assert "lint.variant-outdated" not in ids(data)


def test_every_lint_fixture_names_its_source():
    readme = (LINT / "README.md").read_text(encoding="utf-8")
    assert all(f"`{p.name}`" in readme for p in LINT.iterdir() if p.name != "README.md")


def test_file_kinds():
    assert file_kind("Dockerfile", "") == "dockerfile" and file_kind("x/gpu.Dockerfile", "") == "dockerfile"
    assert file_kind("README.md", "") == "markdown" and file_kind("setup.sh", "") == "shell"
    assert file_kind("environment.yml", "name: x\ndependencies:\n  - pytorch\n") == "conda-env"
    assert file_kind("requirements.txt", "torch\n") == "requirements"


def test_readme_lines_are_read_from_code_only(recipes):
    text = (LINT / "lukasfolle-pytorch-gpu-everything-README.md").read_text(encoding="utf-8")
    installs, _, _ = read_file_installs(text, "markdown", "README.md")
    assert [(i.source, i.text) for i in installs] == [
        ("README.md:7", "conda create --name team-gpu python=3.7 -y"),
        ("README.md:9", "conda install pytorch torchvision -c pytorch"),
        ("README.md:11", "conda install pytorch torchvision -c pytorch"),
        ("README.md:11", "conda install pytorch torchvision cudatoolkit=10.2 -c pytorch"),
    ]
    prose = "Then run pip install torch to get started.\n\n```sh\n$ pip install torch\n```\n"
    installs, _, _ = read_file_installs(prose, "markdown", "README.md")
    assert [i.requirements for i in installs] == [["torch"]]


def test_requirements_files_and_conda_environments(recipes):
    text = "--extra-index-url https://download.pytorch.org/whl/cu117\ntorch==1.13.1+cu117\ntorchvision==0.14.1+cu117\n" \
           "numpy  # comment\n-r other.txt\n"
    (install,) = read_file_installs(text, "requirements", "requirements.txt")[0]
    assert install.requirements == ["torch==1.13.1+cu117", "torchvision==0.14.1+cu117", "numpy"]
    assert install.indexes == [("--extra-index-url", "https://download.pytorch.org/whl/cu117")]
    assert install.files == ["other.txt"]
    env = (LINT / "lllyasviel-ControlNet-environment.yaml").read_text(encoding="utf-8")
    conda, pip = read_file_installs(env, "conda-env", "environment.yaml")[0]
    assert conda.channels == ["pytorch", "defaults"] and "cudatoolkit=11.3" in conda.requirements
    assert wanted_of(conda).python == "3.8" and wanted_of(conda).variant == "cu113"
    assert "gradio==3.16.2" in pip.requirements


def test_shell_splitting(recipes):
    installs, scripts, unread = parse_command(Line(
        "x", "sudo -H CUDA_HOME=/usr/local/cuda pip3 install -U 'torch>=2.4' && "
             "curl -fsSL https://install.pytorch.org/x | sudo bash"))
    assert installs[0].requirements == ["torch>=2.4"] and scripts[0].url == "https://install.pytorch.org/x"
    installs, _, _ = parse_command(Line("x", "!python -m pip install torch --index-url=https://download.pytorch.org/whl/cpu"))
    assert installs[0].indexes == [("--index-url", "https://download.pytorch.org/whl/cpu")]
    installs, _, _ = parse_command(Line("x", "py -3.12 -m pip install torch"))
    assert installs[0].tool == "pip"
    _, _, unread = parse_command(Line("x", "pip install 'torch"))
    assert unread == ["x: the quotes do not balance"]
    installs, _, _ = read_file_installs('FROM python:3.12\nRUN ["pip", "install", "torch==2.5.1"]\n', "dockerfile", "Dockerfile")
    assert installs[0].requirements == ["torch==2.5.1"]
    text = "ARG BASE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04\nFROM --platform=linux/arm64 ${BASE}\n" \
           "RUN --mount=type=cache,target=/root/.cache/pip pip install torch\n"
    (install,), _, _ = read_file_installs(text, "dockerfile", "Dockerfile")
    image = install.image
    assert (install.requirements, image.reference, image.arch, image.distro, image.cuda, image.cudnn, image.python) == (
        ["torch"], "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", "aarch64", ("ubuntu", "22.04"), "12.4", True, None)


def test_other_installers_and_other_packages_are_not_judged(recipes):
    installs, scripts, _ = parse_command(Line("x", "curl -LsSf https://astral.sh/uv/install.sh | sh && pip install numpy"))
    assert lint_installs(installs, scripts, described(recipes), recipes) == []


def test_a_command_that_installs_nothing_is_a_usage_error():
    code, data = lint_json("ls -la", *RTX3090)
    assert code == 2 and "not an install command" in data["error"]
    code, data = lint_json(*RTX3090)
    assert code == 2
    code, data = lint_json("pip install numpy", *RTX3090)
    assert code == 0 and ids(data) == ["lint.nothing-to-check"]


def test_unquoted_commands_reach_lint_whole():
    result = CliRunner().invoke(cli, ["lint", "--json", *RTX3090, "--", "pip", "install", "torch", "-f",
                                      "https://download.pytorch.org/whl/torch_stable.html"], catch_exceptions=False)
    assert "lint.find-links-page" in ids(json.loads(result.stdout))


def test_text_output():
    result = CliRunner().invoke(cli, ["lint", TUTORIAL[2], *RTX3090, "--color", "never"], catch_exceptions=False)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("envdoctor lint · 1 command(s) from the command · for linux-x86_64 · Python 3.11")
    assert "[✗] command  curl https://install.pytorch.org | bash" in lines[1]
    assert any(line.strip().startswith("$ python -m pip install torch==") for line in lines)
    assert result.exit_code == 1


def test_lint_never_runs_the_command(tmp_path):
    """curl, bash, pip and conda on PATH are spies: linting must start none of them."""
    marker = tmp_path / "ran"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("curl", "bash", "sh", "pip", "pip3", "conda", "mamba", "wget"):
        spy = bin_dir / tool
        spy.write_text(f"#!/bin/sh\necho {tool} >> {marker}\n")
        spy.chmod(0o755)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    for command in TUTORIAL:
        done = subprocess.run([sys.executable, "-m", "envdoctor", "lint", command, *RTX3090], env=env,
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.returncode == 1, done.stderr
    assert not marker.exists()
    # nothing but envdoctor's own cache of the validated recipe data (XDG cache under HOME) is written
    assert sorted(os.listdir(tmp_path)) in (["bin"], [".cache", "bin"])
    if (tmp_path / ".cache").exists():
        assert os.listdir(tmp_path / ".cache") == ["envdoctor"]


def test_hostile_input_is_bounded():
    installs, _, unread = parse_command(Line("x", "pip install " + "a" * 100_000))
    assert installs == [] and unread == ["x: longer than 16384 characters"]
    installs, _, unread = read_file_installs("pip install torch\n" * 2500, "shell", "x.sh")
    assert len(installs) == 2000 and "500 more lines" in unread[0]


# ---------------------------------------------------------------------------- the real CLI, as a child process

#: A described Linux machine without a GPU (Python 3.11).
NO_GPU = ["--target-os", "linux", "--target-arch", "x86_64", "--target-python", "3.11", "--no-gpu"]


def cli_json(*args):
    """``python -m envdoctor ARGS --json`` in a child process: (exit code, the JSON report)."""
    done = subprocess.run([sys.executable, "-m", "envdoctor", *args, "--json"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NO_COLOR": "1"})
    return done.returncode, json.loads(done.stdout)


def cli_text(*args):
    done = subprocess.run([sys.executable, "-m", "envdoctor", *args, "--color", "never"], capture_output=True,
                          text=True, timeout=120)
    return done.returncode, done.stdout


@pytest.mark.parametrize("command, expected", [
    ("conda install -c conda-forge cudnn cudatoolkit", ["lint.cuda-toolkit-not-needed", "lint.cudnn-not-needed"]),
    ("sudo apt install nvidia-cuda-toolkit", ["lint.cuda-toolkit-not-needed"]),
    ("sudo apt-get install -y cuda-toolkit-12-4", ["lint.cuda-toolkit-not-needed"]),
    ("sudo dnf install cuda-12-1", ["lint.cuda-toolkit-not-needed"]),
    ("sudo apt-get install libcudnn8 libcudnn8-dev", ["lint.cudnn-not-needed"]),
    ("sudo apt-get -y install cudnn9-cuda-12 libcudnn9-cuda-12", ["lint.cudnn-not-needed"]),
    ("sh cuda_12.4.0_550.54.14_linux.run --silent --toolkit", ["lint.cuda-installer-not-needed"]),
    ("sudo dpkg -i cuda-repo-ubuntu2204-12-4-local_12.4.0-550.54.14-1_amd64.deb", ["lint.cuda-installer-not-needed"]),
    ("cuda_12.4.0_551.61_windows.exe -s", ["lint.cuda-installer-not-needed"]),
    ("conda install cuda-toolkit=12.4 -c nvidia", ["lint.cuda-toolkit-not-needed"]),
    ("pip install nvidia-cudnn-cu12", ["lint.cuda-wheels-alone"]),
])
def test_the_toolkit_first_myth_is_corrected(command, expected):
    code, data = cli_json("lint", command, *RTX3090_NEW)
    assert (code, ids(data)) == (1, expected)
    for finding in data["findings"]:
        assert "bring their own CUDA runtime and cuDNN and need only the NVIDIA driver" in finding["message"]
        assert finding["fix"].startswith("install only the NVIDIA driver") or finding["id"] == "lint.cuda-wheels-alone"
        # the command to run instead is torch itself, for this GPU (driver 580 runs CUDA 13.0), same manager
        argv = finding["commands"][0]
        if command.startswith("conda"):
            assert argv[:6] == ["conda", "install", "-y", "-c", "conda-forge", "pytorch-gpu==2.15.0"]
            assert argv[6:] == ["cuda-version=13.0"]
        else:
            assert argv[:4] == ["python", "-m", "pip", "install"] and argv[4].startswith("torch==")
            assert argv[-1].rsplit("/", 1)[1].startswith("cu13")


def test_a_toolkit_of_another_major_than_torch_cannot_even_build_extensions():
    # driver 580.65.06 runs CUDA 13.0 (NVIDIA's CUDA 13.0 release notes, table 3): torch here is a CUDA 13 build
    _, data = cli_json("lint", "sudo apt-get install -y cuda-toolkit-12-4", *RTX3090_NEW)
    assert "CUDA 12.4 cannot even compile extensions for torch built with CUDA 13" in data["findings"][0]["message"]
    # without a GPU torch is a CPU build, which uses no toolkit at all
    _, data = cli_json("lint", "sudo apt-get install -y cuda-toolkit-12-4", *NO_GPU)
    assert "the torch planned here is not a CUDA build, so no CUDA toolkit is used at all" in data["findings"][0]["message"]


@pytest.mark.parametrize("command", ["sudo apt-get install -y git python3-pip", "sudo dpkg -i cuda-keyring_1.1-1_all.deb",
                                     "sudo apt install nvidia-driver-550", "pip install numpy"])
def test_system_installs_of_other_things_are_not_findings(command):
    code, data = cli_json("lint", command, *RTX3090_NEW)
    assert (code, ids(data)) == (0, ["lint.nothing-to-check"])


def test_the_distribution_toolkit_is_named_with_its_version(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y nvidia-cuda-toolkit\n")
    _, data = cli_json("lint", "--file", str(dockerfile), "--no-gpu")
    (finding,) = data["findings"]
    # packages.ubuntu.com/jammy/nvidia-cuda-toolkit: 11.5.1-1ubuntu1
    assert finding["id"] == "lint.cuda-toolkit-not-needed"
    assert finding["message"].startswith("nvidia-cuda-toolkit (CUDA 11.5 on Ubuntu 22.04: ")


def test_lint_agrees_with_install_on_a_machine_without_a_gpu():
    code, data = cli_json("lint", "pip install torch torchvision", *NO_GPU)
    assert code == 1 and ids(data) == ["lint.gpu-build-without-gpu"]
    _, plan = cli_json("install", "--dry-run", "torch", "torchvision", *NO_GPU)
    assert plan["plan"]["variant"] == "cpu"
    assert data["findings"][0]["commands"] == [plan["plan"]["commands"]["pip"]]
    assert data["findings"][0]["commands"][0][-2:] == ["--index-url", "https://download.pytorch.org/whl/cpu"]
    # an explicit CUDA index on that machine: the same finding
    _, data = cli_json("lint", "pip install torch --index-url https://download.pytorch.org/whl/cu130", *NO_GPU)
    assert ids(data) == ["lint.gpu-build-without-gpu"]
    # the CPU index there fits
    code, data = cli_json("lint", "pip install torch --index-url https://download.pytorch.org/whl/cpu", *NO_GPU)
    assert (code, ids(data)) == (0, [])


def test_pypi_cpu_default_on_a_windows_machine_with_a_gpu():
    # PyPI's Windows wheel is the CPU build (compat-data.md §2c); install plans a CUDA build for the RTX 3090
    machine = ["--target-os", "windows", "--target-arch", "x86_64", "--target-python", "3.12",
               "--gpu", "NVIDIA GeForce RTX 3090", "--driver", "591.86"]
    code, data = cli_json("lint", "pip install torch", *machine)
    assert code == 1 and ids(data) == ["lint.cpu-build-on-gpu"]
    argv = data["findings"][0]["commands"][0]
    assert argv[argv.index("--index-url") + 1].rsplit("/", 1)[1].startswith("cu")


def test_a_dockerfile_is_judged_for_its_image_not_this_host():
    code, text = cli_text("lint", "--file", str(LINT / "IzhanVarsky-big-data-hw.Dockerfile"), "--no-gpu")
    assert text.splitlines()[0] == (
        f"envdoctor lint · 1 command(s) from {LINT / 'IzhanVarsky-big-data-hw.Dockerfile'} · for image "
        "python:3.10.4-slim-buster (Debian 10): linux-x86_64 · Python 3.10 (from the image tag "
        "python:3.10.4-slim-buster) · no NVIDIA or AMD GPU (described by --no-gpu)")
    assert code == 0


def test_a_dockerfile_python_from_apt_and_commands_that_run_inside_the_image():
    code, data = cli_json("lint", "--file", str(LINT / "beachcities-Tessera.Dockerfile"), "--no-gpu")
    assert data["facts"]["python"]["executable"] != [] and code == 1
    finding = next(f for f in data["findings"] if f["id"] == "lint.gpu-build-without-gpu")
    argv = finding["commands"][0]
    assert argv[:4] == ["python3", "-m", "pip", "install"] and argv[-1] == "https://download.pytorch.org/whl/cpu"
    _, text = cli_text("lint", "--file", str(LINT / "beachcities-Tessera.Dockerfile"), "--no-gpu")
    assert ("for image nvidia/cuda:12.6.0-devel-ubuntu22.04 (Ubuntu 22.04, CUDA 12.6): linux-x86_64 · Python 3.10 "
            "(from apt package python3.10)") in text.splitlines()[0]
    assert sys.executable not in text


def test_a_dockerfile_meets_the_gpu_that_is_described():
    # an RTX 5090 is sm_120; cu126 builds carry kernels up to sm_90 (PyTorch's build matrix)
    machine = ["--gpu", "NVIDIA GeForce RTX 5090", "--driver", "580.65.06"]
    code, data = cli_json("lint", "--file", str(LINT / "beachcities-Tessera.Dockerfile"), *machine)
    finding = next(f for f in data["findings"] if f["id"] == "lint.variant-does-not-fit")
    assert code == 1 and "sm_120" in finding["message"]
    _, text = cli_text("lint", "--file", str(LINT / "pizoz-Thesis.Dockerfile"))
    assert text.splitlines()[0].endswith("Python 3.11 (from the image tag python:3.11-bookworm) · GPU not described "
                                         "(--gpu/--driver, or --no-gpu)")


def test_each_stage_of_a_multi_stage_build_is_judged_by_its_from():
    _, text = cli_text("lint", "--file", str(LINT / "multistage-assembled.Dockerfile"), "--no-gpu")
    header = text.splitlines()[0]
    assert ("image ubuntu:22.04 (Ubuntu 22.04): linux-x86_64 · Python 3.10 (from apt package python3 "
            "(packages.ubuntu.com/jammy/python3: 3.10.6-1~22.04))") in header
    assert "image python:3.12-slim (Debian 12): linux-x86_64 · Python 3.12 (from the image tag python:3.12-slim)" in header
    code, data = cli_json("lint", "--file", str(LINT / "multistage-assembled.Dockerfile"), "--no-gpu")
    name = str(LINT / "multistage-assembled.Dockerfile")
    assert code == 1 and [(f["subject"], f["id"]) for f in data["findings"]] == [
        (f"{name}:3", "lint.cuda-toolkit-not-needed"), (f"{name}:3", "lint.cudnn-not-needed"),
        (f"{name}:7", "lint.gpu-build-without-gpu")]


# flash-attn's README installs it with `pip install flash-attn --no-build-isolation`; xformers' CHANGELOG pins each
# release's wheels to one torch (0.0.28.post3 -> torch 2.5.1, 0.0.28.post1 -> 2.4.1): recipes/extensions.toml
@pytest.mark.parametrize("command, expected", [
    ("pip install flash-attn", ["lint.extension-build-isolation"]),
    ("pip install flash-attn --no-build-isolation", []),
    ("uv pip install flash-attn==2.6.3", ["lint.extension-build-isolation"]),
    ("pip install torch==2.5.1 xformers==0.0.28.post3", []),
])
def test_extensions_that_build_against_torch_need_no_build_isolation(command, expected):
    _, data = lint_json(*RTX3090, command)
    assert [i for i in ids(data) if i.startswith("lint.extension-")] == expected


def test_an_xformers_pin_that_moves_torch_names_the_release_for_this_torch():
    command = "pip install torch==2.4.1 xformers==0.0.28.post3 --index-url https://download.pytorch.org/whl/cu124"
    _, data = lint_json(*RTX3090_NEW, command)
    (finding,) = [f for f in data["findings"] if f["id"] == "lint.extension-moves-torch"]
    assert finding["severity"] == "error"
    assert finding["message"].startswith("xformers==0.0.28.post3's wheels require torch==2.5.1, but the command pins "
                                         "torch 2.4.1")
    assert finding["fix"].startswith("pin xformers==0.0.28.post1, the release built for torch 2.4.1")


def test_an_xformers_pin_alone_is_judged_against_the_torch_the_machine_gets(recipes):
    # no torch in the command and none installed: the torch envdoctor plans for this machine is the one moved
    installs, _, _ = parse_command(Line("cli", "pip install xformers==0.0.23"))
    (judged,) = lint_installs(installs, [], described(recipes), recipes)
    (finding,) = [f for f in judged.findings if f.id == "lint.extension-moves-torch"]
    assert "require torch==2.1.1, but the torch for this machine is" in finding.message


@pytest.mark.parametrize(("requirement", "also_torch"), [
    ("torch @ https://example.com/torch-2.5.0-cp311-cp311-linux_x86_64.whl", False),
    ("pytorch @ https://example.com/t.whl", False),
    ("torchvision @ https://example.com/tv.whl", True),
    ("nvidia-cudnn-cu12 @ https://example.com/cudnn.whl", True),
    ("pytorch-triton-rocm @ https://example.com/triton.whl", False),
    ("triton @ https://example.com/triton.whl", True),
])
def test_a_direct_reference_of_the_torch_family_is_an_error_as_install_refuses_it(requirement, also_torch):
    """The same family rule as `envdoctor install` (tests/hostile/test_family_direct_references.py)."""
    command = shlex.join(["pip", "install", *(["torch"] if also_torch else []), requirement])
    done = subprocess.run([sys.executable, "-m", "envdoctor", "lint", "--json", command, "--no-gpu"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1, done.stderr
    found = [f for f in json.loads(done.stdout)["findings"] if f["id"] == "lint.direct-reference"]
    assert [(f["severity"], f["message"]) for f in found] == [(
        "error", f"'{requirement}' installs whatever lies at that URL, not the build chosen for this machine or what "
                 "torch was made with (envdoctor install refuses it)")]


def test_a_direct_reference_outside_the_family_is_no_direct_reference_finding():
    command = "pip install torch 'mypkg @ https://example.com/mypkg-1.0-py3-none-any.whl'"
    done = subprocess.run([sys.executable, "-m", "envdoctor", "lint", "--json", command, "--no-gpu"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert [f for f in json.loads(done.stdout)["findings"] if f["id"] == "lint.direct-reference"] == []
