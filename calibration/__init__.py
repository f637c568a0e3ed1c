"""Calibration of energy monitors: references, fits, records and the uncertainty budget.

Pure arithmetic and files, no instruments (the workflows that measure live in
``tinyjoule.host.calibrate``): ``references`` (what a user connects: ``1kohm±0.01%``),
``fit`` (reading statistics, the gain/offset fit, the time base), ``correction`` (what a
record changes in a stream of samples, and how to undo it), ``record`` (one instrument's
calibration, as a file), ``store`` (the user's data folder), ``budget`` (GUM terms,
combined and expanded uncertainty). Never imports ``tinyjoule.host``.
"""
