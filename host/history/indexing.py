"""Session folders → rows of the history: one per workload of a session (measured, or
imported from a published folder with ``rescore --import``).

A folder that is not a session or whose files are damaged gives an ``IndexError``-free,
clear ``HistoryError`` naming the path; ``index_session`` never loses the folder itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

from tinyjoule.host.history.store import History, HistoryError, now, shown
from tinyjoule.host.results import json_text


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read it ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise HistoryError(
            f"{path}: not valid JSON ({exc}); the session folder is damaged: repair or remove "
            "the file, then rebuild the index (tinyjoule history --rebuild)"
        ) from exc
    if not isinstance(data, dict):
        raise HistoryError(f"{path}: expected a JSON object")
    return data


def _started(folder: Path) -> dt.datetime:
    try:
        return dt.datetime.strptime(folder.name[:15], "%Y%m%d_%H%M%S")
    except ValueError:
        return dt.datetime.fromtimestamp(folder.stat().st_mtime).replace(microsecond=0)


def session_id_of(folder: Path, summary: dict[str, Any]) -> str:
    """The session's id: written by tinyjoule since it has one; else from its path."""
    given = summary.get("session_id")
    if isinstance(given, str) and given:
        return given
    digest = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:8]
    return f"{folder.name}@{digest}"


def _accuracy(record: dict[str, Any]) -> tuple[str | None, float | None]:
    for key in ("top1", "auc", "reference_agreement_percent", "synthetic_auc"):
        if _number(record.get(key)) is not None:
            return key, _number(record[key])
    return None, None


def _published_system(record: dict[str, Any]) -> str | None:
    """The system of a published folder (``.../<system>/<benchmark>/energy``), or its name."""
    source = record.get("source")
    if not isinstance(source, dict) or not source.get("path"):
        return None
    parts = Path(str(source["path"])).parts
    if len(parts) >= 3 and parts[-1].lower() in ("energy", "power"):
        return parts[-3]
    return parts[-1] if parts else None


def _number(value: Any) -> float | None:
    """A finite number, else None (NULL: unknown; strict JSON and SQL have no NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def row_of(folder: Path, summary: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    provenance = record.get("provenance") or {}
    model = provenance.get("model") or {}
    monitor = record.get("monitor") or {}
    dut = record.get("dut") or {}
    bench = record.get("bench") or {}
    software = provenance.get("software") or summary.get("software") or {}
    metric, value = _accuracy(record)
    return {
        "session_id": session_id_of(folder, summary),
        "workload": str(record.get("workload", "")),
        "session_path": str(folder.resolve()),
        "mode": str(record.get("mode") or summary.get("mode") or ""),
        "started_at": _started(folder),
        "complete": bool(record.get("complete")),
        "error": record.get("error"),
        "simulated": bool(record.get("simulated", False)),
        "synthetic_dataset": bool(record.get("synthetic_dataset", False)),
        "source": "imported" if record.get("source") else "measured",
        "board": bench.get("board")
        or dut.get("vendor")
        or (record.get("source") or {}).get("system"),
        "dut_model_id": dut.get("model"),
        "model_sha256": model.get("sha256"),
        "model_path": model.get("path"),
        "model_macs": model.get("macs"),
        "monitor_kind": monitor.get("kind"),
        "monitor_serial": monitor.get("serial_number"),
        "sample_rate_hz": _number(monitor.get("sample_rate_hz")),
        "median_uj_per_inference": _number(record.get("median_uj_per_inference")),
        "uncertainty_uj_per_inference": _number(record.get("uncertainty_uj_per_inference")),
        "mean_power_mw": _number(record.get("mean_power_mw")),
        "median_latency_ms": _number(record.get("median_latency_ms")),
        "median_throughput_ips": _number(record.get("median_throughput_ips")),
        "accuracy_metric": metric,
        "accuracy_value": value,
        "tinyjoule_version": software.get("tinyjoule"),
        "host": software.get("host"),
        "indexed_at": now(),
        "record": json_text.dumps(record, indent=None),
    }


def session_rows(folder: Path) -> list[dict[str, Any]]:
    """One row per workload folder of the session at ``folder``."""
    summary_path = folder / "summary.json"
    records = sorted(p for p in folder.glob("*/results.json"))
    if not summary_path.is_file() and not records:
        raise HistoryError(
            f"{folder}: not a tinyjoule session (no summary.json and no <workload>/results.json); "
            "give a folder that 'tinyjoule run' or 'rescore --import' wrote"
        )
    summary = _read_json(summary_path) if summary_path.is_file() else {}
    return [row_of(folder, summary, _read_json(path)) for path in records]


def index_session(history: History, folder: Path) -> int:
    """Index (or re-index) one session; a different folder holding the same session id is
    refused with both paths."""
    rows = session_rows(folder)
    if rows:
        other = history.existing_path(rows[0]["session_id"])
        if other is not None and other != rows[0]["session_path"]:
            raise HistoryError(
                f"{folder}: session {rows[0]['session_id']} is already indexed in "
                f"{shown(history.url)} from {other}; two folders hold the same session (a "
                "copy?): remove one, or rebuild the index of the folder you keep "
                "(tinyjoule history --rebuild)"
            )
    return history.upsert(rows)


def session_folders(root: Path) -> list[Path]:
    """Every session folder under ``root`` (folders with a summary.json), oldest first."""
    if not root.is_dir():
        raise HistoryError(f"{root}: no such folder; give the sessions folder to index")
    return sorted(p.parent for p in root.rglob("summary.json"))


def rebuild(history: History, root: Path) -> tuple[int, list[str]]:
    """Forget every run under ``root`` and index its sessions again: (rows, problems)."""
    history.forget_under(root)
    count, problems = 0, []
    for folder in session_folders(root):
        try:
            count += index_session(history, folder)
        except HistoryError as exc:
            problems.append(str(exc))
    return count, problems
