"""Calibrating energy monitors against references (``tinyjoule calibrate``) and applying the
records to energy runs; the arithmetic and the records are ``tinyjoule.calibration``'s."""
