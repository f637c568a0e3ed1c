"""The comparison of runs in HTML: a bar chart (inline SVG, no script) of µJ/inference with
each run's ± uncertainty as a whisker, grouped by workload, and the table of
``tinyjoule compare``; as a section of a report or a page of its own (``compare --report``).

Runs without an energy figure (performance, accuracy) are listed in the table only."""

from __future__ import annotations

from typing import Any

import tinyjoule
from tinyjoule.host.report.fmt import esc, number, row, table

WIDTH, LABEL_W, VALUE_W, BAR_H, GAP, HEAD_H = 960, 300, 230, 18, 8, 26


def _verdict(r: dict[str, Any]) -> str:
    if r["difference_percent"] is None:
        return "baseline" if r["label"] == r["baseline"] else "–"
    text = f"{r['difference_percent']:+.2f} %"
    if r.get("significant") is None:
        return text
    return text + (" significant" if r["significant"] else " not significant")


def chart_svg(rows: list[dict[str, Any]]) -> str:
    """One bar per run with an energy figure, grouped by workload; '' when there is none."""
    energy = [r for r in rows if r.get("uj_per_inference") is not None]
    if not energy:
        return ""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in energy:
        groups.setdefault(r["workload"], []).append(r)
    plot_w = WIDTH - LABEL_W - VALUE_W
    parts: list[str] = []
    y = 0
    for workload, members in groups.items():
        top = max(r["uj_per_inference"] + (r.get("uncertainty_uj") or 0) for r in members) or 1
        scale = plot_w / (top * 1.05)
        parts.append(
            f'<text x="0" y="{y + 17}" class="cmp-head">{esc(workload)} — µJ/inference '
            f"(bar: the run's median; whisker: ± its uncertainty)</text>"
        )
        y += HEAD_H
        for r in members:
            value, unc = r["uj_per_inference"], r.get("uncertainty_uj") or 0.0
            x1 = LABEL_W + value * scale
            lo, hi = LABEL_W + (value - unc) * scale, LABEL_W + (value + unc) * scale
            mid = y + BAR_H / 2
            cls = "cmp-bar sim" if r["kind"].startswith("simulated") else "cmp-bar"
            parts += [
                f'<text x="{LABEL_W - 6}" y="{mid + 4:.1f}" text-anchor="end">'
                f"{esc(r['label'][-48:])}</text>",
                f'<rect class="{cls}" x="{LABEL_W}" y="{y}" width="{max(x1 - LABEL_W, 1):.1f}" '
                f'height="{BAR_H}"><title>{esc(r["label"])}: {number(value)} ± '
                f"{number(unc)} µJ/inference ({esc(r['kind'])})</title></rect>",
                f'<line class="cmp-err" x1="{max(lo, LABEL_W):.1f}" x2="{hi:.1f}" y1="{mid}" '
                f'y2="{mid}"/>',
                f'<line class="cmp-err" x1="{max(lo, LABEL_W):.1f}" x2="{max(lo, LABEL_W):.1f}" '
                f'y1="{y + 3}" y2="{y + BAR_H - 3}"/>',
                f'<line class="cmp-err" x1="{hi:.1f}" x2="{hi:.1f}" y1="{y + 3}" '
                f'y2="{y + BAR_H - 3}"/>',
                f'<text x="{WIDTH - VALUE_W + 8}" y="{mid + 4:.1f}">{number(value)} ± '
                f"{number(unc)} · {esc(_verdict(r))}</text>",
            ]
            y += BAR_H + GAP
        y += GAP
    return (
        f'<svg class="cmp-chart" role="img" viewBox="0 0 {WIDTH} {y}" width="{WIDTH}" '
        f'height="{y}" xmlns="http://www.w3.org/2000/svg"><style>'
        ".cmp-bar{fill:#4a7fb5}.cmp-bar.sim{fill:#c9a227}.cmp-err{stroke:#222;stroke-width:1.5}"
        "text{font:12px sans-serif;fill:#222}.cmp-head{font-weight:bold}"
        f"</style>{''.join(parts)}</svg>"
    )


def compare_table_html(rows: list[dict[str, Any]]) -> str:
    head = ["run", "workload", "kind", "µJ/inf", "± µJ/inf", "mean mW", "ms/inf", "µJ/MMAC",
            "MACs from", "accuracy", "vs first of its workload"]  # fmt: skip
    body = []
    for r in rows:
        accuracy = (
            f"{esc(r['accuracy_metric'])} {number(r['accuracy_value'])}"
            if r.get("accuracy_metric")
            else "–"
        )
        cells = [
            esc(r["label"]), esc(r["workload"]), esc(r["kind"]),
            number(r["uj_per_inference"]), number(r["uncertainty_uj"]),
            number(r["mean_power_mw"]), number(r["latency_ms"]), number(r["uj_per_mmac"]),
            esc(r.get("macs_from") or "–"), accuracy, esc(_verdict(r)),
        ]  # fmt: skip
        body.append(row(cells))
    caption = (
        "a difference is significant only when it exceeds the two runs' uncertainties "
        "combined (root-sum-square); in the chart a simulated run's bar is yellow"
    )
    return table(head, body, "compare", caption)


def compare_section(rows: list[dict[str, Any]]) -> str:
    return (
        '<section id="compare"><h2>comparison</h2>'
        f"{chart_svg(rows)}{compare_table_html(rows)}</section>"
    )


def compare_page(rows: list[dict[str, Any]], generated: str) -> str:
    """A page of its own: the chart and the table (the report's style; no script)."""
    from tinyjoule.host.report.html_page import CSP, _asset

    simulated = any(r["kind"].startswith("simulated") for r in rows)
    banner = (
        '<div class="banner sim">SIMULATED: some runs are from the simulated bench, not a '
        "measurement of a real board</div>"
        if simulated
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        f"<title>tinyjoule compare</title><style>{_asset('report.css')}</style></head><body>"
        f'<header><h1>tinyjoule compare</h1><p class="meta">{len(rows)} run(s) · generated '
        f"{esc(generated)} by tinyjoule {esc(tinyjoule.__version__)}</p></header>{banner}"
        f"{compare_section(rows)}</body></html>\n"
    )
