"""A published energy run imported as a tinyjoule session, so the same tools handle both.

``<sessions>/<stamp>_rescore/<name>/`` gets ``trace.h5`` (samples in J, the timestamp events at
sample indices, the windows) and ``results.json`` with the keys a live energy run writes
(``EnergyWindow.to_dict`` per window and ``summarise`` for the median), plus ``source``: the
published folder, its published median and which windows were used. When the published
windows miss the runs (a lost timestamp), the correctly aligned windows are the ones imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tinyjoule.host.history.auto_index import index_finished
from tinyjoule.host.measurement.stream import Event, SampleBlock
from tinyjoule.host.measurement.trace_file import TraceWriter
from tinyjoule.host.rescore.records import RawTrace
from tinyjoule.host.rescore.report import window_dict
from tinyjoule.host.rescore.score import TraceScore, WindowScore
from tinyjoule.host.results.session import Session, WorkloadRecord
from tinyjoule.host.runner.energy_mode import EnergyWindow, summarise

PUBLISHED_KEYS = ("published_energy_uj", "published_uj_per_inference", "difference_percent",
                  "reproduced", "flags")  # fmt: skip


def folder_name(raw: RawTrace) -> str:
    """``NUCLEO_L4R5ZI_kws`` for ``.../NUCLEO_L4R5ZI/kws/energy``, else the folder's own name."""
    parts = raw.folder.resolve().parts
    name = "_".join(parts[-3:-1]) if parts[-1].lower() in ("energy", "power") else parts[-1]
    return f"{name}_{raw.name}" if raw.format == "eembc" and raw.name != "trace1" else name


def _windows(score: TraceScore) -> tuple[tuple[WindowScore, ...], str]:
    al = score.alignment
    if al.misaligned and score.aligned:
        return score.aligned, f"realigned: the published windows miss the runs; {al.realigned_by}"
    return score.windows, f"the published runner's windows (alignment: {al.verdict})"


def _window_record(w: WindowScore) -> dict[str, Any]:
    live = EnergyWindow(w.spec.label or f"window {w.number}", w.inferences, w.spec.warmups,
                        w.energy, None).to_dict()  # fmt: skip
    published = window_dict(w)
    return {**live, "window": w.number, **{k: published[k] for k in PUBLISHED_KEYS}}


class SessionImporter:
    """Writes one workload folder per trace into a session made on the first one."""

    def __init__(self, sessions_dir: Path) -> None:
        self.sessions_dir = sessions_dir
        self.session: Session | None = None
        self.index_status: dict[str, Any] = {}
        self._used: set[str] = set()

    def _name(self, raw: RawTrace) -> str:
        base = raw.workload if raw.workload and raw.workload not in self._used else None
        base = base or folder_name(raw)
        name, n = base, 1
        while name in self._used:
            n += 1
            name = f"{base}_{n}"
        self._used.add(name)
        return name

    def add(self, raw: RawTrace, score: TraceScore) -> Path:
        if self.session is None:
            self.session = Session(self.sessions_dir, "rescore")
        name = self._name(raw)
        record = WorkloadRecord(self.session.folder / name, raw.workload or name, "energy")
        self.session.records.append(record)
        windows, used = _windows(score)
        record.log(f"imported from {raw.folder} ({raw.format}, {raw.name}); windows: {used}")
        self._trace(record.folder / "trace.h5", raw, windows)
        source = {
            "path": str(raw.folder),
            "format": raw.format,
            "trace": raw.name,
            "published_median_uj_per_inference": score.published_median_uj_per_inference,
            "rescored_median_uj_per_inference": score.median_uj_per_inference,
            "windows_used": used,
            "alignment_verdict": score.alignment.verdict,
            "alignment_evidence": score.alignment.evidence,
            "flags": list(score.flags),
            "notes": list(score.notes),
        }
        fields: dict[str, Any] = {"windows": [_window_record(w) for w in windows], "source": source}
        if windows:
            live = [EnergyWindow(w.spec.label, w.inferences, 0, w.energy, None) for w in windows]
            fields.update(summarise(live))
        record.update(**fields)
        if windows:
            record.mark_source(simulated=False, synthetic_dataset=False)  # a real board's run
            record.write_mode_results(fields)
        record.finish(None if windows else "no window could be scored")
        return record.folder

    @staticmethod
    def _trace(path: Path, raw: RawTrace, windows: tuple[WindowScore, ...]) -> None:
        attrs: dict[str, Any] = {
            "sample_rate_hz": raw.sample_rate_hz,
            "unit": "J",
            "instrument": "lpm01a",
            "workload": raw.workload or "",
            "source": str(raw.folder),
            "source_format": raw.format,
            "source_trace": raw.name,
            "captures": json.dumps([[c.start, c.end, c.label] for c in raw.captures]),
            # windows are the published runners' half-open sample ranges [start, end)
            "window_convention": "half_open_range",
        }
        if raw.voltage_v is not None:
            attrs["supply_voltage_v"] = raw.voltage_v
        writer = TraceWriter(path, attrs)
        try:
            writer.add_block(SampleBlock(raw.samples_j, 0, raw.sample_rate_hz, "J"))
            for i, index in enumerate(raw.edges):
                counter = raw.counters[i] if raw.counters else None
                writer.add_event(Event(index, rising=False, counter=counter))
            for w in windows:
                e = w.energy
                writer.add_window(e.start_index, e.end_index, w.inferences, e.energy_j,
                                  e.uncertainty_j)  # fmt: skip
        except BaseException as exc:
            writer.close(error=str(exc))
            raise
        writer.close()

    def finish(self) -> Path | None:
        """Write the summary and index the session in the history (see ``index_status``)."""
        if self.session is None:
            return None
        extra = {"imported_by": "tinyjoule rescore"}
        self.session.write_summary(extra)
        self.index_status = index_finished(self.session.folder, self.sessions_dir, None)
        self.session.write_summary({**extra, **self.index_status})
        return self.session.folder
