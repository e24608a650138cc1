"""Whole values for the message machinery, judged against the shipped zh_CN catalogue and hand-written
expectations (the sentences below are copied from envdoctor/locale/zh_CN/LC_MESSAGES/envdoctor.po)."""

from __future__ import annotations

import pytest

from envdoctor import i18n
from envdoctor.i18n import _, n_


@pytest.fixture
def chinese():
    language = i18n.load("zh_CN")
    i18n.use(language)
    yield language
    i18n.use(i18n.ENGLISH_LANGUAGE)


def test_the_shipped_catalogue_loads_and_says_sentences_counts_and_nested_fields(chinese):
    assert (chinese.code, chinese.english) == ("zh_CN", False)
    assert chinese.say(_("no build fits")) == "没有合适的构建版本"
    assert chinese.say(_("{n} error(s)", n=3)) == "3 个错误"
    assert [chinese.say(n_("{n} line", "{n} lines", n)) for n in (1, 2)] == ["1 行", "2 行"]
    assert chinese.gettext("no build fits") == "没有合适的构建版本"
    assert chinese.ngettext("{n} line", "{n} lines", 5) == "{n} 行"
    assert chinese.say(_("{earlier}; {later}", earlier=_("no build fits"), later="cu126")) == "没有合适的构建版本；cu126"


def test_a_missing_catalogue_or_an_unknown_language_is_english():
    assert i18n.load("en") is i18n.ENGLISH_LANGUAGE
    assert i18n.load("xx_YY") is i18n.ENGLISH_LANGUAGE
    pseudo = i18n.load(i18n.PSEUDO)
    assert (pseudo.code, pseudo.english) == ("pseudo", False)
    english = i18n.ENGLISH_LANGUAGE
    assert (english.code, english.english) == ("en", True)
    assert english.gettext("no build fits") == "no build fits"
    assert [english.ngettext("{n} line", "{n} lines", n) for n in (1, 2)] == ["{n} line", "{n} lines"]


def test_joined_and_listed_keep_every_part_translatable(chinese):
    parts = [_("no build fits"), "cu126", _("{n} error(s)", n=2)]
    assert i18n.joined(parts) == "no build fits; cu126; 2 error(s)"
    assert i18n.listed(parts) == "no build fits, cu126, 2 error(s)"
    assert chinese.say(i18n.joined(parts)) == "没有合适的构建版本；cu126；2 个错误"
    assert chinese.say(i18n.listed(parts)) == "没有合适的构建版本、cu126、2 个错误"
    assert i18n.joined([]) == i18n.listed([]) == ""
    assert i18n.joined(["one"]) == "one"


def test_cleaning_keeps_the_entry_the_count_and_every_field():
    text = n_("{n} secret at {url}", "{n} secrets at {url}", 2, url=_("page {u}", u="https://u:pw@h/x"))
    cleaned = text.map(lambda s: s.replace("pw", "**"))
    assert (str(cleaned), cleaned.msgid, cleaned.plural, cleaned.n) == (
        "2 secrets at page https://u:**@h/x", "{n} secret at {url}", "{n} secrets at {url}", 2)
    assert cleaned.args is not None and cleaned.args["n"] == 2
    assert isinstance(cleaned.args["url"], i18n.Text) and cleaned.args["url"].args == {"u": "https://u:**@h/x"}


def test_a_plural_text_remembers_both_forms():
    text = n_("{n} GPU", "{n} GPUs", 1)
    assert (str(text), text.msgid, text.plural, text.n, text.args) == ("1 GPU", "{n} GPU", "{n} GPUs", 1, {"n": 1})


def test_pseudo_keeps_conversions_and_picks_the_plural_by_count():
    pseudo = i18n.load(i18n.PSEUDO)
    assert pseudo.say(_("{x!r} and {y}", x="a", y=1)) == "⟦'a' àñd 1⟧"
    assert pseudo.gettext("{x}") == "⟦{x}⟧"
    assert [pseudo.ngettext("one", "many", n) for n in (1, 2)] == ["⟦öñé⟧", "⟦màñý⟧"]


@pytest.mark.parametrize(("name", "code"), [
    ("zh_CN.UTF-8@stroke", "zh_CN"), ("zh_CN@stroke", "zh_CN"), ("  zh_CN  ", "zh_CN"), ("zh-Hans-CN", "zh_CN"),
    ("PSEUDO", "pseudo"), ("fr_FR", None), ("", None)])
def test_language_names_are_normalised(name, code):
    assert i18n.normalise(name) == code


def test_an_unset_and_an_empty_variable_are_passed_over():
    assert i18n.pick(None, {"LANGUAGE": "", "LC_ALL": "", "LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert i18n.pick(None, {"LANGUAGE": ":zh_CN"}) == "zh_CN"


def test_an_error_with_two_arguments_is_said_as_python_says_it():
    error = OSError(2, _("gone"))
    assert i18n.message_of(error) == str(error) == "[Errno 2] gone"
    assert type(i18n.message_of(ValueError(_("a"), "b"))) is str


@pytest.mark.parametrize(("text", "width"), [("中", 2), ("ｶ", 1), ("、", 2), ("〇", 2)])
def test_wide_and_half_width_forms(text, width):
    """UAX #11: U+4E2D is W, U+FF76 (half-width katakana) is H, U+3001 and U+3007 are W."""
    assert i18n.display_width(text) == width


def test_say_uses_the_language_in_use(chinese):
    assert i18n.say(_("no build fits")) == "没有合适的构建版本"
    assert i18n.active() is chinese
    assert i18n.say("plain") == "plain"


@pytest.mark.parametrize("content", [b"", b"not a catalogue", b"\xde\x12\x04\x95" + b"\xff" * 40])
def test_a_damaged_catalogue_is_english_not_a_crash(tmp_path, monkeypatch, content):
    """Bytes that are no .mo (empty, wrong magic, the right magic and nonsense after it)."""
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "envdoctor.mo").write_bytes(content)
    monkeypatch.setattr(i18n, "LOCALE_DIR", str(tmp_path))
    assert i18n.load("zh_CN") is i18n.ENGLISH_LANGUAGE


@pytest.mark.parametrize(("encoding", "text", "expected"), [
    ("utf-8", "显卡 ✓", True), ("gbk", "显卡", True), ("gbk", "✓", False), ("ascii", "显卡", False),
    ("latin-1", "é", True), ("no-such-codec", "a", False)])
def test_what_a_terminal_can_write(encoding, text, expected):
    stream = type("Stream", (), {"encoding": encoding})()
    assert i18n.can_write(stream, text) is expected
    assert i18n.can_write(None, "plain") is True and i18n.can_write(None, "é") is False
