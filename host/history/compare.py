"""Putting runs side by side: µJ/inference with its uncertainty, mean power, latency,
µJ per million MACs where the model is known, accuracy where measured, and the difference
from the first run of the same workload, significant only when it exceeds the two
uncertainties combined (root-sum-square).

What can be compared: a session folder (each of its workloads), a workload folder, a run
of the history (``#12``), a history filter (``workload=kws01,board=nucleo``: the newest
matching run), and published MLPerf Tiny folders, re-scored from their raw traces.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tinyjoule.host.history.query import Filters, find_runs, run_record
from tinyjoule.host.history.store import History, HistoryError
from tinyjoule.tinyml_workloads.model_info import read_model_info
from tinyjoule.tinyml_workloads.workloads import WORKLOADS


@dataclass(frozen=True, slots=True)
class Compared:
    """One run as compared; ``kind``: measured, simulated, imported or published."""

    label: str
    workload: str
    mode: str
    kind: str
    uj_per_inference: float | None
    uncertainty_uj: float | None
    mean_power_mw: float | None
    latency_ms: float | None
    macs: int | None
    macs_from: str | None
    accuracy_metric: str | None
    accuracy_value: float | None

    @property
    def uj_per_mmac(self) -> float | None:
        if self.uj_per_inference is None or not self.macs:
            return None
        return self.uj_per_inference / (self.macs / 1e6)


def _kind(record: dict[str, Any]) -> str:
    if record.get("simulated"):
        return "simulated" + (", synthetic data" if record.get("synthetic_dataset") else "")
    return "imported" if record.get("source") else "measured"


def _accuracy(record: dict[str, Any]) -> tuple[str | None, float | None]:
    for key in ("top1", "auc", "reference_agreement_percent", "synthetic_auc"):
        if isinstance(record.get(key), (int, float)):
            return key, float(record[key])
    return None, None


def from_record(label: str, record: dict[str, Any]) -> Compared:
    model = (record.get("provenance") or {}).get("model") or {}
    metric, value = _accuracy(record)
    macs, macs_from = model.get("macs"), "model" if model.get("macs") else None
    if macs is None and record.get("source"):  # a published run: the reference model
        macs, macs_from = _reference_macs(str(record.get("workload"))), "reference architecture"
    return Compared(
        label=label,
        workload=str(record.get("workload")),
        mode=str(record.get("mode")),
        kind=_kind(record),
        uj_per_inference=record.get("median_uj_per_inference"),
        uncertainty_uj=record.get("uncertainty_uj_per_inference"),
        mean_power_mw=record.get("mean_power_mw"),
        latency_ms=record.get("median_latency_ms"),
        macs=macs,
        macs_from=macs_from,
        accuracy_metric=metric,
        accuracy_value=value,
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise HistoryError(f"{path}: cannot be read as a session's results ({exc})") from exc


def from_argument(argument: str, history: History | None) -> list[Compared]:
    """What one ``tinyjoule compare`` argument names."""
    path = Path(argument)
    if path.is_dir() and (path / "summary.json").is_file():
        return [
            from_record(f"{path.name}/{p.parent.name}", _read(p))
            for p in sorted(path.glob("*/results.json"))
        ]
    if path.is_dir() and (path / "results.json").is_file():
        return [from_record(f"{path.parent.name}/{path.name}", _read(path / "results.json"))]
    if path.exists():
        raise HistoryError(
            f"{argument}: neither a session folder (summary.json) nor a workload folder "
            "(results.json); published folders go with --published"
        )
    if history is None:
        raise HistoryError(f"{argument}: no such folder, and no history database to look in")
    if argument.lstrip("#").isdigit():
        run_id = int(argument.lstrip("#"))
        return [from_record(f"#{run_id}", run_record(history, run_id))]
    filters = Filters.parse(argument)
    found = find_runs(history, filters, limit=1)
    if not found:
        raise HistoryError(f"{argument}: no run in the history matches this filter")
    return [from_record(f"#{found[0]['id']} ({argument})", run_record(history, found[0]["id"]))]


def published(paths: list[Path]) -> list[Compared]:
    """Published MLPerf Tiny energy folders, re-scored from their raw traces."""
    from tinyjoule.host.rescore import rescore_paths

    result = rescore_paths(paths)
    if result.failures:
        raise HistoryError("; ".join(f.message for f in result.failures))
    out = []
    for score in result.scores:
        workload = score.workload or "?"
        macs = _reference_macs(workload)
        parts = score.path.parts
        system = parts[-3] if len(parts) >= 3 and parts[-1] in ("energy", "power") else parts[-1]
        out.append(
            Compared(
                label=f"published: {system}",
                workload=workload,
                mode="energy",
                kind="published (re-scored)",
                uj_per_inference=score.median_uj_per_inference,
                uncertainty_uj=score.uncertainty_uj_per_inference,
                mean_power_mw=score.mean_power_mw,
                latency_ms=_latency(score),
                macs=macs,
                macs_from="reference architecture" if macs else None,
                accuracy_metric=None,
                accuracy_value=None,
            )
        )
    return out


def _reference_macs(workload: str) -> int | None:
    """MACs of the MLPerf Tiny reference architecture (the stand-in has the same)."""
    known = WORKLOADS.get(workload)
    return read_model_info(known.standin_model_path).total_macs if known else None


def _latency(score: Any) -> float | None:
    values = [w.duration_s * 1e3 / w.inferences for w in score.windows if w.inferences]
    return sorted(values)[len(values) // 2] if values else None


def differences(items: list[Compared]) -> list[dict[str, Any]]:
    """Each item with its difference from the first of its workload and mode."""
    baselines: dict[tuple[str, str], Compared] = {}
    rows = []
    for item in items:
        base = baselines.setdefault((item.workload, item.mode), item)
        row: dict[str, Any] = {**asdict(item), "uj_per_mmac": item.uj_per_mmac}
        row["baseline"] = base.label
        row.update(_difference(item, base))
        rows.append(row)
    return rows


def _difference(item: Compared, base: Compared) -> dict[str, Any]:
    if item is base:
        return {"difference_percent": None, "significant": None}
    for field in ("uj_per_inference", "latency_ms"):
        a, b = getattr(base, field), getattr(item, field)
        if a and b is not None:
            break
    else:
        return {"difference_percent": None, "significant": None}
    percent = (b - a) / a * 100
    significant = None
    if (
        field == "uj_per_inference"
        and base.uncertainty_uj is not None
        and (item.uncertainty_uj is not None)
    ):
        combined = math.hypot(base.uncertainty_uj, item.uncertainty_uj)
        significant = abs(b - a) > combined
    return {"difference_percent": percent, "compared_on": field, "significant": significant}
