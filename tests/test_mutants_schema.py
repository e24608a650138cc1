"""The recipe schema (recipes/README.md) held to whole values: what an overlay's rows become, read back field by
field, and each data error's whole message, on small hand-written overlays (tmp folders, written here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from envdoctor.compat import parse_driver
from envdoctor.recipes import load_recipes, validate
from envdoctor.recipes.model import (
    CondaRecipe,
    CudaFamily,
    JetsonRecipe,
    Mirror,
    MirrorPreset,
    Release,
    ToolkitDriver,
    VariantRecipe,
)


def _overlay(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "overlay"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


SERIES = """
[series."2.16"]
source = "series source"
note = "series note"
python = ["3.12", "3.13"]
platforms = ["linux-x86_64", "windows-x86_64"]
glibc = { linux-x86_64 = "2.28" }
pypi = { linux-x86_64 = "cu132", windows-x86_64 = "cpu" }
index_style = "index-url"
conda = { style = "conda-forge", cuda = ["12.6"], note = "conda note" }
companion_gaps = { torchvision = { linux-x86_64 = ["3.13"] } }
releases = { "2.16.0" = { torchvision = "0.31.0", note = "release note", inferred = ["python: as 2.15.0"] } }
[series."2.16".variants.cpu]
[series."2.16".variants.cu132]
cuda = "13.2"
toolkit = "13.2.0"
toolkit_source = "toolkit page"
archs = ["sm_80", "sm_90"]
ptx = ["sm_90"]
ptx_platforms = ["linux-x86_64"]
archs_by_platform = { windows-x86_64 = ["sm_80"] }
glibc = { linux-x86_64 = "2.34" }
source = "variant source"
note = "variant note"
inferred = ["archs: as 2.15.0 cu130"]
"""


def test_an_overlay_release_is_read_back_whole(tmp_path):
    recipes = load_recipes([_overlay(tmp_path, {"torch.toml": SERIES})])
    release = recipes.release("2.16.0")
    platforms = ("linux-x86_64", "windows-x86_64")
    assert release == Release(
        version="2.16.0", parsed=Version("2.16.0"), series="2.16",
        python={"linux-x86_64": ("3.12", "3.13"), "windows-x86_64": ("3.12", "3.13")}, platforms=platforms,
        macos_min={}, glibc={"linux-x86_64": "2.28"}, pypi={"linux-x86_64": "cu132", "windows-x86_64": "cpu"},
        index_style="index-url",
        variants=(
            VariantRecipe(torch="2.16.0", name="cpu", kind="cpu", platforms=("linux-x86_64", "linux-aarch64",
                          "windows-x86_64", "macos-arm64", "macos-x86_64"), source="series source"),
            VariantRecipe(torch="2.16.0", name="cu132", kind="cuda", cuda="13.2", toolkit="13.2.0",
                          archs=("sm_80", "sm_90"), ptx=("sm_90",), ptx_platforms=("linux-x86_64",),
                          archs_by_platform={"windows-x86_64": ("sm_80",)}, platforms=platforms,
                          glibc={"linux-x86_64": "2.34"}, source="variant source", note="variant note",
                          toolkit_source="toolkit page", inferred=("archs: as 2.15.0 cu130",)),
        ),
        torchvision="0.31.0", torchaudio=None, conda=CondaRecipe("conda-forge", ("12.6",), "conda note"),
        source="series source", note="series note; release note",
        companion_gaps={"torchvision": {"linux-x86_64": ("3.13",)}}, inferred=("python: as 2.15.0",),
    )


DRIVERS = """
toolkit = [{ version = "13.9.0", linux = "600.10.01", note = "toolkit note" },
           { version = "13.9.1", label = "13.9 Update 1", windows = "601.02", source = "row source" }]
family = [{ major = 14, linux = "700.1", source = "family source", note = "family note" }]
newest_arch = [{ cuda = "13.9", cc = "12.1", source = "s" }]
gpu_first_cuda = [{ cc = "13.0", cuda = "13.9.0", source = "s" }]
"""


def test_overlay_driver_rows_are_read_back_whole(tmp_path):
    folder = _overlay(tmp_path, {"cuda_drivers.toml": DRIVERS})
    recipes = load_recipes([folder])
    toolkits = {t.version: t for t in recipes.toolkits}
    builtin = load_recipes().sources["cuda_drivers.toml"]  # a row without a source takes its file's
    assert toolkits[Version("13.9.0")] == ToolkitDriver(Version("13.9.0"), "13.9.0", parse_driver("600.10.01"), None,
                                                        builtin, "toolkit note")
    assert toolkits[Version("13.9.1")] == ToolkitDriver(Version("13.9.1"), "13.9 Update 1", None,
                                                        parse_driver("601.02"), "row source", "")
    assert recipes.families[14] == CudaFamily(14, parse_driver("700.1"), None, "family source", "family note")
    assert recipes.newest_arch["13.9"] == "12.1"
    assert recipes.gpu_first_cuda["13.0"] == "13.9.0"


def test_overlay_mirrors_lose_their_trailing_slash_and_keep_source_and_layout(tmp_path):
    text = ('mirror = [{ prefix = "https://b.example/", replacement = "https://m.example/b/", layout = "find-links", '
            'source = "doc" }, { prefix = "https://c.example", replacement = "https://m.example/c" }]\n')
    recipes = load_recipes([_overlay(tmp_path, {"mirrors.toml": text})])
    assert recipes.mirrors[:2] == (Mirror("https://b.example", "https://m.example/b", "doc", "find-links"),
                                   Mirror("https://c.example", "https://m.example/c", "", "simple"))


GOOD = """source = "s"
python = ["3.12"]
platforms = ["linux-x86_64"]
glibc = { linux-x86_64 = "2.28" }
pypi = { linux-x86_64 = "cu132" }
index_style = "index-url"
"""
CU132 = 'cu132 = { cuda = "13.2", toolkit = "13.2.0", archs = ["sm_80"] }'


@pytest.mark.parametrize("files, problems", [
    ({"cuda_drivers.toml": 'toolkit = [{ version = "13.9.0" }, { version = "x" }, '
                           '{ version = "13.9.1", linux = "600.1", windows = "abc" }, '
                           '{ version = "13.9.2", label = 5, linux = "600.1" }]\n'},
     ['cuda_drivers.toml: toolkit "13.9.0": needs a \'linux\' or \'windows\' driver',
      'cuda_drivers.toml: toolkit row {\'version\': \'x\'}: \'version\' must be a version such as "12.4.1"',
      "cuda_drivers.toml: toolkit \"13.9.1\": windows driver is not a version: 'abc'",
      "cuda_drivers.toml: toolkit \"13.9.2\": 'label' must be a string"]),
    ({"cuda_drivers.toml": 'family = [{ major = 14, linux = "700", extra = 1 }, { major = 15, windows = "x.y" }]\n'},
     ["cuda_drivers.toml: family 14: unknown key(s) extra",
      "cuda_drivers.toml: family 15: windows floor is not a version: 'x.y'"]),
    ({"cuda_drivers.toml": 'newest_arch = [{ cuda = "thirteen", cc = "12.1" }, { cuda = "13", cc = "12" }, '
                           '{ cuda = "13.9", cc = "12.1", oops = 1 }, { cuda = "13.8", cc = "12.0" }]\n'},
     ["cuda_drivers.toml: newest_arch row {'cuda': 'thirteen', 'cc': '12.1'}: 'cuda' must be a CUDA major or "
      'major.minor such as "12.8"',
      'cuda_drivers.toml: newest_arch "13": \'cc\' must be a compute capability such as "9.0"',
      'cuda_drivers.toml: newest_arch "13.9": unknown key(s) oops',
      "cuda_drivers.toml: newest_arch \"13.8\": no 'source'"]),
    ({"cuda_drivers.toml": 'gpu_first_cuda = [{ cc = "13.0" }, { cc = "13.0", cuda = "13.9.0", note = 3 }, '
                           '{ cc = "13.1", cuda = "13.9.0" }]\n'},
     ['cuda_drivers.toml: gpu_first_cuda row {\'cc\': \'13.0\'}: needs \'cc\' ("12.0") and \'cuda\' ("12.8.0")',
      "cuda_drivers.toml: gpu_first_cuda row {'cc': '13.0', 'cuda': '13.9.0', 'note': 3}: 'note' must be a string",
      "cuda_drivers.toml: gpu_first_cuda \"13.1\": no 'source'"]),
    ({"mirrors.toml": 'mirror = [{ prefix = "https://download.pytorch.org/whl", replacement = "https://m.example/whl", '
                      'source = 1 }, { prefix = "https://a.example", replacement = "https://m.example/a", '
                      'layout = "flat" }]\n'},
     ["mirrors.toml: mirror \"https://download.pytorch.org/whl\": 'source' must be a string",
      "mirrors.toml: mirror \"https://a.example\": layout 'flat' is not one of simple, find-links"]),
    ({"torch.toml": 'index = { base = "https://idx.example/whl/", extra = 1 }\n'},
     ["torch.toml: index: unknown key(s) extra"]),
    ({"torch.toml": 'index = { source = 3 }\n'}, ["torch.toml: index: 'source' must be a string"]),
    ({"torch.toml": f'[series."2.16"]\n{GOOD}conda = {{ style = "mamba" }}\nvariants = {{ {CU132} }}\n'
                    'releases = { "2.16.0" = {}, "2.16.1" = { drop_variants = 5 } }\n'},
     ["torch.toml: release \"2.16.0\": conda must be { style = cudatoolkit | pytorch-cuda | conda-forge, "
      "cuda = [...], note }, got {'style': 'mamba'}",
      'torch.toml: release "2.16.1": drop_variants must be a list of variant names, got 5']),
    # a bad row does not stop the reading: the next release and the next series are judged too
    ({"torch.toml": f'[series."2.16"]\n{GOOD}variants = {{ {CU132} }}\n'
                    'releases = { "2.16.0" = { variants = 1 }, "2.16.1" = { variants = 2 } }\n'
                    '[series."2.17"]\nsource = "s"\nreleases = {}\n'
                    '[series."2.18"]\nsource = "s"\nreleases = {}\n'},
     ["torch.toml: release \"2.16.0\": 'variants' must be a table of variants, got 1",
      "torch.toml: release \"2.16.1\": 'variants' must be a table of variants, got 2",
      "torch.toml: series \"2.17\": 'releases' must name at least one release",
      "torch.toml: series \"2.18\": 'releases' must name at least one release"]),
    ({"torch.toml": f'[series."2.16"]\n{GOOD}variants = {{ {CU132[:-2]}, note = 5 }}, weird = {{ kind = "tpu" }} }}\n'
                    'releases = { "2.16.0" = {} }\n'},
     ["torch.toml: release \"2.16.0\" variant \"cu132\": 'note' must be a string",
      "torch.toml: release \"2.16.0\" variant \"weird\": unknown kind 'tpu' (add a [variant.weird] table with a kind)"]),
    # a long value is shown cut at 77 characters and "..."
    ({"torch.toml": f'[series."2.16"]\n{GOOD}variants = {{ {CU132} }}\n'
                    'releases = { "2.16.0" = { drop_variants = "' + "x" * 100 + '" } }\n'},
     ['torch.toml: release "2.16.0": drop_variants must be a list of variant names, got \'' + "x" * 76 + "..."]),
])
def test_each_data_error_is_reported_whole(tmp_path, files, problems):
    folder = _overlay(tmp_path, files)
    assert validate(folder) == [f"{folder}/{problem}" for problem in problems]


def series(extra: str = "", variants: str = CU132, releases: str = '"2.16.0" = {}') -> str:
    """A torch.toml series 2.16 that is valid as it stands, with ``extra`` keys, variants and releases."""
    return f'[series."2.16"]\n{GOOD}{extra}variants = {{ {variants} }}\nreleases = {{ {releases} }}\n'


PRESETS = """
[[preset]]
name = "Bad Name"
[[preset]]
name = "a"
serves = "pytorch"
bogus = 1
[[preset]]
name = "b"
serves = 5
[[preset]]
name = "c"
serves = "conda"
[[preset]]
name = "d"
serves = "pypi"
layout = "flat"
[[preset]]
name = "e"
serves = "pypi"
layout = "simple"
source = "http://x.example"
[[preset]]
name = "f"
serves = "pypi"
layout = "simple"
source = "https://doc.example"
url = "ftp://x"
"""
PLATFORMS = "linux-x86_64, linux-aarch64, windows-x86_64, macos-arm64, macos-x86_64"
#: the same for every other table: files, and each problem whole in the order the schema reports them
OTHER_ERRORS = {
    "gpus": (
        {"gpus.toml": 'nvidia = [{ cc = "9.9", names = ["Acme X"], source = "s", extra = 1 }, '
                      '{ cc = "9.9", names = [], source = "s" }, { cc = "9.9", names = ["Acme"] }, '
                      '{ cc = "9.9", names = ["---"], source = "s" }, { cc = "9.9", names = ["A"], source = "s", note = 4 }]\n'},
        ['gpus.toml: nvidia cc "9.9": unknown key(s) extra',
         "gpus.toml: nvidia cc \"9.9\": 'names' must be a non-empty list of strings",
         "gpus.toml: nvidia cc \"9.9\": no 'source'",
         "gpus.toml: nvidia cc \"9.9\": name '---' has no words left to match",
         "gpus.toml: nvidia cc \"9.9\": 'note' must be a string"]),
    "jetson-capabilities": (
        {"gpus.toml": 'jetson = { names = ["Jetson"], compute_capabilities = ["8.7x"] }\n'},
        ["gpus.toml: jetson: 'compute_capabilities' ['8.7x'] must list compute capabilities such as \"8.7\""]),
    "jetson-message": ({"gpus.toml": 'jetson = { names = ["Jetson"], message = 5 }\n'},
                       ["gpus.toml: jetson: 'message' must be a string"]),
    "jetson-key": ({"gpus.toml": 'jetson = { names = ["Jetson"], bogus = 1 }\n'},
                   ["gpus.toml: jetson: unknown key(s) bogus"]),
    "presets": (
        {"mirrors.toml": PRESETS},
        ["mirrors.toml: preset row {'name': 'Bad Name'}: 'name' must be a short lowercase name such as \"sjtu\"",
         'mirrors.toml: preset "a": unknown key(s) bogus',
         'mirrors.toml: preset "b": every value must be a string',
         "mirrors.toml: preset \"c\": 'serves' must be one of pytorch, pypi",
         "mirrors.toml: preset \"d\": 'layout' must be one of simple, find-links (say which the mirror serves)",
         "mirrors.toml: preset \"e\": 'source' must be the https URL of the mirror's own documentation page",
         "mirrors.toml: preset \"f\": url 'ftp://x': the scheme 'ftp' is not https"]),
    "named-lists": (
        {"torch.toml": 'arch_lists = { a = { archs = ["sm_80"], bogus = 1 }, b = ["sm_8"] }\ngfx_lists = { g = ["gfx9"] }\n'},
        ['torch.toml: arch_lists "a": unknown key(s) bogus',
         "torch.toml: arch_lists \"b\": ['sm_8'] is not a list of sm_NN",
         "torch.toml: gfx_lists \"g\": ['gfx9'] is not a list of gfxNNN"]),
    "release": (
        {"torch.toml": series(releases='"2.16.0" = { platforms = ["linux-x86_64", "beos"] }, '
                                       '"2.16.1" = { python = ["3.1x"], macos_min = { linux = "x" }, index_style = "pip", '
                                       'torchvision = "x.y", source = 5, inferred = [""], pypi = { linux-x86_64 = 3 } }')},
        [f"torch.toml: release \"2.16.0\": platforms ['linux-x86_64', 'beos'] must list only {PLATFORMS}",
         'torch.toml: release "2.16.1": Python "3.1x" is not 3.N or 3.Nt',
         "torch.toml: release \"2.16.1\": macos_min must map platforms to versions, got {'linux': 'x'}",
         "torch.toml: release \"2.16.1\": index_style 'pip' must be one of find-links, extra-index-url, index-url",
         "torch.toml: release \"2.16.1\": torchvision 'x.y' is not a version",
         "torch.toml: release \"2.16.1\": 'source' must be a string",
         "torch.toml: release \"2.16.1\": 'inferred' must be a list of non-empty strings, got ['']",
         "torch.toml: release \"2.16.1\": pypi must map platforms to variant names, got {'linux-x86_64': 3}"]),
    "release-tables": (
        {"torch.toml": series(releases='"2.16.0" = { python_by_platform = { beos = ["3.12"] } }, '
                                       '"2.16.1" = { python_by_platform = 5 }, '
                                       '"2.16.2" = { platforms = ["linux-x86_64", "macos-arm64"], '
                                       'macos_min = { macos-arm64 = "14.0" }, '
                                       'macos_min_by_python = { linux-x86_64 = {}, macos-arm64 = 5 } }, '
                                       '"2.16.3" = { macos_min_by_python = 5, companion_gaps = 5 }, '
                                       '"2.16.4" = { companion_gaps = { torchtext = {}, torchaudio = {}, '
                                       'torchvision = { beos = ["3.12"] } }, torchvision = "0.31.0" }')},
        [f'torch.toml: release "2.16.0": python_by_platform names "beos", not one of {PLATFORMS}',
         'torch.toml: release "2.16.1": python_by_platform must be a table, got 5',
         'torch.toml: release "2.16.2": macos_min_by_python names "linux-x86_64", not a macOS platform',
         "torch.toml: release \"2.16.2\": macos_min_by_python.macos-arm64 must map the release's Pythons to macOS versions",
         'torch.toml: release "2.16.3": companion_gaps must be a table, got 5',
         'torch.toml: release "2.16.3": macos_min_by_python must be a table, got 5',
         "torch.toml: release \"2.16.4\": companion_gaps names 'torchtext', not one of torchvision, torchaudio",
         'torch.toml: release "2.16.4": companion_gaps names torchaudio, which this release does not pair',
         f'torch.toml: release "2.16.4": companion_gaps.torchvision names "beos", not one of {PLATFORMS}']),
    "macos-min": ({"torch.toml": series(releases='"2.16.0" = { platforms = ["linux-x86_64", "macos-arm64"] }')},
                  ['torch.toml: release "2.16.0": no macos_min for macos-arm64']),
    "variants": (
        {"torch.toml": series(variants=CU132[:-2] + ', ptx = ["sm_9"], platforms = ["beos"], ptx_platforms = 5, '
                                                  'glibc = 5, inferred = 5, toolkit_source = 3 }, '
                                                  'cu133 = { cuda = "13.3", toolkit = "x" }, '
                                                  '"rocm6.9" = { gfx = ["gfx90a"] }, rocmx = { kind = "rocm", gfx = "@nope" }, '
                                                  '"rocm7.0" = { gfx = ["gfx9x"] }, xpu = { kind = "xpu", cuda = "1" }, '
                                                  'cpu = { kind = "cpu", platforms = ["macos-arm64"] }, '
                                                  'cu130 = { cuda = "13.0", toolkit = "13.0.0", archs = ["sm_80"], '
                                                  'archs_by_platform = { linux-x86_64 = ["sm_8"] } }')},
        ['torch.toml: release "2.16.0" variant "cu132": ptx arch "sm_9" is not sm_NN',
         f"torch.toml: release \"2.16.0\" variant \"cu132\": platforms ['beos'] must list only {PLATFORMS}",
         f'torch.toml: release "2.16.0" variant "cu132": ptx_platforms 5 must list only {PLATFORMS}',
         'torch.toml: release "2.16.0" variant "cu132": glibc must map platforms to versions, got 5',
         "torch.toml: release \"2.16.0\" variant \"cu132\": 'toolkit_source' must be a string",
         "torch.toml: release \"2.16.0\" variant \"cu132\": 'inferred' must be a list of non-empty strings, got 5",
         "torch.toml: release \"2.16.0\" variant \"cu132\": built for none of the release's platforms",
         "torch.toml: release \"2.16.0\" variant \"cu133\": a CUDA variant needs 'cuda' and 'toolkit' versions",
         "torch.toml: release \"2.16.0\" variant \"cu133\": a CUDA variant needs an 'archs' list",
         'torch.toml: release "2.16.0" variant "rocmx": ROCm variant name must be rocmX.Y',
         "torch.toml: release \"2.16.0\" variant \"rocmx\": a ROCm variant needs a 'gfx' list of gfxNNN targets "
         "(or \"@NAME\" of [gfx_lists]), got '@nope'",
         "torch.toml: release \"2.16.0\" variant \"rocm7.0\": gfx target 'gfx9x' is not gfxNNN",
         "torch.toml: release \"2.16.0\" variant \"xpu\": 'cuda' and 'toolkit' belong to CUDA variants only",
         "torch.toml: release \"2.16.0\" variant \"cpu\": built for none of the release's platforms",
         "torch.toml: release \"2.16.0\" variant \"cu130\": archs_by_platform \"linux-x86_64\" ['sm_8'] is not a list "
         "of sm_NN"]),
    "pypi-default": ({"torch.toml": series(releases='"2.16.0" = { pypi = { linux-x86_64 = "cu999" } }')},
                     ["torch.toml: release \"2.16.0\": PyPI default for linux-x86_64 is 'cu999', not one of its variants"]),
    "twice": ({"torch.toml": series(releases='"2.16.0" = {}, "2.16.0.0" = {}')
               + '[series."2.17"]\nsource = 5\nreleases = { x = {} }\n'},
              ['torch.toml: release "2.16.0.0": listed twice',
               "torch.toml: series \"2.17\": no 'source'",
               'torch.toml: release "x": not a version']),
    "file-source": ({"gpus.toml": "source = 5\n"}, ["gpus.toml: 'source' must be a string"]),
}


@pytest.mark.parametrize("name", sorted(OTHER_ERRORS))
def test_each_other_data_error_is_reported_whole(tmp_path, name):
    files, problems = OTHER_ERRORS[name]
    folder = _overlay(tmp_path, files)
    assert validate(folder) == [f"{folder}/{problem}" for problem in problems]


def test_recipes_without_toolkits_or_releases_say_so():
    from envdoctor.recipes.schema import _build, _Raw

    assert _build(_Raw()) == (None, ["recipes/cuda_drivers.toml: no toolkit rows", "recipes/torch.toml: no releases"])


@pytest.mark.parametrize("files, problems", [
    ({"torch.toml": 'index = "x"\n'}, ["torch.toml: index: must be a table, got 'x'"]),
    ({"torch.toml": series(releases='"2.16.0" = { python = [] }')},
     ['torch.toml: release "2.16.0": no Python list for linux-x86_64 (got [])']),
    # a [variant.NAME] table of the overlay is reported in the overlay's file, not the built-in one
    ({"torch.toml": "variant = { cu999 = { bogus = 1 } }\n"}, ['torch.toml: variant "cu999": unknown key(s) bogus']),
    # a row with a bad layout does not stop the reading: the next row is judged too
    ({"mirrors.toml": 'mirror = [{ prefix = "https://a.example", replacement = "https://m.example/a", layout = "flat" }, '
                      '{ prefix = "https://b.example", replacement = "http://m.example/b" }]\n'},
     ["mirrors.toml: mirror \"https://a.example\": layout 'flat' is not one of simple, find-links",
      "mirrors.toml: mirror \"https://b.example\": replacement 'http://m.example/b': plain http is allowed only to "
      "127.0.0.1, ::1 or localhost (use https)"]),
])
def test_more_data_errors_are_reported_whole(tmp_path, files, problems):
    folder = _overlay(tmp_path, files)
    assert validate(folder) == [f"{folder}/{problem}" for problem in problems]


def test_an_overlay_preset_is_read_back_whole(tmp_path):
    text = ('[[preset]]\nname = "zz"\nserves = "pypi"\nurl = "https://zz.example/simple/"\nlayout = "simple"\n'
            'source = "https://zz.example/help"\n')
    recipes = load_recipes([_overlay(tmp_path, {"mirrors.toml": text})])
    assert recipes.mirror_presets[0] == MirrorPreset("zz", "pypi", "https://zz.example/simple", "simple",
                                                     "https://zz.example/help", "")


def test_an_overlay_jetson_table_is_read_back_whole(tmp_path):
    # the overlay's keys replace the built-in table's; the keys it leaves out keep the built-in values
    text = 'jetson = { names = ["Jetson X"], compute_capabilities = ["8.7"], source = "jetson source" }\n'
    builtin = load_recipes().jetson
    assert builtin is not None
    recipes = load_recipes([_overlay(tmp_path, {"gpus.toml": text})])
    assert recipes.jetson == JetsonRecipe(("Jetson X",), ("8.7",), builtin.message, "jetson source",
                                          builtin.sbsa_compute_capabilities, builtin.note)
