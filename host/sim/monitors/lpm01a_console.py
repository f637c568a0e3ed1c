"""The simulated PowerShield's command line, device side: replies (``ack``, ``error`` with
its ``Error detail:``), argument checks and every settings command. Starting, stopping and
the stream are ``SimulatedLpm01a``'s (``sim.monitors.lpm01a``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.sim.analog import set_supply

REFUSED_DETAIL = "command refused (tinyjoule simulator: monitor_fault=refuse)"


@dataclass(slots=True)
class DeviceSettings:
    """The firmware's acquisition settings (power-up defaults, spec 1.3)."""

    voltage_mv: int = 3300
    freq_hz: int = 100
    acqtime_s: float = 10.0  # 0: endless
    acqmode: str = "dyn"
    funcmode: str = "optim"
    output: str = "current"
    stream_format: str = "ascii_dec"
    trigsrc: str = "sw"
    trigdelay_s: float = 1e-3
    eventsrc: str | None = None  # "fal" or "ris" once ``eventsrc d7 ...`` was sent
    currthres_a: float = 1e-3
    pwr: str = "auto"
    pwrend: str = "on"


class PowerShieldSettings:
    """Commands that only read or change settings; mixed into ``SimulatedLpm01a``."""

    settings: DeviceSettings
    host_controlled: bool
    lcd: list[str]
    front_end: Any
    firmware_version: str
    board_id: str
    _queue: list[bytes]
    _acq: Any
    _reset: Any  # the device's power-up reset (``psrst``)
    refused = ""  # commands starting with this are refused (``inject_refusal``)

    @property
    def voltage_v(self) -> float:
        return self.settings.voltage_mv / 1000.0

    @property
    def target_powered(self) -> bool:
        if self.settings.pwr == "auto":
            return self._auto_powered  # type: ignore[attr-defined]
        return self.settings.pwr == "on"

    def _reply(self, line: str) -> None:
        self._queue.append(
            b"\r\n" + commands.PROMPT.encode() + line.encode("latin-1") + b"\r\n\r\n"
        )

    def _ack(self, text: str, value: str | None = None) -> None:
        self._reply(f"ack {text}" + (f" {value}" if value else ""))

    def _error(self, text: str, detail: str) -> None:
        self._queue.append(b"\r\n" + commands.PROMPT.encode() + f"error {text}\r\n".encode())
        self._reply(f"Error detail: {detail}")

    def inject_refusal(self, command: str) -> None:
        """Refuse every command that starts with ``command`` (``monitor_fault=refuse:...``)."""
        self.refused = command

    def _command(self, text: str, now_s: float) -> None:
        refused = self.refused
        if refused and (text == refused or text.startswith(refused + " ")):
            self._error(text, REFUSED_DETAIL)
            return
        name, _, rest = text.partition(" ")
        args = rest.split()
        handler = getattr(self, f"_cmd_{name}", None)
        if name == "currthre":
            handler = self._cmd_currthres
        if handler is None:
            self._error(text, "command not recognized, send 'help' for the list")
            return
        if self._acq is not None and name not in ("stop", "pwr", "targrst", "status", "echo"):
            self._error(text, "acquisition in progress, send 'stop' first")
            return
        try:
            handler(text, args, now_s)
        except ValueError as exc:
            self._error(text, str(exc))

    def _choice(self, args: list[str], allowed: tuple[str, ...]) -> str:
        if len(args) != 1 or args[0] not in allowed:
            raise ValueError(f"argument must be one of {{{', '.join(allowed)}}}")
        return args[0]

    def _number(self, args: list[str], low: float, high: float, zero_ok: bool = False) -> float:
        if len(args) != 1:
            raise ValueError("one numerical argument expected")
        value = commands.parse_number(args[0])
        if (zero_ok and value == 0) or low - 1e-12 <= value <= high + 1e-12:
            return value
        raise ValueError(f"value out of range [{commands.format_number(low)}; "
                         f"{commands.format_number(high)}]")  # fmt: skip

    def _cmd_help(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text)
        self._queue.append((" ".join(sorted(commands.COMMANDS)) + "\r\n").encode())

    def _cmd_echo(self, text: str, args: list[str], now_s: float) -> None:
        self._reply(text)

    def _cmd_powershield(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text, self.board_id)

    def _cmd_version(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text, self.firmware_version)

    def _cmd_range(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text, "100n 10m" if self.settings.acqmode == "dyn" else "2n 200m")

    def _cmd_status(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text, "ok")

    def _cmd_htc(self, text: str, args: list[str], now_s: float) -> None:
        self.host_controlled = True
        self._ack(text)

    def _cmd_hrc(self, text: str, args: list[str], now_s: float) -> None:
        self.host_controlled = False
        self._ack(text)

    def _cmd_lcd(self, text: str, args: list[str], now_s: float) -> None:
        line, _, quoted = text[4:].partition(" ")
        if not self.host_controlled:
            raise ValueError("LCD available only when controlled by host, send 'htc' first")
        if line not in ("1", "2"):
            raise ValueError("LCD line must be 1 or 2")
        if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"' or len(quoted) > 18:
            raise ValueError("string must be surrounded by double quotes, 16 characters max")
        self.lcd[int(line) - 1] = quoted[1:-1]
        self._ack(text)

    def _cmd_psrst(self, text: str, args: list[str], now_s: float) -> None:
        self._reset()

    def _cmd_volt(self, text: str, args: list[str], now_s: float) -> None:
        if args == ["get"]:
            self._ack(text, f"{self.settings.voltage_mv}m")
            return
        volts = self._number(args, commands.MIN_VOLTAGE_V, commands.MAX_VOLTAGE_V)
        self.settings.voltage_mv = round(volts * 1000)
        set_supply(self.front_end, self.voltage_v)
        self._ack(text)

    def _cmd_freq(self, text: str, args: list[str], now_s: float) -> None:
        value = commands.parse_number(args[0]) if len(args) == 1 else -1.0
        if value not in commands.FREQ_TOKENS:
            raise ValueError(f"value must be among {{{', '.join(commands.FREQ_TOKENS.values())}}}")
        self.settings.freq_hz = int(value)
        self._ack(text)

    def _cmd_acqtime(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.acqtime_s = 0.0 if args == ["inf"] else self._number(args, 100e-6, 100, True)
        self._ack(text)

    def _cmd_acqmode(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.acqmode = self._choice(args, ("dyn", "stat"))
        self._ack(text)

    def _cmd_funcmode(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.funcmode = self._choice(args, ("optim", "high"))
        self._ack(text)

    def _cmd_output(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.output = self._choice(args, commands.OUTPUTS)
        self._ack(text)

    def _cmd_format(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.stream_format = self._choice(args, commands.STREAM_FORMATS)
        self._ack(text)

    def _cmd_trigsrc(self, text: str, args: list[str], now_s: float) -> None:
        if self._choice(args, ("sw", "d7")) == "d7":
            raise ValueError("tinyjoule simulator: trigger on D7 is not simulated, use 'sw'")
        self.settings.trigsrc = "sw"
        self._ack(text)

    def _cmd_trigdelay(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.trigdelay_s = self._number(args, 0, 30)
        self._ack(text)

    def _cmd_currthres(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.currthres_a = self._number(args, 100e-9, 50e-3, zero_ok=True)
        self._ack(text)

    def _cmd_eventsrc(self, text: str, args: list[str], now_s: float) -> None:
        if len(args) != 2 or args[0] != "d7" or args[1] not in ("fal", "ris"):
            raise ValueError("arguments must be 'd7' then one of {fal, ris}")
        self.settings.eventsrc = args[1]
        self._ack(text)

    def _cmd_pwr(self, text: str, args: list[str], now_s: float) -> None:
        if args[:1] == ["get"] and len(args) == 1:
            self._ack(text, "on" if self.target_powered else "off")
            return
        if (
            not args
            or args[0] not in ("auto", "on", "off")
            or args[1:] not in ([], ["nostatus"], ["status"])
        ):
            raise ValueError(
                "arguments must be one of {auto, on, off, get} then {nostatus, status}"
            )
        self.settings.pwr = args[0]
        self._ack(text)

    def _cmd_pwrend(self, text: str, args: list[str], now_s: float) -> None:
        self.settings.pwrend = self._choice(args, ("on", "off"))
        self._ack(text)

    def _cmd_targrst(self, text: str, args: list[str], now_s: float) -> None:
        self._number(args, 10e-3, 1, zero_ok=True)
        self._ack(text)

    def _cmd_temp(self, text: str, args: list[str], now_s: float) -> None:
        unit = self._choice(args or ["degc"], ("degc", "degf"))
        self._ack(text, "25.0" if unit == "degc" else "77.0")

    def _cmd_autotest(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text, "ok")

    def _cmd_calib(self, text: str, args: list[str], now_s: float) -> None:
        self._ack(text)
