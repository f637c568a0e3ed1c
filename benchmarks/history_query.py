"""Benchmark: ``tinyjoule history`` over 10,000 indexed runs, on SQLite and on PostgreSQL.

Indexes 10,000 runs (rows as a session's indexing writes them), then times, best of 3:
the default table query (the newest 50 and the count), every run as JSON, and a filtered
query; and the whole ``tinyjoule history --json`` command in a fresh process (Python start
included). PostgreSQL is a throwaway server started for the run (tests/history/pg_server.py),
skipped with the reason where it cannot start. Target: under 1 s.

    python benchmarks/history_query.py
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "history"))

from pg_server import NoPostgres, create_database, postgres_server

from tinyjoule.host.history.query import Filters, count_runs, find_runs
from tinyjoule.host.history.store import database_url, open_history

RUNS = 10_000
WORKLOADS = ("kws01", "vww01", "ic01", "ad01")


def rows(n: int) -> list[dict]:
    start = dt.datetime(2026, 1, 1)
    out = []
    for i in range(n):
        workload = WORKLOADS[i % 4]
        out.append({
            "session_id": f"s{i // 4:05d}@bench{i % 7}#{i:08x}", "workload": workload,
            "session_path": f"/lab/sessions/s{i // 4:05d}", "mode": "energy",
            "started_at": start + dt.timedelta(minutes=i), "complete": True, "error": None,
            "simulated": i % 3 == 0, "synthetic_dataset": i % 3 == 0, "source": "measured",
            "board": f"board-{i % 12}", "dut_model_id": workload, "model_sha256": f"{i % 50:064x}",
            "model_path": f"/models/{workload}.tflite", "model_macs": 2_656_768,
            "monitor_kind": "lpm01a", "monitor_serial": f"sn{i % 5}", "sample_rate_hz": 1000.0,
            "median_uj_per_inference": 1500.0 + i % 97, "uncertainty_uj_per_inference": 30.0,
            "mean_power_mw": 42.2, "median_latency_ms": 35.7, "median_throughput_ips": 28.0,
            "accuracy_metric": None, "accuracy_value": None, "tinyjoule_version": "0.1.0",
            "host": f"bench{i % 7}", "indexed_at": start, "record": "{}",
        })  # fmt: skip
    return out


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(label: str, url: str, sessions: Path) -> None:
    history = open_history(url)
    start = time.perf_counter()
    made = rows(RUNS)
    for i in range(0, RUNS, 1000):
        history.upsert(made[i : i + 1000])
    indexed = time.perf_counter() - start
    table = best(lambda: (find_runs(history, Filters(), 50), count_runs(history, Filters())))
    everything = best(lambda: json.dumps(find_runs(history, Filters()), default=str))
    filtered = best(lambda: find_runs(history, Filters(workload="kws01", board="board-3")))
    history.close()
    argv = [sys.executable, "-m", "tinyjoule.host.cli.app", "history", "--json"]
    argv += ["--db", url, "--sessions", str(sessions)]
    command = best(lambda: subprocess.run(argv, check=True, capture_output=True))
    print(
        f"{label:10s}: {RUNS} runs indexed in {indexed:.1f} s; newest 50 + count {table * 1e3:.0f} "
        f"ms; all as JSON {everything * 1e3:.0f} ms; filtered {filtered * 1e3:.0f} ms; "
        f"'tinyjoule history --json' in a new process {command:.2f} s"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sessions = Path(tmp)
        measure("SQLite", database_url(None, sessions), sessions)
        try:
            with postgres_server() as server:
                measure(
                    "PostgreSQL", database_url(create_database(server, "bench"), sessions), sessions
                )
        except NoPostgres as exc:
            print(f"PostgreSQL: skipped ({exc})")


if __name__ == "__main__":
    main()
