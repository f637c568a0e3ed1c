"""A PNG of a re-scored trace: power over time, the timestamp edges, and the windows.

The published runner's windows are shaded green (red where timing shows they hold no inference
run, grey where it cannot tell), the correctly aligned windows, when they differ, orange below
them; edges are thin vertical lines and separately captured pieces (MLCommons trials) are split
by dashed lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tinyjoule.host.rescore.alignment_check import CANNOT_TELL, MISALIGNED
from tinyjoule.host.rescore.records import RawTrace
from tinyjoule.host.rescore.report import label
from tinyjoule.host.rescore.score import TraceScore

MAX_POINTS = 100_000
SHADE = {MISALIGNED: "tab:red", CANNOT_TELL: "tab:gray"}


def plot_name(score: TraceScore) -> str:
    return re.sub(r"[^\w.-]+", "_", label(score)).strip("_") + ".png"


def _envelope(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min/max per bucket so a long trace keeps its peaks at a bounded point count."""
    if len(y) <= MAX_POINTS:
        return t, y
    step = int(np.ceil(len(y) / (MAX_POINTS // 2)))
    n = len(y) // step * step
    lo = y[:n].reshape(-1, step).min(axis=1)
    hi = y[:n].reshape(-1, step).max(axis=1)
    tt = t[:n:step]
    return np.repeat(tt, 2), np.column_stack([lo, hi]).ravel()


def plot_trace(raw: RawTrace, score: TraceScore, path: Path) -> Path:
    fs = raw.sample_rate_hz
    power_mw = raw.samples_j * fs * 1e3
    t = np.arange(len(power_mw)) / fs
    fig = Figure(figsize=(14, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(*_envelope(t, power_mw), lw=0.5, color="tab:blue")
    top = float(np.max(power_mw)) if len(power_mw) else 1.0
    for w in score.windows:
        color = SHADE.get(w.alignment or "", "tab:green")
        ax.axvspan(w.spec.start / fs, w.spec.end / fs, ymin=0.5, color=color, alpha=0.18)
        ax.text(w.spec.start / fs, top, str(w.number), fontsize=7, va="bottom")
    for w in score.aligned or ():
        ax.axvspan(w.spec.start / fs, w.spec.end / fs, ymax=0.5, color="tab:orange", alpha=0.25)
    for edge in raw.edges:
        ax.axvline(edge / fs, color="tab:red", lw=0.6)
    for cap in raw.captures[1:]:
        ax.axvline(cap.start / fs, color="gray", lw=0.8, ls="--")
    median = score.median_uj_per_inference
    title = f"{label(score)} ({raw.format}, {raw.name})"
    if median is not None:
        title += f" — median {median:.3f} µJ/inf"
    if score.published_median_uj_per_inference is not None:
        title += f", published {score.published_median_uj_per_inference:.3f}"
    if score.aligned:
        title += f", aligned {score.aligned_median_uj_per_inference:.3f}"
    title += f"; windows: {score.alignment.verdict.replace('_', ' ')} ({score.alignment.method})"
    ax.set_title(title, fontsize=9)
    xlabel = "s from trace start" if len(raw.captures) == 1 else "s (trials placed end to end)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mW")
    ax.margins(x=0.005)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
