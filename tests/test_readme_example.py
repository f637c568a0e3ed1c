"""The README's Python API example, run as written (in a temporary folder), so it cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_example() -> str:
    match = re.search(r"<!-- readme-example -->\s*```python\n(.*?)```", README.read_text(), re.S)
    assert match, "README.md lost its <!-- readme-example --> python block"
    return match.group(1)


def test_the_python_api_example_runs(tmp_path: Path, monkeypatch, capsys) -> None:
    pytest.importorskip("pandas")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(readme_example(), "README.md example", "exec"), namespace)
    session, trace = namespace["session"], namespace["trace"]
    assert session.path.parent == Path("sessions") and (tmp_path / session.path).is_dir()
    assert list(trace.columns) == ["time_s", "value", "unit"] and len(trace) == 100
    assert trace["time_s"].iloc[0] == pytest.approx(1.0)
    same = namespace["same"]
    assert same["difference_percent"].iloc[1] == 0 and not same["significant"].iloc[1]
    assert "median_uj_per_inference" in capsys.readouterr().out
    assert namespace["again"].summary == session.summary
