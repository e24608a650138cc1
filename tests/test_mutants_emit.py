"""Emitted files compared whole with hand-written text: conda's environment.yml keys (``channels``,
``dependencies``, ``pip:``) as conda documents them, uv's ``format = "flat"`` for a find-links index, and
pip's ``-f``/``--find-links`` (pip's documentation: the two spell one option)."""

from __future__ import annotations

import pytest

from envdoctor import __version__
from envdoctor.emit import EmitError, render

HEADER = f"# envdoctor {__version__}: torch 2.1.0 (cu121) for linux-x86_64, Python 3.11"
CONDA_STEP = ["conda", "install", "-n", "ml", "pytorch==2.1.0", "pytorch-cuda=12.1", "-c", "pytorch", "-c", "nvidia",
              "--channel", "pytorch", "-y"]


def plan(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {"ok": True, "torch": "2.1.0", "variant": "cu121", "platform": "linux-x86_64",
                               "python": "3.11", "packages": ["torch==2.1.0+cu121", "numpy>=1.26"]}
    return {**base, **changes}


@pytest.mark.parametrize("manager", [None, "conda"])
def test_the_conda_command_becomes_the_environment(manager):
    assert render(plan(steps={"conda": [CONDA_STEP]}), "conda-env", manager) == "\n".join([
        HEADER, "channels:", '  - "pytorch"', '  - "nvidia"', "dependencies:", '  - "python=3.11"',
        '  - "pytorch==2.1.0"', '  - "pytorch-cuda=12.1"', '  - "pip"', "  - pip:", '      - "numpy>=1.26"', ""])


def test_mamba_is_taken_when_the_plan_has_only_mamba():
    mamba = ["mamba", "install", "--prefix", "/opt/env", "pytorch==2.1.0", "-c", "conda-forge"]
    assert render(plan(steps={"mamba": [mamba]}, packages=["torch==2.1.0"]), "conda-env") == "\n".join([
        HEADER, "channels:", '  - "conda-forge"', "dependencies:", '  - "python=3.11"', '  - "pytorch==2.1.0"', ""])


@pytest.mark.parametrize("index", [
    {"url": "https://wheels.example/cu121/", "layout": "find-links"},
    {"url": "https://wheels.example/cu121/", "flag": "-f"},
])
def test_a_find_links_index_under_pip(index):
    text = render(plan(indexes={"torch": index}), "conda-env")
    assert text == "\n".join([
        HEADER, "channels:", '  - "conda-forge"', "dependencies:", '  - "python=3.11"', '  - "pip"', "  - pip:",
        '      - "--find-links https://wheels.example/cu121/"', '      - "torch==2.1.0"', '      - "numpy>=1.26"', ""])


def test_a_flag_f_index_is_flat_for_uv():
    text = render(plan(indexes={"torch": {"url": "https://wheels.example/cu121/", "flag": "-f"}},
                       packages=["torch==2.1.0"], platform=None), "uv")
    assert text == "\n".join([
        f"# envdoctor {__version__}: torch 2.1.0 (cu121) for an unknown platform, Python 3.11",
        "# merge into pyproject.toml; the torch family comes from the explicit index, all else from the default",
        "[project]", 'dependencies = ["torch==2.1.0"]', "", "[[tool.uv.index]]", 'name = "pytorch-cu121"',
        'url = "https://wheels.example/cu121/"', "explicit = true", 'format = "flat"', "", "[tool.uv.sources]",
        'torch = [{ index = "pytorch-cu121" }]', ""])


@pytest.mark.parametrize(("platform", "shown"), [(None, "an unknown platform"), ("windows-x86_64", "windows-x86_64")])
def test_a_dockerfile_needs_a_linux_plan(platform, shown):
    with pytest.raises(EmitError) as refused:
        render(plan(platform=platform), "dockerfile")
    assert str(refused.value) == f"a Dockerfile runs Linux images; this plan is for {shown}"
