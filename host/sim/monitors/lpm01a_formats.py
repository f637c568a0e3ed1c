"""The LPM01A's two stream formats, device side: how the simulated PowerShield writes a
value (``ascii_dec``: 4 significant digits and a power of ten; ``bin_hexa``: a 12-bit
mantissa and a power of 16) and its binary frames. The host's decoders are
``host.instruments.lpm01a_ascii`` and ``lpm01a_binary``."""

from __future__ import annotations

import numpy as np


def quantise_ascii(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mantissa 1000-9999 or 0, exponent -99..99) with value ≈ mantissa × 10^exponent."""
    v = np.clip(np.asarray(values, np.float64), 0.0, None)
    positive = v >= 1e-96
    safe = np.where(positive, v, 1.0)
    exponent = np.floor(np.log10(safe)).astype(np.int64) - 3
    for _ in range(2):
        mantissa = np.rint(_scale10(safe, -exponent))
        exponent = np.where(mantissa >= 10000, exponent + 1, exponent)
        exponent = np.where(mantissa < 1000, exponent - 1, exponent)
    mantissa = np.rint(_scale10(safe, -exponent))
    big = mantissa >= 10000
    mantissa = np.where(big, 1000, mantissa)
    exponent = np.where(big, exponent + 1, exponent)
    exponent = np.clip(exponent, -99, 99)
    return np.where(positive, mantissa, 0).astype(np.int64), np.where(positive, exponent, 0)


def _scale10(v: np.ndarray, power: np.ndarray) -> np.ndarray:
    magnitude = 10.0 ** np.abs(power).astype(np.float64)
    return np.where(power >= 0, v * magnitude, v / magnitude)


def ascii_records(values: np.ndarray) -> np.ndarray:
    """``dddd±dd\\r\\n`` for every value, as an (n, 9) uint8 array."""
    mantissa, exponent = quantise_ascii(values)
    out = np.empty((len(mantissa), 9), np.uint8)
    for col, div in enumerate((1000, 100, 10, 1)):
        out[:, col] = mantissa // div % 10 + 48
    out[:, 4] = np.where(exponent < 0, 45, 43)
    magnitude = np.abs(exponent)
    out[:, 5] = magnitude // 10 + 48
    out[:, 6] = magnitude % 10 + 48
    out[:, 7] = 13
    out[:, 8] = 10
    return out


def bin_words(values: np.ndarray) -> np.ndarray:
    """The 16-bit word (uint16) for every value: the largest exponent 0-14 that keeps the
    rounded mantissa within 12 bits; values beyond 4095 saturate."""
    v = np.clip(np.asarray(values, np.float64), 0.0, 4095.0)
    _, binary_exponent = np.frexp(v)  # v = m x 2**x with m in [0.5, 1)
    exponent = np.clip((12 - binary_exponent) // 4, 0, 14)  # v x 16**e < 2**12, e largest
    mantissa = np.rint(np.ldexp(v, 4 * exponent))
    over = mantissa > 4095  # rounded up to 4096: one exponent less
    if over.any():
        exponent = np.where(over & (exponent > 0), exponent - 1, exponent)
        mantissa = np.rint(np.ldexp(v, 4 * exponent))
    words = (exponent.astype(np.uint16) << 12) | np.minimum(mantissa, 4095).astype(np.uint16)
    words[v <= 0] = 0
    return words


def bin_records(values: np.ndarray) -> np.ndarray:
    """Big-endian sample words for every value, as an (n, 2) uint8 array."""
    return bin_words(values).astype(">u2").view(np.uint8).reshape(-1, 2)


def _frame(kind: int, payload: bytes = b"") -> bytes:
    return bytes((0xF0, kind)) + payload + b"\xff\xff"


# -- device state ---------------------------------------------------------------------------
