"""Calibration of energy monitors: offset, gain and timing records, and the uncertainty budget."""
