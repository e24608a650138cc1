"""envdoctor's own reports and recorded folders, read back into the facts they were made from."""

from __future__ import annotations

import json

import pytest
from conftest import MACHINES_DIR, load_machine

from envdoctor.door import MachineFolderError
from envdoctor.facts import to_dict
from envdoctor.readers import read_folder, read_text
from envdoctor.report import Report, ReportFormatError
from envdoctor.rules import evaluate


@pytest.mark.parametrize("machine", ["wsl2-rtx4070", "macos-arm64-rosetta-python", "rocm-mi250x"])
def test_a_check_json_report_reads_back_to_the_same_facts(machine):
    _, facts = load_machine(machine)
    text = json.dumps(Report("check", facts, evaluate(facts)).to_dict())
    reading = read_text(text, "report.json")
    assert reading.kind == "envdoctor-report"
    read_back = to_dict(reading.facts)
    read_back["os"]["attempts"].pop()  # the reading itself is recorded among the attempts
    assert read_back == to_dict(facts)


def test_a_fenced_json_report_pasted_in_an_issue_is_read():
    _, facts = load_machine("debian12-no-gpu")
    text = "```json\n" + json.dumps(Report("check", facts).to_dict(), indent=2) + "\n```\n"
    assert read_text(text, "issue.md").facts.os.distro_id == facts.os.distro_id


@pytest.mark.parametrize("text, message", [
    ('{"schema": "other/1"}', "not an envdoctor report"),
    ('{"schema": "envdoctor.report/9", "facts": {}}', "is not supported"),
    ('{"schema": "envdoctor.report/1", "facts": {"nvidia": {"gpus": "many"}}}', "expected a list"),
    ('{"schema": "envdoctor.report/1", "facts": {"os": {"system": NaN}}}', "not valid JSON"),
    ("{" * 200 + "}" * 200, "not valid JSON"),
])
def test_a_broken_report_is_a_clear_error_naming_the_file(text, message):
    with pytest.raises(ReportFormatError, match=message) as raised:
        read_text(text, "their.json")
    assert "their.json" in str(raised.value)


def test_a_recorded_folder_is_replayed_through_the_probes():
    reading = read_folder(MACHINES_DIR / "ubuntu2204-rtx3090-535")
    assert reading.kind == "machine-folder"
    assert reading.facts.nvidia.gpus[0].name == "NVIDIA GeForce RTX 3090"


def test_a_folder_that_is_no_recording_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(MachineFolderError):
        read_folder(tmp_path)


def test_a_report_from_before_the_new_facts_still_reads():
    _, facts = load_machine("wsl2-rtx4070")
    data = Report("check", facts).to_dict()
    for section, key in (("torch", "installs"), ("torch", "cuda_available"), ("nvidia", "device_nodes"),
                         ("nvidia", "libcuda"), ("cuda", "ld_library_path_libs")):
        del data["facts"][section][key]
    read_back = read_text(json.dumps(data), "old.json").facts
    assert read_back.torch.installs == [] and read_back.nvidia.device_nodes is None
    assert read_back.cuda.ld_library_path_libs is None and read_back.torch.cuda_available is None
