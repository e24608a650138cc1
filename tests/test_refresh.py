"""`envdoctor recipes refresh` against a loopback index serving real listings (tests/fixtures/refresh/).

The oracle of the rediscovery tests is the built-in data itself: a release is removed from a copy of
it, refresh must find it again on the indexes, and the release it writes must expand to the same rows,
and give the same plans, as the built-in one (except what is marked inferred, which the plans say).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from install_servers import Page, RefreshIndex

from envdoctor.door import LiveDoor
from envdoctor.facts import Facts
from envdoctor.recipes import Recipes, builtin_dir, load_recipes
from envdoctor.refresh.run import RefreshError, run_refresh
from envdoctor.resolver import Request, resolve
from envdoctor.target import describe_target

#: The built-in rows of each release, as they stand in recipes/torch.toml: removed from a copy of the data.
REMOVED = {
    "2.14.1": '"2.14.1" = { torchvision = "0.29.1", torchaudio = "2.11.1", note = "torchvision 0.29.1 (Requires-Dist: '
              'torch>=2.14.0) paired by upload date" }\n',
    "2.5.1": ', "2.5.1" = { torchvision = "0.20.1", torchaudio = "2.5.1" }',
}


#: The part of a built-in release's note that says what a refresh marks inferred (its warning says it instead).
INFERRED_NOTES = {"2.14.1": "; torchvision 0.29.1 (Requires-Dist: torch>=2.14.0) paired by upload date"}


def data_without(tmp_path: Path, release: str) -> Path:
    """A copy of the built-in data without ``release``."""
    folder = tmp_path / "builtin"
    shutil.copytree(builtin_dir(), folder)
    text = (folder / "torch.toml").read_text()
    assert REMOVED[release] in text
    (folder / "torch.toml").write_text(text.replace(REMOVED[release], ""))
    return folder


def refresh_into(tmp_path: Path, builtin: Path, server: RefreshIndex, **options):
    known = load_recipes(builtin=builtin, refreshed=False)
    settings = dict(pypi=server.pypi_url, index=server.index_url, offline=False, dry_run=False, python=None, timeout=10,
                    cache_folder=tmp_path / "cache", target_folder=tmp_path / "refreshed", builtin=builtin)
    settings.update(options)
    return run_refresh(LiveDoor(), known, **settings)


def variant_rows(recipes: Recipes, version: str) -> dict[str, tuple]:
    """Every fact of a release's variants a plan uses, per platform."""
    release = recipes.release(version)
    assert release is not None
    rows = {}
    for variant in release.variants:
        kernels = tuple((p, variant.kernels_for(p)) for p in sorted(variant.platforms))
        rows[variant.name] = (variant.kind, variant.cuda, variant.toolkit, tuple(sorted(variant.platforms)), kernels,
                              dict(variant.glibc), variant.gfx, variant.note)
    return rows


def release_rows(recipes: Recipes, version: str) -> tuple:
    release = recipes.release(version)
    assert release is not None
    return (dict(release.python), tuple(release.platforms), dict(release.macos_min), dict(release.glibc),
            dict(release.pypi), release.index_style, release.torchvision, release.torchaudio, release.conda,
            {k: dict(v) for k, v in release.companion_gaps.items()},
            {k: dict(v) for k, v in release.macos_min_by_python.items()})


#: Variants whose built-in note says no wheel of them was read: a refresh lists their wheels itself.
SEEN_BY_A_REFRESH = {"2.14.1": ("xpu",)}
#: Companions paired by their range alone, uploaded with another torch release: a refresh pairs by upload date
#: (rule 4), so it leaves them out. torchaudio 2.11.1 (torch>=2.11) came with 2.15.0 and pairs 2.12-2.14 too.
RANGE_PAIRED = {"2.14.1": "torchaudio"}


def expected_rows(recipes: Recipes, version: str) -> tuple:
    """release_rows as a refresh can rediscover them."""
    rows = release_rows(recipes, version)
    return rows[:7] + (None,) + rows[8:] if RANGE_PAIRED.get(version) == "torchaudio" else rows


MACHINES = [  # (os, arch, python, gpus, driver)
    ("linux", "x86_64", "3.12", ["NVIDIA GeForce RTX 4090"], "580.95.05"),
    ("linux", "x86_64", "3.12", ["NVIDIA GeForce GTX 1080"], "550.54.15"),
    ("linux", "x86_64", "3.13", ["NVIDIA GeForce RTX 3090"], "535.104.05"),
    ("linux", "x86_64", "3.12", ["NVIDIA H100 80GB HBM3"], "525.60.13"),
    ("linux", "x86_64", "3.12", ["gfx942"], None),
    ("linux", "x86_64", "3.12", [], None),
    ("linux", "aarch64", "3.12", ["NVIDIA GH200 480GB"], "580.95.05"),
    ("windows", "x86_64", "3.12", ["NVIDIA GeForce RTX 3090"], "560.94"),
    ("windows", "x86_64", "3.11", [], None),
    ("macos", "arm64", "3.12", [], None),
]


def plans(recipes: Recipes, version: str) -> list[dict]:
    out = []
    for system, arch, python, gpus, driver in MACHINES:
        facts = describe_target(Facts(), recipes=recipes, base_is_host=False, driver=driver, gpus=gpus, no_gpu=not gpus,
                                target_os=system, target_arch=arch, target_python=python)
        plan = resolve(facts, Request([f"torch=={version}", "torchvision"]), recipes).to_dict()
        decided = {key: plan[key] for key in ("ok", "action", "torch", "variant", "index_url", "commands", "requires")}
        decided["warnings"] = [w.replace(INFERRED_NOTES.get(version, "\0"), "") for w in plan["warnings"]
                               if "inferred by `envdoctor recipes refresh`" not in w]
        decided["inferred"] = [w for w in plan["warnings"] if "inferred by `envdoctor recipes refresh`" in w]
        out.append(decided)
    return out


@pytest.mark.parametrize("release, pypi, pytorch", [("2.14.1", "json", "html"), ("2.5.1", "html", "json"),
                                                     ("2.5.1", "api", "html")])
def test_a_removed_release_is_rediscovered_with_the_built_in_rows(tmp_path, release, pypi, pytorch):
    builtin = data_without(tmp_path, release)
    with RefreshIndex(pypi=pypi, pytorch=pytorch) as index:
        run = refresh_into(tmp_path, builtin, index)
    assert run.written and run.outcome.releases == [release]
    assert run.target.read_text() == run.outcome.text
    original = load_recipes(refreshed=False)
    refreshed = load_recipes(builtin=builtin, refreshed=tmp_path / "refreshed")
    assert release_rows(refreshed, release) == expected_rows(original, release)
    expected_variants = variant_rows(original, release)
    for name in SEEN_BY_A_REFRESH.get(release, ()):  # the built-in note says no wheel was read; a refresh reads one
        expected_variants[name] = expected_variants[name][:-1] + ("",)
    assert variant_rows(refreshed, release) == expected_variants
    expected, got = plans(original, release), plans(refreshed, release)
    for machine, before, after in zip(MACHINES, expected, got, strict=True):
        decided = {k: v for k, v in after.items() if k != "inferred"}
        assert decided == {k: v for k, v in before.items() if k != "inferred"}, machine
        assert after["inferred"] or not after["ok"], machine  # every plan on refreshed rows says what is inferred
        if after["ok"] and release in INFERRED_NOTES:
            assert "torchvision 0.29.1 paired by upload date" in after["inferred"][0]
    assert any(p["ok"] and p["variant"].startswith("cu") for p in got)


def test_the_written_release_says_what_it_inferred_and_where_it_read(tmp_path):
    builtin = data_without(tmp_path, "2.14.1")
    with RefreshIndex() as index:
        run = refresh_into(tmp_path, builtin, index)
        pypi, whl = index.pypi_url, index.index_url
    release = load_recipes(builtin=builtin, refreshed=tmp_path / "refreshed").release("2.14.1")
    assert release is not None
    assert "torchvision 0.29.1 paired by upload date: its METADATA pins torch>=2.14.0" in " ".join(release.inferred)
    cu130 = release.variant("cu130")
    assert cu130 is not None and cu130.inferred == (
        "cu130 kernels on linux-x86_64, linux-aarch64, windows-x86_64 as 2.14.0 cu130 (rule 1)",)
    assert release.variant("cpu").inferred == ()  # type: ignore[union-attr]
    # the PyPI default of each platform is read from its wheel: version.py, else the METADATA pins
    assert "torch-2.14.1-cp314-cp314-manylinux_2_28_aarch64.whl: METADATA Requires-Dist cuda-toolkit==13.0.3" in release.source
    assert "torch-2.14.1-cp314-cp314-win_amd64.whl: torch/version.py __version__ = '2.14.1+cpu'" in release.source
    overlay = run.outcome.overlay
    assert overlay["refresh"]["pypi"] == f"{pypi}/pypi" and overlay["refresh"]["index"] == whl
    assert overlay["checked"] == overlay["refresh"]["fetched"][:10]


def test_the_wheels_are_read_by_byte_ranges_never_whole(tmp_path):
    builtin = data_without(tmp_path, "2.5.1")
    with RefreshIndex() as index:
        refresh_into(tmp_path, builtin, index)
        wheel_requests = [(p, r) for p, r in index.server.requests if p.startswith("/files/")]
        sizes = {name: len(body) for name, body in index.wheels.items()}
    assert wheel_requests and all(r.startswith("bytes=") for _, r in wheel_requests)
    read = {}
    for path, wanted in wheel_requests:
        first, _, last = wanted[len("bytes="):].partition("-")
        name = path.rsplit("/", 1)[1].replace("%2B", "+")
        span = int(last) - int(first) + 1 if first else int(last)
        read[name] = read.get(name, 0) + span
    assert all(read[name] < sizes[name] for name in read)  # the filler after METADATA is never read


def test_dry_run_prints_the_changes_and_writes_nothing(tmp_path):
    builtin = data_without(tmp_path, "2.14.1")
    with RefreshIndex() as index:
        run = refresh_into(tmp_path, builtin, index, dry_run=True)
    assert not run.written and not (tmp_path / "refreshed").exists()
    assert run.outcome.changes[0].startswith("new release 2.14.1: variants cpu, cu126, cu130, cu132, mps, rocm7.14, "
                                             "rocm7.2, xpu; "
                                             "PyPI default linux-x86_64 cu130, linux-aarch64 cu130, windows-x86_64 cpu")


def test_offline_builds_the_same_overlay_from_the_cached_pages(tmp_path):
    builtin = data_without(tmp_path, "2.14.1")
    with RefreshIndex() as index:
        online = refresh_into(tmp_path, builtin, index)
    offline = refresh_into(tmp_path, builtin, index, offline=True, target_folder=tmp_path / "again")
    assert offline.requests == 0
    assert offline.outcome.overlay["series"] == online.outcome.overlay["series"]


def test_offline_without_a_cache_says_so_and_changes_nothing(tmp_path):
    builtin = data_without(tmp_path, "2.14.1")
    with RefreshIndex() as index:
        with pytest.raises(RefreshError, match="not in the cache of the last refresh .*nothing was changed"):
            refresh_into(tmp_path, builtin, index, offline=True)
        assert index.server.requests == []
    assert not (tmp_path / "refreshed").exists()


BIG = 50 * 1024 * 1024


@pytest.mark.parametrize("path, page, message", [
    ("/pypi/simple/torch/", Page(b"\x89PNG", "image/png"), "Content-Type image/png, not an index page"),
    ("/pypi/simple/torch/", Page(b'{"meta": {"api-version": "1.1"}, "files": [', "application/vnd.pypi.simple.v1+json"),
     "not valid JSON"),
    ("/pypi/simple/torchvision/", Page(b'{"meta": {"api-version": "2.0"}, "files": []}',
                                       "application/vnd.pypi.simple.v1+json"), "api-version 2.0 is not 1.x"),
    ("/pypi/simple/torch/", Page(b'{"meta": {"api-version": "1.1"}, "files": [{"filename": 1}]}',
                                 "application/vnd.pypi.simple.v1+json"), r"files\[0\] needs 'filename' and 'url' strings"),
    ("/whl/torch/", Page(filler=BIG), "larger than the limit"),
    ("/whl/torch/", Page(b'<a href="http://mirror.example/whl/cu124/torch-2.5.1%2Bcu124-cp312-cp312-linux_x86_64.whl">'
                         b"x</a>"), "plain http is allowed only to 127.0.0.1"),
    ("/whl/torch/", Page(b'<a href="https://elsewhere.example/torch-2.5.1%2Bcu124-cp312-cp312-linux_x86_64.whl">x</a>'),
     "a loopback index linking another host"),
    ("/whl/torch/", Page(status=500), "answered 500"),
    ("/pypi/simple/torchaudio/", Page(delay=5), "timed out"),
])
def test_a_hostile_page_is_a_clear_error_and_changes_nothing(tmp_path, path, page, message):
    builtin = data_without(tmp_path, "2.14.1")
    before = "# the overlay of an earlier refresh\n"
    (tmp_path / "refreshed").mkdir()
    (tmp_path / "refreshed" / "torch.toml").write_text(before)
    with RefreshIndex() as index:
        index.overrides[path] = page
        with pytest.raises(RefreshError, match=message) as caught:
            refresh_into(tmp_path, builtin, index, timeout=1)
    assert "nothing was changed" in str(caught.value)
    assert (tmp_path / "refreshed" / "torch.toml").read_text() == before
    assert sorted(p.name for p in (tmp_path / "refreshed").iterdir()) == ["torch.toml"]  # no temporary file left


def test_a_wheel_that_is_not_a_zip_leaves_its_release_out(tmp_path):
    builtin = data_without(tmp_path, "2.14.1")
    with RefreshIndex() as index:
        index.overrides["/files/torch-2.14.1-cp314-cp314-win_amd64.whl"] = Page(b"not a zip " * 10000,
                                                                                 "application/octet-stream")
        run = refresh_into(tmp_path, builtin, index)
    assert run.outcome.releases == []
    assert any("torch-2.14.1-cp314-cp314-win_amd64.whl" in note and "not a zip file" in note for note in run.outcome.notes)


def test_a_variant_its_own_page_does_not_list_is_left_out(tmp_path):
    builtin = data_without(tmp_path, "2.14.1")
    with RefreshIndex() as index:
        index.overrides["/whl/cu132/torch/"] = Page(b"<html></html>")
        run = refresh_into(tmp_path, builtin, index)
    release = load_recipes(builtin=builtin, refreshed=tmp_path / "refreshed").release("2.14.1")
    assert release is not None and release.variant("cu132") is None and release.variant("cu130") is not None
    assert any("/whl/cu132/torch/ does not list it" in note for note in run.outcome.notes)


def test_releases_the_data_has_are_reported_never_written(tmp_path):
    with RefreshIndex() as index:
        index.listing = index.listing + [("rocm7.1", "torch-2.14.1+rocm7.1-cp312-cp312-manylinux_2_28_x86_64.whl")]
        run = refresh_into(tmp_path, builtin_dir(), index)
    assert run.outcome.releases == [] and run.outcome.overlay["series"] == {}
    assert "torch 2.14.1: the PyTorch index lists rocm7.1, which the data lacks (not written: the built-in rows are kept)" \
        in run.outcome.notes


def test_pep_658_metadata_spares_the_companion_wheels_any_range_request(tmp_path):
    builtin = data_without(tmp_path, "2.5.1")
    with RefreshIndex(core_metadata=True) as index:
        run = refresh_into(tmp_path, builtin, index)
        asked = index.server.requests
    assert run.outcome.releases == ["2.5.1"]
    companions = [(p, r) for p, r in asked if p.startswith(("/files/torchvision", "/files/torchaudio"))]
    assert sorted(p for p, _ in companions) == ["/files/torchaudio-2.5.1-cp312-cp312-manylinux1_x86_64.whl.metadata",
                                                 "/files/torchvision-0.20.1-cp312-cp312-manylinux1_x86_64.whl.metadata"]
    assert all(r == "" for _, r in companions)
    assert load_recipes(builtin=builtin, refreshed=tmp_path / "refreshed").release("2.5.1").torchaudio == "2.5.1"  # type: ignore[union-attr]
