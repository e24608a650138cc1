"""The checklist, the verify report and the smoke child's sentences go through the catalogue: under the pseudo
language no English word is left outside ⟦ ⟧ but values (names, versions, paths, commands); in Chinese the
columns line up by display width, not by characters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from envdoctor import i18n
from envdoctor.door import RecordedDoor
from envdoctor.door.types import CommandResult
from envdoctor.probes import collect
from envdoctor.render.text import Line, Painter, render_checklist, render_text
from envdoctor.report import Report
from envdoctor.toolkit import NONE_NEEDED
from envdoctor.verify import smoke
from envdoctor.verify.progress import progress_line
from envdoctor.verify.runner import Progress, SmokeOutput, check_from_event, child_failure, child_templates

MACHINES = Path(__file__).parent / "machines"
#: Words a checklist or a verify report shows as values: product, package and command names, paths.
VALUES = {"CPU", "CUDA", "GPU", "GTX", "GeForce", "GiB", "MiB", "LTS", "NVIDIA", "PyTorch", "Python", "RTX", "Ubuntu",
          "bin", "cgroup", "conda", "cpython", "cuDNN", "cudnn", "envdoctor", "glibc", "linux", "nvidia", "pip",
          "python", "torch", "triton", "usr", "cpu", "matmul", "float", "SIGSEGV", "import", "autograd"}


@pytest.fixture
def pseudo():
    i18n.use(i18n.load(i18n.PSEUDO))
    yield
    i18n.use(i18n.ENGLISH_LANGUAGE)


def outside_brackets(text: str) -> set[str]:
    """The words of ``text`` outside every ⟦ ⟧ (brackets nest where a field is itself a sentence)."""
    while True:
        inner = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
        if inner == text:
            return set(re.findall(r"[A-Za-z]{3,}", text))
        text = inner


@pytest.mark.parametrize("machine", ["ubuntu2204-gtx1080-rtx4090-535", "docker-a10-shm64-cgroup2"])
def test_the_checklist_of_a_recorded_machine_has_no_english_outside_the_catalogue(machine, pseudo):
    facts = collect(RecordedDoor(MACHINES / machine), timeout=2.0)
    text = render_text(Report("check", facts), color=False, ascii_only=False)
    # toolkit.NONE_NEEDED is its own module's sentence, said here as that module gives it
    assert outside_brackets(text.replace(i18n.say(NONE_NEEDED), "")) <= VALUES


def test_a_verify_report_says_the_child_s_sentences_through_the_catalogue(pseudo):
    passed = smoke.outcome("pass", smoke._("matches float64 reference (relative error {error:.2g})", error=1.5e-7))
    event = {"event": "check", "id": "cpu.matmul.float32", "duration_s": 0.01,
             **smoke.said("title", smoke._("{label}: matmul {dtype}", label="cpu", dtype="float32")), **passed}
    crashed = child_failure(CommandResult(("python",), "ok", -11, duration_s=0.5),
                            SmokeOutput(checks=[event], running="cpu.autograd"), 60.0)
    assert crashed is not None
    checks = [check_from_event(event), crashed]
    text = render_text(Report("verify", checks=checks), color=False, ascii_only=False)
    assert outside_brackets(text) <= VALUES
    assert "⟦màtçhés flöàt64 ŕéféŕéñçé (ŕélàtîvé éŕŕöŕ 1.5e-07)⟧" in text
    assert outside_brackets(progress_line(Progress(3, 20, checks[0].title), 12.0)) <= VALUES


def test_the_child_s_sentence_keeps_its_english_and_only_its_own_templates_are_translated():
    said = smoke.said("message", smoke._("{n}x{n} matmul", n=256))
    assert said == {"message": "256x256 matmul", "message_template": "{n}x{n} matmul", "message_fields": {"n": 256}}
    assert "{n}x{n} matmul" in child_templates()
    check = check_from_event({"id": "x", "status": "pass", **said})
    assert isinstance(check.message, i18n.Text) and check.message == "256x256 matmul"
    # a template the script does not hold is kept as the English the child wrote, never formatted here
    forged = check_from_event({"id": "x", "status": "pass", "message": "hello",
                               "message_template": "{n:>999999999}", "message_fields": {"n": 1}})
    assert type(forged.message) is str and forged.message == "hello"


class _Chinese:
    """A two-entry catalogue: enough to see that columns are padded by what a terminal shows."""

    WORDS = {"Installers": "安装工具", "Shared memory": "共享内存", "System": "系统"}

    def gettext(self, message: str, /) -> str:
        return self.WORDS.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        return singular if n == 1 else plural


def test_checklist_columns_line_up_by_display_width_in_chinese():
    i18n.use(i18n.Language("zh_CN", _Chinese()))
    try:
        lines = [Line("system", "a", i18n._("Installers"), "pip 24.0"), Line("system", "b", "cgroup", "v2"),
                 Line("system", "c", i18n._("Shared memory"), "/dev/shm 64 MiB")]
        out = render_checklist(lines, Painter(False, False), 0, False)
    finally:
        i18n.use(i18n.ENGLISH_LANGUAGE)
    assert out == ["系统",
                   "  [✓] 安装工具  pip 24.0",
                   "  [✓] cgroup    v2",
                   "  [✓] 共享内存  /dev/shm 64 MiB"]
