"""The streaming wake word's clip lists: ``<datasets>/sww01/*.json``, read, checked, generated.

A clip list is a JSON list of clips, each ``{"wav_file": "x.wav", "sample_rate": 16000,
"length_sec": 10.0, "detection_windows": [[1.0, 1.6476], ...]}``: window start and end in
seconds from the start of the clip (spec 4.4). The wavs themselves live on the interface
board's SD card; the host only names them in ``play <wav>``. Everything is checked when the
list is read (at least one window, each inside the clip, none overlapping), so a 20-minute
stream cannot be wasted on a list that cannot be scored.

``synthetic_clip_lists`` makes a short (10 s), a medium (2 min) and a long (20 min, 50 wake
words, like ``sww_long_test.json``) list with seeded windows; the simulated interface board
holds audio with wake words exactly there. Generated lists carry ``"synthetic": true`` in
every clip (the reference runner ignores unknown keys), so a run on them is marked as such
even when the list is given by path.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinyjoule.errors import ConfigurationError

FOLDER = "sww01"
LONG_TEST = "sww_long_test.json"
OFFICIAL_LONG_WAKEWORDS = 50
"""Wake words in the official long test: a scored run must have TP + FN = 50."""
SYNTHETIC_KEY = "synthetic"


@dataclass(frozen=True, slots=True)
class Clip:
    """One wav the interface board plays and where its wake words are (seconds)."""

    wav_file: str
    sample_rate: int
    length_s: float
    windows: tuple[tuple[float, float], ...]
    synthetic: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "wav_file": self.wav_file,
            "sample_rate": self.sample_rate,
            "length_sec": self.length_s,
            "detection_windows": [list(w) for w in self.windows],
        }
        if self.synthetic:
            data[SYNTHETIC_KEY] = True
        return data


@dataclass(frozen=True, slots=True)
class ClipList:
    path: Path
    clips: tuple[Clip, ...]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def synthetic(self) -> bool:
        return any(c.synthetic for c in self.clips)

    @property
    def wakewords(self) -> int:
        return sum(len(c.windows) for c in self.clips)

    @property
    def length_s(self) -> float:
        return sum(c.length_s for c in self.clips)

    @property
    def is_long_test(self) -> bool:
        """The official scored list (by its name): the quality rule applies to it."""
        return self.name == LONG_TEST


def _bad(where: str, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f'{where}: {problem}; a clip list is a JSON list of {{"wav_file", "sample_rate", '
        '"length_sec", "detection_windows": [[start_s, end_s], ...]}} (fix the file)'
    )


def _number(value: Any, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(where, f"{what} must be a finite number, not {value!r}")
    return float(value)


def _windows(raw: Any, length_s: float, where: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(raw, list) or not raw:
        raise _bad(where, "detection_windows is empty or missing: a clip needs at least one")
    windows: list[tuple[float, float]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, list) or len(item) != 2:
            raise _bad(where, f"detection window {i} is {item!r}, not [start_s, end_s]")
        start = _number(item[0], where, f"detection window {i} start")
        end = _number(item[1], where, f"detection window {i} end")
        if not 0 <= start < end <= length_s:
            raise _bad(
                where,
                f"detection window {i} [{start:g}, {end:g}] is not a span inside the clip's "
                f"{length_s:g} s",
            )
        if windows and start < windows[-1][1]:
            raise _bad(
                where,
                f"detection windows {i - 1} {list(windows[-1])} and {i} [{start:g}, {end:g}] "
                "overlap (or are out of order): one wake word per window, in time order",
            )
        windows.append((start, end))
    return tuple(windows)


def _clip(raw: Any, where: str) -> Clip:
    if not isinstance(raw, dict):
        raise _bad(where, f"a clip is a JSON object, not {type(raw).__name__}")
    missing = [k for k in ("wav_file", "sample_rate", "length_sec", "detection_windows")
               if k not in raw]  # fmt: skip
    if missing:
        raise _bad(where, f"missing {', '.join(missing)}")
    wav = raw["wav_file"]
    if not isinstance(wav, str) or not wav.strip():
        raise _bad(where, f"wav_file {wav!r} is not a file name")
    if "%" in wav or not all(" " <= c <= "~" for c in wav):
        raise _bad(where, f"wav_file {wav!r} has '%' or characters 'play <wav>' cannot carry")
    rate = raw["sample_rate"]
    if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
        raise _bad(where, f"sample_rate {rate!r} is not a positive whole number (Hz)")
    length = _number(raw["length_sec"], where, "length_sec")
    if length <= 0:
        raise _bad(where, f"length_sec {length:g} is not positive")
    windows = _windows(raw["detection_windows"], length, f"{where} ({wav})")
    return Clip(wav, rate, length, windows, bool(raw.get(SYNTHETIC_KEY, False)))


def read_clip_list(path: Path) -> ClipList:
    """Read and check one clip list; every problem names the file, the clip and the fix."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read clip list {path} ({exc})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(str(path), f"not valid JSON ({exc})") from exc
    if not isinstance(data, list) or not data:
        raise _bad(str(path), "the file holds no clips")
    clips = tuple(_clip(raw, f"{path}, clip {i}") for i, raw in enumerate(data))
    return ClipList(path, clips)


def find_clip_list(root: Path) -> Path:
    """The clip list ``--dataset`` names: a ``.json`` file itself, or in ``root/sww01/`` (or
    ``root`` itself) the long test if present, else the only list there."""
    root = Path(root)
    if root.suffix.lower() == ".json":
        if not root.is_file():
            raise ConfigurationError(f"clip list {root} does not exist")
        return root
    folder = root / FOLDER if (root / FOLDER).is_dir() else root
    lists = sorted(folder.glob("*.json"))
    if not lists:
        raise ConfigurationError(
            f"no sww01 clip list in {folder}: sww01 reads <datasets>/{FOLDER}/*.json (such as "
            f"{LONG_TEST}); give the datasets folder or one list with --dataset"
        )
    for candidate in lists:
        if candidate.name == LONG_TEST:
            return candidate
    if len(lists) == 1:
        return lists[0]
    names = ", ".join(p.name for p in lists)
    raise ConfigurationError(
        f"{folder} holds several clip lists ({names}) and no {LONG_TEST}; name one with "
        f"--dataset {folder}/NAME.json"
    )


# -- synthetic lists ------------------------------------------------------------------------

SYNTHETIC_LISTS: dict[str, tuple[str, float, int]] = {
    "sww_short_test.json": ("tinyjoule_synthetic_short_10s.wav", 10.0, 3),
    "sww_med_test.json": ("tinyjoule_synthetic_med_120s.wav", 120.0, 6),
    LONG_TEST: ("tinyjoule_synthetic_long_1200s.wav", 1200.0, OFFICIAL_LONG_WAKEWORDS),
}
"""List file -> (wav name, length in s, wake words)."""
SAMPLE_RATE_HZ = 16000


def synthetic_clip(wav: str, length_s: float, words: int, seed: int = 0) -> Clip:
    """A clip of ``length_s`` with ``words`` wake words of 0.6-0.9 s, one per equal slot,
    placed so that 3 s of quiet follow each (room for the scoring margin and false alarms)."""
    rng = np.random.default_rng([seed, sum(wav.encode())])
    slot = length_s / words
    windows = []
    for k in range(words):
        duration = float(rng.uniform(0.6, 0.9))
        latest = max(slot - duration - 3.0, 0.5)
        start = k * slot + 0.5 + float(rng.uniform(0.0, max(latest - 0.5, 0.0)))
        windows.append((round(start, 4), round(start + duration, 4)))
    return Clip(wav, SAMPLE_RATE_HZ, length_s, tuple(windows), synthetic=True)


def synthetic_clip_lists(seed: int = 0) -> dict[str, tuple[Clip, ...]]:
    """List file name -> its clips (the same on every call with the same seed)."""
    return {
        name: (synthetic_clip(wav, length, words, seed),)
        for name, (wav, length, words) in SYNTHETIC_LISTS.items()
    }


def write_synthetic_clip_lists(out_folder: Path, seed: int = 0) -> Path:
    """Write the three lists into ``out_folder/sww01/``; returns that folder."""
    folder = Path(out_folder) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, clips in synthetic_clip_lists(seed).items():
        text = json.dumps([c.to_json() for c in clips], indent=1)
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder
