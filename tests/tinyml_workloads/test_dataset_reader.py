"""The dataset reader: synthetic datasets open cleanly; every bad input names file, line, fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinyjoule.errors import ConfigurationError
from tinyjoule.tinyml_workloads.datasets import open_dataset
from tinyjoule.tinyml_workloads.workloads import WORKLOADS

KWS = WORKLOADS["kws01"]
AD = WORKLOADS["ad01"]


def make_kws(folder: Path, lines: list[str], files: dict[str, int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, size in files.items():
        (folder / name).write_bytes(bytes(size))
    (folder / "y_labels.csv").write_text("\n".join(lines) + "\n")
    return folder


def config_error(folder: Path, workload=KWS) -> str:
    with pytest.raises(ConfigurationError) as info:
        open_dataset(folder, workload)
    return str(info.value)


@pytest.mark.parametrize("wid", ["kws01", "vww01", "ic01", "ad01"])
def test_synthetic_datasets_open_from_the_root_or_their_folder(
    synthetic_root: Path, wid: str
) -> None:
    w = WORKLOADS[wid]
    dataset = open_dataset(synthetic_root, w)
    assert dataset.folder == synthetic_root / wid
    assert open_dataset(synthetic_root / wid, w).files == dataset.files
    assert len(dataset) > 0
    for file in dataset.files:
        assert file.n_classes == len(w.class_names)
        assert 0 <= file.label < file.n_classes
        inputs = dataset.read_inputs(file)
        assert all(len(data) == w.input_bytes for data in inputs)
        assert dataset.first_input(file) == inputs[0]
        if not w.windowed:
            assert len(inputs) == 1
            assert file.window_bytes is None


def test_ad01_windows_every_stride(synthetic_root: Path) -> None:
    dataset = open_dataset(synthetic_root, AD)
    file = dataset.files[0]
    data = file.path.read_bytes()
    windows = dataset.read_inputs(file)
    assert (file.window_bytes, file.stride_bytes) == (2560, 512)
    assert len(data) == 20 * 128 * 4
    assert len(windows) == (len(data) - 2560) // 512 + 1 == 16
    assert windows[3] == data[3 * 512 : 3 * 512 + 2560]
    assert windows[-1] == data[-2560:]


def test_spaces_blank_lines_bom_and_extra_fields_are_accepted(tmp_path: Path) -> None:
    folder = make_kws(
        tmp_path, ["a.bin, 12, 3", "", "b.bin ,12 ,11, 0, 0, extra"], {"a.bin": 490, "b.bin": 490}
    )
    (folder / "y_labels.csv").write_bytes(b"\xef\xbb\xbf" + (folder / "y_labels.csv").read_bytes())
    dataset = open_dataset(folder, KWS)
    assert [(f.name, f.label) for f in dataset.files] == [("a.bin", 3), ("b.bin", 11)]


def test_alternative_label_file(tmp_path: Path) -> None:
    folder = make_kws(tmp_path, ["a.bin,12,3"], {"a.bin": 490})
    (folder / "y_labels_alt.csv").write_text("a.bin,12,5\n")
    assert open_dataset(folder, KWS, labels_file="y_labels_alt.csv").files[0].label == 5


def test_missing_folder(tmp_path: Path) -> None:
    message = config_error(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in message
    assert "does not exist" in message


def test_missing_label_file(tmp_path: Path) -> None:
    message = config_error(tmp_path)
    assert "no y_labels.csv" in message
    assert str(tmp_path) in message
    assert "file,num_classes,label" in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a.bin,12", "malformed line"),
        ("a.bin,12,3,2560", "malformed line"),
        (",12,3", "malformed line"),
        ("a.bin,twelve,3", "num_classes 'twelve' is not an integer"),
        ("a.bin,12,x", "label 'x' is not an integer"),
    ],
)
def test_malformed_line_names_its_number(tmp_path: Path, line: str, expected: str) -> None:
    folder = make_kws(tmp_path, ["ok.bin,12,0", line], {"ok.bin": 490, "a.bin": 490})
    message = config_error(folder)
    assert f"{folder / 'y_labels.csv'}, line 2" in message
    assert expected in message
    assert "file,num_classes,label" in message


@pytest.mark.parametrize("label", [12, -1])
def test_label_out_of_range(tmp_path: Path, label: int) -> None:
    folder = make_kws(tmp_path, [f"a.bin,12,{label}"], {"a.bin": 490})
    message = config_error(folder)
    assert "line 1" in message
    assert f"label {label} of a.bin is out of range 0..11" in message
    assert "fix the label" in message


def test_class_count_of_another_workload(tmp_path: Path) -> None:
    folder = make_kws(tmp_path, ["a.bin,10,3"], {"a.bin": 490})
    message = config_error(folder)
    assert "num_classes is 10 but kws01 has 12" in message
    assert "another workload" in message


def test_missing_bin_file(tmp_path: Path) -> None:
    folder = make_kws(tmp_path, ["a.bin,12,3", "gone.bin,12,1"], {"a.bin": 490})
    message = config_error(folder)
    assert "line 2" in message
    assert f"{folder / 'gone.bin'} is missing" in message
    assert "remove the line" in message


def test_wrong_size_for_kws(tmp_path: Path) -> None:
    folder = make_kws(tmp_path, ["a.bin,12,3"], {"a.bin": 489})
    message = config_error(folder)
    assert f"{folder / 'a.bin'} has 489 bytes but a kws01 input is 490 bytes" in message
    assert "regenerate the file or remove the line" in message


@pytest.mark.parametrize("size", [2556, 2560 + 100])
def test_wrong_size_for_ad01(tmp_path: Path, size: int) -> None:
    (tmp_path / "n.bin").write_bytes(bytes(size))
    (tmp_path / "y_labels.csv").write_text("n.bin,2,0,2560,512\n")
    message = config_error(tmp_path, AD)
    assert f"{tmp_path / 'n.bin'} has {size} bytes" in message
    assert "2560 + k x 512" in message
    assert "line 1" in message


def test_ad01_without_window_columns_uses_the_workload_defaults(tmp_path: Path) -> None:
    (tmp_path / "n.bin").write_bytes(bytes(2560 + 2 * 512))
    (tmp_path / "y_labels.csv").write_text("n.bin,2,0\n")
    dataset = open_dataset(tmp_path, AD)
    assert len(dataset.read_inputs(dataset.files[0])) == 3


def test_ad01_window_that_is_not_an_input(tmp_path: Path) -> None:
    (tmp_path / "n.bin").write_bytes(bytes(5120))
    (tmp_path / "y_labels.csv").write_text("n.bin,2,0,5120,512\n")
    message = config_error(tmp_path, AD)
    assert "window_bytes,stride_bytes = 5120,512 cannot work" in message
    assert "2560,512" in message


def test_duplicate_file(tmp_path: Path) -> None:
    folder = make_kws(tmp_path, ["a.bin,12,3", "a.bin,12,3"], {"a.bin": 490})
    message = config_error(folder)
    assert "line 2" in message
    assert "first on line 1" in message


def test_empty_label_file(tmp_path: Path) -> None:
    folder = make_kws(tmp_path, [""], {})
    assert "lists no files" in config_error(folder)


@pytest.mark.parametrize(
    "name", ["../secret.bin", "sub/../../x.bin", "/etc/passwd", "..\\up.bin", "C:\\data\\a.bin"]
)
def test_a_path_that_climbs_out_of_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    """The file is really there (490 bytes, a valid kws01 input) and would be sent to the DUT."""
    folder = tmp_path / "ds"
    (tmp_path / "secret.bin").write_bytes(bytes(490))
    make_kws(folder, ["a.bin,12,3", f"{name},12,1"], {"a.bin": 490})
    message = config_error(folder)
    assert "line 2" in message and "points outside the dataset folder" in message
    assert repr(name) in message


def test_a_file_in_a_subfolder_is_still_allowed(tmp_path: Path) -> None:
    folder = make_kws(tmp_path / "ds", ["sub/a.bin,12,3"], {})
    (folder / "sub").mkdir()
    (folder / "sub" / "a.bin").write_bytes(bytes(490))
    assert open_dataset(folder, KWS).files[0].path == folder / "sub" / "a.bin"
