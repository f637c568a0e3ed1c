"""The golden-output check: does the firmware run the model it is said to run?

In accuracy mode, with the model known (``--model``, or the simulated DUT's own), the same
model runs on the host through LiteRT for every input the DUT was sent, and its result
vector (as the reference firmware would print it) is compared with the DUT's: top-1
agreement, the largest difference of the dequantised outputs, and the inputs that
disagree. A port that disagrees beyond the thresholds below is flagged: a wrong model
flashed, a quantisation mismatch, a pre-processing bug.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinyjoule.tinyml_workloads.reference import ReferenceModel
from tinyjoule.tinyml_workloads.workloads import Workload

MIN_TOP1_AGREEMENT = 98.0
"""Percent of inputs whose top-1 class must agree (kernel differences may flip near-ties)."""
MAX_SCORE_DIFFERENCE = 0.05
"""Largest allowed difference of a dequantised class score (scores are probabilities)."""
MAX_MSE_RELATIVE_DIFFERENCE = 0.05
"""ad01: largest allowed relative difference of a window's reconstruction error."""
LISTED_INPUTS = 20


@dataclass
class GoldenCheck:
    """Accumulates DUT-vs-host comparisons input by input."""

    model_path: Path
    workload: Workload
    model: ReferenceModel = field(init=False)
    compared: int = 0
    top1_agreed: int = 0
    max_difference: float = 0.0
    disagreeing: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.model = ReferenceModel(self.model_path, self.workload)

    def compare(self, name: str, data: bytes, dut: tuple[float, ...]) -> None:
        host = np.asarray(self.model.results_vector(data), dtype=np.float64)
        got = np.asarray(dut, dtype=np.float64)
        self.compared += 1
        if self.workload.metric == "auc":
            scale = max(abs(float(host[0])), 1e-12)
            difference = float(abs(got[0] - host[0]) / scale)
            agrees = difference <= MAX_MSE_RELATIVE_DIFFERENCE
        else:
            difference = float(np.max(np.abs(got - host))) if len(got) == len(host) else np.inf
            top1 = len(got) == len(host) and int(np.argmax(got)) == int(np.argmax(host))
            self.top1_agreed += int(top1)
            agrees = top1 and difference <= MAX_SCORE_DIFFERENCE
        self.max_difference = max(self.max_difference, difference)
        if not agrees and name not in self.disagreeing:
            self.disagreeing.append(name)

    def result(self) -> dict[str, Any]:
        classifier = self.workload.metric != "auc"
        agreement = 100.0 * self.top1_agreed / self.compared if self.compared else None
        if classifier:
            flagged = bool(
                self.compared
                and (agreement < MIN_TOP1_AGREEMENT or self.max_difference > MAX_SCORE_DIFFERENCE)
            )
            rule = (
                f"top-1 agreement >= {MIN_TOP1_AGREEMENT:g} % and every dequantised score "
                f"within {MAX_SCORE_DIFFERENCE:g} of the host's"
            )
        else:
            flagged = self.max_difference > MAX_MSE_RELATIVE_DIFFERENCE
            rule = (
                f"every window's reconstruction error within {100 * MAX_MSE_RELATIVE_DIFFERENCE:g}"
                " % of the host's"
            )
        return {
            "model": str(self.model_path),
            "model_sha256": hashlib.sha256(self.model_path.read_bytes()).hexdigest(),
            "inputs_compared": self.compared,
            "top1_agreement_percent": agreement if classifier else None,
            "max_output_difference": self.max_difference,
            "difference_is": "absolute score" if classifier else "relative window MSE",
            "disagreeing_inputs": self.disagreeing[:LISTED_INPUTS],
            "disagreeing_count": len(self.disagreeing),
            "passes_when": rule,
            "flagged": flagged,
        }


def verdict_text(golden: dict[str, Any]) -> str:
    """One line for the log and the console."""
    agreement = golden["top1_agreement_percent"]
    head = f"golden-output check against {Path(golden['model']).name}: "
    if agreement is not None:
        head += f"top-1 agreement {agreement:.1f} %, "
    head += f"largest difference {golden['max_output_difference']:.4g} ({golden['difference_is']})"
    if not golden["flagged"]:
        return head + "; the DUT runs this model"
    listed = ", ".join(golden["disagreeing_inputs"][:5])
    return (
        f"WARNING {head}; {golden['disagreeing_count']} input(s) disagree ({listed}): the "
        "firmware does not compute what this model does (wrong model flashed, quantisation "
        f"mismatch or pre-processing bug); it passes when {golden['passes_when']}"
    )
