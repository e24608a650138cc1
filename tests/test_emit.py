"""`install --dry-run --emit FORM`: each file is read by the tool that reads it, not compared to golden text.

pip reads the requirements file (``--dry-run --report``) and uv the pyproject snippet (``uv pip compile``)
against two loopback indexes (tests/install_servers.py: one plays the PyTorch index, one PyPI with no
torch), and their answers say which index served which package. tomllib reads the pixi fragment,
PyYAML the environment.yml, and each Dockerfile RUN line is exec-form JSON whose argv pip runs with
``--dry-run``. uv and PyYAML are test dependencies (``pip install uv pyyaml``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from install_servers import TORCH_DEPENDENCIES, Index, clean_env, local_wheels, torch_wheel

from envdoctor.emit import EmitError, render
from envdoctor.facts import Facts, PythonFacts
from envdoctor.recipes import load_recipes
from envdoctor.resolver import Request, resolve
from envdoctor.target import describe_target

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
ENTRY = [sys.executable, "-c", "from envdoctor.entry import main; main()"]
RECIPES = load_recipes()
WHEEL = torch_wheel()
needs_wheel = pytest.mark.skipif(WHEEL is None or os.name != "posix",
                                 reason="no torch-2.13.0+cpu wheel for this Python on disk (ENVDOCTOR_TEST_WHEELS)")


@pytest.fixture(scope="module")
def indexes():
    if WHEEL is None:
        pytest.skip("no torch wheel on disk")
    with Index([WHEEL, *local_wheels(TORCH_DEPENDENCIES)], root="whl") as pytorch, \
            Index(local_wheels(("six", *TORCH_DEPENDENCIES)), root="simple") as pypi:
        yield pytorch, pypi


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> str:
    """An empty venv of this Python: the interpreter the plans are for."""
    folder = tmp_path_factory.mktemp("emit") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=300)
    return str(folder / "bin" / "python")


def emit(form: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*ENTRY, "install", "--dry-run", "--emit", form, *args], capture_output=True, text=True,
                          cwd=ROOT, env=clean_env(), timeout=300)


def plan_args(target: str, pytorch: Index) -> list[str]:
    return ["torch==2.13.0", "six", "--no-gpu", "--python", target, "--mirror", pytorch.url]


@needs_wheel
def test_pip_reads_the_requirements_file_and_takes_each_package_from_its_index(indexes, target, tmp_path):
    pytorch, pypi = indexes
    done = emit("requirements", *plan_args(target, pytorch))
    assert done.returncode == 0, done.stderr
    assert f"--extra-index-url {pytorch.url}/cpu" in done.stdout.splitlines()
    (tmp_path / "requirements.txt").write_text(done.stdout)
    report = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps", "--quiet", "--report", "-",
         "-r", str(tmp_path / "requirements.txt")],
        capture_output=True, text=True, timeout=600, env=clean_env(PIP_INDEX_URL=pypi.url))
    assert report.returncode == 0, report.stderr
    chosen = {item["metadata"]["name"]: item for item in json.loads(report.stdout)["install"]}
    assert chosen["torch"]["metadata"]["version"] == "2.13.0+cpu"
    assert chosen["torch"]["download_info"]["url"].startswith(pytorch.url.rsplit("/", 1)[0])
    assert chosen["six"]["download_info"]["url"].startswith(pypi.url.rsplit("/", 1)[0])


@needs_wheel
@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed (pip install uv)")
def test_uv_reads_the_pyproject_snippet_and_routes_only_the_torch_family(indexes, target, tmp_path):
    pytorch, pypi = indexes
    done = emit("uv", *plan_args(target, pytorch))
    assert done.returncode == 0, done.stderr
    snippet = tomllib.loads(done.stdout)
    assert snippet["tool"]["uv"]["index"][0]["explicit"] is True
    assert set(snippet["tool"]["uv"]["sources"]) == {"torch"}
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(done.stdout.replace(
        "[project]\n", '[project]\nname = "demo"\nversion = "0.1"\nrequires-python = ">=3.10"\n', 1))
    pytorch.requests.clear()
    pypi.requests.clear()
    compiled = subprocess.run(["uv", "pip", "compile", "pyproject.toml", "--no-deps", "--python-version",
                               f"{sys.version_info.major}.{sys.version_info.minor}", "--no-header", "--no-annotate"],
                              cwd=project, capture_output=True, text=True, timeout=300,
                              env=clean_env(UV_DEFAULT_INDEX=pypi.url, UV_CACHE_DIR=str(tmp_path / "cache")))
    assert compiled.returncode == 0, compiled.stderr
    assert compiled.stdout.split() == ["six==1.17.0", "torch==2.13.0+cpu"]
    assert any(path.startswith("/whl/cpu/torch") for path in pytorch.requests)
    assert not any("/torch" in path for path in pypi.requests)  # the explicit index alone serves torch


def _described(*, gpu: bool) -> Facts:
    facts = describe_target(Facts(), target_os="linux", target_arch="x86_64", target_python="3.12", recipes=RECIPES,
                            base_is_host=False, **({"gpus": ["NVIDIA GeForce RTX 3090"], "driver": "535.104.05"}
                                                   if gpu else {"no_gpu": True}))
    return facts


def _plan(requirements: list[str], *, gpu: bool = True, **request) -> dict:
    return resolve(_described(gpu=gpu), Request(requirements=requirements, **request), RECIPES).to_dict()


def test_the_pixi_fragment_is_toml_with_the_torch_family_on_its_index():
    plan = _plan(["torch", "torchvision", "transformers[torch]>=4.40"])
    manifest = tomllib.loads(render(plan, "pixi"))
    deps = manifest["pypi-dependencies"]
    assert deps["torch"] == {"version": f"=={plan['torch']}", "index": plan["index_url"]}
    assert deps["torchvision"]["index"] == plan["index_url"]
    assert deps["transformers"] == {"version": ">=4.40", "extras": ["torch"]}
    with pytest.raises(EmitError, match="marker"):
        render(_plan(["torch", "numpy<2; python_version < '3.13'"]), "pixi")


def test_the_conda_environment_is_yaml_with_the_conda_plan_and_pip_for_the_rest():
    yaml = pytest.importorskip("yaml")
    plan = _plan(["torch", "torchvision", "transformers>=4.40"])
    env = yaml.safe_load(render(plan, "conda-env"))
    assert env["channels"] == ["conda-forge"]
    assert "python=3.12" in env["dependencies"] and f"pytorch-gpu=={plan['torch']}" in env["dependencies"]
    assert any(str(d).startswith("cuda-version=") for d in env["dependencies"])
    assert {"pip": ["transformers>=4.40"]} in env["dependencies"]
    rocm = resolve(_described(gpu=False), Request(requirements=["torch"], variant="rocm6.4"), RECIPES).to_dict()
    if rocm["ok"]:  # conda has no ROCm build: the pip plan goes under pip:, with its index line
        pip = next(d["pip"] for d in yaml.safe_load(render(rocm, "conda-env"))["dependencies"] if isinstance(d, dict))
        assert pip[0] == f"--extra-index-url {rocm['index_url']}" and pip[1].startswith("torch==")


def test_the_dockerfile_for_a_described_gpu_target_runs_the_plans_argv_without_a_shell():
    plan = _plan(["torch", "torchvision", "transformers"])
    text = render(plan, "dockerfile")
    runs = [json.loads(line[len("RUN "):]) for line in text.splitlines() if line.startswith("RUN ")]
    steps = plan["steps"]["pip"]
    assert len(runs) == len(steps) == 2
    for argv, step in zip(runs, steps, strict=True):
        assert argv[:5] == ["python3", "-m", "pip", "install", "--no-cache-dir"] and argv[5:] == step[4:]
    assert "# needs glibc >= 2.28" in text and plan["variant"].startswith("cu")
    with pytest.raises(EmitError, match="Linux"):
        render(resolve(describe_target(Facts(), target_os="windows", target_arch="x86_64", target_python="3.12",
                                       no_gpu=True, recipes=RECIPES, base_is_host=False), Request(), RECIPES).to_dict(),
               "dockerfile")


@needs_wheel
@pytest.mark.needs_torch
def test_pip_runs_each_dockerfile_line(indexes, target, tmp_path):
    """The RUN argv, with this venv's python for the image's python3, resolves against the loopback indexes:
    the first line as in an empty image, the next ones where the first has left torch 2.13.0+cpu, as this
    venv has it."""
    pytorch, pypi = indexes
    done = emit("dockerfile", *plan_args(target, pytorch))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line[len("RUN "):]) for line in done.stdout.splitlines() if line.startswith("RUN ")]
    assert len(lines) == 2
    for number, argv in enumerate(lines):
        fresh = ["--ignore-installed"] if number == 0 else []
        run = subprocess.run([sys.executable, *argv[1:], "--dry-run", *fresh, "--no-deps", "--quiet"],
                             capture_output=True, text=True, timeout=600, env=clean_env(PIP_INDEX_URL=pypi.url))
        assert run.returncode == 0, (argv, run.stderr)


def test_every_form_refuses_a_plan_that_did_not_fit_and_flags_are_checked():
    plan = resolve(Facts(python=PythonFacts(status="ok", executable="/x/python", version="3.6.15",
                                            implementation="cpython")), Request(), RECIPES).to_dict()
    with pytest.raises(EmitError, match="no torch build fits"):
        render(plan, "requirements")
    done = subprocess.run([*ENTRY, "install", "--emit", "uv"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2 and "--dry-run" in done.stderr


def test_a_find_links_mirror_and_a_pypi_mirror_appear_in_each_form(tmp_path):
    overlay = tmp_path / "recipes"
    overlay.mkdir()
    (overlay / "mirrors.toml").write_text(
        'schema = "envdoctor.recipes.mirrors/1"\nsource = "a find-links mirror (synthesised)"\n'
        'mirror = [{ prefix = "https://download.pytorch.org/whl", replacement = "https://mirror.example/whl", '
        'layout = "find-links" }]\n')
    recipes = load_recipes([overlay])
    plan = resolve(_described(gpu=True), Request(requirements=["torch"]), recipes)
    assert plan.indexes["torch"]["layout"] == "find-links" and plan.commands["pip"][-2] == "-f"
    assert plan.packages[0].endswith(f"+{plan.variant}")  # the user's index stays in play: pins name the build
    data = plan.to_dict()
    assert "--find-links https://mirror.example/whl/" in render(data, "requirements")
    uv = tomllib.loads(render(data, "uv"))
    assert uv["tool"]["uv"]["index"][0]["format"] == "flat"
    pixi = tomllib.loads(render(data, "pixi"))
    assert pixi["pypi-options"]["find-links"][0]["url"].startswith("https://mirror.example/whl/")
