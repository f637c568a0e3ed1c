"""One self-contained HTML report of sessions, imported runs and published MLPerf Tiny folders:
summary and per-window tables with uncertainties and flags, zoomable trace plots of every
window (min/max envelopes computed block by block), latency, the uncertainty terms, the
provenance and every check passed or failed; matplotlib PNGs of the same plots on request.
``build_report`` is the entry (``tinyjoule report`` and the end of ``tinyjoule run``)."""

from tinyjoule.host.report.build import REPORT_NAME, ReportResult, build_report, read_report

__all__ = ["REPORT_NAME", "ReportResult", "build_report", "read_report"]
