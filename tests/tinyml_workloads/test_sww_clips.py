"""sww01 clip lists: reading and checking them, finding them under --dataset, generating them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinyjoule.errors import ConfigurationError
from tinyjoule.tinyml_workloads.sww_clips import (
    LONG_TEST,
    find_clip_list,
    read_clip_list,
    synthetic_clip_lists,
    write_synthetic_clip_lists,
)

EXAMPLE = {
    "wav_file": "short_wav_easy10s.wav",
    "sample_rate": 16000,
    "length_sec": 10.0,
    "detection_windows": [[1.0, 1.6476], [4.0, 4.7618]],
}


def _write(path: Path, data) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_the_reference_format_reads_as_written(tmp_path: Path) -> None:
    clips = read_clip_list(_write(tmp_path / "sww_short_test.json", [EXAMPLE]))
    (clip,) = clips.clips
    assert (clip.wav_file, clip.sample_rate, clip.length_s) == ("short_wav_easy10s.wav", 16000, 10)
    assert clip.windows == ((1.0, 1.6476), (4.0, 4.7618))
    assert (clips.wakewords, clips.synthetic, clips.is_long_test) == (2, False, False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"detection_windows": []}, "at least one"),
        ({"detection_windows": [[1.0, 2.0], [1.5, 2.5]]}, "overlap"),
        ({"detection_windows": [[4.0, 4.5], [1.0, 1.5]]}, "out of order"),
        ({"detection_windows": [[9.5, 10.5]]}, "inside the clip"),
        ({"detection_windows": [[2.0, 1.0]]}, "inside the clip"),
        ({"detection_windows": [[1.0]]}, "not \\[start_s, end_s\\]"),
        ({"length_sec": 0}, "not positive"),
        ({"length_sec": "ten"}, "finite number"),
        ({"sample_rate": 16000.5}, "sample_rate"),
        ({"wav_file": "a%b.wav"}, "'%'"),
        ({"wav_file": ""}, "not a file name"),
    ],
)
def test_a_list_that_cannot_be_scored_is_refused_with_the_file_and_clip(
    tmp_path: Path, change: dict, message: str
) -> None:
    path = _write(tmp_path / "bad.json", [EXAMPLE, {**EXAMPLE, **change}])
    with pytest.raises(ConfigurationError, match=message) as info:
        read_clip_list(path)
    assert str(path) in str(info.value) and "clip 1" in str(info.value)


@pytest.mark.parametrize("text", ["", "{", "[]", '{"wav_file": 1}', "[1]"])
def test_not_a_clip_list(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=r"x\.json"):
        read_clip_list(path)
    missing = {k: v for k, v in EXAMPLE.items() if k != "length_sec"}
    with pytest.raises(ConfigurationError, match="missing length_sec"):
        read_clip_list(_write(path, [missing]))


def test_finding_the_list_under_dataset(tmp_path: Path) -> None:
    folder = write_synthetic_clip_lists(tmp_path)
    assert find_clip_list(tmp_path) == folder / LONG_TEST  # the scored one by default
    assert find_clip_list(folder) == folder / LONG_TEST
    short = folder / "sww_short_test.json"
    assert find_clip_list(short) == short
    (folder / LONG_TEST).unlink()
    with pytest.raises(ConfigurationError, match="several clip lists"):
        find_clip_list(tmp_path)
    with pytest.raises(ConfigurationError, match="no sww01 clip list"):
        find_clip_list(tmp_path / "empty")
    with pytest.raises(ConfigurationError, match="does not exist"):
        find_clip_list(tmp_path / "none.json")


def test_synthetic_lists_are_valid_seeded_and_marked(tmp_path: Path) -> None:
    lists = synthetic_clip_lists()
    assert lists == synthetic_clip_lists()
    assert lists != synthetic_clip_lists(seed=1)
    (long_clip,) = lists[LONG_TEST]
    assert (long_clip.length_s, len(long_clip.windows)) == (1200.0, 50)
    folder = write_synthetic_clip_lists(tmp_path)
    for name, clips in lists.items():
        read = read_clip_list(folder / name)  # the checks of a user's list pass
        assert read.clips == clips and read.synthetic
        for clip in clips:
            for (_, end), (start, _) in zip(clip.windows, clip.windows[1:], strict=False):
                assert start - end >= 2.0  # the scoring's margin cannot reach the next word
