"""Seeded, numpy-only generators of plausible float inputs for each workload (no real data).

Shared by the synthetic dataset writer and the stand-in model generator, which calibrates its
int8 quantisation on the same distributions. Ranges follow the reference models' input
quantisation, so nothing the writer produces is clipped by the model's input scale.
"""

from __future__ import annotations

import numpy as np

# Float range of the reference models' int8 inputs: scale * ([-128, 127] - zero_point).
KWS_RANGE = (-123.37, 25.73)  # s=0.5847, zp=83
AD_RANGE = (-84.85, 14.86)  # s=0.3910, zp=89
AD_BINS = 128
AD_WINDOW_FRAMES = 5
SWW_RANGE = (0.0, 0.9435)  # s=0.00370, zp=-128
SWW_FRAMES, SWW_BINS = 30, 40


def _interpolation_matrix(size: int, knots: int) -> np.ndarray:
    """(size, knots) matrix that linearly interpolates ``knots`` values onto ``size`` points."""
    positions = np.linspace(0.0, knots - 1.0, size)
    low = np.clip(np.floor(positions).astype(int), 0, knots - 2)
    frac = positions - low
    matrix = np.zeros((size, knots))
    matrix[np.arange(size), low] = 1.0 - frac
    matrix[np.arange(size), low + 1] = frac
    return matrix


def smooth_field(rng: np.random.Generator, height: int, width: int, knots: int) -> np.ndarray:
    """A smooth random 2-D field in [-1, 1]-ish: a ``knots`` x ``knots`` grid, interpolated."""
    grid = rng.uniform(-1.0, 1.0, size=(knots, knots))
    rows = _interpolation_matrix(height, knots)
    cols = _interpolation_matrix(width, knots)
    return rows @ grid @ cols.T


def image(rng: np.random.Generator, size: int) -> np.ndarray:
    """An RGB uint8 image (size, size, 3), HWC: smooth colour fields, a few shapes, fine noise."""
    out = np.empty((size, size, 3))
    base = rng.uniform(60.0, 190.0, size=3)
    for channel in range(3):
        coarse = smooth_field(rng, size, size, 4) * rng.uniform(30.0, 70.0)
        fine = smooth_field(rng, size, size, max(4, size // 4)) * 15.0
        out[:, :, channel] = base[channel] + coarse + fine
    yy, xx = np.mgrid[0:size, 0:size] / size
    for _ in range(int(rng.integers(1, 4))):
        cy, cx = rng.uniform(0.1, 0.9, size=2)
        ry, rx = rng.uniform(0.08, 0.35, size=2)
        mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
        out[mask] = rng.uniform(0.0, 255.0, size=3) + 0.3 * (out[mask] - out[mask].mean(axis=0))
    out += rng.normal(0.0, 4.0, size=out.shape)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def kws_features(rng: np.random.Generator) -> np.ndarray:
    """MFCC-like float32 features (49 frames, 10 coefficients) inside the KWS input range."""
    frames, coeffs = 49, 10
    spread = 12.0 / (1.0 + np.arange(coeffs))
    noise = rng.normal(0.0, 1.0, size=(frames, coeffs)) * spread
    smooth = np.empty_like(noise)
    smooth[0] = noise[0]
    for t in range(1, frames):
        smooth[t] = 0.75 * smooth[t - 1] + 0.66 * noise[t]
    means = np.concatenate([[rng.uniform(-95.0, -60.0)], rng.normal(0.0, 4.0, coeffs - 1)])
    features = means + smooth
    start = int(rng.integers(0, 25))
    length = int(rng.integers(12, 25))
    envelope = np.sin(np.linspace(0.0, np.pi, length)) ** 2
    pattern = rng.normal(0.0, 10.0, size=coeffs) * (1.0 / np.sqrt(1.0 + np.arange(coeffs)))
    pattern[0] = rng.uniform(25.0, 55.0)
    end = min(frames, start + length)
    features[start:end] += envelope[: end - start, None] * pattern
    return np.clip(features, *KWS_RANGE).astype(np.float32)


def ad_spectrogram(rng: np.random.Generator, frames: int, anomalous: bool) -> np.ndarray:
    """Log-mel-like float32 frames x 128 in dB; ``anomalous`` adds tonal peaks and roughness.

    Normal files share one smooth machine spectrum with mild noise; anomalous ones carry 1-3
    narrow peaks, a tilted spectrum and stronger fluctuations, scaled by a random severity
    (some are subtle), the kind of change an autoencoder fitted to normal sound reconstructs
    badly.
    """
    bins = np.arange(AD_BINS) / (AD_BINS - 1)
    base = -28.0 - 34.0 * bins**0.8 + 4.0 * np.sin(2.0 * np.pi * 1.5 * bins)
    level = rng.normal(0.0, 1.5)
    spectrum = np.tile(base + level, (frames, 1))
    noise_std = 2.0
    if anomalous:
        severity = rng.uniform(0.25, 1.0)
        noise_std += 3.0 * severity
        spectrum += severity * rng.uniform(-10.0, 10.0) * (bins - 0.5)
        for _ in range(int(rng.integers(1, 4))):
            center = rng.uniform(0.05, 0.95)
            width = rng.uniform(0.01, 0.04)
            peak = severity * rng.uniform(12.0, 25.0)
            spectrum += peak * np.exp(-0.5 * ((bins - center) / width) ** 2)
    noise = rng.normal(0.0, noise_std, size=(frames, AD_BINS))
    noise[1:] = 0.6 * noise[1:] + 0.4 * noise[:-1]
    return np.clip(spectrum + noise, *AD_RANGE).astype(np.float32)


def ad_windows(spectrogram: np.ndarray) -> np.ndarray:
    """All (n, 640) model inputs of a spectrogram: 5 consecutive frames, stride 1 frame."""
    frames = spectrogram.shape[0]
    count = frames - AD_WINDOW_FRAMES + 1
    return np.stack(
        [spectrogram[i : i + AD_WINDOW_FRAMES].reshape(-1) for i in range(count)]
    ).astype(np.float32)


def sww_features(rng: np.random.Generator) -> np.ndarray:
    """Log-mel-like float32 features (30 frames x 1 x 40 bins) inside the SWW input range:
    a smooth background spectrum, and in some draws a word-like burst over a few frames."""
    bins = np.arange(SWW_BINS) / (SWW_BINS - 1)
    base = rng.uniform(0.15, 0.35) - 0.12 * bins + 0.03 * np.sin(2.0 * np.pi * 2.0 * bins)
    features = np.tile(base, (SWW_FRAMES, 1)) + rng.normal(0.0, 0.03, (SWW_FRAMES, SWW_BINS))
    if rng.random() < 0.5:
        start = int(rng.integers(0, SWW_FRAMES - 8))
        length = int(rng.integers(6, min(20, SWW_FRAMES - start) + 1))
        envelope = np.sin(np.linspace(0.0, np.pi, length)) ** 2
        shape = rng.uniform(0.2, 0.5) * np.exp(-((bins - rng.uniform(0.1, 0.6)) ** 2) / 0.05)
        features[start : start + length] += envelope[:, None] * shape
    return np.clip(features, *SWW_RANGE).astype(np.float32)[:, None, :]
