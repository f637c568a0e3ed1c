"""CSV for ``--csv FILE`` or ``--csv -`` (stdout): one row per dictionary, named columns."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tinyjoule.errors import ConfigurationError


def write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str], target: str) -> None:
    """``rows`` as CSV with ``columns`` (other keys left out) to ``target``, a file or ``-``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    if target == "-":
        sys.stdout.write(out.getvalue())
        return
    path = Path(target)
    if path.is_dir() or not path.parent.is_dir():
        raise ConfigurationError(
            f"--csv {target}: give a file in a folder that exists (the folder {path.parent} "
            "does not exist, or this is a folder)"
        )
    try:
        path.write_text(out.getvalue())
    except OSError as exc:
        raise ConfigurationError(f"--csv {target}: cannot write it ({exc.strerror})") from exc
