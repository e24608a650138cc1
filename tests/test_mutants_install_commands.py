"""Install commands read out of lines and files, compared whole (every Install and Script) with values
written by hand from the commands themselves. The runfile name is NVIDIA's CUDA 12.4.1 Linux runfile; the
environment.yml layout is conda's documented one (``channels``, ``dependencies``, a nested ``pip:`` list)."""

from __future__ import annotations

from envdoctor.readers.install_commands import Install, Line, Script, file_kind, parse_command, read_file_installs

RUNFILE = "cuda_12.4.1_550.54.15_linux.run"


def test_a_runfile_run_by_a_shell_or_directly():
    for text, installer in ((f"bash {RUNFILE} --silent --toolkit", RUNFILE), (f"sudo sh {RUNFILE}", RUNFILE),
                            (f"./{RUNFILE}", f"./{RUNFILE}")):
        assert parse_command(Line("s:1", text)) == ([Install("s:1", text, "installer", [installer])], [], [])


def test_uv_pip_install_is_uv():
    text = "uv pip install torch --index-url https://download.pytorch.org/whl/cu124"
    assert parse_command(Line("s:1", text)) == ([Install(
        "s:1", text, "uv", ["torch"], [("--index-url", "https://download.pytorch.org/whl/cu124")])], [], [])


def test_a_dockerfile_s_scripts_and_its_last_stage_s_python():
    text = ("FROM ubuntu:22.04\n"
            "RUN curl -fsSL https://a.example/one.sh | sh\n"
            "RUN apt-get install -y python3-pip && wget -qO- https://b.example/two.sh | bash\n"
            "RUN pip install torch\n")
    installs, scripts, unread = read_file_installs(text, "dockerfile", "Dockerfile")
    assert scripts == [Script("Dockerfile:2", "curl -fsSL https://a.example/one.sh | sh", "https://a.example/one.sh", "sh"),
                       Script("Dockerfile:3", "apt-get install -y python3-pip && wget -qO- https://b.example/two.sh | bash",
                              "https://b.example/two.sh", "bash")]
    assert ([(i.tool, i.requirements) for i in installs], unread) == ([("apt", ["python3-pip"]), ("pip", ["torch"])], [])
    image = installs[1].image
    assert image is not None and (image.reference, image.distro, image.python, image.python_from) == (
        "ubuntu:22.04", ("ubuntu", "22.04"), "3.10",
        "apt package python3-pip (packages.ubuntu.com/jammy/python3: 3.10.6-1~22.04)")


ENVIRONMENT = """\
name: ml
channels:
  - pytorch
dependencies:
  - python=3.11
  - pip:
    - --index-url https://mirror.example/simple
    - --extra-index-url=https://download.pytorch.org/whl/cu121
    - torch==2.1.0
  - pipX:
  - numpy
"""


def test_an_environment_file_read_whole():
    assert read_file_installs(ENVIRONMENT, "conda-env", "environment.yml") == ([
        Install("environment.yml:5", "conda env create -f environment.yml", "conda", ["python=3.11", "pipX:", "numpy"],
                channels=["pytorch"]),
        Install("environment.yml:9", "pip install (the pip: list of environment.yml)", "pip", ["torch==2.1.0"],
                [("--index-url", "https://mirror.example/simple"),
                 ("--extra-index-url", "https://download.pytorch.org/whl/cu121")]),
    ], [], [])


def test_file_kinds_by_name():
    assert [file_kind(name, "") for name in ("Containerfile", "containerfile.gpu", "app.containerfile",
                                             "Dockerfile.cuda", "docs/README.rst", "env.yml")] == [
        "dockerfile", "dockerfile", "dockerfile", "dockerfile", "markdown", "shell"]
