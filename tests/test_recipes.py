"""The recipe loader: the built-in data loads; bad or hostile overlays are reported by file, entry and
problem, never raised. The data itself is checked against its sources in tests/test_recipe_data.py."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from envdoctor import compat
from envdoctor.recipes import RecipeError, builtin_dir, load_recipes, loader, schema, validate

FIXTURES = Path(__file__).parent / "fixtures" / "recipes"


@pytest.fixture(scope="module")
def recipes():
    return load_recipes()


def test_builtin_recipes_validate_cleanly():
    assert validate() == []


def test_every_pypi_release_from_1_8_to_2_15_is_present(recipes):
    versions = [r.version for r in recipes.releases]
    for expected in ("1.8.0", "1.10.2", "1.13.1", "2.0.1", "2.2.2", "2.5.1", "2.7.1", "2.10.0", "2.12.1", "2.14.1", "2.15.0"):
        assert expected in versions
    assert [Version(v) for v in versions] == sorted((Version(v) for v in versions), reverse=True)


def test_every_release_and_table_names_a_source(recipes):
    assert all(r.source for r in recipes.releases)
    assert all(v.source for r in recipes.releases for v in r.variants)
    assert all(t.source for t in recipes.toolkits)
    assert all(f.source for f in recipes.families.values())
    assert all(recipes.sources[name] for name in ("cuda_drivers.toml", "torch.toml", "gpus.toml", "mirrors.toml"))


def test_loading_reads_and_parses_each_file_once(monkeypatch):
    """The work of one load, counted (its time is measured by benchmarks/bench_recipes.py): every recipe file
    is read once and parsed once; gpu_peaks.toml is left to the verifier."""
    import types

    import envdoctor.door

    reads: list[str] = []
    parses: list[int] = []
    real_read, real_toml = envdoctor.door.read_user_file, loader.tomllib

    def counted_read(path, limit):
        reads.append(Path(path).name)
        return real_read(path, limit)

    def counted_parse(text):
        parses.append(len(text))
        return real_toml.loads(text)

    monkeypatch.setattr(envdoctor.door, "read_user_file", counted_read)
    monkeypatch.setattr(loader, "tomllib", types.SimpleNamespace(loads=counted_parse, TOMLDecodeError=real_toml.TOMLDecodeError))
    load_recipes(refreshed=False)
    assert sorted(reads) == ["cuda_drivers.toml", "gpus.toml", "mirrors.toml", "torch.toml"]
    assert len(parses) == 4


@pytest.mark.parametrize(
    "folder, expected",
    [
        ("bad_arch", ['bad_arch/torch.toml: release "2.5.1" variant "cu124": arch "sm_9O" is not sm_NN']),
        ("bad_driver", ['bad_driver/cuda_drivers.toml: toolkit "12.4.1": linux driver is not a version',
                        "bad_driver/cuda_drivers.toml: family row", "'major' must be an integer"]),
        ("bad_toml", ["bad_toml/gpus.toml: not valid TOML"]),
        ("unknown_file", ["unknown_file/torhc.toml: unknown recipe file"]),
        ("misspelt_key", ["misspelt_key/gpus.toml: unknown key 'nvidai'"]),
        ("wrong_schema", ["wrong_schema/torch.toml: schema 'envdoctor.recipes.torch/1' is not 'envdoctor.recipes.torch/2'"]),
        ("old_rocm_rows", ["old_rocm_rows/gpus.toml: 'rocm' is no longer read here", "torch.toml", "[gfx_lists]"]),
        ("bad_gfx", ['bad_gfx/torch.toml: release "2.5.1" variant "rocm6.2": gfx target \'gfx11OO\' is not gfxNNN',
                     ('bad_gfx/torch.toml: release "2.5.1" variant "rocm6.9": an empty \'gfx\' list means unknown: '
                      'its note must say UNVERIFIED')]),
        ("bad_urls", [('bad_urls/mirrors.toml: mirror "https://download.pytorch.org/whl": replacement '
                       "'http://mirror.example.internal/whl': plain http is allowed only to"),
                      "bad_urls/torch.toml: index find_links", "backslash"]),
    ],
    ids=["arch-typo", "driver-not-a-version", "truncated-toml", "misspelt-file", "misspelt-key", "old-schema",
         "moved-rocm-rows", "gfx", "urls"],
)
def test_bad_overlays_are_reported_with_file_entry_and_problem(folder, expected):
    problems = validate(FIXTURES / folder)
    text = "\n".join(problems)
    for fragment in expected:
        assert fragment in text
    with pytest.raises(RecipeError) as info:
        load_recipes([FIXTURES / folder])
    assert folder in str(info.value)


def test_arch_typo_does_not_cascade_into_other_errors():
    problems = validate(FIXTURES / "bad_arch")
    assert all("sm_9O" in p for p in problems)


def test_overlay_adds_a_release_and_a_gpu_and_rewrites_index_urls():
    recipes = load_recipes([FIXTURES / "new_release", FIXTURES / "mirror"])
    assert recipes.releases[0].version == "2.16.0"
    assert recipes.gpu_compute_capability("NVIDIA Example Accelerator 9000") == "8.9"
    assert recipes.rewrite_url("https://download.pytorch.org/whl/cu126") == "https://mirror.example.internal/pytorch-whl/cu126"
    unrelated = "https://index.example.org/simple"  # an index no mirror rule names is left as it is
    assert recipes.rewrite_url(unrelated) == unrelated


# ---------------------------------------------------------------------------- the API the planner uses


def test_companion_wheel_reads_the_gaps_and_the_pairing():
    release = load_recipes([FIXTURES / "companion_gaps"]).release("2.16.0")
    assert release.companion_wheel("torchvision", "linux-x86_64", "3.11")
    assert not release.companion_wheel("torchvision", "linux-x86_64", "3.12")  # listed as a gap
    assert release.companion_wheel("torchvision", "windows-x86_64", "3.12")
    assert not release.companion_wheel("torchaudio", "linux-x86_64", "3.11")  # not paired at all
    assert not release.companion_wheel("torchvision", "linux-x86_64", "3.10")  # no torch wheel either
    assert not release.companion_wheel("torchvision", "macos-arm64", "3.11")
    assert not release.companion_wheel("triton", "linux-x86_64", "3.11")


def test_kernels_for_takes_the_platform_list_and_the_platforms_ptx():
    variant = load_recipes([FIXTURES / "companion_gaps"]).find_variant("2.16.0", "cu132")
    turing_blackwell = ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120")
    assert variant.kernels_for("linux-x86_64") == (turing_blackwell, ("sm_120",))
    assert variant.kernels_for("windows-x86_64") == (turing_blackwell, ())


@pytest.mark.parametrize(
    "name, cc",
    [
        ("NVIDIA GeForce RTX 3090", "8.6"),
        ("NVIDIA H100 80GB HBM3", "9.0"),
        ("Tesla T4", "7.5"),
        ("NVIDIA A100-SXM4-80GB", "8.0"),
        ("NVIDIA GeForce RTX 2080 SUPER", "7.5"),
        ("nvidia geforce gtx 1080 ti", "6.1"),
        ("NVIDIA RTX 6000 Ada Generation", "8.9"),
        ("Quadro RTX 6000", "7.5"),
        ("NVIDIA L40S", "8.9"),
        ("NVIDIA L40", "8.9"),
        ("NVIDIA GeForce RTX 5090", "12.0"),
        ("NVIDIA GeForce RTX 4090 Laptop GPU", "8.9"),
        ("Tesla V100-SXM2-16GB", "7.0"),
        ("NVIDIA H200", "9.0"),
        ("sm_120", "12.0"),
        ("sm_90a", "9.0"),
        ("8.6", "8.6"),
        ("sm_999", None),
        ("sm_8\u0666", None),  # an Arabic-Indic digit is not a digit here
        ("NVIDIA Made Up 1234", None),
        ("", None),
        ("   ", None),
    ],
)
def test_gpu_names_map_to_compute_capability(recipes, name, cc):
    assert recipes.gpu_compute_capability(name) == cc


def test_amd_names_and_gfx_targets(recipes):
    assert recipes.amd_gfx("AMD Instinct MI250X") == "gfx90a"
    assert recipes.amd_gfx("AMD Radeon RX 7900 XTX") == "gfx1100"
    assert recipes.amd_gfx("gfx90a:sramecc+:xnack-") == "gfx90a"
    assert recipes.amd_gfx("gfx1201") == "gfx1201"
    assert recipes.amd_gfx(None) is None


def test_toolkit_drivers_and_family_floors_keep_their_spelling(recipes):
    assert str(compat.toolkit_driver("12.6.3", "linux", recipes.toolkits)) == "560.35.05"
    assert str(compat.toolkit_driver("12.4", "windows", recipes.toolkits)) == "551.61"
    assert str(recipes.families[13].floor("linux")) == "580.65.06"
    assert str(recipes.families[12].floor("windows")) == "528.33"
    assert recipes.families[10].floor("linux") is None


def test_jetson_thor_is_served_and_the_other_boards_are_not(recipes):
    assert recipes.jetson.sbsa_compute_capabilities == ("11.0",)
    assert compat.jetson_kind("NVIDIA Jetson T5000", "11.0", recipes) == "sbsa"
    assert compat.jetson_kind("NVIDIA Jetson AGX Orin", "8.7", recipes) == "board"
    assert compat.jetson_kind(None, "7.2", recipes) == "board"
    assert compat.jetson_kind("NVIDIA H100 80GB HBM3", "9.0", recipes) is None


def test_find_variant_accepts_local_versions_and_misses_cleanly(recipes):
    assert recipes.find_variant("2.5.1+cu124", "cu124").cuda == "12.4"
    assert recipes.find_variant("2.5.1", "cu999") is None
    assert recipes.find_variant("9.9.9", "cpu") is None
    assert recipes.find_variant("not a version", "cpu") is None
    assert recipes.release("2.\u0661\u0665.0") is None  # non-ASCII digits are not a version


# ---------------------------------------------------------------------------- hostile overlays


def _overlay(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "overlay"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "files, fragment",
    [
        ({"torch.toml": "series = 5\n"}, "torch.toml: 'series' must be a table, got int"),
        ({"torch.toml": 'series = { "2.5" = { variants = "x" } }\n'}, "series \"2.5\": 'variants' must be a table"),
        ({"torch.toml": '[series."2.5"]\npython = [1, 2]\n'},
         'release "2.5.0": no Python list for windows-x86_64 (got [1, 2])'),
        ({"torch.toml": '[series."2.5"]\nglibc = []\n'}, 'release "2.5.0": glibc must map platforms to versions'),
        ({"torch.toml": '[series."2.5"]\nreleases = { "2.5.1" = "0.20.1" }\n'}, 'release "2.5.1": must be a table'),
        ({"torch.toml": '[series."2.5"]\nreleases = { "2.5.1" = { variants = [1] } }\n'},
         "release \"2.5.1\": 'variants' must be a table of variants"),
        ({"torch.toml": '[series."2.5"]\nreleases = { "2.5.1" = { drop_variants = "cu124" } }\n'},
         'release "2.5.1": drop_variants must be a list of variant names'),
        ({"torch.toml": '[series."2.5"]\ncompanion_gaps = { torchvision = ["3.13"] }\n'},
         "companion_gaps.torchvision must map platforms to Python lists"),
        ({"torch.toml": '[series."2.5"]\ncompanion_gaps = { torchvision = { linux-x86_64 = ["3.99"] } }\n'},
         "companion_gaps.torchvision.linux-x86_64 ['3.99'] must list Pythons the release has"),
        ({"torch.toml": '[series."2.5"]\nvariants = { cu124 = { archs = "@cu12", archs_by_platform = 3 } }\n'},
         'variant "cu124": archs_by_platform must be a table'),
        ({"torch.toml": '[series."2.5"]\n'
                        'variants = { cu124 = { archs = "@cu12", archs_by_platform = { macos-arm64 = "@cu12" } } }\n'},
         'archs_by_platform names "macos-arm64", not one of the variant\'s platforms'),
        ({"torch.toml": '[series."2.5"]\nvariants = { cu124 = { archs = "@no_such_list" } }\n'},
         "arch list '@no_such_list' is not a list of sm_NN (unknown @name?)"),
        ({"torch.toml": '[series."2.5"]\nvariants = { cu124 = { archs = "@cu12", gfx = ["gfx90a"] } }\n'},
         "'gfx' belongs to ROCm variants only"),
        ({"torch.toml": '[series."2.5"]\nvariants = { cu124 = { archs = "@cu12", archz = [] } }\n'},
         'variant "cu124": unknown key(s) archz'),
        ({"torch.toml": '[series."2.5"]\npythn = ["3.12"]\n'}, 'series "2.5": unknown key(s) pythn'),
        ({"torch.toml": '[series."2.5"]\nmacos_min_by_python = { macos-arm64 = { "3.99" = "14.0" } }\n'},
         "macos_min_by_python.macos-arm64 must map the release's Pythons to macOS versions"),
        ({"torch.toml": 'arch_lists = { cu12 = ["sm_86", 86] }\n'}, 'arch_lists "cu12"'),
        ({"torch.toml": 'gfx_lists = { rocm6_0 = { gfx = ["gfx90a"] } }\n'},
         'gfx_lists "rocm6_0": needs a source string'),
        ({"torch.toml": 'variant = { cu124 = { kind = "cuda", cuda = 12.4 } }\n'},
         "a CUDA variant needs 'cuda' and 'toolkit' versions"),
        ({"torch.toml": 'index = "https://example.invalid"\n'}, "index: must be a table"),
        ({"gpus.toml": 'nvidia = [{ cc = 8.6, names = ["X"], source = "s" }]\n'}, "'cc' 8.6 is not valid"),
        ({"gpus.toml": 'nvidia = [{ cc = "8.6", names = "A100", source = "s" }]\n'},
         "'names' must be a non-empty list"),
        ({"gpus.toml": 'nvidia = { cc = "8.6" }\n'}, "gpus.toml: 'nvidia' must be a list of tables, got dict"),
        ({"gpus.toml": 'amd = ["gfx90a"]\n'}, "amd row 'gfx90a'"),
        ({"gpus.toml": 'jetson = { names = "Jetson" }\n'}, "jetson: 'names' must be a list of strings"),
        ({"gpus.toml": 'jetson = { names = ["Jetson"], sbsa_compute_capabilities = ["sm_110"] }\n'},
         "jetson: 'sbsa_compute_capabilities' ['sm_110'] must list compute capabilities"),
        ({"cuda_drivers.toml": 'toolkit = [{ version = "12.4.1", linux = "1!550.54.15" }]\n'},
         "linux driver is not a version: '1!550.54.15'"),
        ({"cuda_drivers.toml": 'family = [{ major = true }]\n'}, "'major' must be an integer"),
        ({"mirrors.toml": 'mirror = [{ prefix = "https://x.example", replacement = 5 }]\n'},
         "needs 'prefix' and 'replacement' strings"),
        ({"mirrors.toml": 'source = ["a"]\n'}, "mirrors.toml: 'source' must be a string"),
    ],
)
def test_type_confused_overlays_are_problems_not_tracebacks(tmp_path, files, fragment):
    problems = validate(_overlay(tmp_path, files))
    assert any(fragment in p for p in problems), problems
    assert all(p.startswith((str(tmp_path), "recipes/")) for p in problems), problems


def test_deep_nesting_is_a_problem(tmp_path):
    deep = "x = " + "[" * 20 + "1" + "]" * 20 + "\n"
    problems = validate(_overlay(tmp_path, {"gpus.toml": deep}))
    where = "x" + "[0]" * 11
    assert problems == [f"{tmp_path / 'overlay' / 'gpus.toml'}: {where}: nested deeper than 12 levels"]


def test_nesting_deeper_than_the_toml_parser_can_follow_is_a_problem(tmp_path):
    bottomless = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    problems = validate(_overlay(tmp_path, {"torch.toml": bottomless}))
    assert problems == [f"{tmp_path / 'overlay' / 'torch.toml'}: not valid TOML: nested too deeply"]


def test_symlinked_recipe_file_is_refused(tmp_path):
    outside = tmp_path / "elsewhere.toml"
    outside.write_text('nvidia = [{ cc = "8.9", names = ["Planted 1"], source = "elsewhere" }]\n')
    folder = tmp_path / "overlay"
    folder.mkdir()
    (folder / "gpus.toml").symlink_to(outside)
    problems = validate(folder)
    assert problems == [f"{folder / 'gpus.toml'}: cannot read: a symbolic link, not a regular file"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_recipe_file_is_refused_without_blocking(tmp_path):
    folder = tmp_path / "overlay"
    folder.mkdir()
    os.mkfifo(folder / "torch.toml")
    problems = validate(folder)
    assert problems == [f"{folder / 'torch.toml'}: cannot read: a FIFO, not a regular file"]


def test_oversized_recipe_file_is_refused(tmp_path):
    big = "# " + "x" * (loader.MAX_FILE_BYTES + 10) + "\n"
    problems = validate(_overlay(tmp_path, {"mirrors.toml": big}))
    assert problems == [(f"{tmp_path / 'overlay' / 'mirrors.toml'}: cannot read: larger than "
                         f"{loader.MAX_FILE_BYTES} bytes")]


def test_a_recipe_file_that_is_a_folder_is_refused(tmp_path):
    folder = tmp_path / "overlay"
    (folder / "torch.toml").mkdir(parents=True)
    problems = validate(folder)
    assert len(problems) == 1 and problems[0].startswith(f"{folder / 'torch.toml'}: cannot read: a directory")


PEAKS = '[[gpu]]\nname = "X"\nmatch = ["x"]\ntf32 = 1.0\nsource = "https://example.org"\n'


def _validate_cli(folder):
    from click.testing import CliRunner

    from envdoctor.cli import cli

    return CliRunner().invoke(cli, ["recipes", "validate", str(folder)], catch_exceptions=False)


def test_validate_reads_an_overlays_gpu_peaks(tmp_path):
    (tmp_path / "gpu_peaks.toml").write_text(PEAKS)
    result = _validate_cli(tmp_path)
    assert (result.exit_code, result.stderr) == (0, "")


def test_validate_refuses_a_symlinked_gpu_peaks_out_of_the_folder(tmp_path):
    outside = tmp_path / "elsewhere.toml"
    outside.write_text(PEAKS)  # valid: following the link would report nothing
    folder = tmp_path / "overlay"
    folder.mkdir()
    (folder / "gpu_peaks.toml").symlink_to(outside)
    result = _validate_cli(folder)
    assert result.exit_code == 1
    assert result.stderr == f"error: {folder / 'gpu_peaks.toml'}: cannot read: a symbolic link, not a regular file\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_validate_refuses_a_fifo_gpu_peaks_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "gpu_peaks.toml")
    result = _validate_cli(tmp_path)
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'gpu_peaks.toml'}: cannot read: a FIFO, not a regular file\n"


def test_validate_refuses_an_oversized_gpu_peaks(tmp_path):
    (tmp_path / "gpu_peaks.toml").write_text(PEAKS + "# " + "x" * loader.MAX_FILE_BYTES + "\n")
    result = _validate_cli(tmp_path)
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'gpu_peaks.toml'}: cannot read: larger than {loader.MAX_FILE_BYTES} bytes\n"


# ---------------------------------------------------------------------------- property: never a traceback


def _toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"


def _toml_document(data: dict) -> str:
    return "".join(f"{_toml_string(k)} = {_toml_value(v)}\n" for k, v in data.items())


# Words the recipe files use, so generated overlays reach past the first type check.
WORDS = ["2.5", "2.5.1", "2.16", "2.16.0", "cu124", "cu132", "rocm6.2", "cpu", "sm_86", "sm_9O", "8.6", "gfx90a",
         "gfx11OO", "@cu12", "@rocm6_0", "@nope", "linux-x86_64", "windows-x86_64", "macos-arm64", "3.12", "3.13t",
         "3.99", "cuda", "rocm", "https://download.pytorch.org/whl", "http://10.0.0.1/whl", "UNVERIFIED", ""]
KEYS = sorted(schema.SERIES_KEYS | schema.RELEASE_KEYS | schema.VARIANT_KEYS
              | schema.JETSON_KEYS | {"cc", "gfx", "names", "version", "linux", "windows", "major", "prefix",
                                               "replacement", "base", "find_links", "style", "schema"})
scalars = st.one_of(st.sampled_from(WORDS), st.text(max_size=8), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False), st.booleans())
keys = st.one_of(st.sampled_from(KEYS + WORDS[:8]), st.text(max_size=6))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=24)


def _nested(depth: int):
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=1),
                                                         st.dictionaries(keys, inner, min_size=1, max_size=1)),
                        max_leaves=depth)


release_body = st.dictionaries(st.sampled_from(sorted(schema.RELEASE_KEYS)), values, max_size=5)
series_body = st.dictionaries(st.sampled_from(sorted(schema.SERIES_KEYS)), values, max_size=6).flatmap(
    lambda body: st.dictionaries(st.sampled_from(["2.5.0", "2.5.1", "2.16.0", "x"]), st.one_of(release_body, values),
                                 max_size=2).map(lambda releases: {**body, "releases": releases}))
row = st.dictionaries(keys, values, max_size=5)
rows = st.one_of(st.lists(st.one_of(row, values), max_size=3), values)
files = st.fixed_dictionaries({}, optional={
    "torch.toml": st.fixed_dictionaries({}, optional={
        "series": st.one_of(st.dictionaries(st.sampled_from(["2.5", "2.16", "1.8"]), st.one_of(series_body, values),
                                            max_size=2), values),
        "variant": st.dictionaries(st.sampled_from(["cu124", "cu999", "rocm6.2", "cpu"]), values, max_size=2),
        "arch_lists": values, "gfx_lists": values, "index": values,
        "schema": st.sampled_from(["envdoctor.recipes.torch/2", "envdoctor.recipes.torch/1", ""]),
        "extra": _nested(30),
    }),
    "gpus.toml": st.fixed_dictionaries({}, optional={"nvidia": rows, "amd": rows, "jetson": values, "rocm": rows,
                                                     "source": values}),
    "cuda_drivers.toml": st.fixed_dictionaries({}, optional={"toolkit": rows, "family": rows, "source": values}),
    "mirrors.toml": st.fixed_dictionaries({}, optional={"mirror": rows, "schema": values}),
})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files)
def test_any_overlay_gives_problems_or_nothing_and_never_raises(overlay):
    with tempfile.TemporaryDirectory() as folder:
        for name, data in overlay.items():
            Path(folder, name).write_text(_toml_document(data), encoding="utf-8")
        problems = validate(folder)
        assert isinstance(problems, list) and all(isinstance(p, str) and ": " in p for p in problems)
        if not problems:
            load_recipes([Path(folder)])
        else:
            with pytest.raises(RecipeError):
                load_recipes([Path(folder)])


def _paths(value, prefix=()):
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from _paths(child, prefix + (key,))


def _replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def _load_toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _valid_overlay() -> dict:
    """The site overlays of the fixtures, with part of the built-in torch.toml and gpus.toml repeated in them."""
    builtin = builtin_dir()
    torch = _load_toml(builtin / "torch.toml")
    gpus = _load_toml(builtin / "gpus.toml")
    site = _load_toml(FIXTURES / "companion_gaps" / "torch.toml")
    series = {name: torch["series"][name] for name in ("1.8", "2.2", "2.7", "2.8")}
    return {
        "torch.toml": {**{k: torch[k] for k in ("index", "arch_lists", "gfx_lists", "variant")},
                       "series": {**series, **site["series"]}},
        "gpus.toml": {"jetson": gpus["jetson"], "amd": gpus["amd"][:3],
                      "nvidia": _load_toml(FIXTURES / "mirror" / "gpus.toml")["nvidia"]},
        "mirrors.toml": _load_toml(FIXTURES / "mirror" / "mirrors.toml"),
        "cuda_drivers.toml": {"toolkit": _load_toml(builtin / "cuda_drivers.toml")["toolkit"][:3],
                              "family": _load_toml(builtin / "cuda_drivers.toml")["family"]},
    }


VALID_OVERLAY = _valid_overlay()
VALID_PATHS = [(name, path) for name, data in VALID_OVERLAY.items() for path in _paths(data) if path]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID_PATHS), values)
def test_any_value_of_a_valid_overlay_replaced_by_any_other_never_raises(where, new):
    """Start from an overlay that loads, put any value of any type at any place in it."""
    name, path = where
    overlay = dict(VALID_OVERLAY)
    overlay[name] = _replaced(overlay[name], path, new)
    with tempfile.TemporaryDirectory() as folder:
        for file, data in overlay.items():
            Path(folder, file).write_text(_toml_document(data), encoding="utf-8")
        problems = validate(folder)
        assert isinstance(problems, list) and all(isinstance(p, str) and ": " in p for p in problems)


def test_the_overlay_the_property_mutates_is_valid():
    with tempfile.TemporaryDirectory() as folder:
        for file, data in VALID_OVERLAY.items():
            Path(folder, file).write_text(_toml_document(data), encoding="utf-8")
        assert validate(folder) == []


def test_the_toml_writer_of_the_property_test_round_trips():
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    data = {"a\x7f\"\\": [1, 2.5, True, "x\ny"], "t": {"k": {"": []}}}
    assert tomllib.loads(_toml_document(data)) == data
