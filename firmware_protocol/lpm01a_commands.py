"""LPM01A (PowerShield) command framing: encoding, replies, number syntax, rate limits.

Framing only, no transport (spec 1.2-1.6). The firmware answers a command with
``\\r\\nPowerShield > ack <command as sent> [value]\\r\\n\\r\\n`` or with
``error <command> ...`` followed by a line ``Error detail: <text>``; the prompt
``PowerShield > `` may be glued to any line, including stream data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from tinyjoule.device_text import quote
from tinyjoule.errors import ConfigurationError, ProtocolError

TERMINATOR = b"\n"
"""What ends a command on the wire. ``\\n`` and ``\\r\\n`` both work (spec 1.1)."""

PROMPT = "PowerShield > "
DEFAULT_BAUD = 3686400

COMMANDS = frozenset({
    "help", "echo", "powershield", "version", "range", "status", "htc", "hrc", "lcd", "psrst",
    "volt", "freq", "acqtime", "acqmode", "funcmode", "output", "format", "trigsrc", "trigdelay",
    "currthres", "currthre", "eventsrc", "pwr", "pwrend", "start", "stop", "targrst", "temp",
    "autotest", "calib",
})  # fmt: skip
"""Command words of the firmware (spec 1.3); a reply ``ack <word> ...`` echoes one of them."""

FREQ_TOKENS: dict[int, str] = {
    100000: "100k", 50000: "50k", 20000: "20k", 10000: "10k", 5000: "5k", 2000: "2k",
    1000: "1k", 500: "500", 200: "200", 100: "100", 50: "50", 20: "20", 10: "10", 5: "5",
    2: "2", 1: "1",
}  # fmt: skip
"""The only sample rates the firmware accepts (``freq``), Hz -> argument."""

MIN_VOLTAGE_V = 1.8
MAX_VOLTAGE_V = 3.3
ASCII_ENDLESS_MAX_HZ = 5000
"""ascii_dec streams without limit only up to 5 kHz at 3686400 baud (spec 1.6)."""
ASCII_TIMED_MAX_S = {10000: 1.0, 20000: 0.5}
"""ascii_dec above 5 kHz: the longest acquisition the link can carry."""
BIN_HEXA_MAX_HZ = 100000
ENERGY_MAX_HZ = 10000
"""``output energy`` is integrated on the board only up to 10 kHz."""

STREAM_FORMATS = ("ascii_dec", "bin_hexa")
OUTPUTS = ("current", "energy")

_SUFFIX = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3}
_NUMBER = re.compile(r"(\d+)(?:([numk])|([+-])(\d{1,2}))?")

FIX_HINTS = {
    "pwr off": "firmware older than 1.0.6 refuses 'pwr off'; update the LPM01A firmware "
    "(STM32-LPM01-XN) with STM32CubeProgrammer",
    "pwr on": "the LPM01A would not switch the target's supply on: see its Error detail; "
    "check that the target is neither shorted nor powered from elsewhere as well (the DUT's "
    "own USB, its IDD jumper: it must be fed from CN14 only), that the supply voltage (volt) "
    "is within 1.8-3.3 V, then power-cycle the LPM01A and run again",
    "eventsrc": "'eventsrc d7' needs LPM01A firmware 1.0.6 or newer; update it with "
    "STM32CubeProgrammer (STM32-LPM01-XN)",
    "start": "check that freq, format and output respect the rate table (ascii_dec <= 5 kHz "
    "endless, bin_hexa <= 100 kHz, energy <= 10 kHz)",
    "lcd": "send 'htc' first and keep the text within 16 characters",
}
_DEFAULT_FIX = "check the command's argument against UM2269 (spec section 1.3)"


def encode(command: str) -> bytes:
    """``command`` as bytes on the wire; ValueError if it would not arrive as one command."""
    if not command.strip():
        raise ValueError("LPM01A command is empty; send a command such as 'htc'")
    bad = sorted({c for c in command if not (" " <= c <= "~")})
    if bad:
        raise ValueError(
            f"LPM01A command {command!r} contains {''.join(bad)!r}; only printable ASCII is "
            "allowed (a line break would split it into two commands)"
        )
    return command.encode("ascii") + TERMINATOR


def parse_number(text: str) -> float:
    """A firmware number: ``3``, ``1800m``, ``100u``, ``1k``, ``2-3`` (= 2e-3); ValueError else."""
    if text in ("inf",):
        return math.inf
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an LPM01A number (digits, then u/m/k or -xx/+xx)")
    digits, suffix, sign, power = match.groups()
    value = float(int(digits))
    if suffix:
        return value * _SUFFIX[suffix]
    if sign:
        exponent = int(power)
        return value / 10.0**exponent if sign == "-" else value * 10.0**exponent
    return value


def format_number(value: float) -> str:
    """The shortest firmware spelling of ``value`` >= 0: ``3``, ``500m``, ``100u``, ``15-4``."""
    if value < 0 or not math.isfinite(value):
        raise ValueError(f"LPM01A numbers are finite and >= 0, not {value!r}")
    if value == int(value) and value < 1e9:
        return str(int(value))
    for suffix, scale in (("m", 1e-3), ("u", 1e-6), ("n", 1e-9)):
        scaled = value / scale
        if abs(scaled - round(scaled)) < 1e-9 * max(1.0, scaled):
            return f"{round(scaled)}{suffix}"
    mantissa, exponent = f"{value:.6e}".split("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    exponent_10 = int(exponent) - (len(digits) - 1)
    return f"{digits}{'-' if exponent_10 < 0 else '+'}{abs(exponent_10):02d}"


def format_volt(voltage_v: float, device: str = "LPM01A") -> str:
    """``volt`` argument in millivolts (1.8 V -> ``1800m``); ConfigurationError out of range."""
    if not MIN_VOLTAGE_V - 1e-9 <= voltage_v <= MAX_VOLTAGE_V + 1e-9:
        raise ConfigurationError(
            f"{device}: supply voltage {voltage_v} V is outside what the LPM01A can drive "
            f"({MIN_VOLTAGE_V}-{MAX_VOLTAGE_V} V); set voltage_v within that range"
        )
    return f"{round(voltage_v * 1000)}m"


def format_freq(rate_hz: float, device: str = "LPM01A") -> str:
    """``freq`` argument (1000 Hz -> ``1k``); ConfigurationError for rates not in the list."""
    token = FREQ_TOKENS.get(int(rate_hz)) if float(rate_hz).is_integer() else None
    if token is None:
        allowed = ", ".join(FREQ_TOKENS.values())
        raise ConfigurationError(
            f"{device}: sample rate {rate_hz} Hz is not one the LPM01A offers; "
            f"choose sample_rate_hz from {allowed} (Hz, k = 1000)"
        )
    return token


def format_acqtime(seconds: float | None) -> str:
    """``acqtime`` argument: ``inf`` for endless (None, inf or 0), else the firmware number."""
    if seconds is None or seconds == 0 or math.isinf(seconds):
        return "inf"
    if not 100e-6 <= seconds <= 100:
        raise ValueError(f"LPM01A acqtime {seconds} s is outside 100 us-100 s (or 0/inf)")
    return format_number(seconds)


def check_rate(stream_format: str, output: str, rate_hz: float, device: str = "LPM01A") -> None:
    """ConfigurationError unless an endless acquisition can stream at ``rate_hz`` (spec 1.6)."""
    if stream_format not in STREAM_FORMATS:
        raise ConfigurationError(
            f"{device}: stream format {stream_format!r} is unknown; use 'ascii_dec' or 'bin_hexa'"
        )
    if output not in OUTPUTS:
        raise ConfigurationError(
            f"{device}: output {output!r} is unknown; use 'current' or 'energy'"
        )
    format_freq(rate_hz, device)
    if output == "energy" and rate_hz > ENERGY_MAX_HZ:
        raise ConfigurationError(
            f"{device}: output 'energy' is integrated on the board only up to "
            f"{ENERGY_MAX_HZ} Hz, not {rate_hz:g} Hz; lower sample_rate_hz to <= {ENERGY_MAX_HZ} "
            "or use output='current'"
        )
    if stream_format == "ascii_dec" and rate_hz > ASCII_ENDLESS_MAX_HZ:
        raise ConfigurationError(
            f"{device}: ascii_dec streams endlessly only up to {ASCII_ENDLESS_MAX_HZ} Hz at "
            f"3686400 baud, not {rate_hz:g} Hz; use stream_format='bin_hexa' (up to "
            f"{BIN_HEXA_MAX_HZ} Hz) or lower sample_rate_hz"
        )


@dataclass(frozen=True, slots=True)
class Reply:
    """One reply line: ``kind`` is ``ack``, ``error`` or ``detail`` (an ``Error detail:`` line);
    ``command`` is the echoed command word and ``text`` everything after ``ack ``/``error ``."""

    kind: str
    command: str
    text: str

    def value(self, command: str) -> str:
        """What the reply adds after the echo of ``command`` (``1.0.7`` for ``version``)."""
        if self.text.startswith(command):
            return self.text[len(command) :].strip()
        return self.text.partition(" ")[2].strip()


def text_segments(line: bytes) -> list[str]:
    """A received line as text pieces: NULs and CR dropped, split at every glued prompt."""
    text = line.replace(b"\x00", b"").rstrip(b"\r").decode("latin-1")
    return [piece.strip() for piece in text.split(PROMPT) if piece.strip()]


def parse_reply(segment: str) -> Reply | None:
    """The reply in a prompt-free text segment, or None if it is not an ack/error/detail."""
    if segment.startswith("Error detail"):
        return Reply("detail", "", segment.partition(":")[2].strip())
    for kind in ("ack", "error"):
        if segment.startswith(kind + " "):
            text = segment[len(kind) + 1 :].strip()
            word = text.partition(" ")[0]
            if word in COMMANDS:
                return Reply(kind, word, text)
    return None


def is_stream_error(segment: str) -> bool:
    """True for an error the instrument reports about the acquisition (not a command reply)."""
    lowered = segment.lower()
    if "overrun" in lowered or "overflow" in lowered:
        return True
    return lowered.startswith("error") and parse_reply(segment) is None


def stream_error_fix(text: str) -> str:
    """What to do about an in-stream error ``text``."""
    lowered = text.lower()
    if "overrun" in lowered or "overflow" in lowered:
        return "overrun: lower the sample rate or use bin_hexa"
    if "overcurrent" in lowered or "current" in lowered:
        return "the target drew more than the LPM01A allows (~50 mA dynamic); check the board"
    return "restart the acquisition; if it repeats, power-cycle the LPM01A"


def fix_hint(command: str) -> str:
    """What to do when ``command`` is refused: the hint of the longest key of ``FIX_HINTS``
    the command starts with (``pwr on`` and ``pwr off`` differ), else the default."""
    words = command.split()
    for n in range(len(words), 0, -1):
        hint = FIX_HINTS.get(" ".join(words[:n]))
        if hint is not None:
            return hint
    return _DEFAULT_FIX


def refusal(device: str, command: str, error: Reply, detail: str | None) -> ProtocolError:
    """The ProtocolError for an ``error`` reply, with both texts and the fix."""
    fix = fix_hint(command)
    detail_text = "no 'Error detail' line"
    if detail is not None:
        detail_text = f"Error detail: {quote(detail)}"
    return ProtocolError(
        f"{device}: command {command!r} was refused: {quote('error ' + error.text)}, "
        f"{detail_text}; {fix}"
    )
