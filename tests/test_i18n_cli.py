"""What each command writes, in each language: nothing bypasses the catalogue, machines still read English.

The pseudo language writes every catalogue sentence in accented letters between ⟦ ⟧; an English
function word left outside the brackets is text that bypassed the catalogue. Values (commands after
``$``, versions, GPU and package names, paths, ids) are not sentences and hold no such word. The same
test on the zh_CN output says no English sentence is left there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import FIXTURES_DIR, MACHINES_DIR

from envdoctor import i18n
from envdoctor.cli import cli

MACHINES = sorted(p.name for p in MACHINES_DIR.iterdir() if p.is_dir())
#: words that only English sentences hold (never a value envdoctor prints: a command, a path, a name)
FUNCTION_WORDS = frozenset(
    "the is are was were be been not no to of for and with this that these those from has have had it its "
    "an or on in by at as but if than then there which what when where why how can cannot could would should "
    "will does did your you we they found unknown missing needs need too older newer instead".split())
_WORD = re.compile(r"(?<![\w./=:@+~%#-])([A-Za-z]+)(?![\w./=:@+~%#-])")
_BRACKETED = re.compile(r"⟦[^⟦⟧]*⟧")
DESCRIBED_RTX3090 = ["--target-os", "linux", "--target-arch", "x86_64", "--target-python", "3.11",
                     "--gpu", "NVIDIA GeForce RTX 3090", "--driver", "535.104.05"]


def english_left(text: str) -> list[str]:
    """The lines of ``text`` that still hold an English sentence outside ⟦ ⟧ (commands after ``$`` aside)."""
    while _BRACKETED.search(text):
        text = _BRACKETED.sub("", text)
    left = []
    for line in text.splitlines():
        shown = line.strip()
        if shown.startswith("$ "):
            continue
        shown = re.sub(r"\([a-z0-9_.-]+\)$", "", shown)  # a finding's id
        if any(word.lower() in FUNCTION_WORDS for word in _WORD.findall(shown)):
            left.append(line)
    return left


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


def test_the_detector_finds_a_sentence_and_passes_values():
    assert english_left("  [!] ⟦dŕîvéŕ⟧ the driver is too old  (nvidia.x)") == [
        "  [!]  the driver is too old  (nvidia.x)"]  # the line as left once the catalogue's text is taken out
    assert english_left("  [ok] ⟦Pýthöñ ⟦à⟧⟧ 3.11.7 /usr/bin/python3\n          $ pip install torch --index-url x") == []


#: what tools themselves say, quoted as evidence: values, never translated (NVML's nvmlErrorString texts
#: for NVML_ERROR_LIB_RM_VERSION_MISMATCH and NVML_ERROR_LIBRARY_NOT_FOUND, and a recording's note that
#: NVML was not asked)
TOOL_SAID = ("RM has detected an NVML/RM version mismatch.", "NVML Shared Library Not Found", "not asked")
#: an attempt in -v evidence: what a tool or a recorded machine said after its status is a value
_ATTEMPT_DETAIL = re.compile(r"(↳ .* → ⟦[^⟦⟧]*⟧): .*?((?: \(\d+ ms\))?)$", re.M)


@pytest.mark.parametrize("machine", MACHINES)
def test_check_bypasses_no_catalogue_on_any_recorded_machine(machine):
    result = run("check", "-v", "--lang", "pseudo", "--machine", str(MACHINES_DIR / machine), "--color", "never")
    assert result.exit_code in (0, 1), result.output
    assert "⟦" in result.stdout
    shown = _ATTEMPT_DETAIL.sub(r"\1\2", result.stdout)
    for said in TOOL_SAID:
        shown = shown.replace(said, "")
    assert english_left(shown) == []


#: the sources a plan cites from the recipe data, in brackets after a reason: quoted as written
_CITED = re.compile(r"^(\s*↳ .*?)  \[[^\[\]]*\]$", re.M)


@pytest.mark.parametrize("args", [
    ["install", "--dry-run", "-v", *DESCRIBED_RTX3090],
    ["install", "--dry-run", "--target-os", "linux", "--target-arch", "x86_64", "--target-python", "3.12",
     "--gpu", "RTX 5090", "--driver", "570.86.10"],
    ["install", "--dry-run", "--target-os", "windows", "--target-arch", "x86_64", "--target-python", "3.12", "--no-gpu"],
    ["install", "--dry-run", "--target-os", "linux", "--target-arch", "x86_64", "--target-python", "3.13",
     "--gpu", "sm_35", "--driver", "470.82.01"],
    ["lint", "pip install torch==1.7.1+cu110 -f https://download.pytorch.org/whl/torch_stable.html", *DESCRIBED_RTX3090],
    ["lint", "conda install pytorch torchvision cudatoolkit=10.2 -c pytorch", *DESCRIBED_RTX3090],
])
def test_install_and_lint_bypass_no_catalogue(args):
    result = run(*args, "--lang", "pseudo", "--color", "never")
    assert result.exit_code in (0, 1), result.output
    assert english_left(_CITED.sub(r"\1", result.stdout)) == []


@pytest.mark.parametrize("paste", sorted(p.name for p in (FIXTURES_DIR / "pastes").glob("*.txt"))[:12])
def test_diagnose_bypasses_no_catalogue(paste):
    text = (FIXTURES_DIR / "pastes" / paste).read_text(encoding="utf-8")
    result = run("diagnose", "-", "--lang", "pseudo", "--color", "never", stdin=text)
    assert result.exit_code in (0, 1), result.output
    assert english_left(result.stdout) == []


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if not k.endswith("duration_s")}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


@pytest.mark.parametrize("machine", ["ubuntu2204-gtx1080-rtx4090-535", "rhel9-a100-525-cuda118"])
def test_json_is_english_whatever_the_language(machine):
    args = ["check", "--json", "--machine", str(MACHINES_DIR / machine)]
    english = run(*args, env={"LANG": "C.UTF-8"})
    chinese = run(*args, env={"LANG": "zh_CN.UTF-8"})
    assert _without_timings(json.loads(chinese.stdout)) == _without_timings(json.loads(english.stdout))


@pytest.mark.parametrize("machine", ["ubuntu2204-gtx1080-rtx4090-535", "debian12-no-gpu", "macos-arm64"])
def test_a_chinese_locale_gets_chinese_and_the_c_locale_english(machine):
    args = ["check", "--machine", str(MACHINES_DIR / machine), "--color", "never"]
    chinese = run(*args, env={"LANG": "zh_CN.UTF-8"})
    english = run(*args, env={"LANG": "C"})
    took = re.compile(r" · [0-9.]+ s$", re.M)  # the header's duration
    assert took.sub("", english.stdout) == took.sub("", run(*args, "--lang", "en").stdout)
    assert re.search(r"[\u4e00-\u9fff]", chinese.stdout) and not re.search(r"[\u4e00-\u9fff]", english.stdout)
    assert english_left(chinese.stdout) == []


def test_checklist_columns_line_up_in_chinese():
    result = run("check", "--machine", str(MACHINES_DIR / "ubuntu2204-gtx1080-rtx4090-535"), "--lang", "zh_CN",
                 "--color", "never")
    rows = [line for line in result.stdout.splitlines() if re.match(r"  \[(✓|!|✗|-|i)\] ", line)]
    starts = set()
    for row in rows:
        title_end = re.match(r"  \[.\] (\S+(?: \S+)*?)  +\S", row)
        if title_end:
            starts.add(i18n.display_width(row[: title_end.end() - 1]))
    assert len(rows) > 5 and len(starts) == 1, rows


@pytest.mark.parametrize("command", [[], ["check"], ["install"], ["verify"], ["diagnose"], ["lint"]])
def test_help_is_chinese(command):
    """Also after an English --help in the same process (click keeps each command's help option once made)."""
    assert "Show this message and exit." in run(*command, "--help", "--lang", "en").stdout
    result = run(*command, "--help", "--lang", "zh_CN")
    assert result.exit_code == 0
    assert re.search(r"[\u4e00-\u9fff]", result.stdout)
    assert english_left(result.stdout.replace("--help", "")) == []


def test_a_usage_error_is_chinese_and_still_exit_2():
    result = run("check", "--no-such-flag", env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code == 2
    assert re.search(r"[\u4e00-\u9fff]", result.stderr)


def _run_child(env_extra: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in i18n.ENV_ORDER}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "envdoctor", "check", "--machine",
                           str(MACHINES_DIR / "ubuntu2204-gtx1080-rtx4090-535")],
                          env=env, capture_output=True, timeout=120)


def test_a_gbk_terminal_gets_chinese_without_mojibake_and_ascii_marks():
    done = _run_child({"LANG": "zh_CN.GBK", "PYTHONIOENCODING": "gbk"})
    assert done.returncode in (0, 1), done.stderr
    text = done.stdout.decode("gbk")  # every byte is GBK
    assert re.search(r"[\u4e00-\u9fff]", text)
    assert "✓" not in text and "[ok]" in text  # GBK has no check mark: the ASCII marks, as on any such terminal


def test_a_terminal_that_cannot_write_chinese_gets_english():
    done = _run_child({"LANG": "zh_CN.UTF-8", "PYTHONIOENCODING": "ascii"})
    assert done.returncode in (0, 1), done.stderr
    text = done.stdout.decode("ascii")
    assert "GPU" in text and english_left(text)  # English sentences: nothing was lost to '?'


def test_the_catalogue_is_complete_current_and_compiled():
    pytest.importorskip("babel")
    spec = importlib.util.spec_from_file_location("catalogue_tool", FIXTURES_DIR.parents[1] / "tools" / "i18n.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.problems() == []
