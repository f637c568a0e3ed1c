"""A module-scoped fixture that runs a test module's bin_hexa decoding through each path:
the compiled kernel and the numpy fallback. The kernel's tests skip where it was not built,
unless ``TINYJOULE_REQUIRE_DECODE_KERNEL=1`` (set by CI), where they fail instead."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tinyjoule.host.instruments import bin_hexa_compiled


def kernel_or_skip() -> None:
    """Skip (or fail, where CI requires the kernel) when the kernel is not usable."""
    if bin_hexa_compiled.decode is None:
        message = f"bin_hexa kernel: {bin_hexa_compiled.status}"
        if os.environ.get("TINYJOULE_REQUIRE_DECODE_KERNEL") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module", autouse=True, params=["compiled", "numpy"])
def decode_path(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "compiled":
        kernel_or_skip()
        yield "compiled"
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bin_hexa_compiled, "decode", None)
        yield "numpy"
