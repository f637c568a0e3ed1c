"""Build script for the one compiled part: the optional bin_hexa decoding kernel.

Everything else is declared in pyproject.toml. The kernel is optional: where no C compiler
is found the install goes on, and the decoder uses its numpy path (same bits, slower).
"""

import sys

from setuptools import Extension, setup

FLAGS = [] if sys.platform == "win32" else ["-O3"]

setup(
    ext_modules=[
        Extension(
            "tinyjoule.host.instruments._bin_hexa",
            sources=["host/instruments/bin_hexa_kernel.c"],
            extra_compile_args=FLAGS,
            optional=True,
        )
    ]
)
