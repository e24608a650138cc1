"""The message catalogue's machinery: which language a run speaks, and what a Text keeps.

Oracles: gettext's documented order of variables (the Python library's ``gettext.find``: the first of
LANGUAGE, LC_ALL, LC_MESSAGES, LANG that is set decides; LANGUAGE may list several), and Unicode's
East Asian Width property (UAX #11: CJK ideographs are Wide, full-width forms are Fullwidth).
"""

from __future__ import annotations

import copy
import pickle

import click
import pytest

from envdoctor import i18n
from envdoctor.i18n import _, n_
from envdoctor.language import split_flag


@pytest.fixture
def pseudo():
    i18n.use(i18n.load(i18n.PSEUDO))
    yield
    i18n.use(i18n.ENGLISH_LANGUAGE)


@pytest.mark.parametrize(("flag", "env", "ui", "expected"), [
    (None, {"LANG": "zh_CN.UTF-8"}, None, "zh_CN"),
    (None, {"LANG": "zh_CN.GBK"}, None, "zh_CN"),
    (None, {"LANG": "zh_SG.UTF-8"}, None, "zh_CN"),
    (None, {"LANGUAGE": "zh-Hans"}, None, "zh_CN"),
    (None, {"LANGUAGE": "fr:zh_CN:en"}, None, "zh_CN"),
    (None, {"LANGUAGE": "fr", "LANG": "zh_CN.UTF-8"}, None, "en"),  # the first variable set decides
    (None, {"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, None, "en"),
    (None, {"LC_ALL": "C.UTF-8"}, "zh_CN", "en"),
    (None, {"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, None, "zh_CN"),
    (None, {"LANG": "zh_TW.UTF-8"}, None, "en"),  # Traditional Chinese has no catalogue yet
    (None, {"LANG": "de_DE.UTF-8"}, None, "en"),
    (None, {"LANG": ""}, "zh_CN", "zh_CN"),  # Windows: no variable, the display language
    (None, {}, "en_US", "en"),
    (None, {}, None, "en"),
    ("zh", {"LANG": "en_US.UTF-8"}, None, "zh_CN"),
    ("en", {"LANG": "zh_CN.UTF-8"}, None, "en"),
    ("ZH-cn", {}, None, "zh_CN"),
])
def test_the_language_comes_from_the_flag_then_gettext_s_variables_then_windows(flag, env, ui, expected):
    assert i18n.pick(flag, env, ui) == expected


def test_a_text_is_its_english_sentence_and_keeps_its_entry_through_pickle_and_copies():
    text = _("driver {driver} is too old for the {gpu}", driver="535.104", gpu="RTX 5090")
    assert text == "driver 535.104 is too old for the RTX 5090"
    assert isinstance(text, str)
    for again in (pickle.loads(pickle.dumps(text)), copy.deepcopy(text), copy.copy(text)):
        assert isinstance(again, i18n.Text)
        assert (str(again), again.msgid, again.args) == (str(text), text.msgid, text.args)


def test_plurals_follow_the_count_in_english():
    assert [n_("{n} GPU", "{n} GPUs", n) for n in (0, 1, 2)] == ["0 GPUs", "1 GPU", "2 GPUs"]


def test_english_says_every_text_as_it_is():
    text = _("{a} and {b}", a=_("one {x}", x=1), b="two")
    assert i18n.ENGLISH_LANGUAGE.say(text) == "one 1 and two"
    assert i18n.ENGLISH_LANGUAGE.say("plain") == "plain"


def test_pseudo_marks_every_catalogue_sentence_and_keeps_fields_specs_and_nested_texts(pseudo):
    inner = _("the {name} GPU", name="H100")
    text = _("took {ms:.0f} ms on {gpu}; {{literal}}", ms=12.345, gpu=inner)
    assert i18n.say(text) == "⟦töök 12 ms öñ ⟦thé H100 GPÛ⟧; {lîtéŕàl}⟧"
    assert i18n.say("not from the catalogue") == "not from the catalogue"
    assert i18n.say(n_("{n} GPU", "{n} GPUs", 3)) == "⟦3 GPÛs⟧"


class _Broken:
    """A catalogue whose translation names a field the English does not have."""

    def gettext(self, message):
        return "坏的 {nope}"

    def ngettext(self, singular, plural, n):
        return "坏的 {nope}"


def test_a_translation_with_other_fields_falls_back_to_the_english_sentence():
    language = i18n.Language("zh_CN", _Broken())
    assert language.say(_("driver {v}", v="535")) == "driver 535"


def test_cleaning_a_text_cleans_its_fields_too():
    text = _("index {url} refused", url="https://user:s3cret@mirror.example/simple")
    cleaned = text.map(lambda s: s.replace("s3cret", "****"))
    assert cleaned == "index https://user:****@mirror.example/simple refused"
    assert cleaned.args == {"url": "https://user:****@mirror.example/simple"}


@pytest.mark.parametrize(("text", "width"), [
    ("CUDA", 4), ("显卡驱动", 8), ("计算能力 8.6", 12), ("ＡＢ", 4), ("é", 1), ("e\u0301", 1), ("", 0),
])
def test_display_width_counts_terminal_columns(text, width):
    assert i18n.display_width(text) == width
    assert i18n.display_width(i18n.pad(text, 12)) == max(12, width)


@pytest.mark.parametrize(("args", "flag", "rest"), [
    (["check", "--lang", "zh_CN", "--json"], "zh_CN", ["check", "--json"]),
    (["--lang=en", "check"], "en", ["check"]),
    (["--lang", "en", "lint", "--lang", "zh"], "zh", ["lint"]),
    (["lint", "--", "--lang", "zh"], None, ["lint", "--", "--lang", "zh"]),
    (["check"], None, ["check"]),
])
def test_lang_is_taken_from_anywhere_before_a_double_dash(args, flag, rest):
    assert split_flag(args) == (flag, rest)


def test_lang_without_a_value_is_a_usage_error():
    with pytest.raises(click.UsageError):
        split_flag(["check", "--lang"])


def test_an_error_raised_with_a_text_keeps_it():
    error = ValueError(_("{path} is not a regular file", path="/tmp/x"))
    assert isinstance(i18n.message_of(error), i18n.Text)
    assert i18n.message_of(error) == str(error) == "/tmp/x is not a regular file"
    assert type(i18n.message_of(OSError(2, "No such file"))) is str


class _Kernel32:
    def __init__(self, lcid):
        self.lcid = lcid

    def GetUserDefaultUILanguage(self):  # noqa: N802 - the Win32 name
        return self.lcid


@pytest.mark.parametrize(("lcid", "name"), [(0x0804, "zh_CN"), (0x1004, "zh_SG"), (0x0409, "en_US"), (0x0404, "zh_TW")])
def test_the_windows_display_language_is_read_as_a_locale_name(monkeypatch, lcid, name):
    """LCIDs from Microsoft's [MS-LCID] table: 0x0804 zh-CN, 0x1004 zh-SG, 0x0409 en-US, 0x0404 zh-TW."""
    import ctypes

    from envdoctor.door.live import windows_display_language

    monkeypatch.setattr("sys.platform", "win32")
    monkeypatch.setattr(ctypes, "windll", type("WinDLL", (), {"kernel32": _Kernel32(lcid)})(), raising=False)
    assert windows_display_language() == name
    assert i18n.pick(None, {}, windows_display_language()) == ("zh_CN" if name in ("zh_CN", "zh_SG") else "en")


def test_no_display_language_outside_windows(monkeypatch):
    from envdoctor.door.live import windows_display_language

    monkeypatch.setattr("sys.platform", "linux")
    assert windows_display_language() is None
