"""What `install` prints: the plan says what changes and why not newer in the default output, commands
paste into the target's shell, a run says what it did, and its last line never hides a failure."""

from __future__ import annotations

from test_resolver import T4, machine

from envdoctor.facts import Facts, TorchFacts
from envdoctor.recipes import load_recipes
from envdoctor.render import Painter, render_plan, render_preview, render_text
from envdoctor.report import ExitCode, Report
from envdoctor.resolver import Request, resolve

RECIPES = load_recipes()
#: The newest release in the data: what a plan without limits picks (read here, so a data update moves it).
NEWEST = RECIPES.releases[0].version
PAINT = Painter(color=False, ascii_only=False)


def plan_for(facts: Facts, *requirements: str, **request) -> dict:
    return resolve(facts, Request(requirements=list(requirements), **request), RECIPES).to_dict()


def test_the_default_output_says_what_changes_and_why_not_newer():
    facts = machine("470.82.01", [T4])
    facts.torch = TorchFacts(status="ok", version="2.7.1+cpu", local="cpu")
    text = "\n".join(render_plan(plan_for(facts, "torch", "transformers"), PAINT, verbose=0))
    assert "torch         2.7.1+cpu → 2.7.1+cu118" in text and "reinstall (CPU -> CUDA 11.8)" in text
    assert "transformers  not installed → transformers" in text
    assert (f"[i] torch 2.7.1, not {NEWEST}: your driver 470.82.01 supports CUDA 11.4; upgrade the driver to >= "
            f"580.65.06 for torch up to {NEWEST}" in text)
    assert "pip    $ 1. /opt/venv/bin/python -m pip install torch==2.7.1+cu118" in text
    assert "others from your pip/uv configuration" in text


def test_a_windows_target_gets_powershell_and_cmd_lines():
    facts = machine(system="Windows", arch="AMD64", glibc=None)
    facts.python.executable = "C:\\Users\\Dev User\\venv\\Scripts\\python.exe"
    text = "\n".join(render_plan(plan_for(facts), PAINT, verbose=0))
    assert "PS> & 'C:\\Users\\Dev User\\venv\\Scripts\\python.exe' -m pip install" in text
    assert 'cmd> "C:\\Users\\Dev User\\venv\\Scripts\\python.exe" -m pip install' in text
    assert "$ 'C:" not in text


def test_the_preview_before_confirmation_lists_every_step():
    plan = plan_for(machine(), "torch", "six")
    text = render_preview(plan, "pip", color=False, ascii_only=True)
    assert text.startswith(f"envdoctor will install torch {NEWEST} | cpu into the system Python /opt/venv/bin/python")
    assert text.count("  $ /opt/venv/bin/python -m pip install") == 2 and "It runs (pip):" in text


def ran(summary: str, succeeded: bool, applied: bool) -> dict:
    return {"confirmed": "--yes", "index_checks": [], "steps": [{"argv": ["pip", "install", "torch"], "status": "ok",
            "returncode": 0 if succeeded else 1, "duration_s": 1.0}], "succeeded": succeeded, "applied": applied,
            "before": {"torch": None}, "after": {"torch": "2.13.0+cpu" if applied else None}, "summary": summary}


def test_the_last_line_of_a_run_says_what_it_did_and_never_hides_a_failure():
    plan = plan_for(machine())
    plan["run"] = ran(f"installed torch {NEWEST}+cpu", True, True)
    good = Report("install", machine(), plan=plan)
    assert render_text(good, False, False).splitlines()[-1].startswith(f"installed torch {NEWEST}+cpu")
    plan = dict(plan, run=ran("pip failed (exit code 1); the target now has torch not installed", False, False))
    bad = Report("install", machine(), plan=plan, error="pip failed: exit code 1", exit_override=ExitCode.INSTALLER)
    lines = render_text(bad, False, False).splitlines()
    assert lines[-1].startswith("pip failed (exit code 1)") and "no problems found" not in lines[-1]
    assert not bad.ok and bad.exit_code == ExitCode.INSTALLER
    assert "  Ran" in lines and any("[✗] pip install torch" in line for line in lines)
    nothing = Report("install", None, error="could not start")
    assert "no problems found" not in render_text(nothing, False, False)


def test_sjtu_serves_a_find_links_era_release_from_its_variant_index():
    """sjtug/portal content/post/mirror-help/pytorch-wheels.md: "replace https://download.pytorch.org/whl with
    https://mirror.sjtu.edu.cn/pytorch-wheels", per-variant simple indexes (cu126/, ...), and the torch_stable.html
    (-f) usage marked deprecated. PyTorch's own per-variant indexes serve the 1.8-1.10 wheels: public installs of
    torch==1.8.1+cu111 and 1.10.2+cu111 with --extra-index-url .../whl/cu111. Expected argv written by hand."""
    from envdoctor.mirrors import choose

    facts = machine("470.82.01", [T4], python="3.8.10")
    plan = plan_for(facts, "torch==1.9.0", mirrors=choose(["sjtu"], RECIPES))
    assert plan["steps"]["pip"] == [["/opt/venv/bin/python", "-m", "pip", "install", "torch==1.9.0+cu111",
                                     "--extra-index-url", "https://mirror.sjtu.edu.cn/pytorch-wheels/cu111"]]
    assert plan["steps"]["uv"] == [["uv", "pip", "install", "--python", "/opt/venv/bin/python", "torch==1.9.0+cu111",
                                    "--extra-index-url", "https://mirror.sjtu.edu.cn/pytorch-wheels/cu111"]]
    assert plan["indexes"]["torch"] == {"url": "https://mirror.sjtu.edu.cn/pytorch-wheels/cu111", "layout": "simple",
                                        "flag": "--extra-index-url", "mirror": "--mirror sjtu"}
    assert plan["command_notes"]["pip"] == (
        "torch 1.9.0 was published on a find-links page (https://download.pytorch.org/whl/torch_stable.html); "
        "--mirror sjtu serves simple indexes, so its cu111 index https://mirror.sjtu.edu.cn/pytorch-wheels/cu111 is "
        "used (PyTorch's per-variant indexes hold the 1.8-1.10 wheels too), with --extra-index-url and +cu111 pins")
    text = "\n".join(render_plan(plan, PAINT, verbose=0))
    assert "torch_stable.html" not in text.replace("(https://download.pytorch.org/whl/torch_stable.html)", "")


def test_without_a_mirror_a_find_links_era_release_keeps_its_find_links_page():
    """previous-versions.md: 1.8-1.10 install with -f https://download.pytorch.org/whl/torch_stable.html."""
    plan = plan_for(machine("470.82.01", [T4], python="3.8.10"), "torch==1.10.1")
    assert plan["steps"]["pip"] == [["/opt/venv/bin/python", "-m", "pip", "install", "torch==1.10.1+cu113",
                                     "-f", "https://download.pytorch.org/whl/torch_stable.html"]]
    assert "pip" not in plan["command_notes"]


def test_a_find_links_mirror_row_still_rewrites_the_find_links_page(tmp_path):
    """A mirror row with layout "find-links" (recipes/README.md, mirrors.toml) is given with -f."""
    (tmp_path / "mirrors.toml").write_text(
        'schema = "envdoctor.recipes.mirrors/1"\nmirror = [{ prefix = "https://download.pytorch.org/whl", '
        'replacement = "https://flat.example/whl", layout = "find-links" }]\n')
    recipes = load_recipes([tmp_path])
    plan = resolve(machine("470.82.01", [T4], python="3.8.10"), Request(requirements=["torch==1.10.1"]), recipes)
    assert plan.steps["pip"] == [["/opt/venv/bin/python", "-m", "pip", "install", "torch==1.10.1+cu113",
                                  "-f", "https://flat.example/whl/torch_stable.html"]]
