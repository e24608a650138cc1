"""The pure parts of `recipes refresh`: index pages, wheel names, ranged zip reads, the inference rules,
the overlay's TOML, the loader's refreshed layer, and what `check` / `install` say about the data's age.

Oracles: the standard library's zipfile (it writes the zips, ZIP64 ones too, and reads them back),
tomllib (it reads back the TOML written), PEP 425/503/691 examples, and the built-in data.
"""

from __future__ import annotations

import io
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envdoctor.recipes import builtin_dir, check_refreshed, data_layers, load_recipes
from envdoctor.refresh import wheelzip
from envdoctor.refresh.freshness import describe_layers, newer_than_known
from envdoctor.refresh.indexes import (
    IndexFile,
    PageError,
    link_problem,
    parse_json_api,
    parse_simple,
    parse_wheel_name,
    wheel_platform,
)
from envdoctor.refresh.learn import build
from envdoctor.refresh.reading import Material, Sources, WheelFacts, build_of, cuda_pins, wanted_member
from envdoctor.refresh.run import torch_index
from envdoctor.refresh.toml_writer import toml_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).parent / "fixtures" / "refresh"
METADATA_2_5_1 = (FIXTURES / "metadata" / "torch-2.5.1-cp312-cp312-manylinux1_x86_64.whl.metadata").read_text()
METADATA_2_14_1 = (FIXTURES / "metadata" / "torch-2.14.1-cp312-cp312-manylinux_2_28_x86_64.whl.metadata").read_text()


# ---------------------------------------------------------------------------- wheel names and index pages


@pytest.mark.parametrize("name, pythons, platforms, local", [
    ("torch-2.14.1-cp314-cp314t-manylinux_2_28_aarch64.whl", ("3.14t",), ("linux-aarch64",), ""),
    ("torch-1.8.0-cp37-cp37m-manylinux1_x86_64.whl", ("3.7",), ("linux-x86_64",), ""),
    ("torch-2.5.1-cp312-none-macosx_11_0_arm64.whl", ("3.12",), ("macos-arm64",), ""),
    ("torch-2.5.1+cu124-cp39-cp39-win_amd64.whl", ("3.9",), ("windows-x86_64",), "cu124"),
    ("torch-2.10.0-3-cp312-cp312-manylinux_2_28_x86_64.whl", ("3.12",), ("linux-x86_64",), ""),
    ("torchvision-0.29.2-py3-none-manylinux_2_28_x86_64.whl", (), ("linux-x86_64",), ""),
    ("numpy-2.0-cp312-cp312-macosx_11_0_universal2.whl", ("3.12",), ("macos-arm64", "macos-x86_64"), ""),
    ("torch-2.5.1+rocm6.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", ("3.12",), ("linux-x86_64",), "rocm6.2"),
])
def test_wheel_names_are_read_as_pep_425_writes_them(name, pythons, platforms, local):
    wheel = parse_wheel_name(name)
    assert wheel is not None
    assert (wheel.pythons, wheel.platforms, wheel.local) == (pythons, platforms, local)


@pytest.mark.parametrize("name", ["torch-2.5.1.tar.gz", "torch-2.5.1-cp27-cp27mu-manylinux1_x86_64.whl",
                                  "torch-not.a.version-cp312-cp312-win_amd64.whl", "torch.whl"])
def test_what_is_not_a_python_3_wheel_is_no_wheel(name):
    assert parse_wheel_name(name) is None


@pytest.mark.parametrize("tag, expected", [
    ("manylinux_2_28_x86_64", ("linux-x86_64", "2.28", False)),
    ("manylinux2014_aarch64", ("linux-aarch64", "2.17", False)),
    ("manylinux1_x86_64", ("linux-x86_64", "2.5", True)),  # PEP 513; torch's own wheels needed 2.17
    ("manylinux2010_x86_64", ("linux-x86_64", "2.12", True)),
    ("linux_x86_64", ("linux-x86_64", None, False)),
    ("macosx_14_0_arm64", ("macos-arm64", "14.0", False)),
    ("macosx_10_9_x86_64", ("macos-x86_64", "10.9", False)),
    ("win_amd64", ("windows-x86_64", None, False)),
    ("win32", (None, None, False)),
    ("manylinux2014_ppc64le", (None, None, False)),
])
def test_platform_tags_give_the_platform_and_its_floor(tag, expected):
    assert wheel_platform(tag) == expected


def test_a_pep_503_page_gives_its_files_with_their_attributes():
    page = (b'<html><body><h1>Links for torch</h1>\n'
            b'<a href="/whl/cu124/torch-2.5.1%2Bcu124-cp39-cp39-win_amd64.whl#sha256=9036c4" data-requires-python="&gt;=3.8.0"'
            b' data-dist-info-metadata="sha256=abc">torch-2.5.1+cu124-cp39-cp39-win_amd64.whl</a><br/>\n'
            b"<a href='torch-2.4.0-cp38-cp38-win_amd64.whl' data-yanked=''>x</a>\n</body></html>")
    files = parse_simple(page, "text/html", "https://download.example/whl/cu124/torch/")
    assert files == [
        IndexFile("torch-2.5.1+cu124-cp39-cp39-win_amd64.whl",
                  "https://download.example/whl/cu124/torch-2.5.1%2Bcu124-cp39-cp39-win_amd64.whl", ">=3.8.0", None, False,
                  "https://download.example/whl/cu124/torch-2.5.1%2Bcu124-cp39-cp39-win_amd64.whl.metadata"),
        IndexFile("torch-2.4.0-cp38-cp38-win_amd64.whl", "https://download.example/whl/cu124/torch/torch-2.4.0-cp38-cp38-win_amd64.whl",
                  None, None, True, None),
    ]


def test_an_unescaped_greater_than_stays_inside_its_attribute():
    files = parse_simple(b'<a data-requires-python=">=3.9" href="t-1.0-py3-none-any.whl">t</a>', "text/html",
                         "https://index.example/simple/t/")
    assert [(f.filename, f.requires_python) for f in files] == [("t-1.0-py3-none-any.whl", ">=3.9")]


def test_the_real_pep_691_page_is_read_whole():
    body = (FIXTURES / "pypi" / "torch.json").read_bytes().replace(b"<pypi-files>", b"https://files.example")
    files = parse_simple(body, "application/vnd.pypi.simple.v1+json", "https://index.example/simple/torch/")
    assert len(files) == 441 and all(f.url.startswith("https://files.example/packages/") for f in files)
    first = next(f for f in files if f.filename == "torch-2.14.1-cp314-cp314t-win_amd64.whl")
    assert first.requires_python == ">=3.10" and first.upload_time.startswith("2026-09-30")  # type: ignore[union-attr]


def test_the_json_api_gives_every_release_file():
    body = (b'{"info": {}, "releases": {"2.5.1": [{"filename": "torch-2.5.1-cp312-cp312-win_amd64.whl", '
            b'"url": "https://files.example/t.whl", "requires_python": ">=3.8.0", '
            b'"upload_time_iso_8601": "2024-10-29T17:32:34.081220Z", "yanked": false}], "2.5.0": []}}')
    files = parse_json_api(body, "application/json", "https://index.example/pypi/torch/json")
    assert files == [IndexFile("torch-2.5.1-cp312-cp312-win_amd64.whl", "https://files.example/t.whl", ">=3.8.0",
                               "2024-10-29T17:32:34.081220Z", False, None)]
    with pytest.raises(PageError, match="needs 'filename' and 'url' strings"):
        parse_json_api(b'{"releases": {"1": [{"filename": []}]}}', "application/json", "https://i.example/pypi/x/json")


@pytest.mark.parametrize("page, link, problem", [
    ("https://index.example/simple/torch/", "https://files.example/t.whl", None),  # PyPI serves files from a CDN
    ("https://index.example/simple/torch/", "http://127.0.0.1:8000/t.whl", "a plain-http link on an https page"),
    ("https://index.example/simple/torch/", "http://files.example/t.whl", "plain http is allowed only"),
    ("http://127.0.0.1:8000/simple/torch/", "http://127.0.0.1:8000/files/t.whl", None),
    ("http://127.0.0.1:8000/simple/torch/", "http://127.0.0.1:9000/files/t.whl", "a loopback index linking another host"),
    ("http://127.0.0.1:8000/simple/torch/", "https://files.example/t.whl", "a loopback index linking another host"),
    ("https://index.example/simple/torch/", "file:///etc/passwd", "the scheme 'file' is not https"),
    ("https://index.example/simple/torch/", "https://files.example\\@evil.example/t.whl", "backslash"),
])
def test_links_are_judged_by_the_url_guard_and_where_the_page_came_from(page, link, problem):
    found = link_problem(page, link)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_a_page_with_one_refused_link_is_refused_whole():
    page = b'<a href="t-1.whl">ok</a><a href="javascript:alert(1)">x</a>'
    with pytest.raises(PageError, match="links javascript:alert"):
        parse_simple(page, "text/html", "https://index.example/simple/t/")


# ---------------------------------------------------------------------------- ranged zip reads


def ranged_read(data: bytes) -> dict[str, bytes]:
    """What a lazy reader gets from ``data`` when every request is a byte range of it."""
    total = len(data)
    tail_start = max(0, total - wheelzip.TAIL)
    tail = data[tail_start:]
    offset, size = wheelzip.directory_location(tail, tail_start)
    directory = data[offset: offset + size]
    out = {}
    for name, member in wheelzip.directory_members(directory).items():
        if wanted_member(name):
            first, last = wheelzip.member_span(member)
            out[name] = wheelzip.member_content(data[first: min(last, total - 1) + 1], member)
    return out


def sample_zip(zip64_limit: int | None = None, monkeypatch=None) -> tuple[bytes, dict[str, bytes]]:
    members = {"torch-2.14.1.dist-info/METADATA": METADATA_2_14_1.encode(),
               "torch/version.py": b"__version__ = '2.14.1+cu130'\ncuda: Optional[str] = '13.0'\n"}
    if zip64_limit is not None:
        monkeypatch.setattr(zipfile, "ZIP64_LIMIT", zip64_limit)  # the stdlib then writes ZIP64 records
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("torch/__init__.py", b"x" * 300_000, zipfile.ZIP_STORED)
        for name, data in members.items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED)
        archive.writestr("torch-2.14.1.dist-info/RECORD", b"y" * 1000)
    if zip64_limit is not None:
        monkeypatch.undo()
    return buffer.getvalue(), members


def test_members_read_by_ranges_equal_what_zipfile_reads():
    data, members = sample_zip()
    assert ranged_read(data) == members
    assert {n: zipfile.ZipFile(io.BytesIO(data)).read(n) for n in members} == members


def test_zip64_records_are_followed(monkeypatch):
    data, members = sample_zip(zip64_limit=1000, monkeypatch=monkeypatch)
    assert b"PK\x06\x06" in data[-200:]  # the ZIP64 end record the stdlib wrote
    assert ranged_read(data) == members
    assert {n: zipfile.ZipFile(io.BytesIO(data)).read(n) for n in members} == members


def test_what_is_not_a_zip_or_lies_about_its_sizes_is_refused():
    with pytest.raises(wheelzip.WheelZipError, match="not a zip file"):
        wheelzip.directory_location(b"<html>no</html>" * 100, 0)
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = bomb.compress(b"\0" * (wheelzip.MEMBER_LIMIT + 4096)) + bomb.flush()
    lying = wheelzip.Member("torch/version.py", 8, len(packed), 10, 0)
    header = b"PK\x03\x04" + b"\0" * 22 + len(lying.name).to_bytes(2, "little") + b"\0\0" + lying.name.encode()
    with pytest.raises(wheelzip.WheelZipError, match="inflates to more than"):
        wheelzip.member_content(header + packed, lying)
    with pytest.raises(wheelzip.WheelZipError, match="more than"):
        wheelzip.member_span(wheelzip.Member("big", 8, 10, wheelzip.MEMBER_LIMIT + 1, 0))
    assert wheelzip.content_range("bytes 100-199/1000") == (100, 199, 1000)
    assert wheelzip.content_range("bytes 100-1000/1000") is None


# ---------------------------------------------------------------------------- what a wheel says


def test_the_pypi_build_is_read_from_version_py_else_from_the_pins():
    version_py = (FIXTURES / "version-py" / "torch-2.5.1-linux-x86_64.txt").read_text()
    assert build_of(WheelFacts(METADATA_2_5_1, version_py), "linux-x86_64")[0] == "cu124"
    assert build_of(WheelFacts(METADATA_2_5_1), "linux-x86_64") == (
        "cu124", "METADATA Requires-Dist nvidia-cuda-runtime-cu12==12.4.127")
    # 2.5.1's CUDA pins carry platform_machine == "x86_64": the same METADATA on aarch64 pins nothing
    assert build_of(WheelFacts(METADATA_2_5_1), "linux-aarch64")[0] == "cpu"
    assert build_of(WheelFacts(METADATA_2_14_1), "linux-aarch64")[0] == "cu130"
    assert build_of(WheelFacts(METADATA_2_14_1), "windows-x86_64")[0] == "cpu"
    assert build_of(WheelFacts("Name: torch\n", "__version__ = '2.6.0'\nhip = '6.2.41133-dd7f95766'\n"), "linux-x86_64")[0] \
        == "rocm6.2"
    assert build_of(WheelFacts(problem="no METADATA in the wheel"), "linux-x86_64") == (None, "no METADATA in the wheel")
    assert cuda_pins(METADATA_2_14_1, "linux-x86_64") == ("13.0", "13.0.3", "cuda-toolkit==13.0.3")


# ---------------------------------------------------------------------------- the overlay's TOML


def test_the_overlay_toml_reads_back_as_written():
    table = {"schema": "envdoctor.recipes.torch/2", "source": 'a "quoted" \\ path\twith\ncontrols é',
             "refresh": {"pypi": "https://x.example/pypi"},
             "series": {"2.16": {"source": "s", "releases": {"2.16.0": {
                 "python": ["3.11", "3.14t"], "python_by_platform": {},
                 "companion_gaps": {"torchvision": {"linux-x86_64": ["3.14t"]}},
                 "variants": {"cu134": {"archs": ["sm_75"], "inferred": ["a; b"]}, "rocm7.3": {"gfx": []}}}}}}}
    assert tomllib.loads(toml_text(table, "line one\nline two")) == table


# ---------------------------------------------------------------------------- the inference rules on a release new to the data

def synthetic_material() -> tuple[Material, Sources]:
    """A torch 2.16.0 (synthesised for this test): PyPI wheels for Linux and Windows, a cu134 the data has
    never seen (its METADATA pins cuda-toolkit==13.4.1), cu132, and a rocm7.3 new to the data."""
    def wheel(name: str, time: str = "2026-12-09T15:00:00Z") -> IndexFile:
        return IndexFile(name, f"https://files.example/{name}", ">=3.11", time)

    torch = [wheel(f"torch-2.16.0-cp31{m}-cp31{m}-{tag}.whl") for m in (2, 4) for tag in
             ("manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "win_amd64")]
    torch.append(wheel("torch-2.16.0-cp312-cp312-macosx_14_0_arm64.whl"))
    vision = [wheel("torchvision-0.30.0-py3-none-manylinux_2_28_x86_64.whl", "2026-12-09T15:20:00Z")]
    pytorch = [IndexFile(f"torch-2.16.0+{v}-cp312-cp312-{tag}.whl", f"https://whl.example/whl/{v}/x.whl")
               for v, tag in (("cu134", "manylinux_2_28_x86_64"), ("cu134", "win_amd64"), ("cu134", "manylinux_2_28_aarch64"),
                              ("cu132", "manylinux_2_28_x86_64"), ("rocm7.3", "manylinux_2_28_x86_64"),
                              ("cpu", "manylinux_2_28_x86_64"))]
    pin = "cuda-toolkit[cublas,cudart,cufft,cufile,cupti,curand,cusolver,cusparse,nvjitlink,nvrtc,nvtx]==13.0.3"
    metadata = METADATA_2_14_1.replace(pin, "cuda-toolkit[cudart]==13.4.1")
    wheels = {"torch-2.16.0-cp314-cp314-manylinux_2_28_x86_64.whl": WheelFacts(metadata, "__version__ = '2.16.0+cu134'\n"),
              "torch-2.16.0-cp314-cp314-manylinux_2_28_aarch64.whl": WheelFacts(metadata),
              "torch-2.16.0-cp314-cp314-win_amd64.whl": WheelFacts(metadata, "__version__ = '2.16.0+cpu'\n"),
              "torchvision-0.30.0-py3-none-manylinux_2_28_x86_64.whl":
                  WheelFacts("Name: torchvision\nRequires-Dist: torch==2.16.0\n")}
    pages = {v: [IndexFile(f"torch-2.16.0+{v}-cp312-cp312-manylinux_2_28_x86_64.whl", "https://whl.example/x.whl")]
             for v in ("cu134", "cu132", "rocm7.3", "cpu")}
    material = Material({"torch": torch, "torchvision": vision, "torchaudio": []}, pytorch, pages, wheels,
                        {"torch": "https://index.example/pypi/torch/json", "pytorch": "https://whl.example/whl/torch/"})
    return material, Sources("https://index.example/simple", "https://index.example/pypi", "https://whl.example/whl")


def test_a_release_new_to_the_data_is_inferred_by_the_stated_rules():
    known = load_recipes(refreshed=False)
    material, sources = synthetic_material()
    outcome = build(known, material, sources, "2026-12-10", "2026-12-10T08:00:00Z", "0.1.0")
    recipes, problems = check_refreshed(outcome.text)
    assert problems == [] and recipes is not None
    release = recipes.release("2.16.0")
    assert release is not None and release.series == "2.16"
    assert dict(release.pypi) == {"linux-x86_64": "cu134", "linux-aarch64": "cu134", "windows-x86_64": "cpu",
                                  "macos-arm64": "mps"}
    assert release.torchvision == "0.30.0" and release.companion_gaps == {"torchvision": {
        "linux-aarch64": ("3.12", "3.14"), "windows-x86_64": ("3.12", "3.14"), "macos-arm64": ("3.12",)}}
    cu134, cu132, rocm = release.variant("cu134"), release.variant("cu132"), release.variant("rocm7.3")
    newest_132 = known.release("2.15.0").variant("cu132")  # type: ignore[union-attr]
    assert cu134 is not None and cu132 is not None and rocm is not None and newest_132 is not None
    # rule 1: no release has cu134, so the newest CUDA 13 variant of the nearest release (2.15.0 cu132) lends its kernels
    assert cu134.kernels_for("linux-aarch64") == newest_132.kernels_for("linux-aarch64")
    assert cu134.kernels_for("windows-x86_64") == newest_132.kernels_for("windows-x86_64")
    assert "cu134 kernels on linux-x86_64, linux-aarch64, windows-x86_64 as 2.15.0 cu132 (no known release has cu134) (rule 1)" \
        in cu134.inferred
    # rule 3: no [variant.cu134]; the PyPI wheel is cu134 and pins cuda-toolkit 13.4.1
    assert (cu134.cuda, cu134.toolkit) == ("13.4", "13.4.1")
    assert cu132.toolkit == "13.2.1"  # [variant.cu132] of the data, not inferred
    # rule 2: a ROCm version new to the data has unknown targets: never bet on
    assert rocm.gfx == () and "UNVERIFIED" in rocm.note and rocm.inferred
    text = "\n".join(outcome.changes)
    assert "new variant cu134 (torch 2.16.0)" in text and "new variant rocm7.3 (torch 2.16.0)" in text
    assert "changed default: torch 2.16.0 on linux-x86_64 is cu134 (was cu132 in 2.15.0)" in text


def test_the_mirror_table_decides_the_pytorch_index(tmp_path):
    (tmp_path / "mirrors.toml").write_text('mirror = [{ prefix = "https://download.pytorch.org/whl", '
                                           'replacement = "https://mirror.example/pytorch-wheels" }]\n')
    assert torch_index(load_recipes([tmp_path], refreshed=False), None) == "https://mirror.example/pytorch-wheels"
    assert torch_index(load_recipes(refreshed=False), "https://other.example/whl/") == "https://other.example/whl"


# ---------------------------------------------------------------------------- the refreshed layer


def write_refreshed(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "torch.toml").write_text(text)
    return folder


def test_the_refreshed_layer_never_changes_a_release_the_built_in_data_has(tmp_path):
    folder = write_refreshed(tmp_path / "refreshed", 'checked = "2026-12-10"\n[series."2.14".releases."2.14.1"]\n'
                                                     'torchvision = "9.9.9"\n')
    recipes = load_recipes(refreshed=folder)
    assert recipes.release("2.14.1").torchvision == "0.29.1"  # type: ignore[union-attr]
    assert [layer.kind for layer in recipes.layers] == ["built-in", "refreshed"]
    assert recipes.layers[1].checked == "2026-12-10"


@pytest.mark.parametrize("text, problem", [
    ('checked = "2026-13-01"\n', "must be a date"),
    ('refresh = { pypi = 1 }\n', "refresh must be a table of strings"),
    ('[variant.cu999]\nkind = "cuda"\n', "a refreshed file holds only series, not variant"),
    ('[series."2.14".releases."2.14.9"]\ninferred = [""]\n', "'inferred' must be a list"),
])
def test_a_broken_refreshed_file_is_named_with_what_is_wrong(tmp_path, text, problem):
    folder = write_refreshed(tmp_path / "refreshed", text)
    _, problems = check_refreshed(text)
    assert any(problem in p for p in problems), problems
    with pytest.raises(Exception, match=problem):
        load_recipes(refreshed=folder)


def test_the_layers_are_read_cheaply_as_loading_reads_them(tmp_path):
    folder = write_refreshed(tmp_path / "refreshed", 'checked = "2026-12-10"\n[refresh]\npypi = "https://p.example/pypi"\n'
                                                     'index = "https://w.example/whl"\n')
    assert data_layers(refreshed=folder) == load_recipes(refreshed=folder).layers
    assert describe_layers(data_layers(refreshed=folder)).endswith(" + refreshed 2026-12-10")
    assert data_layers(refreshed=False)[0].path == str(builtin_dir())


@pytest.mark.parametrize("requirement, warns", [
    ("torch==2.99.0", True), ("torch>=2.16", True), ("torch>2.15.0", True), ("torch==2.16.*", True),
    ("torch==2.5.1", False), ("torch<2.0", False), ("torch>=3,<2", False), ("torchvision==9.0", False), ("torch", False),
])
def test_install_warns_when_a_requested_torch_is_newer_than_the_data(requirement, warns):
    warning = newer_than_known([requirement], load_recipes(refreshed=False))
    assert (warning is not None) == warns
    if warns:
        assert "newer than every release the recipes know (the newest is 2.15.0" in warning  # type: ignore[operator]


def test_one_refresh_reads_the_newest_releases_only(monkeypatch):
    from envdoctor.refresh import learn as refresh

    monkeypatch.setattr(refresh, "MAX_NEW", 0)
    material, sources = synthetic_material()
    outcome = build(load_recipes(refreshed=False), material, sources, "2026-12-10", "2026-12-10T08:00:00Z", "0.1.0")
    assert outcome.releases == []
    assert "1 older release(s) the data lacks left out: one refresh reads the newest 0" in outcome.notes


def test_the_pypi_service_comes_from_the_environment_then_pips_configuration_then_pip(monkeypatch, tmp_path):
    from envdoctor.door import LiveDoor
    from envdoctor.refresh.run import pypi_sources

    for name in [k for k in __import__("os").environ if k.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.example/simple/")
    assert pypi_sources(LiveDoor(), None, 30, None) == ("https://mirror.example/simple", "https://mirror.example/pypi",
                                                        "PIP_INDEX_URL")
    monkeypatch.delenv("PIP_INDEX_URL")
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = https://global.example/root/+simple\n"
                      "[install]\nindex-url = https://install.example/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    assert pypi_sources(LiveDoor(), None, 30, None) == ("https://install.example/simple", "https://install.example/pypi",
                                                        "pip config install.index-url")
    config.write_text("[global]\nindex-url = https://global.example/root/+simple\n")
    assert pypi_sources(LiveDoor(), None, 30, None) == ("https://global.example/root/+simple", None,
                                                        "pip config global.index-url")
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    simple, api, chosen = pypi_sources(LiveDoor(), None, 30, None)
    assert chosen == "pip's default index" and simple.startswith("https://") and simple.endswith("/simple")
    assert api == simple[: -len("/simple")] + "/pypi"
    assert pypi_sources(LiveDoor(), None, 30, "https://given.example/") == (
        "https://given.example/simple", "https://given.example/pypi", "--pypi")


# ---------------------------------------------------------------------------- anything a hostile index can send

PAGE_TYPES = st.sampled_from(["text/html", "application/vnd.pypi.simple.v1+json", "application/json", "text/plain"])


@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode), PAGE_TYPES)
def test_any_page_is_files_or_a_page_error(body, content_type):
    for parse in (parse_simple, parse_json_api):
        try:
            files = parse(body, content_type, "https://index.example/simple/torch/")
        except PageError:
            continue
        assert all(link_problem("https://index.example/simple/torch/", f.url) is None for f in files)


@given(st.binary(max_size=3000), st.integers(min_value=0, max_value=10**12))
def test_any_bytes_are_a_directory_or_a_zip_error(data, start):
    try:
        offset, size = wheelzip.directory_location(data, start)
        wheelzip.directory_members(data[max(0, offset - start): max(0, offset - start) + size])
    except wheelzip.WheelZipError:
        pass


@given(st.binary(max_size=400))
def test_any_member_bytes_are_content_or_a_zip_error(chunk):
    for method in (0, 8, 12):
        try:
            wheelzip.member_content(chunk, wheelzip.Member("m", method, len(chunk) // 2, 64, 0))
        except wheelzip.WheelZipError:
            pass
