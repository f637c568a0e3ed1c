"""The whole HTML report: one self-contained page (style, script and data inline; a content
security policy that forbids any network access), a banner for simulated or synthetic figures
and for damaged files, the summary tables, then each session or folder with its items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tinyjoule
from tinyjoule.host.report.fmt import (
    envelope_payload,
    esc,
    integer,
    number,
    row,
    script_json,
    table,
)
from tinyjoule.host.report.html_item import badges, item_section, median_latency_ms, source_marks
from tinyjoule.host.report.model import FAILED, PASSED, PUBLISHED, Group, Item, Report

HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
)
MODES = ("energy", "performance", "accuracy")


def _asset(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _checks_cell(item: Item) -> str:
    passed = sum(c.status == PASSED for c in item.checks)
    failed = sum(c.status == FAILED for c in item.checks)
    cls = "fail" if failed else "pass"
    return f'<span class="{cls}">{passed} passed, {failed} failed</span>'


def _status(item: Item) -> str:
    parts = []
    if item.complete is False:
        parts.append('<span class="fail">INCOMPLETE</span>')
    elif item.complete:
        parts.append("complete")
    if item.partial:
        parts.append('<span class="partial">PARTIAL</span>')
    return " ".join(parts) or "–"


def _summary_row(group: Group, item: Item, key: str) -> str:
    d = item.data
    marks = source_marks(item)
    shout = any(m in ("SIMULATED", "SYNTHETIC DATA", "SOURCE UNKNOWN") for m in marks)
    source = f'<span class="{"sim" if shout else "src"}">{esc(" + ".join(marks))}</span>'
    head = [esc(group.title), f'<a href="#{key}">{esc(item.name)}</a>', source]
    if item.mode == "energy":
        published = d.get("published_median_uj_per_inference")
        if published is None and isinstance(d.get("source"), dict):
            published = d["source"].get("published_median_uj_per_inference")
        cells = [
            number(d.get("median_uj_per_inference")),
            number(d.get("uncertainty_uj_per_inference")),
            number(d.get("mean_power_mw")),
            number(median_latency_ms(item)),
            integer(len(item.windows)),
            number(d.get("sim_truth_uj_per_inference")),
            number(published),
        ]
    elif item.mode == "performance":
        cells = [
            number(median_latency_ms(item)),
            number(d.get("median_throughput_ips")),
            integer(len(item.windows)),
        ]
    else:
        metric, value = next(
            (
                (k, d[k])
                for k in ("top1", "auc", "reference_agreement_percent", "synthetic_auc")
                if k in d
            ),
            ("–", None),
        )
        cells = [
            esc(metric.replace("_", " ")),
            number(value),
            esc(d.get("quality_target", "–")),
            integer(d.get("files")),
            number(d.get("meets_target")),
        ]
    return row([*head, *cells, _checks_cell(item), _status(item)], "item-row")


SUMMARY_HEAD = {
    "energy": [
        "µJ/inf",
        "± µJ/inf",
        "mean mW",
        "ms/inf",
        "windows",
        "sim truth µJ/inf",
        "published µJ/inf",
    ],
    "performance": ["ms/inf", "inf/s", "windows"],
    "accuracy": ["metric", "value", "target", "files", "target met"],
}


def _summaries(report: Report, keys: dict[int, str]) -> str:
    out = []
    for mode in MODES:
        rows = [
            _summary_row(g, i, keys[id(i)])
            for g in report.groups
            for i in g.items
            if i.mode == mode
        ]
        if rows:
            head = [
                "session / folder",
                "workload",
                "source",
                *SUMMARY_HEAD[mode],
                "checks",
                "status",
            ]
            out.append(
                table(head, rows, f"summary {mode}", f"{mode}: one row per workload or trace")
            )
    return "\n".join(out) or "<p>Nothing could be read.</p>"


def _banners(report: Report) -> str:
    out = []
    sim = [i for i in report.items if i.simulated]
    syn = [i for i in report.items if i.synthetic]
    if sim or syn:
        what = " / ".join(w for w, on in (("SIMULATED", sim), ("SYNTHETIC DATA", syn)) if on)
        out.append(
            f'<div class="banner sim" id="sim-banner">{esc(what)}: {len(sim)} item(s) come '
            f"from the simulated bench and {len(syn)} used synthetic data. Their figures are not "
            "measurements of a real board and not MLPerf Tiny scores.</div>"
        )
    problems = report.all_problems
    if problems:
        lis = "".join(f"<li>{esc(p)}</li>" for p in problems)
        out.append(
            f'<div class="banner partial" id="partial-banner"><b>PARTIAL REPORT: {len(problems)} '
            f"problem(s) reading the files.</b> What could still be read is shown, marked "
            f"PARTIAL.<ul>{lis}</ul></div>"
        )
    return "\n".join(out)


def _group_section(group: Group, keys: dict[int, str], gkey: str) -> str:
    info = group.info
    facts = []
    for label, key in (
        ("mode", "mode"),
        ("complete", "complete"),
        ("note", "note"),
        ("imported by", "imported_by"),
        ("format", "format"),
    ):
        if key in info:
            value = info[key]
            text = ("yes" if value else "no") if isinstance(value, bool) else esc(value)
            facts.append(f"<b>{esc(label)}</b>: {text}")
    software = info.get("software")
    if isinstance(software, dict) and software.get("command_line"):
        facts.append(f"<b>command</b>: <code>{esc(software['command_line'])}</code>")
    marks = " ".join(badges(i) for i in group.items[:1]) if len(group.items) == 1 else ""
    parts = [
        f'<section class="group" id="{gkey}" data-kind="{esc(group.kind)}">',
        f"<h2>{esc(group.title)} {marks}</h2>",
        f'<p class="path">{esc(group.path)}</p>',
    ]
    if facts:
        parts.append(f'<p class="facts">{" · ".join(facts)}</p>')
    if group.problems:
        lis = "".join(f"<li>{esc(p)}</li>" for p in group.problems)
        parts.append(
            f'<div class="problems"><b>Partial: what could not be read</b><ul>{lis}</ul></div>'
        )
    parts += [item_section(i, keys[id(i)]) for i in group.items]
    parts.append("</section>")
    return "\n".join(parts)


def _contents(report: Report, keys: dict[int, str]) -> str:
    lis = []
    for n, g in enumerate(report.groups):
        items = "".join(
            f'<li><a href="#{keys[id(i)]}">{esc(i.name)}</a> <small>{esc(i.mode)}</small></li>'
            for i in g.items
        )
        lis.append(f'<li><a href="#g{n}">{esc(g.title)}</a><ul>{items}</ul></li>')
    return f"<nav><b>contents</b><ul>{''.join(lis)}</ul></nav>"


def _comparison(report: Report) -> str:
    """Runs of one workload from several sessions or folders side by side (chart + table)."""
    from dataclasses import replace

    from tinyjoule.host.history.compare import differences, from_record
    from tinyjoule.host.report.compare_chart import compare_section

    compared, seen = [], {}
    for g in report.groups:
        for i in g.items:
            if i.mode != "energy" or not isinstance(i.data, dict):
                continue
            item = from_record(f"{g.title}/{i.name}", {"workload": i.name, **i.data})
            if i.kind == PUBLISHED:
                item = replace(item, kind="published (re-scored)")
            compared.append(item)
            seen[item.workload] = seen.get(item.workload, 0) + 1
    if not any(n > 1 for n in seen.values()):
        return ""
    return compare_section(differences([c for c in compared if seen[c.workload] > 1]))


def render(report: Report, generated: str) -> str:
    """The page for ``report``; ``generated`` is the time stamp shown."""
    keys: dict[int, str] = {}
    series: list[dict[str, Any]] = []
    for n, g in enumerate(report.groups):
        for m, i in enumerate(g.items):
            keys[id(i)] = f"g{n}i{m}"
            if i.envelope is not None:
                series.append(envelope_payload(i.envelope, keys[id(i)]))
    title = ", ".join(g.title for g in report.groups[:3]) + (" …" if len(report.groups) > 3 else "")
    body = [
        "<header><h1>tinyjoule report</h1>",
        f'<p class="meta">{esc(title)} · generated {esc(generated)} by tinyjoule '
        f"{esc(tinyjoule.__version__)} · {len(report.groups)} session(s) or folder(s), "
        f"{len(report.items)} item(s)</p></header>",
        _banners(report),
        _contents(report, keys),
        f'<section id="summary"><h2>summary</h2>{_summaries(report, keys)}</section>',
        _comparison(report),
        *(_group_section(g, keys, f"g{n}") for n, g in enumerate(report.groups)),
        f'<script type="application/json" id="tj-data">{script_json({"series": series})}</script>',
        f"<script>{_asset('report.js')}</script>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>tinyjoule report — {esc(title)}</title><style>{_asset('report.css')}</style>"
        "</head><body>\n" + "\n".join(b for b in body if b) + "\n</body></html>\n"
    )
