"""The first exchange with a DUT: its name, model and timestamp mode, checked against the run.

``name`` and ``profile`` are tried up to ``ATTEMPTS`` times, as the reference runner does,
after silence or a boot, never after a late reply:

- the first try also waits for a late reply; one that came after the timeout is reported
  (``LateReply``: raise the timeout), so that it cannot be taken for the answer to a retry.
  The retries after silence do not wait longer than the timeout (a silent DUT is reported
  after 2 + 1 + 1 timeouts);
- a reply that is a boot banner (``m-init-done``) is a board that has just booted, such as
  one that resets when its port opens (its USB bridge pulls the reset line): a command sent
  while it booted was lost. As a person would, the handshake lets it finish (the line is
  drained until quiet for ``RESYNC_QUIET_S``), takes its timestamp mode from the banner,
  notes it, and asks again. A board that boots on every try is reported as rebooting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tinyjoule.device_text import quote_lines
from tinyjoule.errors import ConfigurationError, ProtocolError, ResponseTimeout
from tinyjoule.firmware_protocol import dut_messages as msg
from tinyjoule.firmware_protocol.dut_codec import Response, parse_line

if TYPE_CHECKING:
    from tinyjoule.host.link.dut_link import DutLink

ATTEMPTS = 3
RESYNC_QUIET_S = 0.25
"""Quiet that ends the drain after a boot banner: a reply to a command that reached the
board just as it booted (at 9600 baud, a 40-byte reply takes 42 ms) comes within it."""


@dataclass(frozen=True, slots=True)
class DutIdentity:
    vendor: str
    model_id: str
    timestamp_mode: str
    profile_lines: tuple[str, ...] = ()  # the firmware's own ``profile`` reply
    notes: tuple[str, ...] = ()  # what happened on the way (a boot), for the run's log


class _Session:
    """What the handshake learns as it goes: the announced mode, notes."""

    def __init__(self, link: DutLink) -> None:
        self.link = link
        self.announced = announced_mode(link.channel.drain())
        self.notes: list[str] = []

    def ask(self, command: str) -> Response:
        """``command``'s reply, after silence or a boot tried again (see the module)."""
        link = self.link
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            try:
                response, took_s = link.exchange(command, wait_late=attempt == 0)
            except ResponseTimeout:
                if last:
                    raise
                link.channel.drain()
                continue
            if response.first(msg.InitDone) is not None and not last:
                self._booted(command, response)
                continue
            link.check(command, response, took_s)
            return response
        raise AssertionError("unreachable")

    def _booted(self, command: str, banner: Response) -> None:
        link = self.link
        after_s = link.clock.now() - link.channel.port.opened_s
        self.announced = announced_mode(banner.lines) or self.announced
        drained = link.channel.port.drain(RESYNC_QUIET_S, link.reply_timeout_s)
        note = (
            f"{link.device}: the DUT booted while {command!r} was outstanding, {after_s:.1f} s "
            f"after its port was opened (its banner ended the reply; a board that resets when "
            f"its port opens does this); waited for it and sent {command!r} again"
        )
        if drained:
            note += f" ({len(drained)} stale line(s) after the banner dropped)"
        self.notes.append(note)
        link.channel.port.transcript.note(note)


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
    session = _Session(link)
    name_reply = session.ask("name")
    vendor_msg = name_reply.first(msg.Name)
    if vendor_msg is None:
        raise ProtocolError(
            f"{link.device}: 'name' answered {quote_lines(name_reply.lines)}, not "
            "m-name-dut-[...]; is this an MLPerf Tiny DUT?"
        )
    link.vendor = vendor_msg.vendor  # known even if a later check fails
    profile = session.ask("profile")
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
    mode = session.announced or _probe_timestamp_mode(link)
    if mode != expected_mode:
        raise ConfigurationError(
            f"{link.device}: the firmware is built for {mode} mode "
            f"(m-timestamp-mode-{mode}) but {expected_mode} mode was asked for; rebuild it "
            f"with EE_CFG_ENERGY_MODE {1 if expected_mode == 'energy' else 0} or run "
            f"--mode {'energy' if mode == 'energy' else 'performance'}"
        )
    return DutIdentity(
        vendor_msg.vendor, model.model_id, mode, tuple(profile.lines), tuple(session.notes)
    )


def _probe_timestamp_mode(link: DutLink) -> str:
    """Performance firmware answers ``timestamp`` with a lap line; energy firmware pulses."""
    reply = link.command("timestamp")
    return "performance" if reply.laps_us else "energy"
