"""Small helpers of the HTML writer: escaping, numbers as text, key-value tables, and data for
the page's script embedded so that nothing in it can end the script block."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinyjoule.host.report.model import Envelope

LIST_LIMIT = 40  # items of a list shown in a key-value table
QUANTUM = 60000  # the envelope is sent as integers 0..QUANTUM (-1: no sample)


def esc(value: Any) -> str:
    """Text from anywhere (a device, a file, a path) made safe for HTML text and attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def number(value: Any, digits: int = 3) -> str:
    """A finite number with ``digits`` decimals; anything else as escaped text, or a dash."""
    if isinstance(value, bool) or value is None:
        return "–" if value is None else ("yes" if value else "no")
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return "–"
        text = f"{v:.{digits}f}"
        return text[1:] if text.startswith("-") and not text.strip("-0.") else text
    return esc(value)


def integer(value: Any) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return number(value, 0)


def row(cells: Iterable[str], cls: str = "", header: bool = False) -> str:
    """A table row from cells already made safe."""
    tag = "th" if header else "td"
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<tr{attr}>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def table(head: list[str], rows: list[str], cls: str, caption: str = "") -> str:
    cap = f"<caption>{caption}</caption>" if caption else ""
    return (
        f'<div class="scroll"><table class="{esc(cls)}">{cap}<thead>'
        f"{row((esc(h) for h in head), header=True)}</thead><tbody>{''.join(rows)}</tbody>"
        "</table></div>"
    )


def key_values(data: Any, depth: int = 0) -> str:
    """Any JSON-like value as nested key-value tables, every key and value escaped."""
    if isinstance(data, dict):
        if not data:
            return "<i>empty</i>"
        body = "".join(
            f"<tr><th>{esc(k)}</th><td>{key_values(v, depth + 1)}</td></tr>"
            for k, v in data.items()
        )
        return f'<table class="kv">{body}</table>'
    if isinstance(data, list):
        if not data:
            return "<i>none</i>"
        if all(not isinstance(v, (dict, list)) for v in data):
            return esc(", ".join(str(v) for v in data[:LIST_LIMIT])) + _more(data)
        parts = "".join(f"<li>{key_values(v, depth + 1)}</li>" for v in data[:LIST_LIMIT])
        return f'<ol class="kv">{parts}</ol>{_more(data)}'
    if isinstance(data, float):
        return esc(repr(data))
    return esc(data)


def _more(items: list[Any]) -> str:
    extra = len(items) - LIST_LIMIT
    return f" <i>… and {extra} more</i>" if extra > 0 else ""


def script_json(payload: Any) -> str:
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>`` and ``&`` are
    written as ``\\u003c`` etc., so no text in it can close the block or open a comment."""
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    for char, code in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, code)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def envelope_payload(env: Envelope, key: str) -> dict[str, Any]:
    """The envelope for the page's script: bin widths in samples, min and max as integers on
    a linear scale (``value = q0 + q * qs``; -1 where a bin holds no sample)."""
    lo, hi = env.lo, env.hi
    ok = np.isfinite(lo) & np.isfinite(hi)
    vmin = float(lo[ok].min()) if ok.any() else 0.0
    vmax = float(hi[ok].max()) if ok.any() else 1.0
    step = (vmax - vmin) / QUANTUM or (abs(vmax) or 1.0) / QUANTUM
    with np.errstate(invalid="ignore"):
        qlo = np.where(ok, np.rint((lo - vmin) / step), -1).astype(np.int64)
        qhi = np.where(ok, np.rint((hi - vmin) / step), -1).astype(np.int64)
    return {
        "id": key,
        "fs": env.sample_rate_hz,
        "quantity": env.quantity,
        "unit": env.unit,
        "n": env.n_samples,
        "b0": int(env.boundaries[0]),
        "db": np.diff(env.boundaries).tolist(),
        "q0": vmin,
        "qs": step,
        "lo": qlo.tolist(),
        "hi": qhi.tolist(),
        "events": [round(t, 9) for t in env.events_s],
        "windows": [
            [str(w.number), w.label, round(w.start_s, 9), round(w.end_s, 9), w.kind]
            for w in env.windows
        ],
        "captures": [round(t, 9) for t in env.captures_s],
    }
