"""Runs a workload's .tflite model on the host exactly as the reference DUT firmware would.

``results_vector`` gives the values the MLPerf Tiny reference firmware prints in
``m-results-[...]`` for the same ``db`` bytes: the same input conversion (kws01 raw int8,
vww01/ic01 uint8 minus 128, ad01 float32 quantised with round-half-away-from-zero), LiteRT's
reference kernels (the arithmetic of the TFLite Micro reference kernels), the same dequantisation
in float32 and the same printing (kws01 truncated digit by digit, the others ``%0.3f``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from tinyjoule.errors import ConfigurationError
from tinyjoule.tinyml_workloads._interpreter import open_interpreter
from tinyjoule.tinyml_workloads.model_info import (
    ModelInfo,
    TensorInfo,
    read_model_info,
    tensor_info,
)
from tinyjoule.tinyml_workloads.workloads import Workload


def _describe(tensor: TensorInfo) -> str:
    return f"{tensor.dtype} [{','.join(str(d) for d in tensor.shape)}]"


def quantize_int8(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """The firmware's QuantizeFloatToInt8: round(v / scale) + zp in float32, saturated."""
    ratio = (np.asarray(values, dtype=np.float32) / np.float32(scale)).astype(np.float64)
    rounded = np.where(ratio >= 0, np.floor(ratio + 0.5), np.ceil(ratio - 0.5))
    return np.clip(rounded + zero_point, -128, 127).astype(np.int8)


def dequantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """The firmware's DequantizeInt8ToFloat: (q - zp) * scale in float32."""
    centred = np.asarray(values, dtype=np.int32) - zero_point
    return (centred.astype(np.float32) * np.float32(scale)).astype(np.float32)


def kws_digits(value: float) -> str:
    """The KWS firmware's ``0.%d%d%d`` text: digits of int(v*10), int(v*100)%10, int(v*1000)%10.

    Products are float32 and C truncates toward zero (``%`` too), so 1.0 prints ``0.1000``;
    negative values, impossible with a softmax output, print text that is not a number.
    """
    v = np.float32(value)
    digits = [
        int(np.float32(v * np.float32(10))),
        int(math.fmod(int(np.float32(v * np.float32(100))), 10)),
        int(math.fmod(int(np.float32(v * np.float32(1000))), 10)),
    ]
    return "0." + "".join(str(d) for d in digits)


class ReferenceModel:
    """A workload's int8 .tflite model, checked against the workload, run like the firmware."""

    def __init__(self, path: Path, workload: Workload) -> None:
        self.path = Path(path)
        self.workload = workload
        self._interpreter = open_interpreter(self.path, kernels="reference")
        inputs = self._interpreter.get_input_details()
        outputs = self._interpreter.get_output_details()
        self._check(inputs, outputs)
        self._input_index = int(inputs[0]["index"])
        self._output_index = int(outputs[0]["index"])
        self.input = tensor_info(inputs[0])
        self.output = tensor_info(outputs[0])
        self._info: ModelInfo | None = None

    def _check(self, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> None:
        w = self.workload
        needs = (
            f"{w.id} needs one input int8 [{','.join(map(str, w.input_shape))}] and one output "
            f"int8 [{','.join(map(str, w.model_output_shape))}], both quantised"
        )
        has = "inputs " + "; ".join(_describe(tensor_info(d)) for d in inputs)
        has += ", outputs " + "; ".join(_describe(tensor_info(d)) for d in outputs)
        ok = len(inputs) == 1 and len(outputs) == 1
        if ok:
            given_in, given_out = tensor_info(inputs[0]), tensor_info(outputs[0])
            ok = (
                given_in.dtype == "int8"
                and given_in.shape == w.input_shape
                and given_out.dtype == "int8"
                and given_out.shape == w.model_output_shape
                and given_in.scale > 0
                and given_out.scale > 0
            )
        if not ok:
            raise ConfigurationError(
                f"model {self.path} does not match the workload {w.id}: it has {has}; {needs}. "
                f"Give the full-int8 {w.id} model (the official {w.official_model} or the "
                f"stand-in {w.standin_model})"
            )

    @property
    def info(self) -> ModelInfo:
        """Per-op MACs and parameters (read on first use)."""
        if self._info is None:
            self._info = read_model_info(self.path)
        return self._info

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one inference."""
        return self.info.total_macs

    def input_tensor(self, input_bytes: bytes) -> np.ndarray:
        """The int8 tensor the firmware hands the model for these ``db`` bytes."""
        w = self.workload
        if len(input_bytes) != w.input_bytes:
            raise ValueError(f"{w.id} takes {w.input_bytes} input bytes, got {len(input_bytes)}")
        if w.input_dtype == "int8":
            q = np.frombuffer(input_bytes, dtype=np.int8)
        elif w.input_dtype == "uint8":
            q = (np.frombuffer(input_bytes, dtype=np.uint8).astype(np.int16) - 128).astype(np.int8)
        else:
            values = np.frombuffer(input_bytes, dtype="<f4")
            q = quantize_int8(values, self.input.scale, self.input.zero_point)
        return q.reshape(self.input.shape)

    def _invoke(self, input_bytes: bytes) -> np.ndarray:
        self._interpreter.set_tensor(self._input_index, self.input_tensor(input_bytes))
        self._interpreter.invoke()
        return np.array(self._interpreter.get_tensor(self._output_index)).reshape(-1)

    def raw_outputs(self, input_bytes: bytes) -> np.ndarray:
        """Unrounded float32 values: dequantised class scores, or ad01's one reconstruction MSE."""
        output = dequantize(self._invoke(input_bytes), self.output.scale, self.output.zero_point)
        if self.workload.metric != "auc":
            return output
        window = np.frombuffer(input_bytes, dtype="<f4")
        squares = (output - window) * (output - window)
        total = np.add.accumulate(squares, dtype=np.float32)[-1]
        return np.array([total / np.float32(squares.size)], dtype=np.float32)

    def _texts(self, values: np.ndarray) -> list[str]:
        if self.workload.id == "kws01":
            return [kws_digits(float(v)) for v in values]
        return [f"{float(v):.3f}" for v in values]

    def printed_values(self, input_bytes: bytes) -> list[str]:
        """Each value as the firmware's text, in order."""
        return self._texts(self.raw_outputs(input_bytes))

    def results_vector(self, input_bytes: bytes) -> tuple[float, ...]:
        """The numbers the reference firmware prints in ``m-results-[...]`` for these bytes.

        For kws01 a negative score (impossible behind a softmax) has no numeric text in the
        firmware; it is returned truncated toward zero to three decimals instead.
        """
        values = self.raw_outputs(input_bytes)
        out = []
        for text, value in zip(self._texts(values), values, strict=True):
            try:
                out.append(float(text))
            except ValueError:
                out.append(math.trunc(float(value) * 1000) / 1000)
        return tuple(out)

    def results_line(self, input_bytes: bytes) -> str:
        """The full ``m-results-[...]`` line (vww01 with its trailing comma), without CR/LF."""
        body = ",".join(self.printed_values(input_bytes))
        if self.workload.results_trailing_comma:
            body += ","
        return f"m-results-[{body}]"
