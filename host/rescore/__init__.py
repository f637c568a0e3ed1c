"""Re-scoring published MLPerf Tiny energy results from their raw traces.

Reads EEMBC-runner folders (``trace1-energy.bin``, ``trace1-timestamps.json``, ``results.txt``,
``log.txt``) and MLCommons-runner folders (``results.json``), recomputes every window with
``host.measurement.integration.range_energy`` (the runners' half-open convention), compares
with the published values, checks on timing evidence (the log's run times, or the performance run
beside the folder in a results tree) whether each window holds an inference run, and can import
a folder as a tinyjoule session or plot it. ``command.rescore_command`` is the CLI's entry.
"""

from tinyjoule.host.rescore.alignment_check import (
    ALIGNED,
    CANNOT_TELL,
    MISALIGNED,
    Alignment,
    WindowCheck,
    check_alignment,
)
from tinyjoule.host.rescore.records import FolderError, RawTrace
from tinyjoule.host.rescore.rescore import (
    RescoreFailure,
    RescoreResult,
    find_folders,
    load_folder,
    rescore_folder,
    rescore_paths,
)
from tinyjoule.host.rescore.run_timing import RunTiming, load_run_timing
from tinyjoule.host.rescore.score import TraceScore, WindowScore, score_trace

__all__ = [
    "ALIGNED",
    "CANNOT_TELL",
    "MISALIGNED",
    "Alignment",
    "FolderError",
    "RawTrace",
    "RescoreFailure",
    "RescoreResult",
    "RunTiming",
    "TraceScore",
    "WindowCheck",
    "WindowScore",
    "check_alignment",
    "find_folders",
    "load_folder",
    "load_run_timing",
    "rescore_folder",
    "rescore_paths",
    "score_trace",
]
