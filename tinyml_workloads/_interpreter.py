"""Opens a .tflite file with LiteRT (or tflite-runtime), imported only when a model is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from tinyjoule.errors import ConfigurationError

Kernels = Literal["reference", "builtin"]


def _interpreter_module() -> Any:
    try:
        from ai_edge_litert import interpreter as module
    except ImportError:
        try:
            from tflite_runtime import interpreter as module
        except ImportError:
            raise ConfigurationError(
                "running a .tflite model needs LiteRT, which is not installed: "
                "pip install ai-edge-litert (or tflite-runtime)"
            ) from None
    return module


def open_interpreter(path: Path, kernels: Kernels = "reference") -> Any:
    """A LiteRT interpreter for ``path`` with its tensors allocated and no delegate applied.

    ``kernels="reference"`` selects the portable reference kernels, the same arithmetic as the
    TFLite Micro reference kernels in the MLPerf Tiny reference firmware; ``"builtin"`` the
    optimised ones. Neither applies XNNPACK, so the op list is the model's own.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigurationError(
            f"model file {path} does not exist: give the path of a .tflite file"
        )
    module = _interpreter_module()
    resolver = getattr(module, "OpResolverType", None)
    options: dict[str, Any] = {}
    if resolver is not None:
        options["experimental_op_resolver_type"] = (
            resolver.BUILTIN_REF
            if kernels == "reference"
            else resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        )
    try:
        interpreter = module.Interpreter(model_path=str(path), num_threads=1, **options)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ConfigurationError(
            f"model file {path} cannot be loaded as a TensorFlow Lite model ({exc}); "
            "give a valid .tflite flatbuffer"
        ) from exc
    return interpreter
