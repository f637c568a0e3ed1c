"""The first window's ``infer`` deadline, set by the DUT's own warm-up pace.

Before the first window nobody knows how long an inference takes, so a fixed timeout either
fails a long first window (``--iterations 50000`` of a 36 ms model is half an hour) or waits
far too long for a DUT that hung. The firmware times itself for us: it prints
``m-warmup-start-<W>``, runs W untimed inferences, prints ``m-warmup-done``. From those two
lines' arrival the seconds per inference follow (both lines cross the same UART, so their
transfer time cancels), and the deadline becomes what a known latency would give:
``margin_s + factor × N × s/inference`` past the warm-up, never less than the base timeout.
Without warm-ups (W = 0), or when the warm-up ends after the base timeout (the reply is late
already), the base timeout stands.
"""

from __future__ import annotations

from tinyjoule.firmware_protocol import dut_messages as msg
from tinyjoule.firmware_protocol.dut_parse import parse_line

MARGIN_S = 30.0
FACTOR = 2.0


class WarmupPace:
    """Tracks an ``infer N W`` reply line by line; ``timeout_s`` is the current allowance
    in seconds from the command (the base until ``m-warmup-done`` arrives)."""

    def __init__(self, iterations: int, warmups: int, base_timeout_s: float) -> None:
        self.iterations = iterations
        self.warmups = warmups
        self.timeout_s = base_timeout_s
        self.seconds_per_inference: float | None = None
        self._warmup_start_s: float | None = None

    def see(self, line: str, elapsed_s: float) -> None:
        """``line`` arrived ``elapsed_s`` after the command was sent."""
        if self.seconds_per_inference is not None or self.warmups <= 0:
            return
        if elapsed_s > self.timeout_s:
            return  # already late: a pace seen after the deadline excuses nothing
        message = parse_line(line)
        if isinstance(message, msg.WarmupStart):
            self._warmup_start_s = elapsed_s
        elif isinstance(message, msg.WarmupDone) and self._warmup_start_s is not None:
            per_inference = (elapsed_s - self._warmup_start_s) / self.warmups
            self.seconds_per_inference = per_inference
            paced = elapsed_s + MARGIN_S + FACTOR * self.iterations * per_inference
            self.timeout_s = max(self.timeout_s, paced)
