"""Mutation tests: the calibrated end-to-end check must fail when the calibration is applied
wrongly. Each test breaks the correction the way a real bug would (the gain multiplied in
instead of divided out, the offset added instead of removed, the time base the wrong way)
and runs exactly the check of ``test_calibration_e2e``; a window or the median must then be
out of its allowance (its expanded uncertainty or 0.1 %, whichever is smaller)."""

from __future__ import annotations

import dataclasses

import pytest
from calibration_check import calibrate_simulated, deviations, energy_run

from tinyjoule.calibration.correction import Correction

MUTATIONS = {
    "gain multiplied in": lambda c: dataclasses.replace(c, gain=1.0 / c.gain),
    "offset added": lambda c: dataclasses.replace(c, offset_a=-c.offset_a),
    "time base reversed": lambda c: dataclasses.replace(c, timebase_ppm=-c.timebase_ppm),
}


@pytest.fixture(scope="module")
def record_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(calibrate_simulated(folder=tmp_path_factory.mktemp("records")).path)


def test_the_unmutated_calibration_passes(sessions, record_path) -> None:
    assert max(deviations(energy_run(sessions, calibration_record=record_path))) <= 1.0


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_wrongly_applied_calibration_is_caught(sessions, record_path, monkeypatch, name):
    stream = Correction.stream
    mutate = MUTATIONS[name]
    monkeypatch.setattr(Correction, "stream", lambda self, *args: stream(mutate(self), *args))
    result = energy_run(sessions, calibration_record=record_path)
    assert result["calibration"]["applied"]
    assert max(deviations(result)) > 1.0
