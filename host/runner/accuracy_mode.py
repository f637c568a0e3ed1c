"""Accuracy mode: every dataset input through the DUT with ``infer 1 0``, scored on the host.

Top-1 for the classifiers (each result vector normalised, repeats averaged per file); for
ad01 each file's score is the mean of its windows' reconstruction MSE and the AUC is taken
over files, as the MLPerf Tiny runner scores it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tinyjoule.errors import ConfigurationError, MeasurementError
from tinyjoule.host.link.dut_link import DutLink
from tinyjoule.host.results.session import WorkloadRecord
from tinyjoule.host.runner.golden_check import GoldenCheck, verdict_text
from tinyjoule.tinyml_workloads import metrics
from tinyjoule.tinyml_workloads.datasets import Dataset
from tinyjoule.tinyml_workloads.workloads import Workload

ACCURACY_TIMEOUT_S = 30.0


def _shown(values: tuple[float, ...]) -> str:
    text = ", ".join(str(v) for v in values[:12])
    return f"[{text}{', ...' if len(values) > 12 else ''}]"


def run_accuracy(
    link: DutLink,
    workload: Workload,
    dataset: Dataset,
    record: WorkloadRecord,
    on_file: Callable[[], None],
    golden: GoldenCheck | None = None,
) -> dict[str, Any]:
    vectors: dict[str, list[tuple[float, ...]]] = {}
    labels: dict[str, int] = {}
    for file in dataset.files:
        key = file.path.name
        labels[key] = file.label
        vectors[key] = []
        for data in dataset.read_inputs(file):
            link.load(data)
            reply = link.infer(1, 0, ACCURACY_TIMEOUT_S)
            if len(reply.results) != workload.n_outputs:
                raise ConfigurationError(
                    f"{link.device}: the DUT printed {len(reply.results)} result value(s) for "
                    f"{key} but {workload.id} has {workload.n_outputs}; is the firmware built "
                    f"for {workload.id}?"
                )
            if not all(math.isfinite(v) for v in reply.results):
                record.log(f"{key}: non-finite result vector {list(reply.results)}")
                raise MeasurementError(
                    f"{link.device}: the DUT printed a result vector with NaN or infinity for "
                    f"{key} ({_shown(reply.results)}); its model's output is broken for this "
                    "input (check the model and the input scaling/quantisation); the files "
                    "scored so far are kept"
                )
            vectors[key].append(reply.results)
            if golden is not None:
                golden.compare(key, data, reply.results)
        record.log(f"{key}: label {file.label}, {len(vectors[key])} result(s)")
        on_file()
        # every result vector so far, so a failure later loses nothing measured
        record.update(
            scored_files=len(vectors),
            results_by_file={k: {"label": labels[k], "results": vectors[k]} for k in vectors},
        )
    summary = score(workload, vectors, labels, official=not record.data.get("synthetic_dataset"))
    if golden is not None:
        summary["golden"] = golden.result()
        record.log(verdict_text(summary["golden"]))
    record.update(**summary)
    record.write_mode_results(summary)
    return summary


def score(
    workload: Workload,
    vectors: dict[str, list[tuple[float, ...]]],
    labels: dict[str, int],
    official: bool,
) -> dict[str, Any]:
    """Top-1 or AUC against the dataset's labels with the quality-target verdict; on
    synthetic data (labels made by the reference model itself) the same figure is
    agreement with that model, and no verdict is given."""
    summary: dict[str, Any] = {"files": len(vectors)}
    if workload.metric == "auc":
        scores = [metrics.ad_file_score([v[0] for v in vectors[k]]) for k in vectors]
        auc = metrics.roc_auc(scores, [labels[k] for k in vectors])
        if not official:
            return {**summary, "synthetic_auc": auc}
        return {**summary, "auc": auc, "quality_target": workload.quality_target,
                "meets_target": auc >= workload.quality_target}  # fmt: skip
    top1 = metrics.top1_percent(vectors, labels)
    if not official:
        return {**summary, "reference_agreement_percent": top1}
    return {**summary, "top1": top1, "quality_target": workload.quality_target,
            "meets_target": top1 >= workload.quality_target}  # fmt: skip
