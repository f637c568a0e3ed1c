"""Shared by every test folder: this folder is on sys.path, so the helpers beside this file
(``fake_front_end``) import by name."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_calibrations(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Calibration records go to a folder of each test's own, never the user's data folder
    (energy runs look there for their monitor's record)."""
    monkeypatch.setenv("TINYJOULE_CALIBRATIONS", str(tmp_path_factory.mktemp("calibrations")))
