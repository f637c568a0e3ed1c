"""Writes small synthetic datasets in the MLPerf Tiny layout, for benches without the real data.

``generate_dataset`` writes ``<out>/<workload id>/y_labels.csv`` plus ``.bin`` inputs named
like the official files. The stand-in models have random weights, so "true" labels would only
ever give chance accuracy. Instead:

* kws01, vww01, ic01: each file's label is the reference model's own top-1 prediction for it
  (the stand-in unless ``model_path`` is given). Accuracy mode then measures how often the DUT
  agrees with the host reference, which is 100 % for a bit-exact port; it says nothing about
  the model's real-world accuracy. Inputs are redrawn (up to a few times) until the top score
  leads the runner-up by at least two output steps, so tiny arithmetic differences on the DUT
  do not flip labels by themselves.
* ad01: half the files (rounded down) are "anomaly" spectrograms with tonal peaks, a tilt and
  stronger noise; the rest are "normal". The stand-in autoencoder reconstructs the mean normal
  spectrum, so its reconstruction MSE separates the two and the AUC is meaningful. ad01 files
  are 20 frames x 128 float32 (16 windows of 2,560 bytes at a 512-byte stride).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinyjoule.tinyml_workloads import synthetic_inputs
from tinyjoule.tinyml_workloads.reference import ReferenceModel, quantize_int8
from tinyjoule.tinyml_workloads.workloads import Workload

AD_FRAMES = 20
MAX_ATTEMPTS = 8
MIN_MARGIN_STEPS = 2


def _draw(workload: Workload, model: ReferenceModel, rng: np.random.Generator) -> bytes:
    if workload.id == "kws01":
        features = synthetic_inputs.kws_features(rng)
        return quantize_int8(features, model.input.scale, model.input.zero_point).tobytes()
    side = workload.input_shape[1]
    return synthetic_inputs.image(rng, side).tobytes()


def _margin(vector: tuple[float, ...]) -> float:
    top = sorted(vector, reverse=True)
    return top[0] - top[1]


def _confident_input(
    workload: Workload, model: ReferenceModel, rng: np.random.Generator
) -> tuple[bytes, int]:
    """An input and the model's top-1 class, redrawn until the top-1 lead is clear."""
    min_margin = MIN_MARGIN_STEPS * model.output.scale
    best: tuple[float, bytes, int] | None = None
    for _ in range(MAX_ATTEMPTS):
        data = _draw(workload, model, rng)
        vector = model.results_vector(data)
        label = int(np.argmax(vector))
        margin = _margin(vector)
        if margin >= min_margin:
            return data, label
        if best is None or margin > best[0]:
            best = (margin, data, label)
    assert best is not None
    return best[1], best[2]


def _file_name(workload: Workload, index: int, label: int) -> str:
    if workload.id == "kws01":
        return f"tst_{index:06d}_{workload.class_names[label].capitalize()}_{label}.bin"
    if workload.id == "vww01":
        return f"{index:012d}.bin"
    return f"{workload.class_names[label]}_s_{index:06d}.bin"


def _write_classification(
    workload: Workload, folder: Path, n_files: int, rng: np.random.Generator, model_path: Path
) -> list[str]:
    model = ReferenceModel(model_path, workload)
    rows = []
    for index in range(n_files):
        data, label = _confident_input(workload, model, rng)
        name = _file_name(workload, index, label)
        (folder / name).write_bytes(data)
        rows.append(f"{name},{len(workload.class_names)},{label}")
    return rows


def _write_anomaly(
    workload: Workload, folder: Path, n_files: int, rng: np.random.Generator
) -> list[str]:
    n_anomalous = n_files // 2
    rows = []
    for index in range(n_files):
        label = int(index >= n_files - n_anomalous)
        kind = workload.class_names[label]
        machine = index % 4 + 1
        name = f"{kind}_id_{machine:02d}_{index:08d}_hist_librosa.bin"
        spectrogram = synthetic_inputs.ad_spectrogram(rng, AD_FRAMES, anomalous=bool(label))
        (folder / name).write_bytes(spectrogram.astype("<f4").tobytes())
        rows.append(f"{name},2,{label},{workload.window_bytes},{workload.stride_bytes}")
    return rows


def generate_dataset(
    workload: Workload,
    out_folder: Path,
    n_files: int,
    seed: int = 0,
    model_path: Path | None = None,
) -> Path:
    """Write ``n_files`` synthetic inputs and their labels; return ``<out_folder>/<id>``.

    Labels of kws01/vww01/ic01 are the predictions of the model at ``model_path`` (default:
    the workload's stand-in model); ad01 labels are the generated class, so ``model_path``
    is not used for ad01.
    The same arguments always give the same bytes.
    """
    if n_files < 1:
        raise ValueError(f"n_files must be at least 1, got {n_files}")
    folder = Path(out_folder) / workload.id
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, sum(workload.id.encode())])
    if workload.windowed:
        rows = _write_anomaly(workload, folder, n_files, rng)
    else:
        path = Path(model_path) if model_path is not None else workload.standin_model_path
        rows = _write_classification(workload, folder, n_files, rng, path)
    (folder / "y_labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder
