"""Reads MLPerf Tiny dataset folders: ``y_labels.csv`` plus the ``.bin`` inputs beside it.

The CSV has no header; each line is ``file,num_classes,label[,window_bytes,stride_bytes]``,
read by position with spaces trimmed (fields after the fifth are ignored). Everything is
checked when the folder is opened, so a long accuracy run cannot fail half-way on a bad file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from tinyjoule.errors import ConfigurationError
from tinyjoule.tinyml_workloads.workloads import Workload

LABELS_FILE = "y_labels.csv"


@dataclass(frozen=True, slots=True)
class DatasetFile:
    """One row of the label file: an input file, its class count and its label."""

    path: Path
    n_classes: int
    label: int
    window_bytes: int | None
    stride_bytes: int | None

    @property
    def name(self) -> str:
        """The file name as written in the label file."""
        return self.path.name


@dataclass(frozen=True, slots=True)
class Dataset:
    """A checked dataset folder for one workload, files in label-file order."""

    folder: Path
    workload: Workload
    files: tuple[DatasetFile, ...]

    def __len__(self) -> int:
        return len(self.files)

    def read_inputs(self, file: DatasetFile) -> list[bytes]:
        """The ``db`` payloads of ``file``: the whole file, or for ad01 every window in order."""
        data = file.path.read_bytes()
        if file.window_bytes is None or file.stride_bytes is None:
            return [data]
        window, stride = file.window_bytes, file.stride_bytes
        return [data[start : start + window] for start in range(0, len(data) - window + 1, stride)]

    def first_input(self, file: DatasetFile) -> bytes:
        """The first ``db`` payload of ``file`` (what performance and energy modes send)."""
        if file.window_bytes is None:
            return file.path.read_bytes()
        with file.path.open("rb") as handle:
            return handle.read(file.window_bytes)


def _labels_path(folder: Path, workload: Workload, labels_file: str) -> Path:
    candidates = [folder / labels_file, folder / workload.data_folder / labels_file]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if not folder.is_dir():
        raise ConfigurationError(
            f"dataset folder {folder} does not exist: give the folder that holds "
            f"{workload.data_folder}/{labels_file} and the .bin files (to try the tools without "
            f"the MLPerf Tiny data, write a synthetic one: tinyjoule dataset synthetic -w "
            f"{workload.id} {folder})"
        )
    raise ConfigurationError(
        f"no {labels_file} in {folder} or {folder / workload.data_folder}: a {workload.id} "
        f"dataset is a folder with {labels_file} (file,num_classes,label per line) and the "
        ".bin files beside it"
    )


def _int_field(text: str, what: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigurationError(
            f"{where}: {what} {text!r} is not an integer; lines must read "
            "file,num_classes,label[,window_bytes,stride_bytes]"
        ) from None


def _check_inside(name: str, where: str) -> None:
    """A listed file must lie in the dataset folder: no absolute path, no ``..``."""
    parts = PurePosixPath(name.replace("\\", "/"))
    if parts.is_absolute() or PureWindowsPath(name).drive or ".." in parts.parts:
        raise ConfigurationError(
            f"{where}: {name!r} points outside the dataset folder; list files by their name "
            "in the folder of the label file (no absolute paths, no '..'), and copy the "
            "file there if it lives elsewhere"
        )


def _parse_line(line: str, where: str, folder: Path, workload: Workload) -> DatasetFile:
    fields = [field.strip() for field in line.split(",")]
    if len(fields) < 3 or len(fields) == 4 or not fields[0]:
        raise ConfigurationError(
            f"{where}: malformed line {line.strip()!r}; each line must read "
            "file,num_classes,label[,window_bytes,stride_bytes] (fix or delete the line)"
        )
    _check_inside(fields[0], where)
    n_classes = _int_field(fields[1], "num_classes", where)
    label = _int_field(fields[2], "label", where)
    expected_classes = len(workload.class_names)
    if n_classes != expected_classes:
        raise ConfigurationError(
            f"{where}: num_classes is {n_classes} but {workload.id} has {expected_classes} "
            f"classes; is this the label file of another workload?"
        )
    if not 0 <= label < n_classes:
        raise ConfigurationError(
            f"{where}: label {label} of {fields[0]} is out of range 0..{n_classes - 1}; "
            "fix the label in the file"
        )
    window = stride = None
    if len(fields) >= 5:
        window = _int_field(fields[3], "window_bytes", where)
        stride = _int_field(fields[4], "stride_bytes", where)
    if workload.windowed:
        window = workload.window_bytes if window is None else window
        stride = workload.stride_bytes if stride is None else stride
        if window != workload.input_bytes or stride is None or stride <= 0 or stride % 4:
            raise ConfigurationError(
                f"{where}: window_bytes,stride_bytes = {window},{stride} cannot work: "
                f"{workload.id} windows are {workload.input_bytes} bytes and the stride a "
                "positive multiple of 4 (the official files use 2560,512)"
            )
    else:
        window = stride = None
    return DatasetFile(folder / fields[0], n_classes, label, window, stride)


def _check_size(entry: DatasetFile, where: str, workload: Workload) -> None:
    if not entry.path.is_file():
        raise ConfigurationError(
            f"{where}: {entry.path} is missing; copy the .bin files into the folder of the "
            "label file or remove the line"
        )
    size = entry.path.stat().st_size
    if entry.window_bytes is None:
        if size != workload.input_bytes:
            raise ConfigurationError(
                f"{where}: {entry.path} has {size} bytes but a {workload.id} input is "
                f"{workload.input_bytes} bytes; regenerate the file or remove the line"
            )
        return
    window, stride = entry.window_bytes, entry.stride_bytes or 1
    if size < window or (size - window) % stride:
        raise ConfigurationError(
            f"{where}: {entry.path} has {size} bytes, which is not {window} + k x {stride} "
            f"(whole {workload.id} windows at a {stride}-byte stride); regenerate the file "
            "or remove the line"
        )


def open_dataset(folder: Path, workload: Workload, labels_file: str = LABELS_FILE) -> Dataset:
    """Read and check the dataset in ``folder`` (or ``folder/<workload id>``) for ``workload``.

    ``labels_file`` picks another label file in the same folder (ad01 ships y_labels_alt.csv).
    Every problem raises ConfigurationError naming the file and line and what to do.
    """
    folder = Path(folder)
    labels_path = _labels_path(folder, workload, labels_file)
    data_folder = labels_path.parent
    try:
        text = labels_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"cannot read {labels_path} ({exc}); it must be a UTF-8 text file"
        ) from exc
    files: list[DatasetFile] = []
    seen: dict[Path, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{labels_path}, line {number}"
        entry = _parse_line(line, where, data_folder, workload)
        if entry.path in seen:
            raise ConfigurationError(
                f"{where}: {entry.name} is listed again (first on line {seen[entry.path]}); "
                "remove the duplicate line"
            )
        seen[entry.path] = number
        _check_size(entry, where, workload)
        files.append(entry)
    if not files:
        raise ConfigurationError(f"{labels_path} lists no files; add lines file,num_classes,label")
    return Dataset(folder=data_folder, workload=workload, files=tuple(files))
