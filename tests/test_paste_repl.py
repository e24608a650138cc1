"""What a pasted Python or IPython session answered, read from the line after the expression; a paste's line
count; an ``ARG`` default that holds ``=``. Real sessions are in tests/fixtures/repl (sources in its README) and
tests/fixtures/pastes/051.txt; every other text here is assembled, and says so. Expected values are read by hand."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import FIXTURES_DIR

from envdoctor import paste_rules
from envdoctor.cli import cli
from envdoctor.readers.install_commands import read_file_installs
from envdoctor.readers.pastes import read_paste
from envdoctor.readers.pastes.signals import scan
from envdoctor.readers.pastes.unwrap import repl_prompts, unwrap

REPL = FIXTURES_DIR / "repl"
# assembled: the session a user types to show their torch, each answer on the line after its expression
SESSION = """\
>>> import torch
>>> torch.__version__
'2.1.0+cu121'
>>> torch.cuda.is_available()
False
>>> print(torch.version.cuda)
12.1
"""


def signals(text: str) -> list[tuple[str, int, dict[str, str]]]:
    return [(s.kind, s.line, s.data) for s in read_paste(text).signals]


def diagnose_json(path: str) -> dict:
    result = CliRunner().invoke(cli, ["diagnose", path, "--json"], catch_exceptions=False)
    return json.loads(result.stdout)


def test_each_answer_is_read_from_the_line_after_its_expression():
    reading = read_paste(SESSION)
    assert signals(SESSION) == [("torch_version", 2, {"version": "2.1.0+cu121"}),
                                ("cuda_available", 4, {"available": "False"}),
                                ("torch_cuda", 6, {"cuda": "12.1"})]
    torch = reading.facts.torch
    assert (torch.version, torch.local, torch.cuda, torch.cuda_available, torch.source) == (
        "2.1.0+cu121", "cu121", "12.1", False, "paste line 2")
    assert reading.said == ["torch 2.1.0+cu121 (paste line 2)", "torch built with CUDA 12.1 (line 6)",
                            "torch.cuda.is_available() False (line 4)"]
    assert reading.lines == 7


def test_the_same_session_with_crlf_and_in_a_markdown_quote_reads_the_same():
    expected = signals(SESSION)
    assert signals(SESSION.replace("\n", "\r\n")) == expected
    assert signals("".join(f"> {line}\n" for line in SESSION.splitlines())) == expected


def test_an_ipython_session_reads_its_out_lines_and_printed_output():
    # assembled: IPython's In/Out prompts, and a print() whose output has no Out prompt
    text = ("In [1]: import torch\n"
            "In [2]: torch.__version__\n"
            "Out[2]: '2.5.1'\n"
            "In [3]: torch.cuda.is_available()\n"
            "Out[3]: True\n"
            "In [4]: print(torch.version.__version__)\n"
            "2.5.1\n"
            "In [5]: torch.backends.cudnn.version()\n"
            "Out[5]: 90100\n"
            "In [6]: np.__version__\n"
            "Out[6]: '2.1.3'\n")
    assert signals(text) == [("torch_version", 2, {"version": "2.5.1"}),
                             ("cuda_available", 4, {"available": "True"}),
                             ("cudnn_version", 8, {"cudnn": "90100"}),
                             ("numpy_version", 10, {"numpy": "2.1.3"})]
    assert read_paste(text).facts.torch.cuda_available is True
    assert sorted(repl_prompts(text)) == [0, 1, 3, 5, 7, 9]


def test_only_the_very_next_line_is_the_answer_and_a_traceback_is_none():
    # assembled: an expression answered by the next prompt, by a blank line, and by a traceback
    text = (">>> torch.__version__\n"
            ">>> '2.1.0'\n"
            ">>> torch.version.cuda\n"
            "\n"
            "'12.1'\n"
            ">>> torch.cuda.is_available()\n"
            "Traceback (most recent call last):\n"
            "False\n"
            ">>> np.__version__\n"
            "... '1.26.4'\n")
    assert signals(text) == []


def test_an_expression_outside_a_session_is_answered_on_its_own_line_only():
    # assembled: an answer beside its expression, a script's line with nothing after it, and code that compares
    text = ("torch.__version__ '2.1.0'\n"
            "print(torch.version.cuda)\n"
            "12.1\n"
            "assert torch.cuda.is_available() == False\n"
            "print(torch.__version__, torch.version.cuda)\n")
    assert signals(text) == [("torch_version", 1, {"version": "2.1.0"})]
    # tests/fixtures/pastes/055.txt line 7: a shell comment gives the answer
    line = 'python -c "import torch; print(torch.version.__version__)"  #=> 0.4.1'
    assert [(s.kind, s.data) for s in scan(unwrap(line))] == [("torch_version", {"version": "0.4.1"})]
    assert [(s.kind, s.data) for s in scan(unwrap(line + ", expected 1.0.0.dev20180921"))] == []


def test_scan_reads_the_next_line_only_after_a_prompt_it_is_told_of():
    lines = unwrap(SESSION)
    assert [s.kind for s in scan(lines)] == []
    assert [s.kind for s in scan(lines, repl_prompts(SESSION))] == ["torch_version", "cuda_available", "torch_cuda"]


def test_real_is_available_false_is_read_and_diagnosed():
    # pytorch/pytorch#31243: pip install torch===1.3.0, then is_available() answers False
    path = REPL / "pytorch-31243.txt"
    assert signals(path.read_text(encoding="utf-8")) == [("python_version", 3, {"python": "3.7.5"}),
                                                          ("cuda_available", 7, {"available": "False"})]
    data = diagnose_json(str(path))
    torch, python = data["facts"]["torch"], data["facts"]["python"]
    assert (torch["version"], torch["cuda"], torch["cuda_available"], python["version"]) == (None, None, False, "3.7.5")
    assert [f["id"] for f in data["findings"]] == ["paste.cuda-unavailable", "diagnose.paste-lacks", "recipes.data"]


def test_real_cudnn_version_stays_a_signal_not_a_system_install():
    # pytorch/pytorch#698: torch.backends.cudnn.version() answers 6021 (cuDNN 6.0.21, torch's own)
    path = REPL / "pytorch-698.txt"
    assert signals(path.read_text(encoding="utf-8")) == [("cudnn_version", 1, {"cudnn": "6021"})]
    data = diagnose_json(str(path))
    assert data["facts"]["cudnn"]["installs"] == []
    assert [f["id"] for f in data["findings"]] == ["recipes.data"]


def test_real_numpy_version_on_the_next_line():
    # tests/fixtures/pastes/051.txt (pytorch/pytorch#2564) lines 24-25: ">>> np.__version__" then "'1.12.1'"
    text = (FIXTURES_DIR / "pastes" / "051.txt").read_text(encoding="utf-8")
    assert [s for s in signals(text) if s[0] == "numpy_version"] == [("numpy_version", 24, {"numpy": "1.12.1"})]
    data = diagnose_json(str(FIXTURES_DIR / "pastes" / "051.txt"))
    assert [f["id"] for f in data["findings"]] == ["paste.numpy-abi", "diagnose.paste-lacks", "recipes.data"]


def test_the_assembled_session_diagnosed_end_to_end(tmp_path):
    path = tmp_path / "session.txt"
    path.write_text(SESSION, encoding="utf-8")
    data = diagnose_json(str(path))
    torch = data["facts"]["torch"]
    assert (torch["version"], torch["local"], torch["cuda"], torch["cuda_available"], torch["source"]) == (
        "2.1.0+cu121", "cu121", "12.1", False, "paste line 2")
    assert [f["id"] for f in data["findings"]] == ["paste.cuda-unavailable", "diagnose.paste-lacks", "recipes.data"]


@pytest.mark.parametrize(("text", "lines"), [
    ("a\nb\n", 2), ("a\nb", 2), ("a\r\nb\r\n", 2), ("a\r\nb", 2), ("a\n\n", 2), ("\n", 1), ("a", 1)])
def test_a_final_newline_ends_the_last_line_and_starts_none(text, lines):
    assert read_paste(text).lines == lines


def test_nothing_recognised_counts_the_lines_pasted(tmp_path):
    for name, text in (("lf.txt", "Hello, my torch\ndoes not work\n"), ("crlf.txt", "Hello, my torch\r\ndoes not work\r\n")):
        path = tmp_path / name
        path.write_bytes(text.encode())
        (finding,) = [f for f in diagnose_json(str(path))["findings"] if f["id"] == "diagnose.nothing-recognised"]
        assert finding["message"] == "nothing in these 2 line(s) is an error, warning or report envdoctor knows"


def test_an_arg_default_is_everything_after_its_first_equals_sign():
    # assembled: Docker's ARG NAME[=DEFAULT] takes the default after the first "="; a later word's value holds "="
    text = ("ARG BASE=nvcr.io/nvidia/pytorch:24.01-py3 INDEX=--index-url=https://download.pytorch.org/whl/cu124\n"
            "FROM ${BASE}\n"
            "RUN pip install torch\n")
    (install,), _, unread = read_file_installs(text, "dockerfile", "Dockerfile")
    assert (install.image.reference, unread) == ("nvcr.io/nvidia/pytorch:24.01-py3", [])
    # assembled: a default that itself holds "=" reaches FROM whole
    text = "ARG BASE=localhost:5000/team=ml/cuda:12.4.1-runtime-ubuntu22.04\nFROM $BASE AS build\nRUN pip install torch\n"
    (install,), _, _ = read_file_installs(text, "dockerfile", "Dockerfile")
    assert install.image.reference == "localhost:5000/team=ml/cuda:12.4.1-runtime-ubuntu22.04"


def test_an_earlier_stage_s_python_comes_from_its_own_apt_packages():
    # assembled: the first stage installs Python with apt and torch with pip; a later stage starts afresh
    text = ("FROM ubuntu:22.04\n"
            "RUN apt-get install -y python3-pip\n"
            "RUN pip install torch\n"
            "FROM ubuntu:22.04 AS final\n"
            "RUN pip install numpy\n")
    installs, _, _ = read_file_installs(text, "dockerfile", "Dockerfile")
    first, last = installs[1].image, installs[2].image
    assert (first.python, first.python_from) == (
        "3.10", "apt package python3-pip (packages.ubuntu.com/jammy/python3: 3.10.6-1~22.04)")
    assert (last.python, last.python_from) == (None, "")


def test_a_value_printed_inside_an_f_string_is_read_from_its_frame():
    # pytorch/pytorch#78343: each answer printed after a label of the f-string's own
    path = REPL / "pytorch-78343.txt"
    session = path.read_text(encoding="utf-8").split("\n\n")[0] + "\n"
    assert signals(session) == [("torch_version", 2, {"version": "1.13.0.dev20220525"}),
                                ("mps_built", 4, {"built": "True"}), ("mps_available", 6, {"available": "False"})]
    # assembled: text after the value, and an f-string with two values (which frames neither)
    assert signals('>>> print(f"cuda: {torch.cuda.is_available()}!")\ncuda: False!\n') == [
        ("cuda_available", 1, {"available": "False"})]
    assert signals('>>> print(f"{torch.__version__} {torch.version.cuda}")\n2.1.0 12.1\n') == []
    assert signals('>>> print(f"cuda: {torch.cuda.is_available()}")\nsomething else False\n') == []


def test_mps_unavailable_in_a_session_is_the_mps_cause_unless_its_report_tells_why():
    path = REPL / "pytorch-78343.txt"
    session = path.read_text(encoding="utf-8").split("\n\n")[0] + "\n"
    assert [(f.id, f.evidence[0]) for f in paste_rules.evaluate(read_paste(session))] == [
        ("paste.mps-unavailable", 'paste line 6: print(f"Is MPS available? {torch.backends.mps.is_available()}")')]
    # the whole paste holds its collect_env report: macOS 12.2.1 is the cause, said once by the rule on the facts
    ids = [f["id"] for f in diagnose_json(str(path))["findings"]]
    assert "apple.mps-unavailable" in ids and "paste.mps-unavailable" not in ids


def test_mps_available_in_a_real_session_is_no_problem():
    # spack/spack#31283: is_available() answered True on an M1 Pro
    path = REPL / "spack-31283.txt"
    assert signals(path.read_text(encoding="utf-8")) == [("mps_available", 2, {"available": "True"})]
    assert [f["id"] for f in diagnose_json(str(path))["findings"]] == ["recipes.data"]


def test_a_session_about_mps_is_asked_for_the_mac_s_processor_and_macos_not_nvidia_smi(tmp_path):
    # pytorch/pytorch#78343's session without its report
    path = tmp_path / "session.txt"
    path.write_text((REPL / "pytorch-78343.txt").read_text(encoding="utf-8").split("\n\n")[0] + "\n", encoding="utf-8")
    lacks = [f for f in diagnose_json(str(path))["findings"] if f["id"] == "diagnose.paste-lacks"]
    assert [f["message"] for f in lacks] == [
        "the paste does not say the Python version (python --version), the processor and macOS version (python -c "
        "'import platform; print(platform.machine(), platform.mac_ver()[0])'); the fixes above are judged without them"]
