"""Device side of the DUT protocol: a model of the MLPerf Tiny reference firmware's parser.

Behaves like ``benchmark/api/internally_implemented.cpp`` plus a reference
``submitter_implemented.cpp`` (spec 1.1-1.7, 2): same output lines, same quirks. Everything
that takes time or touches hardware goes through ``DeviceHooks``, so the simulator owns the
clock and the pins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from .dut_device_text import (
    FW_VERSION,
    HELP_LINES,
    SIZE_T_MASK,
    c_atoi,
    format_results,
    is_hex_pair,
    to_int32,
)

__all__ = ["FW_VERSION", "DeviceHooks", "DutFirmware", "FirmwareConfig"]

_CMD_SIZE = 80  # EE_CMD_SIZE
_TIMESTAMP_MODES = ("performance", "energy")


_HEX_DIGITS = re.compile(r"(?:[0-9a-fA-F]{2})*")


class DeviceHooks(Protocol):
    """What the firmware model needs from its surroundings (the simulator, or a test fake)."""

    def emit(self, data: bytes) -> None:
        """Bytes the DUT writes to its UART TX, at the current (virtual) time."""

    def read_timer_us(self) -> int:
        """Free-running µs counter (performance-mode timestamp); only the low 32 bits are used."""

    def pulse_timestamp(self) -> None:
        """Energy-mode timestamp: the pin goes low, is held, and goes high again."""

    def run_inferences(self, tensor: bytes, count: int, warmup: bool) -> tuple[float, ...]:
        """Run ``count`` inferences on ``tensor`` (advancing time); returns the result vector."""


@dataclass(frozen=True, slots=True)
class FirmwareConfig:
    """Compile-time settings of one firmware build.

    ``expected_input_bytes``: the model's input size; when set, ``infer`` with fewer loaded
    bytes prints ``Input db has X elemented, expected Y`` and runs on the previous tensor.
    ``input_element_bytes`` is the element size used in that message (AD: 4, float32).
    """

    model_id: str = "kws01"
    vendor: str = "unspecified"
    timestamp_mode: str = "performance"
    max_db_input_size: int = 27648
    expected_input_bytes: int | None = None
    results_trailing_comma: bool = False
    results_decimals: int = 3
    init_lines: tuple[str, ...] = ()
    input_element_bytes: int = 1

    def __post_init__(self) -> None:
        if self.timestamp_mode not in _TIMESTAMP_MODES:
            raise ValueError(
                f"FirmwareConfig.timestamp_mode={self.timestamp_mode!r}; use one of "
                f"{_TIMESTAMP_MODES}."
            )
        if self.max_db_input_size < 1:
            raise ValueError("FirmwareConfig.max_db_input_size must be >= 1.")
        if self.expected_input_bytes is not None and self.expected_input_bytes < 1:
            raise ValueError("FirmwareConfig.expected_input_bytes must be >= 1 or None.")
        if not 0 <= self.results_decimals <= 20:
            raise ValueError("FirmwareConfig.results_decimals must be 0..20.")
        if self.input_element_bytes < 1:
            raise ValueError("FirmwareConfig.input_element_bytes must be >= 1.")
        object.__setattr__(self, "init_lines", tuple(self.init_lines))
        texts = {"model_id": self.model_id, "vendor": self.vendor}
        texts.update({f"init_lines[{i}]": text for i, text in enumerate(self.init_lines)})
        for name, text in texts.items():
            if not all(" " <= c <= "~" for c in text):
                raise ValueError(f"FirmwareConfig.{name}={text!r} must be printable ASCII.")


class DutFirmware:
    """The reference firmware's command parser, fed with bytes, answering through the hooks."""

    def __init__(self, config: FirmwareConfig, hooks: DeviceHooks) -> None:
        self.config = config
        self._hooks = hooks
        self._handlers = {
            "name": self._cmd_name,
            "timestamp": self._cmd_timestamp,
            "profile": self._cmd_profile,
            "help": self._cmd_help,
            "db": self._cmd_db,
            "infer": self._cmd_infer,
            "results": self._cmd_results,
        }
        self._inbox = bytearray()
        self._busy = False
        self._power_on_state()

    def _power_on_state(self) -> None:
        self._enabled = False
        self._cmd = bytearray()
        self._db = bytearray(self.config.max_db_input_size)  # gp_buff, zeroed at reset
        self._db_size = 0
        self._db_pos = 0
        self._input = bytes(self.config.expected_input_bytes or 0)  # the model's input tensor
        self._results: tuple[float, ...] | None = None

    # -- state -------------------------------------------------------------------------------

    @property
    def booted(self) -> bool:
        """True once ``boot()`` ran: the command parser is enabled."""
        return self._enabled

    @property
    def tensor(self) -> bytes:
        """The bytes loaded by ``db`` commands so far, up to the size given to ``db load``."""
        return bytes(self._db[: min(self._db_pos, self._db_size)])

    @property
    def expected_bytes(self) -> int:
        """The size given to the last ``db load`` (kept even when it exceeds the buffer)."""
        return self._db_size

    @property
    def loaded_tensor(self) -> bytes:
        """The tensor the last ``infer`` ran on (unchanged when that ``infer`` warned)."""
        return self._input

    @property
    def last_results(self) -> tuple[float, ...] | None:
        """The result vector of the last ``infer``, None before the first one."""
        return self._results

    # -- bytes in ------------------------------------------------------------------------------

    def boot(self) -> None:
        """Power-on: reset all state, print the banner, enable the parser (spec 1.2)."""
        self._power_on_state()
        self._inbox.clear()
        self._line(f"m-timestamp-mode-{self.config.timestamp_mode}")
        self._timestamp()
        for text in self.config.init_lines:
            self._line(text)
        self._line("m-init-done")
        self._enabled = True
        self._line("m-ready")

    def receive(self, data: bytes) -> None:
        """Bytes from the host. Each complete ``%``-terminated command runs at once.

        Bytes received before ``boot()`` are discarded (the receive loop is not running yet).
        Calls made from inside a hook (re-entrant) are queued and run after the current command.
        """
        if not self._enabled:
            return
        self._inbox += data
        if self._busy:
            return
        self._busy = True
        try:
            while self._inbox:
                end = self._inbox.find(b"%")
                chunk = self._inbox if end < 0 else self._inbox[:end]
                room = _CMD_SIZE - len(self._cmd)
                if room > 0:
                    self._cmd += chunk[:room]  # characters past the 80th are lost
                if end < 0:
                    self._inbox.clear()
                    break
                del self._inbox[: end + 1]
                command = bytes(self._cmd)
                self._cmd.clear()
                self._execute(command)
        finally:
            self._busy = False

    def _execute(self, raw: bytes) -> None:
        # The command is a C string: a NUL byte ends it. Tokens are split on single spaces with
        # strtok semantics (runs of spaces collapse). latin-1 keeps every byte as one character.
        tokens = [t for t in raw.split(b"\0", 1)[0].decode("latin-1").split(" ") if t]
        if not tokens:
            # The reference firmware passes NULL to strncmp here and crashes (spec 1.7). We
            # answer like an unknown command with an empty token, so a host bug stays visible.
            self._line("e-[Unknown command: ]")
        else:
            handler = self._handlers.get(tokens[0])
            if handler is None:
                self._line(f"e-[Unknown command: {tokens[0]}]")
            else:
                handler(tokens[1:])
        self._line("m-ready")

    # -- output --------------------------------------------------------------------------------

    def _line(self, text: str) -> None:
        self._hooks.emit((text + "\r\n").encode("latin-1"))

    def _lf_line(self, text: str) -> None:
        self._hooks.emit((text + "\n").encode("latin-1"))

    def _timestamp(self) -> None:
        if self.config.timestamp_mode == "performance":
            self._line(f"m-lap-us-{self._hooks.read_timer_us() & 0xFFFFFFFF}")
        else:
            self._hooks.pulse_timestamp()

    # -- commands ------------------------------------------------------------------------------

    def _cmd_name(self, args: list[str]) -> None:
        self._line(f"m-name-dut-[{self.config.vendor}]")

    def _cmd_timestamp(self, args: list[str]) -> None:
        self._timestamp()

    def _cmd_profile(self, args: list[str]) -> None:
        self._line(f"m-profile-[{FW_VERSION}]")
        self._line(f"m-model-[{self.config.model_id}]")

    def _cmd_help(self, args: list[str]) -> None:
        for text in HELP_LINES:
            self._line(text)

    def _cmd_results(self, args: list[str]) -> None:
        # The firmware recomputes the line from the output tensor; before any inference we have
        # no vector to print, so (our choice) nothing is printed before m-ready.
        if self._results is not None:
            cfg = self.config
            self._line(
                format_results(self._results, cfg.results_decimals, cfg.results_trailing_comma)
            )

    def _cmd_db(self, args: list[str]) -> None:
        if not args:
            self._line("e-[Command 'db' requires a subcommand]")
        elif args[0] == "load":
            self._db_load(args[1:])
        elif args[0] == "print":
            self._db_print()  # the N/offset arguments in the help text are ignored
        else:
            self._db_hex(args[0])

    def _db_load(self, args: list[str]) -> None:
        if not args:
            self._line("e-[Command 'db load' requires the # of bytes]")
            return
        self._db_size = c_atoi(args[0]) & SIZE_T_MASK  # size_t on a 32-bit MCU
        if self._db_size == 0:
            self._line("e-[Command 'db load' must be >0 bytes]")
            return
        self._db_pos = 0
        limit = self.config.max_db_input_size
        if self._db_size > limit:
            # No m-[Expecting] line, and the size is kept: the firmware has no bounds check.
            self._lf_line(
                f"Supplied buffer size {to_int32(self._db_size)} exceeds maximum of {limit}"
            )
        else:
            self._line(f"m-[Expecting {self._db_size} bytes]")

    def _db_hex(self, digits: str) -> None:
        if len(digits) % 2:
            self._line("e-[Insufficent number of hex digits]")
            return
        if _HEX_DIGITS.fullmatch(digits):  # the usual case, all at once
            self._db_store(bytes.fromhex(digits))
            return
        for i in range(0, len(digits), 2):
            pair = digits[i : i + 2]
            if not is_hex_pair(pair):
                self._line(f"e-[Invalid hex digit '{pair}']")
                return
            if self._db_pos >= len(self._db):
                # Past MAX_DB_INPUT_SIZE the real firmware overwrites other RAM; we keep the data.
                self._db.extend(bytes(self._db_pos + 1 - len(self._db)))
            self._db[self._db_pos] = int(pair, 16)
            self._db_pos += 1
            if self._db_pos == self._db_size:
                self._line("m-load-done")
                return  # the rest of the digits is dropped

    def _db_store(self, data: bytes) -> None:
        """Store valid bytes as the digit loop would: ``m-load-done`` when the position
        reaches the announced size (the rest dropped)."""
        pos = self._db_pos
        if pos < self._db_size and pos + len(data) >= self._db_size:
            data = data[: self._db_size - pos]
            done = True
        else:
            done = False
        end = pos + len(data)
        if end > len(self._db):
            # Past MAX_DB_INPUT_SIZE the real firmware overwrites other RAM; we keep the data.
            self._db.extend(bytes(end - len(self._db)))
        self._db[pos:end] = data
        self._db_pos = end
        if done:
            self._line("m-load-done")

    def _db_print(self) -> None:
        # The firmware prints db_size bytes, reading past its array when the size is too large;
        # we print only the bytes we hold.
        count = min(self._db_size, len(self._db))
        for start in range(0, count, 8):
            row = self._db[start : min(start + 8, count)]
            self._line("m-buffer-" + "-".join(f"{b:02x}" for b in row))
        if count % 8:
            self._line("")  # the reference prints an extra CRLF after a short last row

    def _cmd_infer(self, args: list[str]) -> None:
        count, warmup = 1, 10  # W defaults to 10 (the help text wrongly says 0)
        if args:
            value = c_atoi(args[0])
            if value <= 0:
                self._line("e-[Inference iterations must be >0]")
                return
            count = value
            if len(args) > 1:
                value = c_atoi(args[1])
                if value < 0:
                    self._line("e-[Inference warmup must be >=0]")
                    return
                warmup = value
        self._load_tensor()
        self._line(f"m-warmup-start-{warmup}")
        if warmup > 0:
            self._hooks.run_inferences(self._input, warmup, True)
        self._line("m-warmup-done")
        self._line(f"m-infer-start-{count}")
        self._timestamp()
        results = self._hooks.run_inferences(self._input, count, False)
        self._results = tuple(float(v) for v in results)
        self._timestamp()
        self._line("m-infer-done")
        self._cmd_results([])

    def _load_tensor(self) -> None:
        expected = self.config.expected_input_bytes
        if expected is None:
            self._input = self.tensor
            return
        available = min(expected, self._db_pos)  # ee_get_buffer copies min(max_len, pos)
        if available != expected:
            size = self.config.input_element_bytes  # "elemented" (sic) is the firmware's word
            self._lf_line(
                f"Input db has {available // size} elemented, expected {expected // size}"
            )
            return  # th_load_tensor returns early: the model keeps its previous input
        self._input = bytes(self._db[:expected])
