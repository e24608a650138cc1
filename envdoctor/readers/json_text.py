"""JSON text from someone else, read with limits: no NaN, no infinities, bounded nesting."""

from __future__ import annotations

import json
import math
from typing import Any

JSON_DEPTH_LIMIT = 64


def parse_json_text(text: str, max_depth: int = JSON_DEPTH_LIMIT) -> Any:
    """JSON from someone else: raises ValueError for bad syntax, NaN/Infinity, numbers that overflow
    to infinity, and nesting deeper than ``max_depth`` (the code reading it afterwards recurses)."""

    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    def finite(text_value: str) -> float:
        value = float(text_value)
        if not math.isfinite(value):
            raise ValueError(f"{text_value} is out of range")
        return value

    try:
        data = json.loads(text, parse_constant=constant, parse_float=finite)
    except RecursionError:
        raise ValueError(f"nested deeper than {max_depth} levels") from None
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > max_depth:
                raise ValueError(f"nested deeper than {max_depth} levels")
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return data

