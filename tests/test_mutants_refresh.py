"""refresh's choice of releases and what it says, compared whole with hand-written values.

The releases are synthesised for these tests (versions 90.x, far above any real torch); the oldest
release of the built-in data is read from recipes/ so the floor is the data's own.
"""

from __future__ import annotations

import pytest
from packaging.version import Version

from envdoctor.facts import Finding
from envdoctor.recipes import DataLayer, load_recipes
from envdoctor.refresh import reading
from envdoctor.refresh.freshness import (
    data_finding,
    describe_layers,
    newer_than_known,
    refresh_document,
    refresh_report,
)
from envdoctor.refresh.indexes import IndexFile
from envdoctor.refresh.learn import Outcome
from envdoctor.refresh.reading import new_releases

KNOWN = load_recipes(refreshed=False)
OLDEST = min(release.parsed for release in KNOWN.releases)
NEWEST = max(KNOWN.releases, key=lambda r: r.parsed).version


def torch_files(*versions: str) -> list[IndexFile]:
    names = [f"torch-{v}-cp312-cp312-manylinux_2_28_x86_64.whl" for v in versions]
    return [IndexFile(name, f"https://files.example/{name}") for name in names]


LISTED = torch_files("90.3.0", "90.0.0", "90.2.0", "90.1.0", "90.4.0rc1", str(OLDEST), "0.1.0", NEWEST)


def test_new_releases_are_those_the_data_lacks_above_its_oldest_oldest_first():
    assert new_releases(LISTED, KNOWN) == [Version("90.0.0"), Version("90.1.0"), Version("90.2.0"), Version("90.3.0")]


@pytest.mark.parametrize(("cap", "kept"), [
    (1, ["90.3.0"]), (2, ["90.2.0", "90.3.0"]), (3, ["90.1.0", "90.2.0", "90.3.0"]),
    (4, ["90.0.0", "90.1.0", "90.2.0", "90.3.0"]), (5, ["90.0.0", "90.1.0", "90.2.0", "90.3.0"]),
])
def test_the_cap_keeps_the_newest_releases(monkeypatch, cap, kept):
    monkeypatch.setattr(reading, "MAX_NEW", cap)
    assert new_releases(LISTED, KNOWN) == [Version(v) for v in kept]


def test_the_cap_is_one_hundred():
    assert reading.MAX_NEW == 100
    many = torch_files(*(f"90.{minor}.0" for minor in range(105)))
    assert new_releases(many, KNOWN) == [Version(f"90.{minor}.0") for minor in range(5, 105)]


BUILT_IN = DataLayer("built-in", "/pkg/recipes", "2026-11-28")
REFRESHED = DataLayer("refreshed", "/home/u/.local/share/envdoctor/recipes", "2026-12-10", "https://pypi.example/simple",
                      "https://whl.example/whl")
OVERLAY = DataLayer("overlay", "/srv/recipes")


@pytest.mark.parametrize(("layers", "text"), [
    ([BUILT_IN, REFRESHED, OVERLAY], "built-in 2026-11-28 + refreshed 2026-12-10 + overlay /srv/recipes"),
    ([DataLayer("built-in", "/pkg/recipes")], "built-in (date unknown)"),
    ([], "none"),
])
def test_the_layers_described(layers, text):
    assert describe_layers(layers) == text


def test_the_data_finding_without_a_refresh_says_how_to_refresh():
    assert data_finding([BUILT_IN]) == Finding(
        "recipes.data", "info", "torch", "recipes: built-in 2026-11-28", subject="torch",
        fix="envdoctor recipes refresh learns releases newer than the built-in data",
        evidence=["built-in: /pkg/recipes"])


def test_the_data_finding_after_a_refresh_names_its_sources():
    assert data_finding([BUILT_IN, REFRESHED]) == Finding(
        "recipes.data", "info", "torch", "recipes: built-in 2026-11-28 + refreshed 2026-12-10", subject="torch",
        fix=None, evidence=["built-in: /pkg/recipes", "refreshed: /home/u/.local/share/envdoctor/recipes",
                            "refreshed from PyPI https://pypi.example/simple and the PyTorch wheel index "
                            "https://whl.example/whl"])


@pytest.mark.parametrize("requirement", ["torch>90", "torch==90.1", "torch>=90.0", "torch==90.*", "torch~=90.1",
                                         f"torch>{NEWEST},<90", "torch==90.0.0.dev1"])
def test_a_torch_above_the_newest_is_warned_of_whole(requirement):
    assert newer_than_known(["numpy", requirement], KNOWN) == (
        f"'{requirement}' asks for a torch newer than every release the recipes know (the newest is {NEWEST}; "
        f"data: {describe_layers(KNOWN.layers)}): run `envdoctor recipes refresh`")


@pytest.mark.parametrize("requirements", [["torch[", "torch>90"], [f"torch=={NEWEST}", "torch>90"],
                                          ["torch>0.1,>0.2,>0.3,>0.4,>0.5,==90.1"]])
def test_each_requirement_and_each_bound_is_read_past_one_that_does_not_warn(requirements):
    assert newer_than_known(requirements, KNOWN) == (
        f"'{requirements[-1]}' asks for a torch newer than every release the recipes know (the newest is {NEWEST}; "
        f"data: {describe_layers(KNOWN.layers)}): run `envdoctor recipes refresh`")


@pytest.mark.parametrize("requirement", ["torch<=90", "torch===foo", "torch", f"torch=={NEWEST}",
                                         f"torch>{OLDEST}", "torch<1", "torch>=0.1",
                                         "torch==0.0.1", "torchvision>90", "torch @@"])
def test_no_warning_when_a_known_release_fits_or_nothing_newer_is_named(requirement):
    assert newer_than_known([requirement], KNOWN) is None


OUTCOME = Outcome({"refresh": {"pypi": "https://pypi.example/simple", "index": "https://whl.example/whl"}},
                  releases=["90.0.0", "90.1.0"], changes=["torch 90.0.0", "new variant cu999 (torch 90.0.0)"],
                  notes=["3 older release(s) the data lacks left out"], pytorch_missing="",
                  not_learned=["torch 90.1.0: its variants"])


def test_the_refresh_report_whole():
    assert refresh_report(OUTCOME, dry_run=False, target="/t/recipes", requests=7, fetched_bytes=2_345_678,
                          offline=False) == (
        "envdoctor recipes refresh · 7 request(s), 2.3 MB\n"
        "  + torch 90.0.0\n"
        "  + new variant cu999 (torch 90.0.0)\n"
        "  - 3 older release(s) the data lacks left out\n"
        "  ! not learnt: torch 90.1.0: its variants\n"
        "wrote 2 release(s) to /t/recipes")
    assert refresh_report(Outcome({}), dry_run=False, target="t", requests=1, fetched_bytes=1_050_000,
                          offline=False).splitlines()[0] == "envdoctor recipes refresh · 1 request(s), 1.1 MB"
    assert refresh_report(Outcome({}), dry_run=True, target="/t/recipes", requests=0, fetched_bytes=0,
                          offline=True) == (
        "envdoctor recipes refresh · from the cache of the last refresh\n"
        "  no new releases or variants\n"
        "dry run: nothing written (/t/recipes would hold 0 release(s))")


def test_the_refresh_document_whole():
    assert refresh_document(OUTCOME, dry_run=False, target="/t/recipes", written=True, requests=7,
                            fetched_bytes=2_345_678, offline=False) == {
        "schema": "envdoctor.refresh/1", "releases": ["90.0.0", "90.1.0"],
        "changes": ["torch 90.0.0", "new variant cu999 (torch 90.0.0)"],
        "notes": ["3 older release(s) the data lacks left out"], "pypi": "https://pypi.example/simple",
        "pytorch_index": {"url": "https://whl.example/whl", "read": True, "problem": None},
        "not_learned": ["torch 90.1.0: its variants"], "target": "/t/recipes", "written": True, "dry_run": False,
        "offline": False, "requests": 7, "fetched_bytes": 2_345_678}
    missing = Outcome({}, pytorch_missing="unreachable")
    assert refresh_document(missing, dry_run=True, target="t", written=False, requests=1, fetched_bytes=5,
                            offline=True) == {
        "schema": "envdoctor.refresh/1", "releases": [], "changes": [], "notes": [], "pypi": "",
        "pytorch_index": {"url": "", "read": False, "problem": "unreachable"}, "not_learned": [], "target": "t",
        "written": False, "dry_run": True, "offline": True, "requests": 1, "fetched_bytes": 5}
