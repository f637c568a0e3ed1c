"""The optional compiled bin_hexa word decoder (``bin_hexa_kernel.c``), if it was built.

``pip install`` builds it where a C compiler is found; otherwise ``decode`` is None and the
decoder uses its numpy path, which gives the same float32 bits at about a quarter of the speed.
``TINYJOULE_DECODE_KERNEL=0`` turns the kernel off (to compare the two paths). A kernel built
from an older ``bin_hexa_kernel.c`` (its ``KERNEL_VERSION`` differs) is not used.
"""

from __future__ import annotations

import os
from collections.abc import Callable

KERNEL_VERSION = 1
"""Must match ``KERNEL_VERSION`` in ``bin_hexa_kernel.c``; bump both when its contract changes."""

Decode = Callable[[bytes, int, int, object, int], tuple[int, int, int]]


def _load() -> tuple[Decode | None, str]:
    if os.environ.get("TINYJOULE_DECODE_KERNEL", "1") == "0":
        return None, "turned off by TINYJOULE_DECODE_KERNEL=0"
    try:
        from tinyjoule.host.instruments import _bin_hexa  # type: ignore[attr-defined]
    except ImportError:
        return None, "not built (no working C compiler at install time); reinstall with one"
    if getattr(_bin_hexa, "KERNEL_VERSION", None) != KERNEL_VERSION:
        return None, "built from an older bin_hexa_kernel.c; reinstall (python3 dev.py test)"
    return _bin_hexa.decode, "compiled"


decode, status = _load()
"""``decode(src, pos, stop, out, n) -> (pos, n, garbage_words)`` or None; ``status`` says why."""
