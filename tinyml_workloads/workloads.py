"""The MLPerf Tiny workloads as data, per the DUT protocol spec: the four classic ones (kws01,
vww01, ic01, ad01) and the v1.3 additions ic02 (the large ResNet on the ic01 data) and sww01
(the streaming wake word, one 20-minute audio stream instead of 5 timed windows)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tinyjoule.errors import ConfigurationError

Mode = Literal["performance", "accuracy", "energy"]
Flow = Literal["windows", "stream"]
ALL_WORKLOADS = "all"
"""The name ``-w all`` gives for every workload of the table."""

MODELS_DIR = Path(__file__).resolve().parent / "models"


@dataclass(frozen=True, slots=True)
class Workload:
    """One MLPerf Tiny benchmark: what the DUT is sent, what it prints and how it is scored.

    ``input_shape`` is the model's input tensor shape; the ``input_bytes`` sent with ``db``,
    read as ``input_dtype``, reshape to it. ``model_output_shape`` is the model's output tensor
    shape and ``n_outputs`` the number of values the firmware prints in ``m-results-[...]``.
    ``window_bytes``/``stride_bytes`` are set for ad01 only: its dataset files hold many
    ``window_bytes`` inputs, one every ``stride_bytes``. ``official_model`` is the file name of
    the MLPerf Tiny int8 reference model (github.com/mlcommons/tiny, benchmark/training/);
    ``standin_model`` the committed random-weight model of the same architecture.
    ``results_folder`` is the benchmark's folder name in the published results trees
    (``.../<system>/kws/energy``); ``synthetic_accuracy_files`` how many synthetic files an
    accuracy run on the simulated bench scores; ``firmware_init_lines`` what the reference
    firmware prints after ``m-init-done`` at boot; ``in_default_run``: run by ``tinyjoule
    run`` without ``-w``. ``dataset_folder`` is the folder of ``--dataset`` its data is in
    (ic02 reads the ic01 data; empty: its own id). ``flow`` is how a run measures it:
    ``"windows"`` (inputs loaded with ``db``, 5 timed ``infer`` windows) or ``"stream"``
    (sww01: an audio stream played by the interface board, scored on detections,
    ``host/runner/sww_mode.py``). The ``"detections"`` metric's ``quality_target`` is the
    most false positives, and the most false negatives, a run may have.
    """

    id: str
    title: str
    input_bytes: int
    input_dtype: str
    input_shape: tuple[int, ...]
    model_output_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    n_outputs: int
    metric: Literal["top1", "auc", "detections"]
    quality_target: float
    performance_iterations: int
    performance_warmups: int
    energy_iterations: int
    energy_warmups: int
    accuracy_iterations: int
    accuracy_warmups: int
    max_db_input_size: int
    results_trailing_comma: bool
    window_bytes: int | None
    stride_bytes: int | None
    baud_performance: int
    baud_accuracy: int
    baud_energy: int
    official_files: int
    official_model: str
    standin_model: str
    results_folder: str
    synthetic_accuracy_files: int
    firmware_init_lines: tuple[str, ...] = ()
    in_default_run: bool = True
    dataset_folder: str = ""
    flow: Flow = "windows"

    @property
    def data_folder(self) -> str:
        """The folder under ``--dataset`` that holds this workload's data."""
        return self.dataset_folder or self.id

    @property
    def windowed(self) -> bool:
        """True when each dataset file is cut into overlapping windows (ad01)."""
        return self.window_bytes is not None

    @property
    def standin_model_path(self) -> Path:
        """The committed stand-in model for this workload (random weights, reference shapes)."""
        return MODELS_DIR / self.standin_model

    def baud(self, mode: Mode) -> int:
        """Serial baud rate of the reference firmware in ``mode``."""
        rates = {
            "performance": self.baud_performance,
            "accuracy": self.baud_accuracy,
            "energy": self.baud_energy,
        }
        if mode not in rates:
            raise ValueError(f"mode must be one of {sorted(rates)}, got {mode!r}")
        return rates[mode]

    def iterations(self, mode: Mode) -> tuple[int, int]:
        """``(N, W)`` of the ``infer N W`` command the reference runner sends in ``mode``."""
        counts = {
            "performance": (self.performance_iterations, self.performance_warmups),
            "accuracy": (self.accuracy_iterations, self.accuracy_warmups),
            "energy": (self.energy_iterations, self.energy_warmups),
        }
        if mode not in counts:
            raise ValueError(f"mode must be one of {sorted(counts)}, got {mode!r}")
        return counts[mode]


KWS_CLASSES = (
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
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

WORKLOADS: dict[str, Workload] = {
    "kws01": Workload(
        id="kws01",
        title="Keyword spotting (DS-CNN, Speech Commands)",
        input_bytes=490,
        input_dtype="int8",
        input_shape=(1, 49, 10, 1),
        model_output_shape=(1, 12),
        class_names=KWS_CLASSES,
        n_outputs=12,
        metric="top1",
        quality_target=90.0,
        performance_iterations=70,
        performance_warmups=10,
        energy_iterations=70,
        energy_warmups=10,
        accuracy_iterations=1,
        accuracy_warmups=0,
        max_db_input_size=490,
        results_trailing_comma=False,
        window_bytes=None,
        stride_bytes=None,
        baud_performance=115200,
        baud_accuracy=115200,
        baud_energy=9600,
        official_files=1000,
        official_model="kws_ref_model.tflite",
        standin_model="kws01_standin.tflite",
        results_folder="kws",
        synthetic_accuracy_files=50,
    ),
    "vww01": Workload(
        id="vww01",
        title="Visual wake words (MobileNetV1 0.25, 96x96)",
        input_bytes=27648,
        input_dtype="uint8",
        input_shape=(1, 96, 96, 3),
        model_output_shape=(1, 2),
        class_names=("no_person", "person"),
        n_outputs=2,
        metric="top1",
        quality_target=80.0,
        performance_iterations=20,
        performance_warmups=5,
        energy_iterations=20,
        energy_warmups=5,
        accuracy_iterations=1,
        accuracy_warmups=0,
        max_db_input_size=27648,
        results_trailing_comma=True,
        window_bytes=None,
        stride_bytes=None,
        baud_performance=115200,
        baud_accuracy=115200,
        baud_energy=9600,
        official_files=1000,
        official_model="vww_96_int8.tflite",
        standin_model="vww01_standin.tflite",
        results_folder="vww",
        synthetic_accuracy_files=20,
    ),
    "ic01": Workload(
        id="ic01",
        title="Image classification (ResNet-8, CIFAR-10)",
        input_bytes=3072,
        input_dtype="uint8",
        input_shape=(1, 32, 32, 3),
        model_output_shape=(1, 10),
        class_names=CIFAR10_CLASSES,
        n_outputs=10,
        metric="top1",
        quality_target=85.0,
        performance_iterations=20,
        performance_warmups=5,
        energy_iterations=20,
        energy_warmups=0,
        accuracy_iterations=1,
        accuracy_warmups=0,
        max_db_input_size=3072,
        results_trailing_comma=False,
        window_bytes=None,
        stride_bytes=None,
        baud_performance=115200,
        baud_accuracy=115200,
        baud_energy=9600,
        official_files=200,
        official_model="pretrainedResnet_quant.tflite",
        standin_model="ic01_standin.tflite",
        results_folder="ic",
        synthetic_accuracy_files=50,
    ),
    "ad01": Workload(
        id="ad01",
        title="Anomaly detection (FC autoencoder, ToyCar)",
        input_bytes=2560,
        input_dtype="float32",
        input_shape=(1, 640),
        model_output_shape=(1, 640),
        class_names=("normal", "anomaly"),
        n_outputs=1,
        metric="auc",
        quality_target=0.85,
        performance_iterations=1500,
        performance_warmups=10,
        energy_iterations=1500,
        energy_warmups=0,
        accuracy_iterations=1,
        accuracy_warmups=0,
        max_db_input_size=5120,
        results_trailing_comma=False,
        window_bytes=2560,
        stride_bytes=512,
        baud_performance=921600,
        baud_accuracy=921600,
        baud_energy=9600,
        official_files=248,
        official_model="ad01_int8.tflite",
        standin_model="ad01_standin.tflite",
        results_folder="ad",
        synthetic_accuracy_files=20,
        firmware_init_lines=("Initialized",),
    ),
    "ic02": Workload(
        id="ic02",
        title="Image classification, large (ResNet-8 40/80/160, CIFAR-10)",
        input_bytes=3072,
        input_dtype="uint8",
        input_shape=(1, 32, 32, 3),
        model_output_shape=(1, 10),
        class_names=CIFAR10_CLASSES,
        n_outputs=10,
        metric="top1",
        quality_target=91.0,
        performance_iterations=10,  # about 1 s each on the reference board: >= 10 s
        performance_warmups=1,
        energy_iterations=10,
        energy_warmups=0,
        accuracy_iterations=1,
        accuracy_warmups=0,
        max_db_input_size=3072,
        results_trailing_comma=False,
        window_bytes=None,
        stride_bytes=None,
        baud_performance=115200,
        baud_accuracy=115200,
        baud_energy=9600,
        official_files=200,
        official_model="pretrainedResnet_large_int8.tflite",
        standin_model="ic02_standin.tflite",
        results_folder="ic02",
        synthetic_accuracy_files=50,
        in_default_run=False,
        dataset_folder="ic01",
    ),
    "sww01": Workload(
        id="sww01",
        title="Streaming wake word (DS-TCN, a 20-minute audio stream)",
        input_bytes=1200,
        input_dtype="int8",
        input_shape=(1, 30, 1, 40),
        model_output_shape=(1, 3),
        class_names=("wakeword", "silence", "other"),
        n_outputs=3,
        metric="detections",
        quality_target=8.0,
        performance_iterations=1,
        performance_warmups=0,
        energy_iterations=1,
        energy_warmups=0,
        accuracy_iterations=1,
        accuracy_warmups=0,
        max_db_input_size=1200,
        results_trailing_comma=False,
        window_bytes=None,
        stride_bytes=None,
        baud_performance=115200,
        baud_accuracy=115200,
        baud_energy=115200,
        official_files=1,
        official_model="str_ww_ref_model.tflite",
        standin_model="sww01_standin.tflite",
        results_folder="sww",
        synthetic_accuracy_files=1,
        in_default_run=False,
        flow="stream",
    ),
}


def default_workload_ids() -> tuple[str, ...]:
    """The workloads ``tinyjoule run`` measures when none is named."""
    return tuple(w.id for w in WORKLOADS.values() if w.in_default_run)


def resolve_workload_ids(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``-w`` values as workload ids: ``all`` stands for every workload of the table (in
    table order); repeats are dropped; an unknown name raises with the known ones."""
    out: list[str] = []
    for name in names:
        ids = tuple(WORKLOADS) if name == ALL_WORKLOADS else (get_workload(name).id,)
        out += [wid for wid in ids if wid not in out]
    return tuple(out)


def get_workload(workload_id: str) -> Workload:
    """The workload called ``workload_id`` (as the DUT reports it in ``m-model-[...]``)."""
    try:
        return WORKLOADS[workload_id]
    except KeyError:
        known = ", ".join(WORKLOADS)
        raise ConfigurationError(
            f"unknown workload {workload_id!r}: tinyjoule knows {known} ({ALL_WORKLOADS} for "
            "every one); "
            "check the model id the DUT reports with 'profile' or the --workload option"
        ) from None
