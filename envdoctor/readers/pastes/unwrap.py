"""Take the wrapping off pasted text: markdown quotes, fences and bold, shell, Python and IPython prompts, CRLF,
full-width punctuation from Chinese and Japanese input methods, and over-long lines.

Pure and linear: each line is cleaned on its own, so line numbers stay those of the paste.
"""

from __future__ import annotations

import re

#: Full-width punctuation an input method types where the message has ASCII (one character to one,
#: so columns and line numbers do not move).
FULL_WIDTH = str.maketrans({
    "：": ":", "（": "(", "）": ")", "，": ",", "；": ";", "＝": "=", "＂": '"', "＇": "'", "［": "[", "］": "]",
    "｛": "{", "｝": "}", "＜": "<", "＞": ">", "／": "/", "＼": "\\", "＿": "_", "－": "-", "．": ".", "　": " ",
    "“": '"', "”": '"', "‘": "'", "’": "'", "\t": " ", "\r": "",
})
#: The longest line looked at; a real message line is a few hundred characters.
LINE_LIMIT = 4000
_QUOTE = re.compile(r"^(?:\s{0,3}>\s?)+")
_PROMPT = re.compile(
    r"^(?:\([\w.@/ -]{1,64}\)\s)?"  # a conda or venv name: (base) (myenv)
    r"(?:[\w.@-]{1,64}:[~\w/. -]{0,200}[$#]\s"  # user@host:~/dir$
    r"|[$#%❯➜»]\s"  # a bare prompt
    r"|PS [A-Za-z]:\\[^>]{0,200}>\s?"  # PowerShell
    r"|[A-Za-z]:\\[^>]{0,200}>"  # cmd.exe
    r"|>>>\s|\.\.\.\s"
    r"|(?:In|Out) ?\[[0-9]{1,6}\]:\s?)")  # IPython
#: A line typed at a Python or IPython prompt (after any markdown quote): what follows it is its output.
_REPL_PROMPT = re.compile(r"^\s{0,3}(?:>\s?)*?(?:>>>|\.\.\.|In ?\[[0-9]{1,6}\]:)(?:\s|$)")
#: The furthest a prompt reaches into a line (its environment name, user@host and folder).
_PROMPT_REACH = 340
_BOLD = re.compile(r"\*\*|__(?=\S)|(?<=\S)__")


def clean_line(raw: str) -> str:
    """One pasted line as the program printed it."""
    line = raw[:LINE_LIMIT]
    if not line.isascii() or "\t" in line or "\r" in line:
        line = line.translate(FULL_WIDTH)
    if ">" in line[:16]:
        line = _QUOTE.sub("", line)
    line = _BOLD.sub("", line) if "**" in line else line
    stripped = line.strip()
    if stripped.startswith(("```", "~~~")):
        return ""
    head = stripped[:_PROMPT_REACH]
    if ("$" in head or "#" in head or ">" in head or "%" in head or not head.isascii() or head[:4] == "... "
            or head.startswith(("In [", "In[", "Out[", "Out ["))):
        prompt = _PROMPT.match(stripped)  # every prompt holds one of these: most lines skip the pattern
        if prompt:
            stripped = stripped[prompt.end():]
    return stripped.strip("`").strip()


def unwrap(text: str) -> list[str]:
    """The paste's lines, cleaned (index i is line i + 1 of the paste)."""
    return [clean_line(raw) for raw in text.split("\n")]


def repl_prompts(text: str) -> frozenset[int]:
    """The indexes of the lines typed at a Python (``>>>``, ``...``) or IPython (``In [3]:``) prompt."""
    return frozenset(index for index, raw in enumerate(text.split("\n")) if _REPL_PROMPT.match(raw))


def is_binary(text: str) -> bool:
    """Text no program prints: NUL bytes, or mostly control characters in its first kilobytes."""
    head = text[:8192]
    if "\x00" in head:
        return True
    controls = sum(1 for char in head if ord(char) < 32 and char not in "\n\r\t\f\v\x1b")
    return bool(head) and controls * 10 > len(head)
