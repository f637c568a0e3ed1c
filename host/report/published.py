"""Published MLPerf Tiny folders in a report: re-scored on the fly by ``host.rescore``, one group
per folder, one item per trace, the raw samples kept for the plot. A folder that cannot be
scored becomes a group holding only the reason, so the rest of a tree still shows."""

from __future__ import annotations

from pathlib import Path

from tinyjoule.host.report.model import PUBLISHED, Group, Item
from tinyjoule.host.rescore.records import RawTrace
from tinyjoule.host.rescore.report import label, trace_dict
from tinyjoule.host.rescore.rescore import rescore_paths
from tinyjoule.host.rescore.score import TraceScore


def published_item(raw: RawTrace, score: TraceScore) -> Item:
    data = trace_dict(score)
    item = Item(
        name=label(score),
        path=score.path,
        kind=PUBLISHED,
        mode="energy",
        data=data,
        windows=list(data["windows"]),
        simulated=False,  # a published run measured a real board on the real dataset
        synthetic=False,
        complete=True,
        raw=raw,
        score=score,
        windows_from=f"re-scored from {raw.name}",
    )
    item.notes.extend(data["notes"])
    return item


def load_published(path: Path) -> list[Group]:
    """Every published energy folder at or under ``path``, re-scored."""
    groups: dict[Path, Group] = {}

    def group(folder: Path) -> Group:
        if folder not in groups:
            groups[folder] = Group(str(folder), folder, PUBLISHED)
        return groups[folder]

    def on_trace(raw: RawTrace, score: TraceScore) -> None:
        group(raw.folder).items.append(published_item(raw, score))

    result = rescore_paths([path], on_trace)
    for failure in result.failures:
        group(failure.path).problems.append(
            f"{failure.message}; this folder is left out of the report"
        )
    for g in groups.values():
        g.info = {"format": ", ".join(sorted({i.data["format"] for i in g.items}))}
    return list(groups.values())
