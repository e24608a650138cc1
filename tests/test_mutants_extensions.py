"""The extensions catalog, its overlay and the extension findings (``extensions.py``), compared whole.

Rows named ``a`` are hand-written for these tests (assembled); the others are recipes/extensions.toml's,
read from the file here (the built-in catalog is cached once per process). The flash-attn asset names are
those of its setup.py (``get_wheel_url``: ``+cu{major}torch{X.Y}cxx11abi{TRUE|FALSE}``) and of its releases
(recipes/extensions.toml lists the download URLs); PyTorch's own torch 2.4 wheels use the pre-C++11 ABI
(``cxx11_from = "2.7"`` there); apex is built from source (NVIDIA/apex README, "From Source").
"""

from __future__ import annotations

import pytest
from packaging.version import Version

from envdoctor import extensions as ext
from envdoctor.extensions import BuiltFor, Extension, ExtensionDataError
from envdoctor.facts import ExtensionFacts, Facts, Finding, InstalledExtension

HEAD = f'schema = "{ext.SCHEMA}"\n[torch_abi]\ncxx11_from = "2.7"\nsource = ["x"]\n'
ROW_A = ('[extension.a]\ndists = ["a"]\nimport = "a"\ncompiled = true\ncoupling = "torch-abi"\nlabel = "none"\n'
         'wheels = "source"\nsource = ["s"]\n')


def builtin_file() -> ext.Catalog:
    return ext.parse_catalog(ext.builtin_path().read_text(encoding="utf-8"))


def problems(text: str) -> list[str]:
    with pytest.raises(ExtensionDataError) as caught:
        ext.parse_catalog(text, "extensions.toml")
    return caught.value.problems


def test_a_row_without_optional_keys_is_read_whole():
    (row,) = ext.parse_catalog(HEAD + ROW_A).extensions
    assert row == Extension("a", ("a",), "a", True, "torch-abi", "none", "source", ("s",))
    assert row.note == ""


def test_a_row_s_note_is_kept():
    (row,) = ext.parse_catalog(HEAD + ROW_A + 'note = "built in place"\n').extensions
    assert row.note == "built in place"


def test_an_index_url_that_is_no_string():
    assert problems(HEAD + ROW_A + "index_url = 5\n") == [
        "extensions.toml: extension 'a': 'index_url' must be a string",
        "extensions.toml: extension 'a': 'index_url' must be an https URL",
    ]


@pytest.mark.parametrize(("release", "cuda_major", "tag"), [
    ("2.5.8", 12, "122"), ("2.6.3", 12, "123"), ("2.7.0", 12, "12"), ("2.8.1", 11, "11"),
])
def test_flash_attn_s_assets_carry_the_cuda_major_alone_from_2_7_0(release, cuda_major, tag):
    flash_attn = builtin_file().by_dist("flash-attn")
    assert flash_attn is not None and flash_attn.wheel_cuda_major_from == Version("2.7.0")
    assert flash_attn.wheel_cuda_tag(release, cuda_major) == tag


def test_an_overlay_row_changes_its_extension_only():
    catalog = builtin_file()
    overlay = (f'schema = "{ext.OVERLAY_SCHEMA}"\n[extension.flash-attn.pages]\n'
               '"2.4.1+cu124" = ["2.6.3+cu123torch2.4cxx11abiFALSE"]\n')
    refreshed = ext.parse_overlay(overlay, catalog)
    assert refreshed.by_dist("xformers") == catalog.by_dist("xformers")
    assert refreshed.by_dist("flash-attn").pages == {"2.4.1+cu124": ("2.6.3+cu123torch2.4cxx11abiFALSE",)}


def test_an_overlay_pin_that_is_no_specifier_is_refused():
    overlay = f'schema = "{ext.OVERLAY_SCHEMA}"\n[extension.xformers.torch_pins]\n"0.0.34" = 5\n'
    with pytest.raises(ExtensionDataError) as caught:
        ext.parse_overlay(overlay, builtin_file())
    assert caught.value.problems == [
        "extensions.toml: extension 'xformers': torch_pins '0.0.34' = 5 is not a release and a specifier"]


def test_a_build_that_says_nothing():
    assert ext.describe_built(BuiltFor()) == "nothing it says"


def test_findings_name_this_python_s_asset_and_apex_s_rebuild():
    facts = Facts()
    facts.torch.status, facts.torch.version, facts.torch.cuda = "ok", "2.4.1", "12.4"
    facts.python.version, facts.os.system, facts.os.machine = "3.11.9", "Linux", "x86_64"
    facts.extensions = ExtensionFacts(status="ok", installed=[
        InstalledExtension("flash-attn", "2.6.3+cu123torch2.4cxx11abiTRUE", "/site", ["torch"]),
        InstalledExtension("apex", "0.1", "/site", [])])
    torch = "torch 2.4.1, CUDA 12.4, cxx11abiFALSE"
    assert list(ext.torch_extensions_match(facts, None)) == [
        Finding("torch.extension-mismatch", "error", "torch",
                f"flash-attn 2.6.3+cu123torch2.4cxx11abiTRUE was built for torch 2.4, CUDA 12.3, cxx11abiTRUE, but "
                f"this environment has {torch}; importing it fails: ImportError: flash_attn_2_cuda...so: undefined "
                "symbol: _ZN3c10... (a libtorch symbol of another torch)", subject="torch",
                fix="pip install --no-deps the release asset built for this torch (https://github.com/Dao-AILab/"
                    "flash-attention/releases/download/vVERSION/flash_attn-VERSION+cu12torch2.4cxx11abiFALSE-cp311-"
                    "cp311-linux_x86_64.whl); without one, build it against this torch: pip install "
                    "--no-build-isolation --no-binary flash-attn flash-attn",
                evidence=["label +cu123torch2.4cxx11abiTRUE", "abi: built for cxx11abiTRUE, installed cxx11abiFALSE"]),
        Finding("torch.extension-build-unknown", "info", "torch",
                f"apex 0.1 does not say which torch it was built for (no build label, no torch pin): it fits {torch} "
                "only if it was built against it", subject="torch",
                fix="if importing apex fails with 'undefined symbol', rebuild apex against this torch: pip install "
                    "--force-reinstall --no-build-isolation --no-binary apex apex",
                evidence=["apex 0.1 in /site"]),
    ]
