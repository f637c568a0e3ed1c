"""MLPerf Tiny accuracy scoring (top-1 and ROC AUC) as the reference runner computes it.

Rules (spec section 5.2): a result vector with more than one value is normalised to sum to 1;
the vectors of one file (repeats, or ad01's windows) are averaged; top-1 is the share of files
whose averaged vector's argmax is the label; AUC is the Mann-Whitney statistic (what sklearn's
``roc_auc_score`` computes), on column 1 for two outputs, macro one-vs-rest for more, and on the
mean window MSE for ad01.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

Vector = Sequence[float] | np.ndarray


def normalise(vector: Vector) -> np.ndarray:
    """``vector / sum(vector)`` as float64.

    A vector summing to exactly 0 (a DUT that printed all zeros) becomes the uniform vector
    1/n: it carries no preference, and the reference runner's division by zero is avoided.
    Non-finite values raise ValueError, since no score can be made from them.
    """
    values = np.asarray(vector, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"a result vector must be a non-empty 1-D sequence, got {vector!r}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"a result vector must be finite, got {vector!r}")
    total = values.sum()
    if total == 0:
        return np.full(values.size, 1.0 / values.size)
    return values / total


def file_vector(vectors: Sequence[Vector]) -> np.ndarray:
    """One file's score vector: the mean of its vectors, each normalised if it has 2+ values."""
    if len(vectors) == 0:
        raise ValueError("a file needs at least one result vector")
    prepared = []
    for vector in vectors:
        values = np.asarray(vector, dtype=np.float64)
        prepared.append(normalise(values) if values.size > 1 else values.reshape(-1))
    if len({v.size for v in prepared}) != 1:
        raise ValueError(f"result vectors of one file differ in length: {vectors!r}")
    return np.mean(prepared, axis=0)


def _paired(
    predictions: Mapping[Hashable, Sequence[Vector]], labels: Mapping[Hashable, int]
) -> tuple[np.ndarray, np.ndarray]:
    if not predictions:
        raise ValueError("no predictions to score")
    missing = [key for key in predictions if key not in labels]
    if missing:
        raise ValueError(f"no label for {missing[:3]!r}")
    keys = list(predictions)
    vectors = [file_vector(predictions[key]) for key in keys]
    if len({v.size for v in vectors}) != 1:
        raise ValueError("files have result vectors of different lengths")
    return np.stack(vectors), np.array([int(labels[key]) for key in keys])


def top1_percent(
    predictions: Mapping[Hashable, Sequence[Vector]], labels: Mapping[Hashable, int]
) -> float:
    """Top-1 accuracy in %: files whose averaged normalised vector's argmax equals the label.

    ``predictions`` maps each file to its result vectors (one per ``infer``); ties in the
    argmax go to the lowest class index, as numpy's argmax (and the runner) do.
    """
    scores, truth = _paired(predictions, labels)
    return float(np.mean(np.argmax(scores, axis=1) == truth) * 100.0)


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    ranks = np.empty(values.size, dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], values.size]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + 1 + end) / 2.0
    return ranks


def roc_auc(scores: Vector, labels: Sequence[int] | np.ndarray) -> float:
    """Area under the ROC curve for binary ``labels`` (1 = positive), higher score = positive.

    Computed as the Mann-Whitney U statistic over n_pos * n_neg pairs, a tie counting 1/2,
    which equals the trapezoidal ROC area. ValueError if only one class is present.
    """
    values = np.asarray(scores, dtype=np.float64).reshape(-1)
    truth = np.asarray(labels).reshape(-1)
    if values.size != truth.size:
        raise ValueError(f"{values.size} scores but {truth.size} labels")
    if not np.all(np.isfinite(values)):
        raise ValueError("scores must be finite")
    if not np.all((truth == 0) | (truth == 1)):
        raise ValueError("labels must be 0 or 1")
    positive = truth == 1
    n_pos = int(positive.sum())
    n_neg = truth.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC AUC needs both classes among the labels, only one is present")
    rank_sum = _average_ranks(values)[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def ad_file_score(window_mses: Vector) -> float:
    """ad01 per-file anomaly score: the mean of its windows' reconstruction MSEs."""
    values = np.asarray(window_mses, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError("a file needs at least one window MSE")
    return float(values.mean())


def auc_from_vectors(
    predictions: Mapping[Hashable, Sequence[Vector]], labels: Mapping[Hashable, int]
) -> float:
    """The runner's AUC from per-file result vectors.

    One value per vector (ad01): AUC of the mean window MSE against label 1 = anomaly. Two:
    AUC of the averaged normalised column 1. More: the macro mean of one-vs-rest AUCs, which
    needs every class among the labels.
    """
    scores, truth = _paired(predictions, labels)
    n_columns = scores.shape[1]
    if n_columns == 1:
        return roc_auc(scores[:, 0], truth)
    if n_columns == 2:
        return roc_auc(scores[:, 1], truth)
    present = set(np.unique(truth).tolist())
    if present != set(range(n_columns)):
        raise ValueError(
            f"one-vs-rest AUC needs all {n_columns} classes among the labels, got {sorted(present)}"
        )
    return float(np.mean([roc_auc(scores[:, c], truth == c) for c in range(n_columns)]))
