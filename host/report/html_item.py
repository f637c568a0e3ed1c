"""One item of the HTML report: its key figures, windows with uncertainties and flags, the
uncertainty terms, latency, the trace plots, the checks and the provenance. Every value that
came from a file or a device goes through ``fmt.esc`` (numbers through ``fmt.number``)."""

from __future__ import annotations

import math
import statistics
from typing import Any

from tinyjoule.host.report.checks import num
from tinyjoule.host.report.fmt import esc, integer, key_values, number, row, table
from tinyjoule.host.report.html_budget import budget_section
from tinyjoule.host.report.model import FAILED, IMPORTED, PASSED, PUBLISHED, Item

TIME_BASE_RELATIVE = 1e-4  # UncertaintyModel.sample_rate_relative, as every figure used
STATUS_CLASS = {PASSED: "pass", FAILED: "fail"}


def source_marks(item: Item) -> list[str]:
    """What the figures are: SIMULATED, SYNTHETIC DATA, PUBLISHED, ... (upper case: shouted)."""
    marks = []
    if item.simulated:
        marks.append("SIMULATED")
    if item.synthetic:
        marks.append("SYNTHETIC DATA")
    if item.kind == PUBLISHED:
        marks.append("PUBLISHED, RE-SCORED")
    elif item.kind == IMPORTED:
        marks.append("IMPORTED FROM A PUBLISHED RUN")
    if item.simulated is None and item.kind not in (PUBLISHED, IMPORTED):
        marks.append("SOURCE UNKNOWN")
    return marks or ["MEASURED"]


def badges(item: Item) -> str:
    out = []
    for mark in source_marks(item):
        cls = "sim" if mark in ("SIMULATED", "SYNTHETIC DATA", "SOURCE UNKNOWN") else "src"
        out.append(f'<span class="badge {cls}">{esc(mark)}</span>')
    if item.complete is False:
        out.append('<span class="badge fail">INCOMPLETE</span>')
    if item.partial:
        out.append('<span class="badge partial">PARTIAL: files damaged</span>')
    return " ".join(out)


def _latency_ms(w: dict[str, Any]) -> float | None:
    latency = num(w.get("latency_ms"))
    d, n = num(w.get("duration_s")), num(w.get("inferences"))
    return latency if latency is not None else (d * 1e3 / n if d and n else None)


def median_latency_ms(item: Item) -> float | None:
    """The results' median latency, else the median over the windows."""
    given = num(item.data.get("median_latency_ms"))
    values = [v for v in (_latency_ms(w) for w in item.windows) if v is not None]
    return given if given is not None else (statistics.median(values) if values else None)


def _energy_windows(ws: list[dict[str, Any]], caption: str, cls: str) -> str:
    truth = any("sim_truth_energy_uj" in w for w in ws)
    published = any("published_energy_uj" in w for w in ws)
    head = [
        "#",
        "input",
        "inferences",
        "s",
        "µJ",
        "± µJ",
        "µJ/inf",
        "± µJ/inf",
        "mW",
        "ms/inf",
        "start sample",
        "end sample",
    ]
    if truth:
        head += ["sim truth µJ", "Δ µJ", "edge bound µJ"]
    if published:
        head += ["published µJ", "Δ %", "reproduced", "alignment", "flags"]
    rows = []
    for i, w in enumerate(ws):
        n = num(w.get("inferences"))
        unc_inf = num(w.get("uncertainty_uj_per_inference"))
        if unc_inf is None and n and num(w.get("uncertainty_uj")) is not None:
            unc_inf = num(w.get("uncertainty_uj")) / n
        cells = [
            esc(w.get("window", i + 1)),
            esc(w.get("input", "")),
            integer(w.get("inferences")),
            number(w.get("duration_s")),
            number(w.get("energy_uj")),
            number(w.get("uncertainty_uj")),
            number(w.get("uj_per_inference")),
            number(unc_inf),
            number(w.get("mean_power_mw")),
            number(_latency_ms(w)),
            integer(w.get("start_sample")),
            integer(w.get("end_sample")),
        ]
        bad = False
        if truth:
            e, t, b = (
                num(w.get(k)) for k in ("energy_uj", "sim_truth_energy_uj", "edge_uncertainty_uj")
            )
            delta = e - t if e is not None and t is not None else None
            bad = delta is not None and b is not None and abs(delta) > b
            cells += [number(t), number(delta), number(b)]
        if published:
            flags = w.get("flags") if isinstance(w.get("flags"), list) else []
            bad = bad or w.get("reproduced") is False or w.get("alignment") == "misaligned"
            cells += [
                number(w.get("published_energy_uj")),
                number(w.get("difference_percent"), 4),
                number(w.get("reproduced")),
                esc(str(w.get("alignment") or "–").replace("_", " ")),
                esc(", ".join(str(f) for f in flags)),
            ]
        rows.append(row(cells, "window bad" if bad else "window"))
    return table(head, rows, cls, esc(caption))


def _performance_windows(item: Item) -> str:
    head = ["#", "input", "inferences", "warm-ups", "s", "ms/inf", "inf/s", "laps (µs)"]
    rows = []
    for i, w in enumerate(item.windows):
        laps = w.get("laps_us")
        rows.append(
            row(
                [
                    esc(i + 1),
                    esc(w.get("input", "")),
                    integer(w.get("inferences")),
                    integer(w.get("warmups")),
                    number(w.get("duration_s"), 6),
                    number(_latency_ms(w)),
                    number(w.get("throughput_ips")),
                    esc(", ".join(map(str, laps)) if isinstance(laps, list) else "–"),
                ],
                "window",
            )
        )
    return table(head, rows, "windows performance", f"windows ({esc(item.windows_from)})")


def _uncertainty(item: Item) -> str:
    """Each window's uncertainty split into its terms (they add in quadrature)."""
    stated = num((item.data.get("monitor") or {}).get("accuracy_relative"))
    if item.kind == PUBLISHED:
        stated = 0.02  # the LPM01A the published runs used (rescore's model)
    head = [
        "#",
        "energy µJ",
        "reading accuracy µJ",
        "time base µJ",
        "edge bound µJ",
        "total µJ",
        "largest",
    ]
    rows = []
    for i, w in enumerate(item.windows):
        e, total, edge = (
            num(w.get(k)) for k in ("energy_uj", "uncertainty_uj", "edge_uncertainty_uj")
        )
        if e is None or total is None:
            continue
        base = TIME_BASE_RELATIVE * abs(e)
        reading = (
            stated * abs(e)
            if stated is not None
            else math.sqrt(max(total**2 - base**2 - (edge or 0.0) ** 2, 0.0))
        )
        terms = {"reading accuracy": reading, "time base": base, "edge bound": edge or 0.0}
        rows.append(
            row(
                [
                    esc(w.get("window", i + 1)),
                    number(e),
                    number(reading),
                    number(base),
                    number(edge),
                    number(total),
                    esc(max(terms, key=terms.__getitem__)),
                ]
            )
        )
    if not rows:
        return ""
    how = (
        f"reading accuracy {stated * 100:g} % of the energy"
        if stated is not None
        else "reading accuracy derived: √(total² − time base² − edge²)"
    )
    caption = (
        f"uncertainty terms: {how}; time base {TIME_BASE_RELATIVE * 1e6:g} ppm; edge bound: "
        "where the edges fell in their samples; total: as the run stated it (a run without a "
        "GUM budget: the three in quadrature)"
    )
    return table(head, rows, "uncertainty", caption)


def _figures(item: Item) -> str:
    d = item.data
    pairs: list[tuple[str, str]] = []
    if item.mode == "energy":
        pairs += [
            (
                "median energy per inference",
                f"{number(d.get('median_uj_per_inference'))} ± "
                f"{number(d.get('uncertainty_uj_per_inference'))} µJ",
            ),
            ("mean power", f"{number(d.get('mean_power_mw'))} mW"),
            ("median latency", f"{number(median_latency_ms(item))} ms/inference"),
        ]
        if "sim_truth_uj_per_inference" in d:
            pairs.append(
                ("sim truth (simulated board)", f"{number(d['sim_truth_uj_per_inference'])} µJ")
            )
        pub = d.get("published_median_uj_per_inference")
        if pub is None and isinstance(d.get("source"), dict):
            pub = d["source"].get("published_median_uj_per_inference")
        if pub is not None:
            pairs.append(("published median", f"{number(pub)} µJ/inference"))
        if d.get("aligned_median_uj_per_inference") is not None:
            pairs.append(
                (
                    "correctly aligned median",
                    f"{number(d['aligned_median_uj_per_inference'])} ± "
                    f"{number(d.get('aligned_uncertainty_uj_per_inference'))} µJ",
                )
            )
    elif item.mode == "performance":
        pairs += [
            ("median latency", f"{number(median_latency_ms(item))} ms/inference"),
        ]
    elif item.mode == "accuracy":
        for key, text in (
            ("top1", "top-1 %"),
            ("auc", "AUC"),
            ("reference_agreement_percent", "agreement with the reference model %"),
            ("synthetic_auc", "AUC on synthetic data"),
        ):
            if key in d:
                pairs.append((text, number(d[key])))
        pairs += [
            ("files", integer(d.get("files"))),
            ("quality target", esc(d.get("quality_target", "–"))),
        ]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f'<table class="figures">{body}</table>' if body else ""


def checks_table(item: Item) -> str:
    rows = [
        row(
            [esc(c.name), f'<span class="status">{esc(c.status)}</span>', esc(c.detail)],
            f"check {STATUS_CLASS.get(c.status, 'na')}",
        )
        for c in item.checks
    ]
    passed = sum(c.status == PASSED for c in item.checks)
    failed = sum(c.status == FAILED for c in item.checks)
    rest = len(item.checks) - passed - failed
    caption = f"checks: {passed} passed, {failed} failed, {rest} not applicable"
    return table(["check", "result", "detail"], rows, "checks", caption)


def _plots(item: Item, key: str) -> str:
    env = item.envelope
    if env is None:
        why = "no trace for this mode" if item.mode != "energy" else "no readable trace"
        return f'<p class="noplot">No trace plot: {esc(why)}.</p>'
    aligned = any(w.kind == "aligned" for w in env.windows)
    legend = [
        f'<span class="sw env"></span>{esc(env.quantity)} ({esc(env.unit)}): '
        "least to greatest sample per pixel",
        '<span class="sw edge"></span>window edge (timestamp)',
        '<span class="sw event"></span>other timestamp event',
        '<span class="sw win"></span>scored window',
    ]
    if aligned:
        legend.append('<span class="sw aligned"></span>window rebuilt by the alignment check')
    if env.captures_s:
        legend.append('<span class="sw capture"></span>start of a separately captured trial')
    head = (
        f'<div class="legend">{" ".join(f"<span>{x}</span>" for x in legend)}'
        '<span class="hint">drag across a plot to zoom; double-click or “reset” to go back'
        "</span></div>"
    )
    overview = (
        f'<div class="plot overview" data-series="{key}" data-x0="0" '
        f'data-x1="{env.duration_s!r}" '
        f'data-title="whole trace: {env.n_samples} samples at {env.sample_rate_hz:g} Hz"></div>'
    )
    cells = []
    for i, w in enumerate(env.windows):
        what = "rebuilt window" if w.kind == "aligned" else "window"
        title = (
            f"{what} {w.number}"
            + (f" ({w.label})" if w.label else "")
            + f": {w.end_s - w.start_s:.3f} s"
        )
        cells.append(
            f'<div class="plot window" data-series="{key}" data-window="{i}" '
            f'data-x0="{w.span_s[0]!r}" data-x1="{w.span_s[1]!r}" data-title="{esc(title)}"></div>'
        )
    return f'<div class="plots">{head}{overview}<div class="plot-grid">{"".join(cells)}</div></div>'


def _provenance(item: Item) -> dict[str, Any]:
    d = item.data
    out: dict[str, Any] = {}
    for key in ("provenance", "source", "bench", "monitor", "dut"):
        if key in d:
            out[key] = d[key]
    attrs = {k: v for k, v in item.trace_attrs.items() if k != "provenance"}
    if attrs:
        out["trace.h5"] = attrs
    if item.kind == PUBLISHED:
        keep = (
            "path",
            "trace",
            "format",
            "workload",
            "voltage_v",
            "sample_rate_hz",
            "alignment_method",
            "log_offset_s",
            "performance_results",
            "performance_throughput_ips",
            "reproduced_criterion",
        )
        out["published folder"] = {k: d.get(k) for k in keep}
    return out


def item_section(item: Item, key: str) -> str:
    marks = source_marks(item)
    parts = [
        f'<article class="item" id="{key}" data-mode="{esc(item.mode)}">',
        f"<h3>{esc(item.name)} <small>{esc(item.mode)}</small> {badges(item)}</h3>",
        f'<p class="path">{esc(item.path)}</p>',
    ]
    if item.simulated or item.synthetic:
        what = " · ".join(m for m in marks if m in ("SIMULATED", "SYNTHETIC DATA"))
        parts.append(
            f'<p class="simnote">{esc(what)}: not a measurement of a real board '
            "and not an MLPerf Tiny score</p>"
        )
    if item.problems:
        lis = "".join(f"<li>{esc(p)}</li>" for p in item.problems)
        parts.append(
            f'<div class="problems"><b>Partial: what could not be read</b><ul>{lis}</ul></div>'
        )
    parts.append(_figures(item))
    if item.windows and item.mode == "energy":
        parts.append(
            _energy_windows(item.windows, f"windows ({item.windows_from})", "windows energy")
        )
        rebuilt = item.data.get("aligned_windows")
        if isinstance(rebuilt, list) and rebuilt:
            why = item.data.get("aligned_evidence") or ""
            parts.append(
                _energy_windows(rebuilt, f"correctly aligned windows: {why}", "rebuilt energy")
            )
        parts.append(budget_section(item) or _uncertainty(item))
    elif item.windows and item.mode == "performance":
        parts.append(_performance_windows(item))
    if item.mode == "energy" or item.envelope is not None:
        parts.append(_plots(item, key))
    parts.append(checks_table(item))
    if item.notes:
        parts.append(
            '<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in item.notes) + "</ul>"
        )
    prov = _provenance(item)
    if prov:
        parts.append(f"<details><summary>provenance</summary>{key_values(prov)}</details>")
    parts.append("</article>")
    return "\n".join(p for p in parts if p)
