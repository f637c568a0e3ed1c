"""How long a run takes, from the same system's performance-mode result beside an energy folder.

In a results repository an energy folder is ``<system>/<benchmark>/energy``; the performance run
of the same system and benchmark sits beside it as ``<system>/<benchmark>/performance/`` with a
``results.txt`` (``result.txt`` in some EEMBC-era submissions). Its median throughput gives the
time a window's iterations take, ``iterations / throughput``: timing evidence for the alignment
check that needs neither the log nor the power levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tinyjoule.errors import TinyJouleError
from tinyjoule.host.rescore.published_txt import PerformanceResults, parse_performance_txt

# A window lasts one run when it lasts iterations / throughput within this fraction either way.
# The energy-mode firmware is not the performance build (GPIO timestamps, a 9600-baud UART): on
# the published NUCLEO-L4R5ZI-P kws run (v1.3) the energy windows last 0.1-0.3 % longer than the
# performance run predicts, and the performance run's own windows spread by ±0.15 % over the
# inputs. 3 % is ten times that. A window moved by one lost or extra edge gains or loses a whole
# input load and idle gap (the published runs spend 1.6-2 s loading a 490-byte kws input, 15 % of
# their windows; the larger inputs take longer) or becomes the gap itself. Where a gap is short
# enough for run + gap to fit within 3 % as well, the check sees that the neighbouring segment fits
# too and says it cannot tell (alignment_check), so a long window never passes by the tolerance.
RUN_TIME_TOLERANCE = 0.03

PERFORMANCE_DIR = "performance"
PERFORMANCE_FILES = ("results.txt", "result.txt")
ENERGY_DIRS = ("energy", "power")


@dataclass(frozen=True, slots=True)
class RunTiming:
    """The performance-mode throughput of the system that made an energy folder."""

    path: Path
    throughput_ips: float
    tolerance: float = RUN_TIME_TOLERANCE

    @classmethod
    def from_results(cls, results: PerformanceResults) -> RunTiming:
        return cls(results.path, results.median_throughput_ips)

    def expected_s(self, iterations: int) -> float:
        return iterations / self.throughput_ips

    def deviation(self, duration_s: float, iterations: int) -> float:
        """How much longer (> 0) or shorter the window lasts than its iterations take."""
        return duration_s / self.expected_s(iterations) - 1.0

    def fits(self, duration_s: float, iterations: int) -> bool:
        return iterations > 0 and abs(self.deviation(duration_s, iterations)) <= self.tolerance

    def describe(self, duration_s: float, iterations: int) -> str:
        dev = self.deviation(duration_s, iterations)
        where = "within" if abs(dev) <= self.tolerance else "beyond"
        return (
            f"lasts {duration_s:.3f} s; {iterations} inferences at the performance run's "
            f"{self.throughput_ips:g} inf/s take {self.expected_s(iterations):.3f} s "
            f"({dev * 100:+.2f} %, {where} ±{self.tolerance * 100:g} %)"
        )


def performance_path(energy_folder: Path) -> Path | None:
    """``<system>/<benchmark>/performance/results.txt`` beside ``<system>/<benchmark>/energy``."""
    if energy_folder.name.lower() not in ENERGY_DIRS:
        return None
    folder = energy_folder.parent / PERFORMANCE_DIR
    return next((folder / n for n in PERFORMANCE_FILES if (folder / n).is_file()), None)


def load_run_timing(energy_folder: Path) -> tuple[RunTiming | None, str | None]:
    """The sibling performance run's timing, and a note when it is there but unreadable (the
    energy folder is still scored, only without this evidence)."""
    path = performance_path(energy_folder)
    if path is None:
        return None, None
    try:
        return RunTiming.from_results(parse_performance_txt(path)), None
    except (TinyJouleError, OSError) as exc:
        return None, f"{exc} (no performance timing used for the alignment check)"
