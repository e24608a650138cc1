"""JSON text from someone else, read with limits: no NaN, no infinities, bounded nesting."""

from __future__ import annotations

import json
import math
from typing import Any

from envdoctor.i18n import _

JSON_DEPTH_LIMIT = 64


def parse_json_text(text: str, max_depth: int = JSON_DEPTH_LIMIT) -> Any:
    """JSON from someone else: raises ValueError for bad syntax, NaN/Infinity, numbers that overflow
    to infinity, and nesting deeper than ``max_depth`` (the code reading it afterwards recurses)."""

    def constant(name: str) -> Any:
        raise ValueError(_("{name} is not a JSON number", name=name))

    def finite(text_value: str) -> float:
        value = float(text_value)
        if not math.isfinite(value):
            raise ValueError(_("{number} is out of range", number=text_value))
        return value

    try:
        data = json.loads(text, parse_constant=constant, parse_float=finite)
    except RecursionError:
        raise ValueError(_("nested deeper than {n} levels", n=max_depth)) from None
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise ValueError(_("nested deeper than {n} levels", n=max_depth))
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return data

