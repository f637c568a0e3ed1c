"""Per-op MACs and parameters of a .tflite model, read through the LiteRT interpreter."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinyjoule.tinyml_workloads._interpreter import open_interpreter

# Ops whose constant inputs (weights and int32 biases alike) are all parameters.
WEIGHTED_OPS = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV"})
# Constant int32/int64 inputs of other ops are shapes, axes or paddings, not parameters.
INDEX_DTYPES = frozenset({"int32", "int64"})


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """A model input or output: quantised with ``real = scale * (q - zero_point)``."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: float
    zero_point: int


@dataclass(frozen=True, slots=True)
class OpInfo:
    """One operator in execution order, with its multiply-accumulates and parameters."""

    index: int
    op_type: str
    input_shapes: tuple[tuple[int, ...], ...]
    output_shape: tuple[int, ...]
    macs: int
    params: int


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a .tflite model takes, gives and costs."""

    path: Path
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    ops: tuple[OpInfo, ...]
    total_macs: int
    total_params: int
    size_bytes: int = 0
    """The .tflite file: what the model takes in flash, with its graph."""
    weights_bytes: int = 0
    """Constant tensors (weights, biases, quantisation data)."""
    activation_bytes: int = 0
    """Peak of the tensors alive at once, ops run in order: the least tensor arena TFLite
    Micro can plan (scratch buffers and alignment come on top)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (lists for tuples, a string for the path)."""
        data = asdict(self)
        data["path"] = str(self.path)
        return _lists(data)


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(item) for item in value]
    return value


def conv_macs(output_shape: tuple[int, ...], filter_shape: tuple[int, ...]) -> int:
    """CONV_2D: out_h*out_w*out_c * k_h*k_w*(in_c/groups); the filter is [out_c,kh,kw,in_c/g]."""
    batch, out_h, out_w, out_c = output_shape
    _, k_h, k_w, in_per_group = filter_shape
    return batch * out_h * out_w * out_c * k_h * k_w * in_per_group


def depthwise_macs(output_shape: tuple[int, ...], filter_shape: tuple[int, ...]) -> int:
    """DEPTHWISE_CONV_2D: out_h*out_w*out_c * k_h*k_w; the filter is [1,kh,kw,out_c]."""
    batch, out_h, out_w, out_c = output_shape
    _, k_h, k_w, _ = filter_shape
    return batch * out_h * out_w * out_c * k_h * k_w


def fully_connected_macs(output_shape: tuple[int, ...], weights_shape: tuple[int, ...]) -> int:
    """FULLY_CONNECTED: batch*out_features*in_features; the weights are [out, in]."""
    out_features, in_features = weights_shape
    batch = int(np.prod(output_shape)) // out_features
    return batch * out_features * in_features


def transpose_conv_macs(input_shape: tuple[int, ...], filter_shape: tuple[int, ...]) -> int:
    """TRANSPOSE_CONV: every input pixel scatters k_h*k_w*out_c products per input channel."""
    batch, in_h, in_w, in_c = input_shape
    out_c, k_h, k_w, _ = filter_shape
    return batch * in_h * in_w * in_c * k_h * k_w * out_c


def _op_macs(op_type: str, shapes: list[tuple[int, ...] | None], out: tuple[int, ...]) -> int:
    if op_type == "CONV_2D" and shapes[1] is not None:
        return conv_macs(out, shapes[1])
    if op_type == "DEPTHWISE_CONV_2D" and shapes[1] is not None:
        return depthwise_macs(out, shapes[1])
    if op_type == "FULLY_CONNECTED" and shapes[1] is not None:
        return fully_connected_macs(out, shapes[1])
    if op_type == "TRANSPOSE_CONV" and shapes[1] is not None and shapes[2] is not None:
        return transpose_conv_macs(shapes[2], shapes[1])
    return 0


def tensor_info(detail: dict[str, Any]) -> TensorInfo:
    """A TensorInfo from one entry of the interpreter's input/output/tensor details."""
    scale, zero_point = detail["quantization"]
    return TensorInfo(
        name=str(detail["name"]),
        shape=tuple(int(d) for d in detail["shape"]),
        dtype=np.dtype(detail["dtype"]).name,
        scale=float(scale),
        zero_point=int(zero_point),
    )


def read_model_info(path: Path) -> ModelInfo:
    """Inputs, outputs and per-op MACs/parameters of the .tflite model at ``path``.

    MACs count CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV; every other op
    is listed with 0. Parameters are the elements of constant tensors (produced by no op, not a
    model input): all constant inputs of those four ops, and the non-index constants of others.
    A constant shared by several ops is counted once in ``total_params``.
    """
    path = Path(path)
    interpreter = open_interpreter(path, kernels="builtin")
    tensors = {int(d["index"]): d for d in interpreter.get_tensor_details()}
    ops_details = interpreter._get_ops_details()
    graph_inputs = {int(d["index"]) for d in interpreter.get_input_details()}
    produced = {int(t) for op in ops_details for t in op["outputs"]}

    def shape_of(index: int) -> tuple[int, ...] | None:
        return None if index < 0 else tuple(int(d) for d in tensors[index]["shape"])

    ops: list[OpInfo] = []
    counted: set[int] = set()
    for op in ops_details:
        op_type = str(op["op_name"])
        inputs = [int(t) for t in op["inputs"]]
        shapes = [shape_of(t) for t in inputs]
        out = shape_of(int(op["outputs"][0])) or ()
        params = 0
        for index in inputs:
            if index < 0 or index in produced or index in graph_inputs:
                continue
            dtype = np.dtype(tensors[index]["dtype"]).name
            if op_type not in WEIGHTED_OPS and dtype in INDEX_DTYPES:
                continue
            size = int(np.prod(tensors[index]["shape"]))
            params += size
            counted.add(index)
        ops.append(
            OpInfo(
                index=int(op["index"]),
                op_type=op_type,
                input_shapes=tuple(s for s in shapes if s is not None),
                output_shape=out,
                macs=_op_macs(op_type, shapes, out),
                params=params,
            )
        )
    total_params = sum(int(np.prod(tensors[i]["shape"])) for i in counted)
    consumed = {int(t) for op in ops_details for t in op["inputs"] if int(t) >= 0}
    constants = consumed - produced - graph_inputs
    return ModelInfo(
        path=path,
        inputs=tuple(tensor_info(d) for d in interpreter.get_input_details()),
        outputs=tuple(tensor_info(d) for d in interpreter.get_output_details()),
        ops=tuple(ops),
        total_macs=sum(op.macs for op in ops),
        total_params=total_params,
        size_bytes=path.stat().st_size,
        weights_bytes=sum(_nbytes(tensors[i]) for i in constants),
        activation_bytes=_peak_activations(tensors, ops_details, graph_inputs, interpreter),
    )


def _nbytes(detail: dict[str, Any]) -> int:
    return int(np.prod(detail["shape"])) * np.dtype(detail["dtype"]).itemsize


def _peak_activations(
    tensors: dict[int, dict[str, Any]],
    ops_details: list[dict[str, Any]],
    graph_inputs: set[int],
    interpreter: Any,
) -> int:
    """Bytes of the tensors alive at once, at the worst op (inputs from the start, outputs
    to the end, every other tensor from the op that makes it to the last that reads it)."""
    born: dict[int, int] = dict.fromkeys(graph_inputs, 0)
    dies: dict[int, int] = {}
    last = len(ops_details) - 1
    for n, op in enumerate(ops_details):
        for t in op["outputs"]:
            born.setdefault(int(t), n)
        for t in op["inputs"]:
            if int(t) in born:
                dies[int(t)] = n
    for detail in interpreter.get_output_details():
        dies[int(detail["index"])] = last
    peak = 0
    for n in range(len(ops_details)):
        live = [t for t, b in born.items() if b <= n <= dies.get(t, b)]
        peak = max(peak, sum(_nbytes(tensors[t]) for t in live))
    return peak


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape) if shape else "-"


def format_table(info: ModelInfo) -> str:
    """A plain-text summary: I/O quantisation, one row per op, totals."""
    lines = [
        f"model: {info.path}",
        f"size: {info.size_bytes:,} bytes (weights {info.weights_bytes:,}); activations at "
        f"peak: {info.activation_bytes:,} bytes (the least tensor arena; scratch buffers and "
        "alignment come on top)",
    ]
    for kind, tensors in (("input", info.inputs), ("output", info.outputs)):
        for t in tensors:
            if t.scale == 0 and t.zero_point == 0:
                quantisation = "not quantised"
            else:
                quantisation = f"scale={t.scale:.6g} zero_point={t.zero_point}"
            lines.append(f"{kind:<7}{t.name}  {t.dtype} [{_shape(t.shape)}]  {quantisation}")
    rows = [("#", "op", "inputs", "output", "MACs", "params")]
    for op in info.ops:
        rows.append(
            (
                str(op.index),
                op.op_type,
                ", ".join(_shape(s) for s in op.input_shapes),
                _shape(op.output_shape),
                f"{op.macs:,}",
                f"{op.params:,}",
            )
        )
    rows.append(("", "total", "", "", f"{info.total_macs:,}", f"{info.total_params:,}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {0, 4, 5}
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
