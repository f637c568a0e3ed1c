"""MACs and parameters per op; the stand-ins against the published MLPerf Tiny totals."""

from __future__ import annotations

import json

import pytest

from tinyjoule.tinyml_workloads.model_info import (
    conv_macs,
    depthwise_macs,
    format_table,
    fully_connected_macs,
    read_model_info,
)
from tinyjoule.tinyml_workloads.workloads import WORKLOADS

PUBLISHED_MACS = {
    "kws01": 2.7e6,
    "vww01": 7.5e6,
    "ic01": 12.5e6,
    "ad01": 0.26e6,
    "ic02": 76.5e6,  # pretrainedResnet_large_int8.tflite
}
# Ops in the reference firmware's MicroMutableOpResolver for each workload.
FIRMWARE_OPS = {
    "kws01": {
        "FULLY_CONNECTED",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "RESHAPE",
        "SOFTMAX",
        "AVERAGE_POOL_2D",
    },
    "vww01": {
        "FULLY_CONNECTED",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "RESHAPE",
        "SOFTMAX",
        "AVERAGE_POOL_2D",
    },
    "ic01": {
        "ADD",
        "FULLY_CONNECTED",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "RESHAPE",
        "SOFTMAX",
        "AVERAGE_POOL_2D",
    },
    "ad01": {"FULLY_CONNECTED", "QUANTIZE", "DEQUANTIZE"},
    "ic02": {"ADD", "FULLY_CONNECTED", "CONV_2D", "RESHAPE", "SOFTMAX", "AVERAGE_POOL_2D"},
}


def test_mac_formulas() -> None:
    assert conv_macs((1, 25, 5, 64), (64, 10, 4, 1)) == 25 * 5 * 64 * 10 * 4
    assert conv_macs((1, 8, 8, 32), (32, 3, 3, 8)) == 8 * 8 * 32 * 9 * 8  # grouped: in_c/g = 8
    assert depthwise_macs((1, 25, 5, 64), (1, 3, 3, 64)) == 25 * 5 * 64 * 9
    assert fully_connected_macs((1, 12), (12, 64)) == 768
    assert fully_connected_macs((4, 10), (10, 20)) == 4 * 200


@pytest.mark.parametrize("wid", list(PUBLISHED_MACS))
def test_stand_in_totals_near_the_published_models(wid: str) -> None:
    info = read_model_info(WORKLOADS[wid].standin_model_path)
    assert info.total_macs == pytest.approx(PUBLISHED_MACS[wid], rel=0.15)
    assert info.total_macs == sum(op.macs for op in info.ops)
    assert {op.op_type for op in info.ops} <= FIRMWARE_OPS[wid]


@pytest.mark.parametrize(
    ("wid", "scale", "zero_point"),
    [
        ("kws01", 0.5847, 83),
        ("vww01", 1 / 255, -128),
        ("ic01", 1.0, -128),
        ("ad01", 0.3910, 89),
        ("ic02", 1.0, -128),
    ],
)
def test_stand_in_io_quantisation_close_to_the_reference(
    wid: str, scale: float, zero_point: int
) -> None:
    w = WORKLOADS[wid]
    info = read_model_info(w.standin_model_path)
    (inp,), (out,) = info.inputs, info.outputs
    assert (inp.dtype, inp.shape, out.dtype, out.shape) == (
        "int8",
        w.input_shape,
        "int8",
        w.model_output_shape,
    )
    assert inp.scale == pytest.approx(scale, rel=0.01)
    assert inp.zero_point == zero_point
    if w.metric == "top1":
        assert (out.scale, out.zero_point) == (1 / 256, -128)


def test_kws_ops_in_detail() -> None:
    info = read_model_info(WORKLOADS["kws01"].standin_model_path)
    first = info.ops[0]
    assert first.op_type == "CONV_2D"
    assert first.input_shapes[:2] == ((1, 49, 10, 1), (64, 10, 4, 1))
    assert first.output_shape == (1, 25, 5, 64)
    assert first.macs == 320_000
    assert first.params == 64 * 10 * 4 + 64
    fc = next(op for op in info.ops if op.op_type == "FULLY_CONNECTED")
    assert (fc.macs, fc.params) == (768, 64 * 12 + 12)
    assert all(op.macs == 0 for op in info.ops if op.op_type in {"SOFTMAX", "AVERAGE_POOL_2D"})
    assert info.total_params == sum(op.params for op in info.ops)


def test_to_dict_and_table() -> None:
    info = read_model_info(WORKLOADS["ic01"].standin_model_path)
    data = json.loads(json.dumps(info.to_dict()))
    assert data["total_macs"] == info.total_macs
    assert data["inputs"][0]["shape"] == [1, 32, 32, 3]
    assert data["ops"][0]["op_type"] == "CONV_2D"
    table = format_table(info)
    assert f"{info.total_macs:,}" in table
    assert "ADD" in table and "zero_point=-128" in table
    assert table.splitlines()[-1].split()[0] == "total"


def test_ic02_is_ic01_s_resnet_eight_at_two_and_a_half_times_the_width() -> None:
    """76.5 M MACs and about 480 k parameters (the 512,024-byte reference file's size)."""
    small = read_model_info(WORKLOADS["ic01"].standin_model_path)
    large = read_model_info(WORKLOADS["ic02"].standin_model_path)
    assert [op.op_type for op in large.ops] == [op.op_type for op in small.ops]
    assert large.total_macs == 76_473_920
    assert large.ops[0].output_shape == (1, 32, 32, 40)
    assert 450_000 < large.total_params < 512_024
    assert large.inputs[0].shape == small.inputs[0].shape


def test_sww01_stand_in_is_the_ds_tcn_on_the_reference_input() -> None:
    """str_ww_ref_model.tflite's I/O (spec 7): int8 [1,30,1,40] s=0.00370 zp=-128 in, int8
    [1,3] s=1/256 zp=-128 out; four depthwise + pointwise blocks take 30 frames to 1."""
    info = read_model_info(WORKLOADS["sww01"].standin_model_path)
    (inp,), (out,) = info.inputs, info.outputs
    assert (inp.dtype, inp.shape, inp.zero_point) == ("int8", (1, 30, 1, 40), -128)
    assert inp.scale == pytest.approx(0.00370, rel=0.01)
    assert (out.dtype, out.shape, out.scale, out.zero_point) == ("int8", (1, 3), 1 / 256, -128)
    kinds = [op.op_type for op in info.ops]
    assert kinds == ["DEPTHWISE_CONV_2D", "CONV_2D"] * 4 + ["FULLY_CONNECTED", "SOFTMAX"]
    frames = [op.output_shape[1] for op in info.ops if op.op_type == "DEPTHWISE_CONV_2D"]
    assert frames == [28, 24, 15, 1]
    by_hand = 28 * 40 * 3 + 28 * 128 * 40 + 24 * 128 * 5 + 24 * 64 * 128
    by_hand += 15 * 64 * 10 + 15 * 64 * 64 + 64 * 15 + 32 * 64 + 32 * 3
    assert info.total_macs == by_hand == 432_832
