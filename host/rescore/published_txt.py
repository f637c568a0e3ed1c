"""``results.txt`` of a published energy folder, in either runner's form, as numbers.

EEMBC runner (v0.5-v1.2): ``<clock> ulp-ml: Energy data for window K at time T for D sec.:``
blocks (Energy uJ, Power uW, Energy/Inf. uJ/inf.), the median line, then ``Performance results
for window K:`` blocks (# Inferences, Runtime, Throughput, and either "Runtime requirements
have been met." or the runner's ``e-[The run must take at least 10 seconds ...]``).
MLCommons runner (v1.3+): ``Power Edition Output``, ``Energy data for trial N`` blocks
(Elapsed time, maybe ``<<<< below minimum duration``, Inferences, Power mW., Total Energy uJ,
Energy/Inf uJ/inf), the median line. CRLF or LF; a leading ``<clock> <source>:`` is ignored.
A performance-mode ``results.txt`` (either runner: ``Performance results for window K`` blocks with
# Inferences, Runtime, Throughput, then ``Median throughput is X inf./sec.``) is read by
:func:`parse_performance_txt`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tinyjoule.host.rescore.records import EEMBC, MLCOMMONS, FolderError

NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)"
PREFIX = re.compile(r"^\s*\d+(?:\.\d+)?\s+[\w.-]+:\s?")
EEMBC_WINDOW = re.compile(rf"Energy data for window (\d+) at time {NUM} for {NUM} sec")
EEMBC_PERF = re.compile(r"Performance results for window (\d+)")
TRIAL = re.compile(r"Energy data for trial (\d+)")
MEDIAN = re.compile(rf"Median energy cost is\s*{NUM}\s*uJ/inf")
THROUGHPUT = re.compile(rf"Median throughput is\s*{NUM}\s*inf")
FIELDS = {
    "energy_uj": re.compile(rf"^Energy\s*:\s*{NUM}\s*uJ\s*$"),
    "power_uw": re.compile(rf"^Power\s*:\s*{NUM}\s*uW"),
    "uj_per_inference": re.compile(rf"^Energy/Inf\.?\s*:\s*{NUM}\s*uJ/inf"),
    "inferences": re.compile(r"^(?:# )?Inferences\s*:\s*(\d+)"),
    "runtime_s": re.compile(rf"^Runtime\s*:\s*{NUM}\s*sec"),
    "elapsed_s": re.compile(rf"^Elapsed time\s*:\s*{NUM}"),
    "power_mw": re.compile(rf"^Power\s*:\s*{NUM}\s*mW"),
    "total_energy_uj": re.compile(rf"^Total Energy\s*:\s*{NUM}\s*uJ"),
}
RUNNER_INVALID = ("e-[The run must take", "<<<< below minimum duration")
EEMBC_NEEDS = ("energy_uj", "power_uw", "uj_per_inference")
MLC_NEEDS = ("elapsed_s", "inferences", "power_mw", "total_energy_uj", "uj_per_inference")


@dataclass(frozen=True, slots=True)
class PublishedWindow:
    number: int  # EEMBC window number (2, 4, ...) or MLCommons trial index
    energy_uj: float
    uj_per_inference: float
    power_mw: float
    duration_s: float  # EEMBC: Energy / Power (the exact sample count); MLCommons: elapsed
    start_s: float | None = None  # EEMBC "at time", rounded to 0.01 s
    inferences: int | None = None
    runner_valid: bool | None = None  # False where the runner printed its too-short warning


@dataclass(frozen=True, slots=True)
class PublishedResults:
    path: Path
    form: str  # EEMBC or MLCOMMONS
    windows: tuple[PublishedWindow, ...]
    median_uj_per_inference: float
    median_throughput_ips: float | None = None

    def window(self, number: int) -> PublishedWindow | None:
        return next((w for w in self.windows if w.number == number), None)


@dataclass(frozen=True, slots=True)
class PerformanceWindow:
    number: int
    inferences: int
    runtime_s: float


@dataclass(frozen=True, slots=True)
class PerformanceResults:
    """A performance-mode ``results.txt``: the same system's run times without the energy set-up."""

    path: Path
    windows: tuple[PerformanceWindow, ...]
    median_throughput_ips: float  # as printed, else the median of the windows' own throughputs


def _blocks(lines: list[str]) -> tuple[list[tuple[str, int, int, dict[str, str]]], dict[str, str]]:
    """Blocks of (kind, number, line_no, fields) and the top-level values."""
    blocks: list[tuple[str, int, int, dict[str, str]]] = []
    top: dict[str, str] = {}
    for no, raw in enumerate(lines, 1):
        line = PREFIX.sub("", raw).strip()
        if m := EEMBC_WINDOW.search(line):
            blocks.append(("window", int(m[1]), no, {"start_s": m[2], "stated_s": m[3]}))
        elif m := EEMBC_PERF.search(line):
            blocks.append(("perf", int(m[1]), no, {}))
        elif m := TRIAL.search(line):
            blocks.append(("trial", int(m[1]), no, {}))
        elif m := MEDIAN.search(line):
            top["median"] = m[1]
        elif m := THROUGHPUT.search(line):
            top["throughput"] = m[1]
        elif blocks:
            fields = blocks[-1][3]
            if any(flag in line for flag in RUNNER_INVALID):
                fields["invalid"] = "1"
            if "<<<< below minimum duration" in line:
                line = line.split("<<<<")[0].strip()
            if "Runtime requirements have been met" in line:
                fields["valid"] = "1"
            for key, rx in FIELDS.items():
                if key not in fields and (m := rx.search(line)):
                    fields[key] = m[1]
    return blocks, top


def _need(path: Path, kind: str, number: int, no: int, fields: dict[str, str], keys) -> None:
    missing = [k for k in keys if k not in fields]
    if missing:
        raise FolderError(
            path,
            f"{kind} {number} (line {no}) has no {', '.join(missing)} line: the file is cut "
            "short or was edited; take results.txt again from the results repository",
        )


def _validity(fields: dict[str, str]) -> bool | None:
    if "invalid" in fields:
        return False
    return True if "valid" in fields else None


def parse_results_txt(path: Path) -> PublishedResults:
    """The published windows and median of ``path``; ``FolderError`` for any other form."""
    text = path.read_text(encoding="utf-8", errors="replace")
    blocks, top = _blocks(text.splitlines())
    kinds = {b[0] for b in blocks}
    if not blocks or ("trial" in kinds and kinds & {"window", "perf"}):
        raise FolderError(
            path,
            "results.txt is in no form tinyjoule knows: expected the EEMBC runner's 'Energy data "
            "for window K at time T for D sec.:' blocks or the MLCommons runner's 'Power Edition "
            "Output' with 'Energy data for trial N' blocks; is this a performance or accuracy "
            "results.txt, or an energy summary typed by hand?",
        )
    if "median" not in top:
        raise FolderError(
            path, "results.txt has no 'Median energy cost is ... uJ/inf.' line: it is cut short"
        )
    windows: list[PublishedWindow] = []
    if "trial" in kinds:
        form = MLCOMMONS
        for _, number, no, f in blocks:
            _need(path, "trial", number, no, f, MLC_NEEDS)
            windows.append(
                PublishedWindow(
                    number,
                    float(f["total_energy_uj"]),
                    float(f["uj_per_inference"]),
                    float(f["power_mw"]),
                    float(f["elapsed_s"]),
                    inferences=int(f["inferences"]),
                    runner_valid=_validity(f) is not False,
                )
            )
    else:
        form = EEMBC
        perf = {n: (no, f) for kind, n, no, f in blocks if kind == "perf"}
        for kind, number, no, f in blocks:
            if kind != "window":
                continue
            _need(path, "window", number, no, f, EEMBC_NEEDS)
            energy, power = float(f["energy_uj"]), float(f["power_uw"])
            duration = energy / power if power > 0 else float(f["stated_s"])
            p_fields = perf.get(number, (0, {}))[1]
            inferences = int(p_fields["inferences"]) if "inferences" in p_fields else None
            windows.append(
                PublishedWindow(
                    number,
                    energy,
                    float(f["uj_per_inference"]),
                    power * 1e-3,
                    duration,
                    start_s=float(f["start_s"]),
                    inferences=inferences,
                    runner_valid=_validity(p_fields),
                )
            )
    numbers = [w.number for w in windows]
    if len(set(numbers)) != len(numbers):
        raise FolderError(path, f"results.txt lists a window twice ({numbers}); it was edited")
    throughput = float(top["throughput"]) if "throughput" in top else None
    return PublishedResults(path, form, tuple(windows), float(top["median"]), throughput)


def parse_performance_txt(path: Path) -> PerformanceResults:
    """The windows and median throughput of a performance-mode ``results.txt``."""
    text = path.read_text(encoding="utf-8", errors="replace")
    blocks, top = _blocks(text.splitlines())
    perf = [b for b in blocks if b[0] == "perf"]
    if not perf or len(perf) != len(blocks):
        raise FolderError(
            path,
            "not a performance-mode results.txt: expected only 'Performance results for window "
            "K' blocks (# Inferences, Runtime) and 'Median throughput is X inf./sec.'; take "
            "the file again from the results repository's <system>/<benchmark>/performance/",
        )
    windows = []
    for _, number, no, f in perf:
        _need(path, "window", number, no, f, ("inferences", "runtime_s"))
        runtime = float(f["runtime_s"])
        if not runtime > 0:
            raise FolderError(path, f"window {number} (line {no}) has a runtime of {runtime} s")
        windows.append(PerformanceWindow(number, int(f["inferences"]), runtime))
    numbers = [w.number for w in windows]
    if len(set(numbers)) != len(numbers):
        raise FolderError(path, f"lists a window twice ({numbers}): is this the run's log.txt?")
    if "throughput" in top:
        throughput = float(top["throughput"])
    else:
        rates = sorted(w.inferences / w.runtime_s for w in windows)
        mid = len(rates) // 2
        throughput = rates[mid] if len(rates) % 2 else (rates[mid - 1] + rates[mid]) / 2
    if not throughput > 0:
        raise FolderError(path, f"median throughput is {throughput} inf./sec.: the file is damaged")
    return PerformanceResults(path, tuple(windows), throughput)
