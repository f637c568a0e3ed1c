"""The streaming wake word bench from the host: the SWW DUT behind the interface board.

The DUT is reached through the H573 board's ``dut`` passthrough, as the MLCommons bench
wires it; every reply must start with the SWW firmware's ``Received command: <cmd>`` echo
(a DUT that never echoes is not running that firmware, or not at its 115200 baud). The
board's own audio commands (``ls``, ``record_detections``, ``play``, ``print_detections``,
``print_dutycycle``) go straight to it. ``play`` blocks until the clip has played, so its
timeout is the clip's length plus a margin, on the bench's clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tinyjoule.errors import (
    ConfigurationError,
    MeasurementTimeout,
    ProtocolError,
    ResponseTimeout,
)
from tinyjoule.firmware_protocol.dut_codec import check_command
from tinyjoule.firmware_protocol.interface_audio_codec import (
    RECORDING_LINE,
    DutyCycleCapture,
    PlayOutcome,
    parse_detections,
    parse_dutycycle,
    play_outcome,
)
from tinyjoule.firmware_protocol.sww_codec import SWW_BAUD, SwwReply
from tinyjoule.host.link.dut_link import COMMAND_TIMEOUT_S, IoManagerChannel

PLAY_MARGIN_S = 10.0
"""What ``play`` may take beyond the clip's length (the MLCommons runner's margin)."""
_NAME = re.compile(r"m-name-dut-\[([^]]+)]")
_MODEL = re.compile(r"m-model-\[([^]]+)]")


@dataclass(frozen=True, slots=True)
class Played:
    outcome: PlayOutcome
    elapsed_s: float  # from sending ``play`` to the board's reply, on the bench clock


class SwwLink:
    """The SWW DUT (``dut``) and the interface board (``board``) over one board port."""

    def __init__(self, channel: IoManagerChannel) -> None:
        self.channel = channel
        self.device = channel.device
        self.board_device = channel.port.device
        self.clock = channel.port.clock
        self.vendor: str | None = None  # from the ``name`` reply, once ``identify`` read it

    # -- the DUT ------------------------------------------------------------------------------
    def dut(self, command: str, timeout_s: float = COMMAND_TIMEOUT_S) -> SwwReply:
        """One SWW command through the passthrough, its echo checked."""
        try:
            response = self.channel.exchange(command, timeout_s)
        except ResponseTimeout as exc:
            raise ResponseTimeout(
                f"{self.device}: the DUT never echoed 'Received command: {command}' (no "
                f"complete reply within {timeout_s:g} s: {exc}); the streaming wake word "
                f"firmware echoes every command: check that it is flashed and powered and "
                f"that its UART runs at {SWW_BAUD} baud"
            ) from exc
        reply = SwwReply(command, response.lines)
        if not reply.echoed:
            raise ProtocolError(
                f"{self.device}: the DUT answered {command!r} with {list(reply.lines)[:4]!r}, "
                f"without the echo 'Received command: {command}' the streaming wake word "
                "firmware starts every reply with; flash the sww01 reference firmware (or "
                "run the workload this firmware is for)"
            )
        if "m-init-done" in reply.lines:
            raise ProtocolError(
                f"{self.device}: the DUT rebooted while running {command!r} (it printed "
                "m-init-done); check its supply and reset line, then run again"
            )
        return reply

    def identify(self, expected_model: str) -> tuple[str, str]:
        """(vendor, model id) from ``name`` and ``profile``; the model must be the one asked."""
        name = self.dut("name")
        vendor = next((m[1] for m in map(_NAME.fullmatch, name.lines) if m), "unknown")
        self.vendor = vendor  # known even if a later check fails
        profile = self.dut("profile")
        model = next((m[1] for m in map(_MODEL.fullmatch, profile.lines) if m), None)
        if model is None:
            raise ProtocolError(
                f"{self.device}: 'profile' gave no m-model-[...] line ({list(profile.lines)!r})"
            )
        if model != expected_model:
            raise ConfigurationError(
                f"{self.device}: the firmware runs model {model!r} but workload "
                f"{expected_model!r} was asked for; flash the {expected_model} firmware or pass "
                f"--workload {model}"
            )
        return vendor, model

    # -- the interface board ------------------------------------------------------------------
    def board(self, command: str, timeout_s: float | None = None) -> list[str]:
        return self.channel.io_command(command, timeout_s)

    def files(self) -> list[str]:
        return [line.strip() for line in self.board("ls") if line.strip()]

    def record_detections(self) -> None:
        lines = self.board("record_detections")
        if RECORDING_LINE not in lines:
            raise ProtocolError(
                f"{self.board_device}: 'record_detections' answered {lines!r}, not "
                f"{RECORDING_LINE!r}: the board is not the STM32H573I-DK interface board with "
                "the streaming wake word firmware; update its firmware"
            )

    def play(self, wav: str, length_s: float) -> Played:
        command = f"play {wav}"
        try:
            check_command(command, "interface board command")
        except ValueError as exc:
            raise ConfigurationError(f"{self.board_device}: cannot play {wav!r}: {exc}") from exc
        timeout_s = length_s + PLAY_MARGIN_S
        started = self.clock.now()
        try:
            lines = self.board(command, timeout_s)
        except ResponseTimeout as exc:
            raise MeasurementTimeout(
                f"{self.board_device}: 'play {wav}' did not end within {timeout_s:g} s (the "
                f"clip is {length_s:g} s long): the board stalled or was reset; check its SD "
                "card and power, then run again"
            ) from exc
        return Played(play_outcome(lines, wav), self.clock.now() - started)

    def detections(self) -> tuple[int, ...]:
        return parse_detections(self.board("print_detections"))

    def dutycycle(self) -> DutyCycleCapture:
        return parse_dutycycle(self.board("print_dutycycle"))

    def close(self) -> None:
        self.channel.close()
