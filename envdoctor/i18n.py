"""Messages in the reader's language.

A message is written once, in English, as ``_("driver {version} is too old", version=v)``. What comes
back is a :class:`Text`: a ``str`` whose value is the English sentence — what ``--json``, ids, logs and
tests see — and which remembers its catalogue entry and arguments, so that a renderer can say it in the
reader's language with :func:`say`. Rules, readers and the resolver therefore never know the language;
only what writes for people asks.

The catalogue is gettext's: ``envdoctor/locale/<lang>/LC_MESSAGES/envdoctor.mo``, compiled from the
``.po`` beside it (``tools/i18n.py``). ``pseudo`` is a made-up language that writes every catalogue
sentence in accented letters between ``⟦ ⟧``, so that text which bypasses the catalogue stands out.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # every check imports this module: the Protocol class is for the type checker only
    from typing import Protocol

    class _Catalogue(Protocol):
        def gettext(self, message: str, /) -> str: ...
        def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...

ENGLISH = "en"
PSEUDO = "pseudo"
#: the languages with a catalogue, and what a user may call each (case and ``-``/``_`` do not matter)
LANGUAGES: dict[str, tuple[str, ...]] = {
    ENGLISH: ("en", "c", "posix"),
    "zh_CN": ("zh", "zh_cn", "zh_sg", "zh_hans", "zh_hans_cn", "zh_hans_sg"),
}
CHOICES = tuple(LANGUAGES)
DOMAIN = "envdoctor"
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")
#: the variables that name the locale, in gettext's order
ENV_ORDER = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


class Text(str):
    """English text that remembers the catalogue entry it came from, so it can be said in another language."""

    msgid: str
    plural: str | None
    n: int | None
    args: dict[str, Any]

    def __new__(cls, english: str, msgid: str, args: dict[str, Any],
                plural: str | None = None, n: int | None = None) -> Text:
        self = super().__new__(cls, english)
        self.msgid, self.args, self.plural, self.n = msgid, args, plural, n
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (str(self), self.msgid, self.args, self.plural, self.n))

    def map(self, fn: Callable[[str], str]) -> Text:
        """This text with ``fn`` applied to its English value and to every string argument (redaction,
        stripping terminal controls): what a translation fills in is then cleaned the same way."""
        args = {k: _map_value(v, fn) for k, v in self.args.items()}
        return Text(fn(str(self)), self.msgid, args, self.plural, self.n)


def _map_value(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, Text):
        return value.map(fn)
    return fn(value) if isinstance(value, str) else value


def _(msgid: str, /, **args: Any) -> Text:
    """A catalogue message; ``{name}`` fields are filled from ``args`` (write literal braces doubled)."""
    return Text(msgid.format(**args), msgid, args)


def n_(singular: str, plural: str, n: int, /, **args: Any) -> Text:
    """A message that differs with a count; ``{n}`` is the count."""
    args = {"n": n, **args}
    return Text((singular if n == 1 else plural).format(**args), singular, args, plural, n)


class _Pseudo:
    """Every catalogue sentence in accented letters between ⟦ ⟧; fields and format specs kept."""

    _LETTERS = str.maketrans("aceinoruyACEINOUY", "àçéîñöŕûýÀÇÉÎÑÖÛÝ")

    def gettext(self, message: str, /) -> str:
        import string

        out = []
        for literal, field, spec, conversion in string.Formatter().parse(message):
            out.append(literal.replace("{", "{{").replace("}", "}}").translate(self._LETTERS))
            if field is not None:
                out.append("{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}")
        return "⟦" + "".join(out) + "⟧"

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        return self.gettext(singular if n == 1 else plural)


class Language:
    """One language's catalogue; English has none and says every Text as it is."""

    def __init__(self, code: str, catalogue: _Catalogue | None) -> None:
        self.code = code
        self._catalogue = catalogue

    @property
    def english(self) -> bool:
        return self._catalogue is None

    def gettext(self, message: str) -> str:
        """A plain catalogue string (click's own messages, help texts) in this language."""
        return message if self._catalogue is None else self._catalogue.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self._catalogue is None:
            return singular if n == 1 else plural
        return self._catalogue.ngettext(singular, plural, n)

    def say(self, value: str) -> str:
        """``value`` in this language: a :class:`Text` is looked up and filled in; other text is kept."""
        if self._catalogue is None or not isinstance(value, Text):
            return str(value)
        if value.plural is not None and value.n is not None:
            template = self._catalogue.ngettext(value.msgid, value.plural, value.n)
        else:
            template = self._catalogue.gettext(value.msgid)
        args = {k: self.say(v) if isinstance(v, Text) else v for k, v in value.args.items()}
        try:
            return template.format(**args)
        except (KeyError, IndexError, ValueError):  # a broken translation: the English sentence instead
            return str(value)


ENGLISH_LANGUAGE = Language(ENGLISH, None)
_active = ENGLISH_LANGUAGE


def normalise(name: str) -> str | None:
    """The catalogue a language name asks for (``zh_CN.UTF-8``, ``zh-Hans``, ``C``), or None if there is none."""
    base = name.strip().split(".")[0].split("@")[0].replace("-", "_").lower()
    if base == PSEUDO:
        return PSEUDO
    for code, names in LANGUAGES.items():
        if base in names:
            return code
    return None


def pick(flag: str | None, env: Mapping[str, str], ui_language: str | None = None) -> str:
    """The language to speak: ``--lang``, else the first of gettext's variables that is set (LANGUAGE may
    list several), else the Windows display language; English where that names no language we have."""
    if flag:
        return normalise(flag) or ENGLISH
    for variable in ENV_ORDER:
        value = env.get(variable, "")
        if not value:
            continue
        for name in value.split(":"):  # the first variable set decides, as in gettext
            if name and (code := normalise(name)) is not None:
                return code
        return ENGLISH
    if ui_language and (code := normalise(ui_language)) is not None:
        return code
    return ENGLISH


def load(code: str) -> Language:
    """The language ``code`` with its compiled catalogue; English where the catalogue is missing."""
    if code == ENGLISH:
        return ENGLISH_LANGUAGE
    if code == PSEUDO:
        return Language(PSEUDO, _Pseudo())
    import gettext

    path = os.path.join(LOCALE_DIR, code, "LC_MESSAGES", f"{DOMAIN}.mo")
    try:
        with open(path, "rb") as handle:
            return Language(code, gettext.GNUTranslations(handle))
    except (OSError, ValueError, LookupError, struct.error):  # missing or damaged: English, never a crash
        return ENGLISH_LANGUAGE


def use(language: Language) -> None:
    """Make ``language`` the one :func:`say` speaks (set once, where a run starts)."""
    global _active
    _active = language


def active() -> Language:
    return _active


def say(value: str) -> str:
    """``value`` in the language of this run."""
    return _active.say(value)


def joined(clauses: Iterable[str]) -> str:
    """Clauses of one sentence separated by "; ", each still said in the reader's language (a list of
    reasons: the separator is a catalogue entry too)."""
    out: str | None = None
    for clause in clauses:
        out = clause if out is None else _("{earlier}; {later}", earlier=out, later=clause)
    return out or ""


def listed(items: Iterable[str]) -> str:
    """Items separated by ", ", each still said in the reader's language (the separator is a catalogue entry)."""
    out: str | None = None
    for item in items:
        out = item if out is None else _("{earlier}, {later}", earlier=out, later=item)
    return out or ""


def message_of(error: BaseException) -> str:
    """What an error says, still a :class:`Text` when it was raised with one (``str(error)`` is plain)."""
    if len(error.args) == 1 and isinstance(error.args[0], Text):
        return error.args[0]
    return str(error)


def can_write(stream: Any, text: str) -> bool:
    """Whether ``stream``'s encoding holds every character of ``text`` (a stream without one holds ASCII)."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide and full-width characters take two."""
    if text.isascii():
        return len(text)
    from unicodedata import combining, east_asian_width

    return sum(0 if combining(ch) else 2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` display columns (``f"{text:<{width}}"`` counts characters)."""
    return text + " " * max(0, width - display_width(text))
