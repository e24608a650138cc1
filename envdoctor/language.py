"""Which language a run speaks, and making click speak it too.

The language is settled before click reads a flag, so that click's own usage errors and ``--help``
are in it: ``--lang`` is taken from anywhere on the command line (before ``--``), else the locale
variables, else the Windows display language (:func:`envdoctor.i18n.pick`).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from envdoctor import i18n
from envdoctor.i18n import _

FLAG = "--lang"
#: what the help of a command or option said in English, by (object id, attribute), restored before each run
_ENGLISH_HELP: dict[tuple[int, str], tuple[Any, str]] = {}


def split_flag(args: list[str]) -> tuple[str | None, list[str]]:
    """(the last ``--lang`` value, the arguments without it); a ``--lang`` without a value is a usage error."""
    end = args.index("--") if "--" in args else len(args)
    value, rest, i = None, [], 0
    while i < end:
        arg = args[i]
        if arg == FLAG:
            if i + 1 >= end:
                raise click.UsageError(_("Option '{name}' requires an argument.", name=FLAG))
            value, i = args[i + 1], i + 2
            continue
        if arg.startswith(FLAG + "="):
            value = arg[len(FLAG) + 1:]
        else:
            rest.append(arg)
        i += 1
    return value, rest + args[end:]


def speak(args: list[str], env: Any, stream: Any, root: click.Command, machine_readable: bool = False) -> list[str]:
    """Settle this run's language and return the arguments without ``--lang``.

    A language the terminal cannot write (Chinese on an ASCII-only stream) gives way to English. With
    ``machine_readable`` (--json) click's own messages stay English, so the document's "error" is English;
    what envdoctor says on stderr is still in the run's language. A ``--lang`` that is missing its value
    or names no language is a usage error, said in the language the locale asks for.
    """
    try:
        flag, args = split_flag(args)
    except click.UsageError:
        _settle(None, env, stream, root, machine_readable)
        raise
    if flag is not None and i18n.normalise(flag) is None:
        _settle(None, env, stream, root, machine_readable)
        raise click.BadParameter(_("{value} is not one of {choices}.", value=repr(flag), choices=", ".join(i18n.CHOICES)),
                                 param_hint=f"'{FLAG}'")
    _settle(flag, env, stream, root, machine_readable)
    return args


def _settle(flag: str | None, env: Any, stream: Any, root: click.Command, machine_readable: bool) -> None:
    ui = None
    if flag is None and sys.platform == "win32" and not any(env.get(v) for v in i18n.ENV_ORDER):
        from envdoctor.door import windows_display_language

        ui = windows_display_language()
    code = i18n.pick(flag, env, ui)
    language = i18n.ENGLISH_LANGUAGE if code == i18n.ENGLISH else i18n.load(code)
    if not language.english and code != i18n.PSEUDO and not i18n.can_write(stream, language.gettext("Usage:")):
        language = i18n.ENGLISH_LANGUAGE
    i18n.use(language)
    _teach_click(root, language, english_messages=machine_readable)


def english_help(root: click.Command) -> None:
    """Put back the English help texts and click's English messages that an earlier run in this process
    swapped (the catalogue is extracted from them)."""
    _teach_click(root, i18n.ENGLISH_LANGUAGE)


def _teach_click(root: click.Command, language: i18n.Language, english_messages: bool = False) -> None:
    """Help texts and click's own messages in ``language`` (the messages in English with ``english_messages``);
    English puts back what an earlier run changed (and costs nothing when none did)."""
    if language.english and not _ENGLISH_HELP:
        return
    import gettext

    messages_in_english = language.english or english_messages
    for name, module in list(sys.modules.items()):
        if name == "click" or name.startswith("click."):
            if getattr(module, "_", None) is not None:
                module._ = gettext.gettext if messages_in_english else language.gettext  # type: ignore[attr-defined]
            if getattr(module, "ngettext", None) is not None:
                module.ngettext = gettext.ngettext if messages_in_english else language.ngettext  # type: ignore[attr-defined]
    for item, attribute in _help_texts(root):
        english = _ENGLISH_HELP.setdefault((id(item), attribute), (item, getattr(item, attribute)))[1]
        setattr(item, attribute, english if language.english else language.gettext(english))
    _forget_help_options(root)


def _forget_help_options(command: click.Command) -> None:
    """click keeps each command's ``--help`` option once made, its text in the language of that run."""
    if hasattr(command, "_help_option"):
        command._help_option = None
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _forget_help_options(sub)


def _help_texts(command: click.Command):
    for attribute in ("help", "short_help", "epilog"):
        if getattr(command, attribute, None):
            yield command, attribute
    for param in command.params:
        if getattr(param, "help", None):
            yield param, "help"
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _help_texts(sub)
