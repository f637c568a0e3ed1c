"""PNGs of the report's plots (``tinyjoule report --png DIR``), drawn by matplotlib from the same
envelopes as the page: per item the whole trace and each window with its edges, labelled axes
with units and a legend. Simulated or synthetic figures say so in the title."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.report.html_item import source_marks
from tinyjoule.host.report.model import Envelope, Item, Report, WindowMark


def _name(*parts: str) -> str:
    return re.sub(r"[^\w.-]+", "_", "_".join(parts)).strip("_") + ".png"


def _visible(env: Envelope, t0: float, t1: float) -> tuple[np.ndarray, ...]:
    """Bins overlapping ``[t0, t1]`` as step arrays (time, least, greatest)."""
    t = env.boundaries / env.sample_rate_hz
    i0 = max(int(np.searchsorted(t, t0, "right")) - 1, 0)
    i1 = min(int(np.searchsorted(t, t1, "left")), len(env.lo))
    edges = t[i0 : i1 + 1]
    tt = np.repeat(edges, 2)[1:-1]
    return tt, np.repeat(env.lo[i0:i1], 2), np.repeat(env.hi[i0:i1], 2)


def _figure(
    item: Item, env: Envelope, t0: float, t1: float, title: str, focus: WindowMark | None
) -> Figure:
    fig = Figure(figsize=(12, 4.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    t, lo, hi = _visible(env, t0, t1)
    ax.fill_between(t, lo, hi, color="tab:blue", alpha=0.4, lw=0)
    ax.plot(t, hi, color="tab:blue", lw=0.6)
    ax.plot(t, lo, color="tab:blue", lw=0.6)
    for e in env.events_s:
        if t0 <= e <= t1:
            ax.axvline(e, color="0.55", lw=0.8, ls="--")
    for w in env.windows:
        if w.end_s < t0 or w.start_s > t1:
            continue
        color = "tab:orange" if w.kind == "aligned" else "tab:green"
        ax.axvspan(w.start_s, w.end_s, color=color, alpha=0.18 if w is focus else 0.09)
        edge = "tab:orange" if w.kind == "aligned" else "tab:red"
        ax.axvline(w.start_s, color=edge, lw=1.2)
        ax.axvline(w.end_s, color=edge, lw=1.2)
    for c in env.captures_s:
        if t0 <= c <= t1:
            ax.axvline(c, color="0.2", lw=1.0, ls=(0, (6, 4)))
    ax.set_xlim(t0, t1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"{env.quantity} ({env.unit})")
    marks = [m for m in source_marks(item) if m in ("SIMULATED", "SYNTHETIC DATA")]
    ax.set_title(
        (f"[{' / '.join(marks)}] " if marks else "") + title,
        fontsize=10,
        color="firebrick" if marks else "black",
    )
    handles = [
        Patch(
            color="tab:blue", alpha=0.4, label=f"{env.quantity}: least to greatest sample per bin"
        ),
        Line2D([], [], color="tab:red", lw=1.2, label="window edge (timestamp)"),
        Line2D([], [], color="0.55", lw=0.8, ls="--", label="other timestamp event"),
        Patch(color="tab:green", alpha=0.18, label="scored window"),
    ]
    if any(w.kind == "aligned" for w in env.windows):
        handles.append(
            Patch(color="tab:orange", alpha=0.25, label="window rebuilt by the alignment check")
        )
    if env.captures_s:
        handles.append(Line2D([], [], color="0.2", lw=1.0, ls=(0, (6, 4)), label="trial start"))
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncol=len(handles),
        fontsize=8,
        frameon=False,
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _plots(item: Item) -> Iterator[tuple[str, float, float, str, WindowMark | None]]:
    env = item.envelope
    assert env is not None
    yield (
        "trace",
        0.0,
        env.duration_s,
        f"{item.name}: whole trace ({env.n_samples} samples at {env.sample_rate_hz:g} Hz)",
        None,
    )
    for n, w in enumerate(env.windows):
        what = "rebuilt window" if w.kind == "aligned" else "window"
        label = f" ({w.label})" if w.label else ""
        yield (
            f"{'a' if w.kind == 'aligned' else 'w'}{n + 1:03d}",
            *w.span_s,
            f"{item.name}: {what} {w.number}{label}, {w.end_s - w.start_s:.3f} s",
            w,
        )


def write_pngs(report: Report, folder: Path) -> list[Path]:
    """A PNG of every plot of ``report`` in ``folder``; the paths written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"{folder}: cannot make the PNG folder ({exc.strerror}); give another with --png"
        ) from exc
    written: list[Path] = []
    for group in report.groups:
        for item in group.items:
            if item.envelope is None:
                continue
            parts = [item.name] if item.name == group.path.name else [group.path.name, item.name]
            first = base = _name(*parts)[:-4]
            n, taken = 1, {p.name for p in written}
            while f"{base}_trace.png" in taken:
                n += 1
                base = f"{first}_{n}"
            for suffix, t0, t1, title, focus in _plots(item):
                path = folder / f"{base}_{suffix}.png"
                _figure(item, item.envelope, t0, t1, title, focus).savefig(path)
                written.append(path)
    return written
