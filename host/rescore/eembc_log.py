"""What an EEMBC runner ``log.txt`` says about a run: config, supply, traces, ``infer`` runs.

Lines are ``<seconds> <source>: <message>``. Per input: ``bloadp "<file>"``, then
``io: m-dut-passthrough(infer N W)``, the DUT's ``m-infer-start-N`` and ``m-infer-done``; at the
end ``emon: m-regfile-fn[traceK-energy.bin]-type[emon]`` and ``emon: m-voltage-mv[1800]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tinyjoule.host.rescore.records import LoggedRun

LINE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+([\w.-]+):\s?(.*)$")
CFG = re.compile(r"m-bm-cfg-name\[[^\]]*\]-key\[(\w+)\]-val\[([^\]]*)\]")
INFER_CMD = re.compile(r"(?:passthrough\(|Command \"io dut )infer (\d+)(?: (\d+))?")
INFER_START = re.compile(r"m-infer-start(?:-(\d+))?")
BLOADP = re.compile(r"Command \"bloadp \"([^\"]+)\"")
VOLTAGE = re.compile(r"m-voltage-mv\[(\d+(?:\.\d+)?)\]")
REGFILE = re.compile(r"m-regfile-fn\[([^\]]+)-energy\.bin\]")
MODEL = re.compile(r"m-model-\[([\w-]+)\]")


@dataclass(frozen=True, slots=True)
class EembcLog:
    runs: tuple[LoggedRun, ...]
    voltage_v: float | None
    workload: str | None
    iterations: int | None  # bm cfg iterInfer
    warmups: int | None
    traces: tuple[str, ...]  # trace names registered at the end ("trace1", ...)


def parse_eembc_log(path: Path) -> EembcLog:
    """Everything useful in ``log.txt``; unknown lines are ignored."""
    cfg: dict[str, str] = {}
    runs: list[LoggedRun] = []
    voltage: float | None = None
    model: str | None = None
    traces: list[str] = []
    input_name = ""
    pending: tuple[int, int] | None = None
    start: float | None = None
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = LINE.match(raw)
        if not m:
            continue
        t, msg = float(m[1]), m[3]
        if c := CFG.search(msg):
            cfg[c[1]] = c[2]
        elif c := BLOADP.search(msg):
            input_name = re.split(r"[\\/]", c[1])[-1]
        elif c := INFER_CMD.search(msg):
            pending = (int(c[1]), int(c[2] or 0))
        elif c := INFER_START.search(msg):
            start = t
            if pending is None and c[1]:
                pending = (int(c[1]), 0)
        elif "m-infer-done" in msg and start is not None and pending is not None:
            runs.append(LoggedRun(start, t, pending[0], pending[1], input_name))
            start = pending = None
        elif c := VOLTAGE.search(msg):
            voltage = float(c[1]) / 1000.0
        elif c := REGFILE.search(msg):
            traces.append(c[1])
        elif c := MODEL.search(msg):
            model = c[1]

    def as_int(key: str) -> int | None:
        value = cfg.get(key, "")
        return int(value) if value.isdigit() else None

    return EembcLog(
        tuple(runs),
        voltage,
        cfg.get("model") or model,
        as_int("iterInfer"),
        as_int("iterWarmup"),
        tuple(traces),
    )
