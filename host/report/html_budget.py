"""The GUM uncertainty budget in the report (JCGM 100:2008, as ``calibration.budget`` makes
it and results.json keeps it): for the median µJ/inference every term with its type,
distribution, standard uncertainty, sensitivity, contribution and share of the variance, the
combined standard uncertainty and the expanded one with its coverage factor; for each window
its combined and expanded uncertainty and the term that dominates."""

from __future__ import annotations

import math
from typing import Any

from tinyjoule.host.report.checks import num
from tinyjoule.host.report.fmt import esc, number, row, table
from tinyjoule.host.report.model import Item


def _g(value: Any) -> str:
    v = num(value)
    return "–" if v is None or not math.isfinite(v) else f"{v:.4g}"


def _terms_table(budget: dict[str, Any], what: str) -> str:
    head = ["term", "type", "distribution", "standard uncertainty", "sensitivity",
            "contribution µJ", "share of u_c²", "source"]  # fmt: skip
    rows = [
        row(
            [
                esc(t.get("name")),
                esc(t.get("type")),
                esc(t.get("distribution")),
                f"{_g(t.get('standard_uncertainty'))} {esc(t.get('unit', ''))}",
                f"{_g(t.get('sensitivity'))} {esc(t.get('sensitivity_unit', ''))}",
                number(t.get("contribution_uj"), 4),
                f"{number(t.get('variance_percent'), 1)} %",
                esc(t.get("source")),
            ]
        )
        for t in budget.get("terms") or []
    ]
    k = num(budget.get("coverage_factor"))
    caption = (
        f"GUM uncertainty budget of {esc(what)}: combined standard uncertainty u_c = "
        f"{number(budget.get('combined_standard_uncertainty_uj'), 4)} µJ (the contributions "
        f"root-sum-squared); expanded uncertainty U = k·u_c = "
        f"{number(budget.get('expanded_uncertainty_uj'), 4)} µJ with k = {_g(k)} "
        "(about 95 % coverage); the ± printed everywhere is U"
    )
    notes = "".join(f"<li>{esc(n)}</li>" for n in budget.get("notes") or [])
    return table(head, rows, "budget", caption) + (f"<ul>{notes}</ul>" if notes else "")


def _windows_table(item: Item) -> str:
    rows = []
    for i, w in enumerate(item.windows):
        b = w.get("uncertainty_budget")
        if not isinstance(b, dict):
            continue
        terms = [t for t in b.get("terms") or [] if num(t.get("contribution_uj")) is not None]
        top = max(terms, key=lambda t: num(t["contribution_uj"]) or 0.0) if terms else {}
        rows.append(
            row(
                [
                    esc(w.get("window", i + 1)),
                    number(w.get("energy_uj")),
                    number(b.get("combined_standard_uncertainty_uj"), 4),
                    number(b.get("expanded_uncertainty_uj"), 4),
                    esc(top.get("name", "–")),
                    f"{number(top.get('variance_percent'), 1)} %",
                ]
            )
        )
    if not rows:
        return ""
    head = ["#", "energy µJ", "u_c µJ", "U µJ (k = 2)", "largest term", "its share"]
    return table(head, rows, "budget-windows", "each window's energy: its own budget")


def budget_section(item: Item) -> str:
    """The budgets of an energy item; '' when its results carry none (older runs, published
    folders), and the caller shows its stated terms instead."""
    budget = item.data.get("uncertainty_budget")
    if not isinstance(budget, dict):
        return ""
    calibration = item.data.get("calibration")
    applied = ""
    if isinstance(calibration, dict):
        state = "applied" if calibration.get("applied") else "not applied"
        applied = (
            f"<p>calibration {state}: {esc(calibration.get('reason') or '')} "
            f"{esc(calibration.get('record') or '')}</p>"
        )
    return (
        "<h4>uncertainty budget</h4>"
        + applied
        + _terms_table(budget, "the median µJ/inference")
        + _windows_table(item)
    )
