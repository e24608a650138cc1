"""`recipes refresh` learns the compiled extensions' new releases from loopback indexes.

The loopback servers (tests/install_servers.py) play PyPI (the refresh fixtures, plus an xformers project),
the PyG wheel index (one page per torch + variant) and the OpenMMLab index (one per variant + torch). The
xformers files and METADATA, and the two extension index pages, are assembled for these tests in the form
the real ones take (file names as PyPI and the PyG page list them, ``Requires-Dist: torch==X`` as xformers'
wheels pin torch); the releases and versions in them are made up, so the expected values below are the
ones written into them here, not facts about the real projects.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from install_servers import Page, RefreshIndex, wheel_zip
from packaging.requirements import Requirement

from envdoctor import extension_plan
from envdoctor.door import LiveDoor
from envdoctor.extensions import ExtensionDataError, builtin_path, load_catalog, parse_overlay
from envdoctor.facts import Facts
from envdoctor.recipes import builtin_dir, load_recipes
from envdoctor.refresh.run import run_refresh

XFORMERS = {
    # release: (wheel file name, its METADATA's Requires-Dist)
    "0.0.33": ("xformers-0.0.33-cp39-abi3-manylinux_2_28_x86_64.whl", ["numpy", "torch==2.9.0"]),
    "0.0.90": ("xformers-0.0.90-cp39-abi3-manylinux_2_28_x86_64.whl", ["numpy", "torch==2.15.0"]),
    "0.0.91": ("xformers-0.0.91-cp39-abi3-win_amd64.whl", ["numpy", "torch>=2.15"]),
}
PYG_PAGE = "/pyg/torch-2.15.0+cu130.html"
MMCV_PAGE = "/openmmlab/mmcv/dist/cu130/torch2.15.0/index.html"


def _metadata(name: str, version: str, requires: list[str]) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *(f"Requires-Dist: {r}" for r in requires)]
    return ("\n".join(lines) + "\n").encode()


def _links(names: list[str]) -> bytes:
    anchors = "".join(f'<a href="{name.replace("+", "%2B")}">{name}</a><br>\n' for name in names)
    return f"<html><body>\n{anchors}</body></html>\n".encode()


@pytest.fixture
def server():
    with RefreshIndex(pypi="json") as index:
        index.projects["xformers"] = [{"filename": name, "url": "", "upload-time": "2026-10-30T00:00:00Z"}
                                      for name, _ in XFORMERS.values()]
        index.projects["xformers"].append({"filename": "xformers-0.0.92rc1-cp39-abi3-manylinux_2_28_x86_64.whl",
                                           "url": ""})
        for release, (name, requires) in XFORMERS.items():
            index.wheels[name] = wheel_zip({f"xformers-{release}.dist-info/METADATA":
                                            _metadata("xformers", release, requires)}, filler=70_000)
        index.overrides[PYG_PAGE] = Page(_links([
            "torch_scatter-2.1.2+pt215cu130-cp312-cp312-linux_x86_64.whl",
            "torch_scatter-2.1.2+pt215cu130-cp313-cp313-linux_x86_64.whl",
            "pyg_lib-0.5.0+pt215cu130-cp312-cp312-linux_x86_64.whl",
            "torch_geometric-2.7.0-py3-none-any.whl"]))
        index.overrides[MMCV_PAGE] = Page(_links(["mmcv-2.2.0-cp312-cp312-manylinux1_x86_64.whl"]))
        yield index


def _rewrite(base: str):
    def rewrite(url: str) -> str:
        return (url.replace("https://data.pyg.org/whl", f"{base}/pyg")
                .replace("https://download.openmmlab.com", f"{base}/openmmlab"))
    return rewrite


def _refresh(tmp_path: Path, server: RefreshIndex, offline: bool = False):
    known = load_recipes(builtin=builtin_dir(), refreshed=False)
    return run_refresh(LiveDoor(), known, pypi=server.pypi_url, index=server.index_url, offline=offline,
                       dry_run=False, python=None, timeout=10, cache_folder=tmp_path / "cache",
                       target_folder=tmp_path / "refreshed", builtin=builtin_dir(),
                       extension_rewrite=_rewrite(server.server.base))


GITHUB_NOTE = ("flash-attn: its builds are GitHub release assets, which a refresh does not read (they cannot be "
               "reached offline nor through a package index): its asset names stay as the data has them")


def test_new_pins_and_index_pages_are_learnt_and_written_beside_torch_toml(tmp_path, server):
    run = _refresh(tmp_path, server)
    text = (tmp_path / "refreshed" / "extensions.toml").read_text()
    catalog = parse_overlay(text, load_catalog(builtin_path()))
    xformers = catalog.by_dist("xformers")
    assert xformers.torch_pins["0.0.90"] == "==2.15.0"
    assert "0.0.91" not in xformers.torch_pins and "0.0.92rc1" not in xformers.torch_pins
    assert xformers.torch_pins["0.0.33"] == "==2.9.0"  # the built-in pin, not read again
    scatter = catalog.by_dist("torch-scatter")
    assert scatter.pages["2.15.0+cu130"] == ("pyg-lib 0.5.0+pt215cu130", "torch-scatter 2.1.2+pt215cu130")
    assert catalog.by_dist("mmcv").pages["2.15.0+cu130"] == ("mmcv 2.2.0",)
    # every other page asked for has no answer on these servers: recorded as no page
    assert {page for page, builds in scatter.pages.items() if not builds} == {
        f"{torch}+{variant}" for torch, variant in [
            ("2.15.0", "cpu"), ("2.15.0", "cu132"), ("2.14.0", "cpu"), ("2.14.0", "cu126"),  # 2.14: no cu129
            ("2.14.0", "cu130"), ("2.14.0", "cu132"), ("2.13.0", "cpu"), ("2.13.0", "cu126"), ("2.13.0", "cu129"),
            ("2.13.0", "cu130"), ("2.13.0", "cu132")]}
    changes = run.outcome.changes
    assert "xformers 0.0.90 pins torch==2.15.0 (Requires-Dist of xformers-0.0.90-cp39-abi3-manylinux_2_28_x86_64.whl)" \
        in changes
    assert ("torch-scatter: the page for torch 2.15.0+cu130 lists pyg-lib 0.5.0+pt215cu130, torch-scatter "
            "2.1.2+pt215cu130") in changes
    assert "mmcv: the page for torch 2.15.0+cu130 lists mmcv 2.2.0" in changes
    notes = run.outcome.notes
    assert ("xformers 0.0.91: xformers-0.0.91-cp39-abi3-win_amd64.whl pins no single torch (Requires-Dist: "
            "torch>=2.15): not written") in notes
    assert GITHUB_NOTE in notes
    assert any(note.startswith("vllm: ") and note.endswith(": its new releases are not learnt") for note in notes)


def test_the_plan_uses_a_learnt_pin(tmp_path, server):
    _refresh(tmp_path, server)
    catalog = parse_overlay((tmp_path / "refreshed" / "extensions.toml").read_text(), load_catalog(builtin_path()))
    requirement = Requirement("xformers")
    found = extension_plan.plan_extension(catalog.by_dist("xformers"), requirement, Facts(), "2.15.0", "cu130",
                                          "3.12", "linux-x86_64", "https://download.pytorch.org/whl/cu130", catalog)
    assert found.args == [["xformers==0.0.90", "torch==2.15.0", "--index-url", "https://download.pytorch.org/whl/cu130"]]


def test_offline_reads_the_same_from_the_cache(tmp_path, server):
    _refresh(tmp_path, server)
    first = (tmp_path / "refreshed" / "extensions.toml").read_text()
    asked = len(server.server.requests)
    again = _refresh(tmp_path, server, offline=True)
    assert len(server.server.requests) == asked  # nothing asked of the servers
    second = (tmp_path / "refreshed" / "extensions.toml").read_text()
    body = [line for line in first.splitlines() if not line.startswith("fetched")]
    assert [line for line in second.splitlines() if not line.startswith("fetched")] == body
    assert GITHUB_NOTE in again.outcome.notes


def test_an_index_without_a_usable_answer_is_asked_once_and_said(tmp_path, server):
    first = "/pyg/torch-2.15.0+cpu.html"  # the first page of the PyG index a refresh asks for
    server.overrides[first] = Page(b"busy", "text/plain", 503)
    run = _refresh(tmp_path, server)
    assert [path for path, _ in server.server.requests if path.startswith("/pyg/")] == [first]
    assert (f"torch-scatter: its index gave no usable answer ({server.server.base}/pyg/torch-2.15.0+cpu.html: answered "
            "503): its pages from there on are not learnt") in run.outcome.notes
    catalog = parse_overlay((tmp_path / "refreshed" / "extensions.toml").read_text(), load_catalog(builtin_path()))
    assert catalog.by_dist("torch-scatter").pages == {}
    assert catalog.by_dist("mmcv").pages["2.15.0+cu130"] == ("mmcv 2.2.0",)  # the other index is still read


def test_an_overlay_the_loader_refuses_names_the_problem():
    catalog = load_catalog(builtin_path())
    schema = 'schema = "envdoctor.recipes.extensions-refreshed/1"\n'
    with pytest.raises(ExtensionDataError) as caught:
        parse_overlay(schema + '[extension.xformers.torch_pins]\n"0.0.90" = "=>2"\n'
                      '[extension.nope.torch_pins]\n"1" = "==2"\n[extension.torch-scatter.pages]\n"2.15" = []\n',
                      catalog)
    assert caught.value.problems == [
        "extensions.toml: extension 'xformers': torch_pins '0.0.90' = '=>2' is not a release and a specifier",
        "extensions.toml: extension 'nope': must be a row of the built-in data with only torch_pins and pages",
        "extensions.toml: extension 'torch-scatter': pages '2.15' must be a torch X.Y.Z+variant and a list of builds",
    ]


def test_a_learnt_pin_never_replaces_a_built_in_one():
    catalog = load_catalog(builtin_path())
    merged = parse_overlay('schema = "envdoctor.recipes.extensions-refreshed/1"\n'
                           '[extension.xformers.torch_pins]\n"0.0.33" = "==9.9.9"\n', catalog)
    assert merged.by_dist("xformers").torch_pins["0.0.33"] == "==2.9.0"


def test_json_report_carries_the_extension_lines(tmp_path, server):
    from envdoctor.refresh import refresh_document

    run = _refresh(tmp_path, server)
    document = refresh_document(run.outcome, dry_run=False, target=str(run.target), written=run.written,
                                requests=run.requests, fetched_bytes=run.fetched_bytes, offline=False)
    assert GITHUB_NOTE in document["notes"]
    assert json.loads(json.dumps(document))["written"] is True


def test_the_refreshed_overlay_in_the_data_folder_is_merged_and_a_broken_one_ignored(tmp_path, monkeypatch):
    from envdoctor.extensions import refreshed_path, with_refreshed

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = refreshed_path()
    assert path == tmp_path / "data" / "envdoctor" / "recipes" / "extensions.toml"
    catalog = load_catalog(builtin_path())
    assert with_refreshed(catalog) == catalog  # no overlay yet
    path.parent.mkdir(parents=True)
    path.write_text('schema = "envdoctor.recipes.extensions-refreshed/1"\n'
                    '[extension.xformers.torch_pins]\n"0.0.90" = "==2.15.0"\n')
    assert with_refreshed(catalog).by_dist("xformers").torch_pins["0.0.90"] == "==2.15.0"
    path.write_text('schema = "something else"\n')
    assert with_refreshed(catalog) == catalog
