"""Where calibration records live: one JSON file per instrument in the user's data folder.

The folder is ``TINYJOULE_CALIBRATIONS`` if set, else ``<user data dir>/tinyjoule/calibrations``
(platformdirs: ``~/.local/share`` on Linux, ``~/Library/Application Support`` on macOS,
``%LOCALAPPDATA%`` on Windows). A record is ``<kind>_<serial>.json``; writing one replaces
the instrument's previous record atomically (a temporary file, flushed, then renamed), so a
crash or a full disk never leaves half a record. Files are strict JSON.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from tinyjoule.calibration.record import CalibrationRecord, record_key
from tinyjoule.errors import ConfigurationError

ENV_VAR = "TINYJOULE_CALIBRATIONS"


def calibration_folder() -> Path:
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    import platformdirs

    return Path(platformdirs.user_data_dir("tinyjoule", appauthor=False)) / "calibrations"


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(_finite(value), indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """``text`` to ``path`` whole or not at all; the error names the file and the fix."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ConfigurationError(
            f"calibration record {path}: cannot write into {path.parent} ({exc}); make the "
            f"folder writable, or point {ENV_VAR} at one that is"
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ConfigurationError(
            f"calibration record {path}: writing failed ({exc}); the previous record, if any, "
            "is unchanged; free some space or fix the folder's permissions, then calibrate again"
        ) from exc


def save(record: CalibrationRecord, folder: Path | None = None) -> Path:
    path = (folder or calibration_folder()) / f"{record.key}.json"
    write_atomically(path, dumps(record.to_dict()))
    return path


def load(path: Path) -> CalibrationRecord:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"calibration record {path}: cannot read it ({exc}); check the path (tinyjoule "
            "calibration list shows the records)"
        ) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"calibration record {path}: not valid JSON ({exc}); remove it (tinyjoule "
            "calibration remove) and calibrate again"
        ) from exc
    return CalibrationRecord.from_dict(data, str(path))


def find(kind: str, serial_number: str, folder: Path | None = None) -> CalibrationRecord | None:
    """The record of this instrument, or None (a damaged one raises)."""
    path = (folder or calibration_folder()) / f"{record_key(kind, serial_number)}.json"
    return load(path) if path.is_file() else None


def list_records(folder: Path | None = None) -> list[tuple[Path, CalibrationRecord | str]]:
    """Every record file with its record, or the reason it cannot be read."""
    root = folder or calibration_folder()
    out: list[tuple[Path, CalibrationRecord | str]] = []
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        try:
            out.append((path, load(path)))
        except ConfigurationError as exc:
            out.append((path, str(exc)))
    return out


def resolve(selector: str, folder: Path | None = None) -> Path:
    """A record file from a path, ``KIND:SERIAL``, a file name (with or without .json) or a
    serial number alone."""
    given = Path(selector).expanduser()
    if given.is_file():
        return given
    root = folder or calibration_folder()
    candidates = []
    if ":" in selector and not given.is_absolute():
        kind, _, serial = selector.partition(":")
        candidates.append(root / f"{record_key(kind.lower(), serial)}.json")
    candidates += [root / selector, root / f"{selector}.json"]
    for path in candidates:
        if path.is_file():
            return path
    by_serial = sorted(root.glob(f"*_{record_key('', selector)[1:]}.json")) if root.is_dir() else []
    if len(by_serial) == 1:  # a serial number alone, when only one kind has it
        return by_serial[0]
    known = ", ".join(p.stem for p in sorted(root.glob("*.json"))) if root.is_dir() else ""
    raise ConfigurationError(
        f"calibration record {selector!r}: not found (looked in {root}); give a file path, "
        f"KIND:SERIAL or one of: {known or 'none yet: run tinyjoule calibrate first'}"
    )
