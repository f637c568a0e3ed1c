"""The host reference model: loads each stand-in, prints like the firmware, rejects mismatches."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tinyjoule.errors import ConfigurationError
from tinyjoule.tinyml_workloads.datasets import open_dataset
from tinyjoule.tinyml_workloads.reference import (
    ReferenceModel,
    dequantize,
    kws_digits,
    quantize_int8,
)
from tinyjoule.tinyml_workloads.workloads import WORKLOADS

RUNNER_RESULTS = re.compile(r"^m-results-\[([^]]+)\]$")


def runner_parse(line: str) -> tuple[float, ...]:
    """How the MLPerf Tiny runner reads a results line: split on commas, skip empty items."""
    match = RUNNER_RESULTS.match(line)
    assert match, line
    return tuple(float(item) for item in match.group(1).split(",") if item)


@pytest.mark.parametrize("wid", ["kws01", "vww01", "ic01", "ad01"])
def test_each_stand_in_gives_n_outputs_values(
    wid: str, standin_models: dict[str, ReferenceModel], synthetic_root: Path
) -> None:
    model = standin_models[wid]
    w = WORKLOADS[wid]
    dataset = open_dataset(synthetic_root, w)
    data = dataset.first_input(dataset.files[0])
    vector = model.results_vector(data)
    assert len(vector) == w.n_outputs
    assert runner_parse(model.results_line(data)) == vector
    if w.metric == "top1":
        assert all(0.0 <= v < 1.0 for v in vector)
        assert sum(vector) == pytest.approx(1.0, abs=0.05)
    else:
        assert vector[0] > 0.0


def test_vww_results_round_trip_with_the_trailing_comma(
    standin_models: dict[str, ReferenceModel], synthetic_root: Path
) -> None:
    model = standin_models["vww01"]
    dataset = open_dataset(synthetic_root, WORKLOADS["vww01"])
    for file in dataset.files:
        data = dataset.first_input(file)
        line = model.results_line(data)
        assert re.fullmatch(r"m-results-\[\d\.\d{3},\d\.\d{3},\]", line), line
        assert runner_parse(line) == model.results_vector(data)
        assert int(np.argmax(model.results_vector(data))) == file.label


def test_kws_prints_three_truncated_digits(
    standin_models: dict[str, ReferenceModel], synthetic_root: Path
) -> None:
    model = standin_models["kws01"]
    dataset = open_dataset(synthetic_root, WORKLOADS["kws01"])
    data = dataset.first_input(dataset.files[0])
    assert re.fullmatch(r"m-results-\[0\.\d{3}(,0\.\d{3}){11}\]", model.results_line(data))
    raw = model.raw_outputs(data)
    for printed, value in zip(model.results_vector(data), raw, strict=True):
        assert printed == pytest.approx(np.floor(value * 1000) / 1000, abs=1e-9)


def test_kws_digits_like_the_firmware() -> None:
    assert kws_digits(0.0625) == "0.062"  # truncated, where %0.3f would round
    assert kws_digits(0.99609375) == "0.996"
    assert kws_digits(0.0) == "0.000"
    assert kws_digits(1.0) == "0.1000"  # the firmware's own quirk


def test_quantise_rounds_half_away_from_zero_and_saturates() -> None:
    values = np.array([0.5, -0.5, 2.5, -2.5, 0.49, 1000.0, -1000.0], dtype=np.float32)
    assert quantize_int8(values, 1.0, 0).tolist() == [1, -1, 3, -3, 0, 127, -128]
    assert quantize_int8(np.array([0.0], dtype=np.float32), 0.5, 10).tolist() == [10]
    assert dequantize(np.array([-128, 127]), 1 / 256, -128).tolist() == [0.0, 0.99609375]


def test_uint8_inputs_are_shifted_by_128(standin_models: dict[str, ReferenceModel]) -> None:
    model = standin_models["ic01"]
    data = bytes([0, 127, 128, 255]) * (3072 // 4)
    tensor = model.input_tensor(data)
    assert tensor.shape == (1, 32, 32, 3)
    assert tensor.dtype == np.int8
    assert tensor.reshape(-1)[:4].tolist() == [-128, -1, 0, 127]
    kws = standin_models["kws01"]
    raw = bytes(range(256)) + bytes(234)
    assert kws.input_tensor(raw).reshape(-1).tobytes() == raw


def test_ad01_result_is_the_mse_of_the_dequantised_reconstruction(
    standin_models: dict[str, ReferenceModel], synthetic_root: Path
) -> None:
    from ai_edge_litert.interpreter import Interpreter

    model = standin_models["ad01"]
    dataset = open_dataset(synthetic_root, WORKLOADS["ad01"])
    window = dataset.read_inputs(dataset.files[-1])[5]
    floats = np.frombuffer(window, dtype="<f4").astype(np.float64)
    interpreter = Interpreter(model_path=str(model.path))
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    s_in, zp_in = inp["quantization"]
    q = np.clip(np.sign(floats / s_in) * np.floor(np.abs(floats / s_in) + 0.5) + zp_in, -128, 127)
    interpreter.set_tensor(inp["index"], q.astype(np.int8).reshape(1, 640))
    interpreter.invoke()
    s_out, zp_out = out["quantization"]
    recon = (interpreter.get_tensor(out["index"]).astype(np.float64) - zp_out) * s_out
    expected = float(np.mean((recon.reshape(-1) - floats) ** 2))
    assert model.results_vector(window)[0] == pytest.approx(expected, abs=1.5e-3)
    assert model.results_line(window) == f"m-results-[{model.raw_outputs(window)[0]:.3f}]"


def test_wrong_input_length(standin_models: dict[str, ReferenceModel]) -> None:
    with pytest.raises(ValueError, match="490 input bytes, got 10"):
        standin_models["kws01"].results_vector(bytes(10))


def test_model_of_another_workload_is_refused() -> None:
    path = WORKLOADS["ic01"].standin_model_path
    with pytest.raises(ConfigurationError) as info:
        ReferenceModel(path, WORKLOADS["kws01"])
    message = str(info.value)
    assert str(path) in message
    assert "does not match the workload kws01" in message
    assert "int8 [1,32,32,3]" in message  # what it has
    assert "int8 [1,49,10,1]" in message  # what kws01 needs
    assert "kws_ref_model.tflite" in message


def test_missing_and_corrupt_model_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        ReferenceModel(tmp_path / "none.tflite", WORKLOADS["kws01"])
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer" * 10)
    with pytest.raises(ConfigurationError, match="cannot be loaded"):
        ReferenceModel(bad, WORKLOADS["kws01"])


def test_missing_litert_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime", None)
    monkeypatch.setitem(sys.modules, "tflite_runtime.interpreter", None)
    with pytest.raises(ConfigurationError, match="pip install ai-edge-litert"):
        ReferenceModel(WORKLOADS["kws01"].standin_model_path, WORKLOADS["kws01"])


def test_macs_come_from_model_info(standin_models: dict[str, ReferenceModel]) -> None:
    model = standin_models["ad01"]
    assert model.macs == model.info.total_macs == 264192


def test_no_tensorflow_needed() -> None:
    import tinyjoule.tinyml_workloads  # noqa: F401

    assert "tensorflow" not in sys.modules
