"""Sessions for the history tests: real simulated runs, and cheap copies of one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run


def simulated_session(sessions: Path, workloads=("ad01",), mode="performance", **kw) -> Path:
    summary = run(RunRequest(mode=mode, workloads=tuple(workloads), sessions_root=sessions, **kw))
    return Path(summary["session"])


def copies(source: Path, root: Path, n: int, tag: str = "c") -> list[Path]:
    """``n`` copies of a session folder, each a distinct session (its own id and time)."""
    out = []
    for i in range(n):
        folder = root / f"2026{1 + i % 12:02d}{1 + i % 28:02d}_{i % 24:02d}0000_{tag}{i}"
        shutil.copytree(source, folder)
        summary = json.loads((folder / "summary.json").read_text())
        summary["session_id"] = f"{folder.name}@test#{i:08x}"
        (folder / "summary.json").write_text(json.dumps(summary))
        out.append(folder)
    return out
