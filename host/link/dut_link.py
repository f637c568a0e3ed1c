"""Talking to the DUT: one command, one response, directly or through an IO manager.

``DirectChannel`` writes ``<cmd>%`` to the DUT's own UART; ``IoManagerChannel`` wraps each
command as ``dut <cmd>%``, checks the board's ``m-dut-passthrough`` acknowledgement and strips
the ``[dut]: `` prefix. ``DutLink`` adds the MLPerf Tiny steps on top: handshake, loading an
input, ``infer``. Every wait has a deadline and every error names the device and command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tinyjoule.device_text import clip, quote, quote_lines
from tinyjoule.errors import ConfigurationError, ProtocolError, ResponseTimeout
from tinyjoule.firmware_protocol import dut_messages as msg
from tinyjoule.firmware_protocol.dut_codec import (
    DIRECT_CHUNK_BYTES,
    IO_MANAGER_CHUNK_BYTES,
    MAX_RESPONSE_LINES,
    Response,
    ResponseAssembler,
    db_load_commands,
    encode_command,
    parse_line,
)
from tinyjoule.firmware_protocol.io_manager_codec import (
    check_passthrough_ack,
    encode_passthrough,
    strip_dut_prefix,
)
from tinyjoule.host.link.line_port import LinePort

COMMAND_TIMEOUT_S = 5.0


def _timeout_error(
    device: str, command: str, count: int, last: str | None, port: LinePort, timeout_s: float
) -> ResponseTimeout:
    got = f"after {count} line(s), the last {quote(last)}" if last is not None else "nothing"
    hint = "check that the board is powered, flashed with MLPerf Tiny firmware and on this port"
    if port.garbage_bytes:
        hint = (
            f"{port.garbage_bytes} byte(s) of garbage arrived: the baud rate is probably wrong "
            "(the reference firmware uses 9600 in energy mode, 115200 or 921600 otherwise)"
        )
    return ResponseTimeout(
        f"{device}: no 'm-ready' for command {command!r} within {timeout_s:g} s (received {got}); "
        f"{hint}"
    )


class DutChannel(Protocol):
    device: str
    chunk_bytes: int

    def exchange(self, command: str, timeout_s: float) -> Response: ...

    def drain(self) -> list[str]: ...

    def close(self) -> None: ...


class DirectChannel:
    """The DUT on its own serial port."""

    chunk_bytes = DIRECT_CHUNK_BYTES

    def __init__(self, port: LinePort) -> None:
        self.port = port
        self.device = port.device

    def exchange(self, command: str, timeout_s: float) -> Response:
        assembler = ResponseAssembler()
        assembler.start(command)
        self.port.write(encode_command(command))
        return _collect(self.port, assembler, self.device, command, timeout_s, strip=False)

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

    def exchange(self, command: str, timeout_s: float) -> Response:
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
        return _collect(self.port, assembler, self.device, command, timeout_s, strip=True)

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
    strip: bool,
) -> Response:
    deadline = port.clock.now() + timeout_s
    count, last = 0, None
    while True:
        line = port.read_line(deadline)
        if line is None:
            raise _timeout_error(device, command, count, last, port, timeout_s)
        if strip:
            dut_line = strip_dut_prefix(line)
            if dut_line is None:
                continue  # the IO manager's own chatter
            line = dut_line
        count, last = count + 1, line
        response = assembler.feed_line(line)
        if response is not None:
            return response


@dataclass(frozen=True, slots=True)
class DutIdentity:
    vendor: str
    model_id: str
    timestamp_mode: str
    profile_lines: tuple[str, ...] = ()  # the firmware's own ``profile`` reply


@dataclass(frozen=True, slots=True)
class InferReply:
    iterations: int
    warmups: int
    laps_us: tuple[int, ...]
    results: tuple[float, ...]
    response: Response


class DutLink:
    """The MLPerf Tiny DUT protocol steps over a channel."""

    def __init__(self, channel: DutChannel) -> None:
        self.channel = channel
        self.device = channel.device

    def command(self, command: str, timeout_s: float | None = None) -> Response:
        response = self.channel.exchange(command, timeout_s or COMMAND_TIMEOUT_S)
        if response.first(msg.InitDone) is not None:
            raise ProtocolError(
                f"{self.device}: the DUT rebooted while running {command!r} (it printed "
                "m-init-done); check its supply and reset line, then run again"
            )
        if response.errors:
            raise ProtocolError(
                f"{self.device}: command {command!r} failed: e-[{clip(response.errors[0])}]"
                " (the firmware rejected it; check the command and its arguments)"
            )
        return response

    def handshake(self, expected_model: str | None, expected_mode: str) -> DutIdentity:
        """Name, profile and timestamp mode, checked against what the run needs."""
        banner = self.channel.drain()
        announced = None
        for line in banner:
            message = parse_line(line)
            if isinstance(message, msg.TimestampMode):
                announced = message.mode
        name_reply = self._with_retries("name")
        vendor_msg = name_reply.first(msg.Name)
        if vendor_msg is None:
            raise ProtocolError(
                f"{self.device}: 'name' answered {quote_lines(name_reply.lines)}, not "
                "m-name-dut-[...]; "
                "is this an MLPerf Tiny DUT?"
            )
        profile = self._with_retries("profile")
        model = profile.first(msg.ModelId)
        if model is None:
            raise ProtocolError(
                f"{self.device}: 'profile' gave no m-model-[...] line "
                f"({quote_lines(profile.lines)})"
            )
        if expected_model is not None and model.model_id != expected_model:
            raise ConfigurationError(
                f"{self.device}: the firmware runs model {model.model_id!r} but workload "
                f"{expected_model!r} was asked for; flash the {expected_model} firmware or pass "
                f"--workload {model.model_id}"
            )
        mode = announced or self._probe_timestamp_mode()
        if mode != expected_mode:
            raise ConfigurationError(
                f"{self.device}: the firmware is built for {mode} mode "
                f"(m-timestamp-mode-{mode}) but {expected_mode} mode was asked for; rebuild it "
                f"with EE_CFG_ENERGY_MODE {1 if expected_mode == 'energy' else 0} or run "
                f"--mode {'energy' if mode == 'energy' else 'performance'}"
            )
        return DutIdentity(vendor_msg.vendor, model.model_id, mode, tuple(profile.lines))

    def _with_retries(self, command: str, attempts: int = 3) -> Response:
        for attempt in range(attempts):
            try:
                return self.command(command)
            except ResponseTimeout:
                if attempt == attempts - 1:
                    raise
                self.channel.drain()
        raise AssertionError("unreachable")

    def _probe_timestamp_mode(self) -> str:
        """Performance firmware answers ``timestamp`` with a lap line; energy firmware pulses."""
        reply = self.command("timestamp")
        return "performance" if reply.laps_us else "energy"

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

    def infer(self, iterations: int, warmups: int, timeout_s: float) -> InferReply:
        command = f"infer {iterations} {warmups}"
        response = self.command(command, timeout_s)
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
