"""Top-1 and ROC AUC scoring: hand-computed cases and properties of the AUC."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.tinyml_workloads.metrics import (
    ad_file_score,
    auc_from_vectors,
    file_vector,
    normalise,
    roc_auc,
    top1_percent,
)


def pairwise_auc(scores: list[int], labels: list[int]) -> float:
    """The definition: P(score of a positive > score of a negative), ties counting 1/2."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    neg = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_normalise() -> None:
    assert np.allclose(normalise([1, 3]), [0.25, 0.75])
    assert normalise([0.2, 0.3, 0.5]).sum() == pytest.approx(1.0)
    assert np.array_equal(normalise([0, 0, 0, 0]), [0.25] * 4)
    with pytest.raises(ValueError, match="finite"):
        normalise([0.5, float("nan")])
    with pytest.raises(ValueError, match="non-empty"):
        normalise([])


def test_file_vector_normalises_each_repeat_then_averages() -> None:
    assert np.allclose(file_vector([[3, 1], [0, 1]]), [0.375, 0.625])
    assert np.allclose(file_vector([[4.0], [2.0]]), [3.0])  # single values are not normalised
    with pytest.raises(ValueError, match="differ in length"):
        file_vector([[1, 0], [1, 0, 0]])


def test_top1_percent() -> None:
    predictions = {
        "a": [[0.1, 0.9]],
        "b": [[0.8, 0.2]],
        "c": [[3, 1], [0, 1]],  # raw mean says 0; normalised mean (the runner's) says 1
        "d": [[0.0, 0.0]],  # all zero: uniform, argmax goes to class 0
    }
    labels = {"a": 1, "b": 1, "c": 1, "d": 0}
    assert top1_percent(predictions, labels) == pytest.approx(75.0)
    with pytest.raises(ValueError, match="no label"):
        top1_percent({"x": [[1, 0]]}, {})
    with pytest.raises(ValueError, match="no predictions"):
        top1_percent({}, {})


def test_roc_auc_hand_computed() -> None:
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert roc_auc([0.5, 0.5, 0.2, 0.9], [0, 1, 0, 1]) == pytest.approx(0.875)
    assert roc_auc([1, 1, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.5)
    assert roc_auc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert roc_auc([1, 2, 3, 4], [1, 1, 0, 0]) == 0.0
    assert roc_auc(np.array([2.0, 1.0, 2.0]), np.array([True, False, False])) == 0.75


def test_roc_auc_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="only one is present"):
        roc_auc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="scores but"):
        roc_auc([0.1, 0.2], [1])
    with pytest.raises(ValueError, match="0 or 1"):
        roc_auc([0.1, 0.2], [0, 2])
    with pytest.raises(ValueError, match="finite"):
        roc_auc([0.1, float("inf")], [0, 1])


both_classes = st.lists(
    st.tuples(st.integers(-20, 20), st.integers(0, 1)), min_size=2, max_size=40
).filter(lambda rows: len({y for _, y in rows}) == 2)


@settings(max_examples=150, deadline=None)
@given(both_classes)
def test_roc_auc_matches_the_pairwise_definition(rows: list[tuple[int, int]]) -> None:
    scores, labels = zip(*rows, strict=True)
    assert roc_auc(scores, labels) == pytest.approx(pairwise_auc(list(scores), list(labels)))


@settings(max_examples=150, deadline=None)
@given(both_classes)
def test_roc_auc_invariant_under_monotone_transforms(rows: list[tuple[int, int]]) -> None:
    scores, labels = zip(*rows, strict=True)
    base = roc_auc(scores, labels)
    assert roc_auc([3 * s**3 + 7 for s in scores], labels) == pytest.approx(base)
    assert roc_auc(np.exp(np.array(scores) / 4.0), labels) == pytest.approx(base)


@settings(max_examples=150, deadline=None)
@given(both_classes)
def test_roc_auc_of_flipped_labels_or_negated_scores(rows: list[tuple[int, int]]) -> None:
    scores, labels = zip(*rows, strict=True)
    base = roc_auc(scores, labels)
    assert roc_auc(scores, [1 - y for y in labels]) == pytest.approx(1.0 - base)
    assert roc_auc([-s for s in scores], labels) == pytest.approx(1.0 - base)
    assert 0.0 <= base <= 1.0


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 10), st.integers(1, 10), st.integers(-5, 5))
def test_all_tied_scores_give_one_half(n_pos: int, n_neg: int, score: int) -> None:
    assert roc_auc([score] * (n_pos + n_neg), [1] * n_pos + [0] * n_neg) == pytest.approx(0.5)


def test_ad_file_score_is_the_mean() -> None:
    assert ad_file_score([1.0, 2.0, 6.0]) == pytest.approx(3.0)
    with pytest.raises(ValueError):
        ad_file_score([])


def test_auc_from_vectors_per_output_count() -> None:
    ad = {"n1": [[1.0], [3.0]], "n2": [[2.5]], "a1": [[4.0], [6.0]], "a2": [[2.0]]}
    ad_labels = {"n1": 0, "n2": 0, "a1": 1, "a2": 1}
    assert auc_from_vectors(ad, ad_labels) == pytest.approx(
        roc_auc([2.0, 2.5, 5.0, 2.0], [0, 0, 1, 1])
    )
    binary = {"x": [[0.9, 0.1]], "y": [[0.2, 0.8]], "z": [[0.6, 0.4]]}
    assert auc_from_vectors(binary, {"x": 0, "y": 1, "z": 1}) == pytest.approx(1.0)
    three = {"p": [[0.7, 0.2, 0.1]], "q": [[0.2, 0.5, 0.3]], "r": [[0.1, 0.6, 0.3]]}
    labels3 = {"p": 0, "q": 1, "r": 2}
    scores = np.array([v[0] for v in three.values()])
    expected = np.mean([roc_auc(scores[:, c], np.arange(3) == c) for c in range(3)])
    assert auc_from_vectors(three, labels3) == pytest.approx(expected)
    with pytest.raises(ValueError, match="all 3 classes"):
        auc_from_vectors(three, {"p": 0, "q": 1, "r": 1})
