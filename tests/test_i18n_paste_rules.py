"""The diagnosis of every real paste and the recipe data's problems go through the catalogue.

Under the pseudo language every catalogue sentence is written between ⟦ ⟧; an English function word left
outside them is text that bypassed the catalogue (the detector is the CLI test's, one place). What a paste
itself says (a quoted line, a library's name) is a value: it is a field of a catalogue sentence, so it sits
inside the brackets. The English values stay what they were: the suite's other tests assert them whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES_DIR
from test_i18n_cli import english_left

from envdoctor import i18n, paste_rules
from envdoctor.facts import Facts
from envdoctor.readers.pastes import read_paste
from envdoctor.recipes import load_recipes, validate

PASTES = sorted((FIXTURES_DIR / "pastes").glob("*.txt")) + sorted((FIXTURES_DIR / "repl").glob("*.txt"))


@pytest.fixture
def pseudo():
    i18n.use(i18n.load("pseudo"))
    yield
    i18n.use(i18n.ENGLISH_LANGUAGE)


def bypassing(texts: list[str]) -> list[str]:
    """The texts that are not catalogue messages, and the lines of the others that still hold English."""
    return [text for text in texts if not isinstance(text, i18n.Text)] + [
        line for text in texts for line in english_left(i18n.say(text))]


def test_every_real_paste_s_findings_are_catalogue_sentences(pseudo):
    recipes = load_recipes()
    seen = set()
    for path in PASTES:
        for finding in paste_rules.evaluate(read_paste(path.read_text(encoding="utf-8")), recipes):
            seen.add(finding.id)
            assert bypassing([finding.message, finding.fix, *finding.evidence]) == [], (path.name, finding.id)
    assert set(paste_rules.SUBJECTS) - seen == {"paste.out-of-memory"}  # no real paste ran out of memory


def test_out_of_memory_is_said_in_catalogue_sentences(pseudo):
    # torch's message (assembled in the wording of tests/test_pastes_variants.py's)
    line = "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.70 GiB."
    (finding,) = paste_rules.evaluate(read_paste(line))
    assert finding.id == "paste.out-of-memory"
    assert bypassing([finding.message, finding.fix, *finding.evidence]) == []


def test_what_a_paste_leaves_unknown_is_said_in_catalogue_sentences(pseudo):
    facts = Facts()
    facts.nvidia.status = "unknown"
    missing = paste_rules.facts_missing(facts)
    assert len(missing) == 4
    assert bypassing(missing) == []
    assert i18n.say(missing[0]) == "⟦thé ÖS⟧"


def test_a_quoted_paste_line_stays_as_the_paste_wrote_it(pseudo):
    line = "Could not load library cudnn_ops_infer64_8.dll. Error code 126"
    (finding,) = paste_rules.evaluate(read_paste(line))
    assert i18n.say(finding.evidence[0]) == f"⟦pàsté lîñé 1: {line}⟧"


BROKEN = {
    "cuda_drivers.toml": 'toolkit = [{ version = "12.4", linux = "five" }]\n'
                         'family = [{ major = 12, windows = "x" }]\n',
    "gpus.toml": 'nvidia = [{ cc = "8.6", names = [], source = "s" }]\n',
    "mirrors.toml": 'preset = [{ name = "m", serves = "conda", url = "https://m.example/", layout = "simple", '
                    'source = "https://m.example/doc" }]\n'
                    'mirror = [{ prefix = "https://a.example/", replacement = "https://b.example/", layout = "flat" }]\n',
    "torch.toml": '[series."2.16"]\nsource = "s"\npython = ["3.12", "four"]\nplatforms = ["linux-x86_64"]\n'
                  'glibc = { linux-x86_64 = "2.28" }\npypi = { linux-x86_64 = "cu132" }\nindex_style = "wheel"\n'
                  'releases = { "2.16.0" = {} }\n',
}


def test_the_recipe_data_s_problems_are_catalogue_sentences(pseudo, tmp_path: Path):
    folder = tmp_path / "overlay"
    folder.mkdir()
    for name, text in BROKEN.items():
        (folder / name).write_text(text, encoding="utf-8")
    problems = validate(folder)
    assert len(problems) >= 7  # a bad driver, a bad floor, no names, a bad serves, a bad layout, Python, index_style
    assert bypassing(problems) == []
