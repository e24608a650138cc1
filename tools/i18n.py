"""The message catalogue: extract, update, compile and check it (needs Babel: ``pip install -e '.[test]'``).

    python tools/i18n.py extract     # envdoctor/locale/envdoctor.pot from the code, the CLI's help and click
    python tools/i18n.py update      # every .po gains the new entries and loses the gone ones
    python tools/i18n.py compile     # every .po -> .mo (shipped in the wheel, read by the standard gettext)
    python tools/i18n.py check       # what the tests assert: all of the above is up to date and complete
    python tools/i18n.py part PART.po FILE... [help] [click]   # the messages of some files, to translate
    python tools/i18n.py merge zh_CN PART.po ...   # such translations, into the one .po

What is extracted: every ``_("...")`` and ``n_("...", "...", n)`` in ``envdoctor/`` (a first argument
that is not a plain string literal is an error: it could never be looked up), the sentences of the
every help text of the click commands, and click's own
messages (usage errors, ``Usage:``), which click looks up through the standard ``gettext``.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import io
import string
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "envdoctor"
LOCALE = PACKAGE / "locale"
POT = LOCALE / "envdoctor.pot"
KEYWORDS = {"_": None, "n_": (1, 2)}
HEADER = "Messages of envdoctor, the PyTorch install doctor."
FIXED_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "envdoctor.po"


def languages() -> list[str]:
    return sorted(p.name for p in LOCALE.iterdir() if (p / "LC_MESSAGES" / "envdoctor.po").is_file())


# ---------------------------------------------------------------------------------------------- extract


def literal_problems() -> list[str]:
    """Calls of ``_`` / ``n_`` whose messages are not plain string literals (f-strings, names, ``+``)."""
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORDS):
                continue
            count = 2 if node.func.id == "n_" else 1
            messages = node.args[:count]
            if len(messages) < count or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in messages):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.func.id}() needs string literals")
                continue
            for message in messages:
                try:
                    fields = placeholders(message.value)  # type: ignore[attr-defined]
                except ValueError as exc:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {exc}")
                    continue
                given = {k.arg for k in node.keywords}
                if None not in given and not fields <= given | ({"n"} if node.func.id == "n_" else set()):
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: fields {sorted(fields - given)} not given")
    return problems


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a message (a malformed one is a ValueError)."""
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _calls(path: Path, keywords: dict[str, int]) -> Iterator[object]:
    """The literal messages of every call of ``keywords`` (name -> how many leading message arguments) in
    ``path``, nested calls too. The syntax tree, not Babel's extractor: the same on every Babel version."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in keywords:
            count = keywords[node.func.id]
            texts = [a.value for a in node.args[:count] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if len(texts) == count:
                yield tuple(texts) if count == 2 else texts[0]


def code_messages() -> Iterator[tuple[object, str]]:
    """Every ``_()`` / ``n_()`` message of the package, nested ones too (a field that is itself a message)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        for message in _calls(path, {"_": 1, "n_": 2}):
            yield message, str(path.relative_to(ROOT))


def help_messages() -> Iterator[tuple[object, str]]:
    """Every help text, epilog and metavar-free option help of the CLI (click keeps them as plain str)."""
    import click

    from envdoctor.cli import cli
    from envdoctor.language import english_help

    english_help(cli)  # a run in this process (a test) may have left them in another language

    def walk(command: click.Command, name: str) -> Iterator[tuple[object, str]]:
        for text in (command.help, command.short_help, command.epilog):
            if text:
                yield text, name
        for param in command.params:
            text = getattr(param, "help", None)
            if text:
                yield text, name
        if isinstance(command, click.Group):
            for sub_name, sub in sorted(command.commands.items()):
                yield from walk(sub, f"{name}/{sub_name}")

    yield from walk(cli, "help:envdoctor")


def click_messages() -> Iterator[tuple[object, str]]:
    """click's own messages (it looks them up with the standard gettext), as the installed click has them."""
    import click

    for path in sorted(Path(click.__file__).parent.glob("*.py")):
        for message in _calls(path, {"_": 1, "ngettext": 2}):
            yield message, f"click/{path.name}"


def template():
    from babel.messages.catalog import Catalog

    catalog = Catalog(project="envdoctor", version="", header_comment=f"# {HEADER}", fuzzy=False,
                      msgid_bugs_address="", last_translator="", language_team="")
    for source in (code_messages, help_messages, click_messages):
        for message, where in source():
            catalog.add(message, locations=[(where, None)],
                        flags=("python-brace-format",) if source is not click_messages else ())
    return catalog


def _write_po(catalog, path: Path) -> bytes:
    from babel.messages.pofile import write_po

    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, include_lineno=False, omit_header=False)
    data = _without_dates(out.getvalue())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def _without_dates(data: bytes) -> bytes:
    """The header's creation and revision dates change on every run and say nothing: they are left out."""
    return b"\n".join(line for line in data.split(b"\n")
                      if not line.startswith((b'"POT-Creation-Date:', b'"PO-Revision-Date:')))


def _read_po(path: Path, locale: str | None = None):
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


# ---------------------------------------------------------------------------------------------- update


def update(lang: str) -> None:
    catalog = _read_po(po_path(lang), lang) if po_path(lang).exists() else None
    pot = template()
    if catalog is None:
        from babel.messages.catalog import Catalog

        catalog = Catalog(locale=lang, project="envdoctor", header_comment=f"# {HEADER}", fuzzy=False)
    catalog.update(pot, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    _write_po(catalog, po_path(lang))


def compiled(lang: str) -> bytes:
    from babel.messages.mofile import write_mo

    catalog = _read_po(po_path(lang), lang)
    # the .po keeps no dates (they change on every run and say nothing); Babel would write today's
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def merge(lang: str, parts: list[Path]) -> list[str]:
    """Fill ``lang``'s .po from translations written in other .po files; a different translation of the
    same message already there is a conflict, named and left as it was."""
    catalog = _read_po(po_path(lang), lang)
    conflicts = []
    for part in parts:
        for message in _read_po(part, lang):
            if not message.id or not message.string or (isinstance(message.string, tuple) and not all(message.string)):
                continue
            mine = catalog.get(message.id)
            if mine is None:
                conflicts.append(f"{part}: {message.id!r} is not in the catalogue")
                continue
            filled = all(mine.string) if isinstance(mine.string, tuple) else bool(mine.string)
            if filled and mine.string != message.string:
                conflicts.append(f"{part}: {message.id!r} has another translation already")
                continue
            mine.string = message.string
            mine.flags.discard("fuzzy")
    _write_po(catalog, po_path(lang))
    return conflicts


def part(out: Path, sources: list[str], lang: str = "zh_CN") -> list[str]:
    """A .po holding only the messages of ``sources`` (files under envdoctor/, or ``help`` / ``click``), for
    translating one part of the code at a time; translations already in ``out`` are kept. Returns what
    is still untranslated or has fields that differ from the English."""
    from babel.messages.catalog import Catalog

    old = {m.id: m.string for m in _read_po(out, lang) if m.id} if out.exists() else {}
    files = {str((ROOT / s).resolve().relative_to(ROOT)) for s in sources if s not in ("help", "click")}
    catalog = Catalog(locale=lang, project="envdoctor", fuzzy=False)
    chosen = [(code_messages, lambda where: where in files)]
    if "help" in sources:
        chosen.append((help_messages, lambda where: True))
    if "click" in sources:
        chosen.append((click_messages, lambda where: True))
    for source, wanted in chosen:
        for message, where in source():
            if wanted(where):
                empty = ("", "") if isinstance(message, tuple) else ""
                catalog.add(message, string=old.get(message) or empty, locations=[(where, None)])
    _write_po(catalog, out)
    left = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            left.append(f"untranslated: {message.id!r}")
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set().union(*(placeholders(i) for i in ids)) - {"n"}
        left.extend(f"fields differ: {message.id!r} -> {text!r}" for text in strings if placeholders(text) - {"n"} != expected)
    return left


# ---------------------------------------------------------------------------------------------- check


def _messages(mo: bytes) -> dict[object, str]:
    """A compiled catalogue's messages, without the header (which names the Babel version that wrote it)."""
    import gettext

    translations = gettext.GNUTranslations(io.BytesIO(mo))
    return {k: v for k, v in translations._catalog.items() if k != ""}  # type: ignore[attr-defined]


def problems() -> list[str]:
    """Everything that keeps the catalogue from being complete and current; empty when all is well."""
    out = literal_problems()
    pot = template()
    # click's messages are those of whichever click is installed: one it lacks, or a new one not yet in
    # the .po, is no fault of envdoctor's (click then says it in English)
    clicks = {m.id for m in pot if m.id and all(where.startswith("click/") for where, _line in m.locations)}
    wanted = {m.id for m in pot if m.id} - clicks
    if not POT.exists() or {m.id for m in _read_po(POT) if m.id} - clicks != wanted - clicks:
        out.append(f"{POT.relative_to(ROOT)} is out of date: run `python tools/i18n.py extract`")
    for lang in languages():
        catalog = _read_po(po_path(lang), lang)
        have = {m.id: m for m in catalog if m.id}
        for msgid in sorted(wanted - set(have), key=str):
            out.append(f"{lang}: not in the .po (run update): {msgid!r}")
        for msgid, message in sorted(have.items(), key=lambda kv: str(kv[0])):
            if msgid not in wanted and msgid not in clicks:
                if not all(where.startswith("click/") for where, _line in message.locations):
                    out.append(f"{lang}: no longer used (run update): {msgid!r}")
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings) or message.fuzzy:
                out.append(f"{lang}: untranslated: {msgid!r}")
                continue
            ids = msgid if isinstance(msgid, tuple) else (msgid,)
            try:
                expected = set().union(*(placeholders(i) for i in ids)) - {"n"}
                for text in strings:
                    if placeholders(text) - {"n"} != expected:
                        out.append(f"{lang}: fields differ from the English: {msgid!r} -> {text!r}")
            except ValueError as exc:
                out.append(f"{lang}: malformed: {msgid!r}: {exc}")
        mo = po_path(lang).with_suffix(".mo")
        if not mo.exists() or _messages(mo.read_bytes()) != _messages(compiled(lang)):
            out.append(f"{mo.relative_to(ROOT)} is out of date: run `python tools/i18n.py compile`")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["extract", "update", "compile", "check", "merge", "part"])
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.action in ("extract", "update"):
        bad = literal_problems()
        if bad:
            print("\n".join(bad), file=sys.stderr)
            return 1
        _write_po(template(), POT)
        if args.action == "update":
            for lang in args.rest or languages():  # a language named here gets its first .po
                update(lang)
        return 0
    if args.action == "compile":
        for lang in languages():
            po_path(lang).with_suffix(".mo").write_bytes(compiled(lang))
        return 0
    if args.action == "merge":
        lang, *parts = args.rest
        conflicts = merge(lang, [Path(p) for p in parts])
        print("\n".join(conflicts), file=sys.stderr)
        return 1 if conflicts else 0
    if args.action == "part":
        out, *sources = args.rest
        left = part(Path(out), sources)
        print("\n".join(left) if left else f"{out}: every message translated")
        return 1 if left else 0
    found = problems()
    print("\n".join(found) if found else "the catalogue is complete and current")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
