"""`envdoctor recipes refresh` where the PyTorch wheel index cannot be reached (as from networks that block
it), through a copy of it (``--mirror``), and with neither index reachable: the loopback PyPI of the refresh
fixtures (tests/fixtures/refresh/, real listings and wheels), a loopback port nobody listens on as the
unreachable index, and a copy of the built-in data without torch 2.14.1 for refresh to find again.

Expected values are written out by hand from the fixture wheels: torch 2.14.1's PyPI wheels are
``+cu130`` on linux-x86_64 (torch/version.py), pin cuda-toolkit==13.0.3 on linux-aarch64 (METADATA),
``+cpu`` on windows-x86_64 (torch/version.py); macOS arm64 is the mps build by convention.
"""

from __future__ import annotations

import json
import socket

import pytest
from install_servers import Page, RefreshIndex
from test_refresh import SEEN_BY_A_REFRESH, data_without, expected_rows, plans, refresh_into, release_rows, variant_rows
from test_refresh_cli import envdoctor
from test_refresh_units import synthetic_material

from envdoctor.mirrors import choose
from envdoctor.recipes import check_refreshed, load_recipes
from envdoctor.refresh.indexes import IndexFile
from envdoctor.refresh.learn import build
from envdoctor.refresh.reading import Material
from envdoctor.refresh.run import RefreshError, torch_index

NOT_LEARNT = ("torch 2.14.1: only the PyPI builds are known (linux-x86_64 cu130, linux-aarch64 cu130, windows-x86_64 cpu, "
              "macos-arm64 mps); the PyTorch index's per-variant builds (+cuXXX, +rocmX.Y, +xpu, +cpu), the platforms "
              "each is built for and their kernel architecture lists were not learnt (the PyTorch wheel index was not read)")


def closed_port_url(path: str) -> str:
    """A loopback URL nobody answers: the port was bound and let go, so connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def test_with_the_pytorch_index_down_the_release_is_learnt_from_pypi_and_says_what_it_lacks(tmp_path):
    builtin = data_without(tmp_path, "2.14.1")
    down = closed_port_url("/whl")
    with RefreshIndex() as index:
        run = refresh_into(tmp_path, builtin, index, index=down)
    outcome = run.outcome
    assert run.written and outcome.releases == ["2.14.1"]
    assert outcome.not_learned == [NOT_LEARNT]
    assert outcome.pytorch_missing.startswith(f"{down}/torch/: unreachable: ")
    assert outcome.notes[0] == (f"the PyTorch wheel index was not read ({outcome.pytorch_missing}): releases learnt "
                                "from PyPI alone, with PyPI's own builds only; differences in known releases not checked")
    assert outcome.changes[0] == ("new release 2.14.1: variants cpu, cu130, mps; PyPI default linux-x86_64 cu130, "
                                  "linux-aarch64 cu130, windows-x86_64 cpu, macos-arm64 mps; torchvision 0.29.1; "
                                  "4 item(s) inferred")
    refreshed = load_recipes(builtin=builtin, refreshed=tmp_path / "refreshed")
    release = refreshed.release("2.14.1")
    assert release is not None
    assert dict(release.pypi) == {"linux-x86_64": "cu130", "linux-aarch64": "cu130", "windows-x86_64": "cpu",
                                  "macos-arm64": "mps"}
    assert {v.name: v.platforms for v in release.variants} == {
        "cpu": ("windows-x86_64",), "cu130": ("linux-x86_64", "linux-aarch64"), "mps": ("macos-arm64",)}
    assert release.python["linux-x86_64"] == ("3.10", "3.11", "3.12", "3.13", "3.14", "3.14t")
    assert release.inferred[0] == NOT_LEARNT
    assert release.note.endswith(f"learnt from PyPI alone: the PyTorch wheel index {down} was not read")
    # what PyPI tells is the same as when the index is read
    original = load_recipes(refreshed=False)
    assert release_rows(refreshed, "2.14.1")[:5] == release_rows(original, "2.14.1")[:5]
    by_machine = plans(refreshed, "2.14.1")
    gpu = by_machine[0]  # linux x86_64, RTX 4090, driver 580
    assert gpu["ok"] and gpu["variant"] == "cu130" and gpu["index_url"] is None
    assert gpu["commands"]["pip"] == ["python", "-m", "pip", "install", "torch==2.14.1", "torchvision==0.29.1"]
    assert len(gpu["inferred"]) == 1 and NOT_LEARNT in gpu["inferred"][0]
    no_gpu = by_machine[5]  # linux x86_64 without a GPU: +cpu lives only on the PyTorch index
    assert not no_gpu["ok"]


def test_a_pytorch_index_without_a_torch_page_is_the_same_state(tmp_path):
    builtin = data_without(tmp_path, "2.14.1")
    with RefreshIndex() as index:
        index.overrides["/whl/torch/"] = Page(status=404)
        run = refresh_into(tmp_path, builtin, index)
        pypi_only = {path for path, _ in index.server.requests if path.startswith("/whl/")}
    assert run.outcome.not_learned == [NOT_LEARNT]
    assert run.outcome.pytorch_missing == f"{index.index_url}/torch/: answered 404"
    assert pypi_only == {"/whl/torch/"}  # no variant page is asked for


def test_a_mirror_of_the_pytorch_index_is_learnt_from_as_the_index(tmp_path):
    builtin = data_without(tmp_path, "2.14.1")
    known = load_recipes(builtin=builtin, refreshed=False)
    with RefreshIndex() as mirror:
        run = refresh_into(tmp_path, builtin, mirror, index=None, mirrors=choose([mirror.index_url], known))
        mirror_url = mirror.index_url
    assert run.outcome.releases == ["2.14.1"] and run.outcome.not_learned == [] and run.outcome.pytorch_missing == ""
    assert run.outcome.overlay["refresh"]["index"] == mirror_url
    original = load_recipes(refreshed=False)
    refreshed = load_recipes(builtin=builtin, refreshed=tmp_path / "refreshed")
    assert release_rows(refreshed, "2.14.1") == expected_rows(original, "2.14.1")
    expected_variants = variant_rows(original, "2.14.1")
    for name in SEEN_BY_A_REFRESH["2.14.1"]:  # the built-in note says no wheel was read; a refresh reads one
        expected_variants[name] = expected_variants[name][:-1] + ("",)
    assert variant_rows(refreshed, "2.14.1") == expected_variants


def test_with_both_indexes_down_nothing_changes(tmp_path):
    builtin = data_without(tmp_path, "2.14.1")
    (tmp_path / "refreshed").mkdir()
    (tmp_path / "refreshed" / "torch.toml").write_text("# an earlier refresh\n")
    with RefreshIndex() as index:
        with pytest.raises(RefreshError) as caught:
            refresh_into(tmp_path, builtin, index, pypi=closed_port_url("/pypi"), index=closed_port_url("/whl"))
    message = str(caught.value)
    assert message.startswith("neither PyPI nor the PyTorch wheel index could be read: ")
    assert message.endswith("; nothing was changed") and message.count("Connection refused") == 2
    assert (tmp_path / "refreshed" / "torch.toml").read_text() == "# an earlier refresh\n"


def test_pypi_alone_gives_the_pypi_builds_and_honours_requires_python():
    """The synthesised torch 2.16.0 of the inference tests, its PyTorch index not read, plus a cp310 wheel
    whose Requires-Python (>=3.11) an installer would refuse on 3.10."""
    material, sources = synthetic_material()
    refused = IndexFile("torch-2.16.0-cp310-cp310-manylinux_2_28_x86_64.whl",
                        "https://files.example/torch-2.16.0-cp310-cp310-manylinux_2_28_x86_64.whl", ">=3.11",
                        "2026-12-09T15:00:00Z")
    alone = Material({**material.projects, "torch": [*material.projects["torch"], refused]}, [], {}, material.wheels,
                     material.read_from, pytorch_missing="https://whl.example/whl/torch/: timed out: no answer")
    outcome = build(load_recipes(refreshed=False), alone, sources, "2026-12-10", "2026-12-10T08:00:00Z", "0.1.0")
    recipes, problems = check_refreshed(outcome.text)
    assert problems == [] and recipes is not None
    release = recipes.release("2.16.0")
    assert release is not None
    assert release.python["linux-x86_64"] == ("3.12", "3.14")
    assert {v.name: v.platforms for v in release.variants} == {
        "cpu": ("windows-x86_64",), "cu134": ("linux-x86_64", "linux-aarch64"), "mps": ("macos-arm64",)}
    cu134 = release.variant("cu134")
    assert cu134 is not None and (cu134.cuda, cu134.toolkit) == ("13.4", "13.4.1")  # the PyPI wheel's pin
    assert outcome.not_learned == [
        "torch 2.16.0: only the PyPI builds are known (linux-x86_64 cu134, linux-aarch64 cu134, windows-x86_64 cpu, "
        "macos-arm64 mps); the PyTorch index's per-variant builds (+cuXXX, +rocmX.Y, +xpu, +cpu), the platforms each "
        "is built for and their kernel architecture lists were not learnt (the PyTorch wheel index was not read)"]


def test_a_mirror_preset_or_url_is_the_pytorch_index_a_refresh_reads():
    known = load_recipes(refreshed=False)
    sjtu = next(p.url for p in known.presets("sjtu") if p.serves == "pytorch")
    assert torch_index(known, None, choose(["sjtu"], known)) == sjtu
    assert torch_index(known, None, choose(["https://copy.example/whl/"], known)) == "https://copy.example/whl"
    assert torch_index(known, "https://given.example/whl", None) == "https://given.example/whl"


# ---------------------------------------------------------------------------- as users run it


def test_the_command_says_in_text_and_json_that_the_pytorch_index_was_not_read(tmp_path):
    down = closed_port_url("/whl")
    with RefreshIndex() as index:
        text = envdoctor(tmp_path, "recipes", "refresh", "--pypi", index.pypi_url, "--index", down, "--dry-run")
        done = envdoctor(tmp_path, "recipes", "refresh", "--pypi", index.pypi_url, "--index", down, "--json")
    assert text.returncode == 0, text.stderr
    assert f"  - the PyTorch wheel index was not read ({down}/torch/: unreachable: " in text.stdout
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "envdoctor.refresh/1" and document["written"] is True
    assert document["pytorch_index"]["url"] == down and document["pytorch_index"]["read"] is False
    assert document["pytorch_index"]["problem"].startswith(f"{down}/torch/: unreachable: ")
    assert document["releases"] == [] and document["not_learned"] == []  # the built-in data has every release
    written = tmp_path / "data" / "envdoctor" / "recipes" / "torch.toml"
    assert f"PyTorch wheel index {down} not read: releases learnt from PyPI alone" in written.read_text()
    assert load_recipes(refreshed=written.parent).release("2.14.1") is not None  # the overlay loads


def test_both_indexes_down_exits_1_and_writes_nothing(tmp_path):
    done = envdoctor(tmp_path, "recipes", "refresh", "--pypi", closed_port_url("/pypi"), "--index",
                     closed_port_url("/whl"), "--json")
    assert done.returncode == 1
    assert "envdoctor: neither PyPI nor the PyTorch wheel index could be read: " in done.stderr
    assert done.stderr.rstrip().endswith("; nothing was changed")
    assert json.loads(done.stdout)["error"].startswith("neither PyPI nor the PyTorch wheel index could be read")
    assert not (tmp_path / "data").exists()


def test_mirror_takes_a_url_and_the_presets_install_takes(tmp_path):
    with RefreshIndex() as mirror:
        done = envdoctor(tmp_path, "recipes", "refresh", "--pypi", mirror.pypi_url, "--mirror", mirror.index_url,
                         "--dry-run", "--json")
        asked = {path for path, _ in mirror.server.requests}
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["pytorch_index"] == {"url": mirror.index_url, "read": True, "problem": None}
    assert "/whl/torch/" in asked
    sjtu = next(p.url for p in load_recipes(refreshed=False).presets("sjtu") if p.serves == "pytorch")
    offline = envdoctor(tmp_path, "recipes", "refresh", "--mirror", "sjtu", "--pypi", "https://pypi.example",
                        "--offline")
    assert offline.returncode == 1
    assert f"{sjtu}/torch/: not in the cache of the last refresh" in offline.stderr


@pytest.mark.parametrize("args, message", [
    (["--mirror", "nowhere"], "--mirror 'nowhere': no such preset"),
    (["--mirror", "sjtu", "--index", "https://whl.example/whl"], "--index and --mirror sjtu both name the PyTorch"),
    (["--mirror", "tuna", "--pypi", "https://pypi.example"], "--pypi and --mirror tuna both name the PyPI service"),
])
def test_mirror_usage_errors_exit_2(tmp_path, args, message):
    done = envdoctor(tmp_path, "recipes", "refresh", "--dry-run", *args)
    assert done.returncode == 2 and message in done.stderr

