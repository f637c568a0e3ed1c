"""Strict JSON for every file and ``--json`` output tinyjoule writes: a NaN or infinity
(a broken result vector, an undefined figure) becomes ``null``, never the bare ``NaN`` that
Python's ``json`` writes and every other JSON reader refuses."""

from __future__ import annotations

import json
import math
from typing import Any


def finite(value: Any) -> Any:
    """``value`` with every non-finite float inside it replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def dumps(value: Any, indent: int | None = 2) -> str:
    """JSON text every reader accepts (non-finite numbers as null)."""
    try:
        return json.dumps(value, indent=indent, allow_nan=False)
    except ValueError:  # rare: only then walk the whole value
        return json.dumps(finite(value), indent=indent, allow_nan=False)
