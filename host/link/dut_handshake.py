"""The first exchange with a DUT: its name, model and timestamp mode, checked against the run.

``name`` and ``profile`` are tried up to ``ATTEMPTS`` times, as the reference runner does,
but only after silence: the first try also waits for a late reply, and one that came after
the timeout is reported as such (``LateReply``: raise the timeout), never retried, so that
it cannot be taken for the answer to the retry. The retries after silence do not wait
longer than the timeout (a silent DUT is reported after 2 + 1 + 1 timeouts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tinyjoule.device_text import quote_lines
from tinyjoule.errors import ConfigurationError, LateReply, ProtocolError, ResponseTimeout
from tinyjoule.firmware_protocol import dut_messages as msg
from tinyjoule.firmware_protocol.dut_codec import Response, parse_line

if TYPE_CHECKING:
    from tinyjoule.host.link.dut_link import DutLink

ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class DutIdentity:
    vendor: str
    model_id: str
    timestamp_mode: str
    profile_lines: tuple[str, ...] = ()  # the firmware's own ``profile`` reply


def announced_mode(lines: list[str] | tuple[str, ...]) -> str | None:
    """The timestamp mode a boot banner announced (``m-timestamp-mode-...``), if any."""
    mode = None
    for line in lines:
        message = parse_line(line)
        if isinstance(message, msg.TimestampMode):
            mode = message.mode
    return mode


def handshake(link: DutLink, expected_model: str | None, expected_mode: str) -> DutIdentity:
    """Name, profile and timestamp mode, checked against what the run needs."""
    announced = announced_mode(link.channel.drain())
    name_reply = _with_retries(link, "name")
    vendor_msg = name_reply.first(msg.Name)
    if vendor_msg is None:
        raise ProtocolError(
            f"{link.device}: 'name' answered {quote_lines(name_reply.lines)}, not "
            "m-name-dut-[...]; is this an MLPerf Tiny DUT?"
        )
    profile = _with_retries(link, "profile")
    model = profile.first(msg.ModelId)
    if model is None:
        raise ProtocolError(
            f"{link.device}: 'profile' gave no m-model-[...] line ({quote_lines(profile.lines)})"
        )
    if expected_model is not None and model.model_id != expected_model:
        raise ConfigurationError(
            f"{link.device}: the firmware runs model {model.model_id!r} but workload "
            f"{expected_model!r} was asked for; flash the {expected_model} firmware or pass "
            f"--workload {model.model_id}"
        )
    mode = announced or _probe_timestamp_mode(link)
    if mode != expected_mode:
        raise ConfigurationError(
            f"{link.device}: the firmware is built for {mode} mode "
            f"(m-timestamp-mode-{mode}) but {expected_mode} mode was asked for; rebuild it "
            f"with EE_CFG_ENERGY_MODE {1 if expected_mode == 'energy' else 0} or run "
            f"--mode {'energy' if mode == 'energy' else 'performance'}"
        )
    return DutIdentity(vendor_msg.vendor, model.model_id, mode, tuple(profile.lines))


def _with_retries(link: DutLink, command: str) -> Response:
    for attempt in range(ATTEMPTS):
        try:
            return link.command(command, wait_late=attempt == 0)
        except LateReply:
            raise
        except ResponseTimeout:
            if attempt == ATTEMPTS - 1:
                raise
            link.channel.drain()
    raise AssertionError("unreachable")


def _probe_timestamp_mode(link: DutLink) -> str:
    """Performance firmware answers ``timestamp`` with a lap line; energy firmware pulses."""
    reply = link.command("timestamp")
    return "performance" if reply.laps_us else "energy"
