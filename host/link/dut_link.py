"""Talking to the DUT: one command, one response, directly or through an IO manager.

``DirectChannel`` writes ``<cmd>%`` to the DUT's own UART; ``IoManagerChannel`` wraps each
command as ``dut <cmd>%``, checks the board's ``m-dut-passthrough`` acknowledgement and strips
the ``[dut]: `` prefix. ``DutLink`` adds the MLPerf Tiny steps on top: handshake, loading an
input, ``infer``. Every wait has a deadline and every error names the device and command.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from tinyjoule.device_text import clip, quote, quote_lines
from tinyjoule.errors import ConfigurationError, LateReply, ProtocolError, ResponseTimeout
from tinyjoule.firmware_protocol import dut_messages as msg
from tinyjoule.firmware_protocol.dut_codec import (
    DIRECT_CHUNK_BYTES,
    IO_MANAGER_CHUNK_BYTES,
    MAX_RESPONSE_LINES,
    Response,
    ResponseAssembler,
    db_load_commands,
    encode_command,
)
from tinyjoule.firmware_protocol.io_manager_codec import (
    check_passthrough_ack,
    encode_passthrough,
    strip_dut_prefix,
)
from tinyjoule.host.link.dut_handshake import DutIdentity, handshake
from tinyjoule.host.link.infer_pace import WarmupPace
from tinyjoule.host.link.line_port import LinePort

__all__ = [
    "DirectChannel",
    "DutChannel",
    "DutIdentity",
    "DutLink",
    "InferReply",
    "IoManagerChannel",
]

COMMAND_TIMEOUT_S = 5.0
"""Seconds the DUT may take to answer a command (not ``infer``: its timeout follows the
window); ``--reply-timeout`` or ``reply_timeout_s`` under ``[dut]`` in a board file."""
MAX_LATE_WAIT_S = 30.0
"""The longest a command's reply is waited for past its timeout, to tell a late reply from
none (and keep a late one from being taken for the next command's)."""


def _timeout_error(
    device: str,
    command: str,
    count: int,
    last: str | None,
    port: LinePort,
    timeout_s: float,
    late_s: float = 0.0,
) -> ResponseTimeout:
    got = f"after {count} line(s), the last {quote(last)}" if last is not None else "nothing"
    hint = "check that the board is powered, flashed with MLPerf Tiny firmware and on this port"
    if port.garbage_bytes:
        hint = (
            f"{port.garbage_bytes} byte(s) of garbage arrived: the baud rate is probably wrong "
            "(the reference firmware uses 9600 in energy mode, 115200 or 921600 otherwise)"
        )
    elif port.cut_bytes:
        hint = (
            f"it printed over-long lines ({port.cut_bytes} bytes cut), which no MLPerf Tiny "
            "firmware prints: look for a print without a line end in the firmware"
        )
    more = f", nor in {late_s:g} s more" if late_s else ""
    return ResponseTimeout(
        f"{device}: no 'm-ready' for command {command!r} within {timeout_s:g} s{more} (received "
        f"{got}); {hint}"
    )


class DutChannel(Protocol):
    device: str
    chunk_bytes: int
    port: LinePort

    def exchange(
        self, command: str, timeout_s: float, late_s: float = 0.0, pace: WarmupPace | None = None
    ) -> Response:
        """Send ``command``; its reply up to ``m-ready``, waited for ``timeout_s`` (or what
        ``pace`` makes of it) and then ``late_s`` more (a reply in that time is returned:
        ``DutLink`` judges it late)."""

    def drain(self) -> list[str]: ...

    def close(self) -> None: ...


class DirectChannel:
    """The DUT on its own serial port."""

    chunk_bytes = DIRECT_CHUNK_BYTES

    def __init__(self, port: LinePort) -> None:
        self.port = port
        self.device = port.device

    def exchange(
        self, command: str, timeout_s: float, late_s: float = 0.0, pace: WarmupPace | None = None
    ) -> Response:
        assembler = ResponseAssembler()
        assembler.start(command)
        self.port.write(encode_command(command))
        return _collect(self.port, assembler, self.device, command, timeout_s, late_s, False, pace)

    def drain(self) -> list[str]:
        return self.port.drain()

    def close(self) -> None:
        self.port.close()


class IoManagerChannel:
    """The DUT behind an IO manager board's ``dut`` passthrough."""

    chunk_bytes = IO_MANAGER_CHUNK_BYTES

    def __init__(self, port: LinePort) -> None:
        self.port = port
        self.device = f"DUT via {port.device}"

    def io_command(self, command: str, timeout_s: float | None = None) -> list[str]:
        """One of the IO manager's own commands; its lines before ``m-ready``."""
        timeout_s = timeout_s or COMMAND_TIMEOUT_S
        self.port.write(encode_command(command))
        deadline = self.port.clock.now() + timeout_s
        lines: list[str] = []  # the first MAX_RESPONSE_LINES
        count, last = 0, None
        while True:
            line = self.port.read_line(deadline)
            if line is None:
                raise _timeout_error(self.port.device, command, count, last, self.port, timeout_s)
            if line == "m-ready":
                return lines
            count, last = count + 1, line
            if len(lines) < MAX_RESPONSE_LINES:
                lines.append(line)

    def exchange(
        self, command: str, timeout_s: float, late_s: float = 0.0, pace: WarmupPace | None = None
    ) -> Response:
        self.port.write(encode_passthrough(command))
        deadline = self.port.clock.now() + COMMAND_TIMEOUT_S
        ack: list[str] = []
        while len(ack) < 2:
            line = self.port.read_line(deadline)
            if line is None:
                raise _timeout_error(
                    self.port.device,
                    f"dut {command}",
                    len(ack),
                    ack[-1] if ack else None,
                    self.port,
                    COMMAND_TIMEOUT_S,
                )
            ack.append(line)
        check_passthrough_ack(ack, command)
        assembler = ResponseAssembler()
        assembler.start(command)
        return _collect(self.port, assembler, self.device, command, timeout_s, late_s, True, pace)

    def drain(self) -> list[str]:
        return self.port.drain()

    def close(self) -> None:
        self.port.close()


def _collect(
    port: LinePort,
    assembler: ResponseAssembler,
    device: str,
    command: str,
    timeout_s: float,
    late_s: float,
    strip: bool,
    pace: WarmupPace | None = None,
) -> Response:
    start = port.clock.now()
    count, last = 0, None
    while True:
        timeout = timeout_s if pace is None else pace.timeout_s
        line = port.read_line(start + timeout + late_s)
        if line is None:
            raise _timeout_error(device, command, count, last, port, timeout, late_s)
        if strip:
            dut_line = strip_dut_prefix(line)
            if dut_line is None:
                continue  # the IO manager's own chatter
            line = dut_line
        count, last = count + 1, line
        if pace is not None:
            pace.see(line, port.clock.now() - start)
        response = assembler.feed_line(line)
        if response is not None:
            return response


@dataclass(frozen=True, slots=True)
class InferReply:
    iterations: int
    warmups: int
    laps_us: tuple[int, ...]
    results: tuple[float, ...]
    response: Response


class DutLink:
    """The MLPerf Tiny DUT protocol steps over a channel; ``reply_timeout_s`` (None: the
    default, ``COMMAND_TIMEOUT_S``) bounds every command but ``infer``."""

    def __init__(self, channel: DutChannel, reply_timeout_s: float | None = None) -> None:
        self.channel = channel
        self.device = channel.device
        self.clock = channel.port.clock
        self._reply_timeout_s = reply_timeout_s
        self.vendor: str | None = None  # from the ``name`` reply, once the handshake read it

    @property
    def reply_timeout_s(self) -> float:
        return self._reply_timeout_s or COMMAND_TIMEOUT_S

    def command(
        self, command: str, timeout_s: float | None = None, *, wait_late: bool = True
    ) -> Response:
        """Send ``command``; its reply, or ProtocolError (``LateReply`` for one that came
        after the timeout: it is discarded, never taken for a later command's)."""
        response, took_s = self.exchange(command, timeout_s, wait_late=wait_late)
        self.check(command, response, took_s, timeout_s)
        return response

    def exchange(
        self,
        command: str,
        timeout_s: float | None = None,
        *,
        wait_late: bool = True,
        pace: WarmupPace | None = None,
    ) -> tuple[Response, float]:
        """The reply to ``command`` and the seconds it took. With ``wait_late``, a reply
        after the timeout is waited for (up to as long again, at most ``MAX_LATE_WAIT_S``)
        so that it is told apart from none and cannot end the next command's reply."""
        timeout = timeout_s or self.reply_timeout_s
        late_s = min(timeout, MAX_LATE_WAIT_S) if wait_late else 0.0
        start = self.clock.now()
        response = self.channel.exchange(command, timeout, late_s, pace)
        return response, self.clock.now() - start

    def check(
        self, command: str, response: Response, took_s: float, timeout_s: float | None = None
    ) -> None:
        """ProtocolError for a reply that is a reboot, late or an error."""
        if response.first(msg.InitDone) is not None:
            raise ProtocolError(
                f"{self.device}: the DUT rebooted while running {command!r} (it printed "
                "m-init-done); check its supply and reset line, then run again"
            )
        timeout = timeout_s or self.reply_timeout_s
        if took_s > timeout:
            raise self._late(command, response, took_s, timeout, timeout_s is None)
        if response.errors:
            raise ProtocolError(
                f"{self.device}: command {command!r} failed: e-[{clip(response.errors[0])}]"
                " (the firmware rejected it; check the command and its arguments)"
            )

    def _late(
        self, command: str, response: Response, took_s: float, timeout_s: float, reply: bool
    ) -> LateReply:
        if reply:
            wanted = math.ceil(2 * took_s)
            fix = (
                f"raise the timeout: --reply-timeout {wanted}, or reply_timeout_s = {wanted} "
                "under [dut] in the board file"
            )
        else:
            fix = "the window took longer than planned: lower the first window's --iterations"
        return LateReply(
            f"{self.device}: the DUT answered {command!r} after {took_s:.1f} s, later than its "
            f"{timeout_s:g} s timeout ({quote_lines(response.lines)}); the late reply was "
            f"discarded, not taken for the next command's; {fix}"
        )

    def handshake(self, expected_model: str | None, expected_mode: str) -> DutIdentity:
        """Name, profile and timestamp mode, checked against what the run needs."""
        return handshake(self, expected_model, expected_mode)

    def load(self, data: bytes) -> None:
        commands = db_load_commands(data, self.channel.chunk_bytes)
        first = self.command(commands[0])
        expecting = first.first(msg.Expecting)
        if expecting is None or expecting.n_bytes != len(data):
            raise ProtocolError(
                f"{self.device}: {commands[0]!r} answered {quote_lines(first.lines)}, "
                f"not m-[Expecting {len(data)} bytes]"
            )
        if first.warnings:
            raise ConfigurationError(
                f"{self.device}: {clip(first.warnings[0])} — the input ({len(data)} bytes) does "
                "not fit the firmware's buffer; check that the workload matches the firmware"
            )
        done = False
        for chunk_command in commands[1:]:
            reply = self.command(chunk_command)
            done = reply.first(msg.LoadDone) is not None
        if not done:
            raise ProtocolError(
                f"{self.device}: sent {len(data)} bytes but the DUT never printed m-load-done; "
                "bytes were lost on the link (check the baud rate and wiring)"
            )

    def infer(
        self, iterations: int, warmups: int, timeout_s: float, *, paced: bool = False
    ) -> InferReply:
        """``infer N W`` within ``timeout_s``; ``paced`` (the first window, latency not yet
        known): the timeout grows to what the warm-up's pace says N inferences take."""
        command = f"infer {iterations} {warmups}"
        pace = WarmupPace(iterations, warmups, timeout_s) if paced else None
        response, took_s = self.exchange(command, timeout_s, pace=pace)
        self.check(command, response, took_s, timeout_s if pace is None else pace.timeout_s)
        if response.warnings:
            raise ConfigurationError(
                f"{self.device}: {command!r}: the firmware warned {quote(response.warnings[0])}; "
                "the input size does not match the model"
            )
        results = response.results
        if results is None or response.first(msg.InferDone) is None:
            raise ProtocolError(
                f"{self.device}: {command!r} ended without m-infer-done and m-results-[...] "
                f"({quote_lines(response.lines)}); did the DUT reset?"
            )
        return InferReply(iterations, warmups, response.laps_us, results.values, response)

    def close(self) -> None:
        self.channel.close()
