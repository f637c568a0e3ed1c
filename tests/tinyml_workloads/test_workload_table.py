"""The workload table agrees with the DUT protocol spec (sections 1.5, 1.6, 1.8, 4.3-4.4, 5, 7)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tinyjoule.errors import ConfigurationError
from tinyjoule.tinyml_workloads.workloads import (
    WORKLOADS,
    default_workload_ids,
    get_workload,
    resolve_workload_ids,
)

IDS = ("kws01", "vww01", "ic01", "ad01", "ic02", "sww01")
CLASSIC = ("kws01", "vww01", "ic01", "ad01")


def test_the_workloads_keyed_by_id() -> None:
    assert tuple(WORKLOADS) == IDS
    assert all(w.id == wid for wid, w in WORKLOADS.items())


def test_the_default_run_keeps_the_four_classic_workloads_and_all_means_every_one() -> None:
    assert default_workload_ids() == CLASSIC
    assert resolve_workload_ids(["all"]) == IDS
    assert resolve_workload_ids(["sww01", "all", "ic02"]) == ("sww01", *IDS[:4], "ic02")
    with pytest.raises(ConfigurationError, match="all"):
        resolve_workload_ids(["ic03"])


def test_ic02_is_the_large_resnet_on_the_ic01_data() -> None:
    ic01, ic02 = WORKLOADS["ic01"], WORKLOADS["ic02"]
    assert (ic02.data_folder, ic01.data_folder) == ("ic01", "ic01")
    for name in ("input_bytes", "input_dtype", "input_shape", "class_names", "n_outputs"):
        assert getattr(ic02, name) == getattr(ic01, name)
    assert (ic02.metric, ic02.quality_target) == ("top1", 91.0)
    assert ic02.official_model == "pretrainedResnet_large_int8.tflite"
    assert ic02.flow == "windows" and not ic02.in_default_run


def test_sww01_streams_and_is_scored_on_detections() -> None:
    sww = WORKLOADS["sww01"]
    assert sww.flow == "stream" and not sww.in_default_run
    assert (sww.input_shape, sww.input_dtype, sww.model_output_shape) == (
        (1, 30, 1, 40),
        "int8",
        (1, 3),
    )
    assert (sww.metric, sww.quality_target) == ("detections", 8.0)
    assert {sww.baud(m) for m in ("performance", "accuracy", "energy")} == {115200}
    assert [w.id for w in WORKLOADS.values() if w.flow == "stream"] == ["sww01"]


@pytest.mark.parametrize("wid", IDS)
def test_input_shape_and_dtype_account_for_every_byte(wid: str) -> None:
    w = WORKLOADS[wid]
    assert int(np.prod(w.input_shape)) * np.dtype(w.input_dtype).itemsize == w.input_bytes
    assert w.input_bytes <= w.max_db_input_size


@pytest.mark.parametrize(
    ("wid", "input_bytes", "dtype", "n_outputs", "max_db"),
    [
        ("kws01", 490, "int8", 12, 490),
        ("vww01", 27648, "uint8", 2, 27648),
        ("ic01", 3072, "uint8", 10, 3072),
        ("ad01", 2560, "float32", 1, 5120),
    ],
)
def test_sizes_from_the_spec(
    wid: str, input_bytes: int, dtype: str, n_outputs: int, max_db: int
) -> None:
    w = WORKLOADS[wid]
    assert (w.input_bytes, w.input_dtype, w.n_outputs, w.max_db_input_size) == (
        input_bytes,
        dtype,
        n_outputs,
        max_db,
    )


def test_class_names_in_reference_label_order() -> None:
    assert WORKLOADS["kws01"].class_names == (
        "down",
        "go",
        "left",
        "no",
        "off",
        "on",
        "right",
        "stop",
        "up",
        "yes",
        "silence",
        "unknown",
    )
    assert WORKLOADS["vww01"].class_names == ("no_person", "person")
    assert WORKLOADS["ic01"].class_names[:3] == ("airplane", "automobile", "bird")
    assert len(WORKLOADS["ic01"].class_names) == 10
    assert WORKLOADS["ad01"].class_names == ("normal", "anomaly")
    for w in WORKLOADS.values():
        if w.metric == "top1":
            assert w.n_outputs == len(w.class_names)


@pytest.mark.parametrize(
    ("wid", "metric", "target"),
    [
        ("kws01", "top1", 90.0),
        ("vww01", "top1", 80.0),
        ("ic01", "top1", 85.0),
        ("ad01", "auc", 0.85),
        ("ic02", "top1", 91.0),
    ],
)
def test_metric_and_quality_target(wid: str, metric: str, target: float) -> None:
    assert (WORKLOADS[wid].metric, WORKLOADS[wid].quality_target) == (metric, target)


@pytest.mark.parametrize(
    ("wid", "performance", "energy"),
    [
        ("kws01", (70, 10), (70, 10)),
        ("vww01", (20, 5), (20, 5)),
        ("ic01", (20, 5), (20, 0)),
        ("ad01", (1500, 10), (1500, 0)),
    ],
)
def test_infer_counts_per_mode(
    wid: str, performance: tuple[int, int], energy: tuple[int, int]
) -> None:
    w = WORKLOADS[wid]
    assert w.iterations("performance") == performance
    assert w.iterations("energy") == energy
    assert w.iterations("accuracy") == (1, 0)


def test_baud_rates_per_mode() -> None:
    for wid in ("kws01", "vww01", "ic01"):
        w = WORKLOADS[wid]
        assert (w.baud("performance"), w.baud("accuracy"), w.baud("energy")) == (
            115200,
            115200,
            9600,
        )
    ad = WORKLOADS["ad01"]
    assert (ad.baud("performance"), ad.baud("accuracy"), ad.baud("energy")) == (
        921600,
        921600,
        9600,
    )
    with pytest.raises(ValueError, match="mode"):
        ad.baud("fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode"):
        ad.iterations("fast")  # type: ignore[arg-type]


def test_only_ad01_is_windowed_and_only_vww01_has_a_trailing_comma() -> None:
    assert [w.id for w in WORKLOADS.values() if w.windowed] == ["ad01"]
    assert (WORKLOADS["ad01"].window_bytes, WORKLOADS["ad01"].stride_bytes) == (2560, 512)
    assert [w.id for w in WORKLOADS.values() if w.results_trailing_comma] == ["vww01"]


def test_stand_in_models_are_committed() -> None:
    for w in WORKLOADS.values():
        assert w.standin_model_path.is_file(), w.standin_model_path


def test_get_workload_and_unknown_id() -> None:
    assert get_workload("ic01") is WORKLOADS["ic01"]
    with pytest.raises(ConfigurationError) as info:
        get_workload("ic03")
    message = str(info.value)
    assert "'ic03'" in message
    assert all(wid in message for wid in IDS)


def test_records_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        WORKLOADS["kws01"].input_bytes = 1  # type: ignore[misc]
