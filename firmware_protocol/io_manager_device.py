"""Device side of the IO-manager boards (H573 interface board, Arduino) for the simulator.

Modelled on the H573 firmware (``benchmark/interface``, spec 3): commands end with ``%``;
``dut <cmd>`` is acknowledged, forwarded as ``<cmd>%`` and the DUT's reply is relayed line by
line (lines split on ``\\r\\n`` only) as ``[dut]: <line>`` up to the DUT's ``m-ready``. While it
relays, the board reads nothing from the host: host bytes wait in a 100-byte queue (the excess
is lost). The H573 reads its DUT UART only during a passthrough, so DUT output that arrives in
between (a boot banner, a late reply) waits in a 100-byte queue and is relayed at the start of
the next passthrough, which then ends at that stale ``m-ready``: every later reply lags by
one command until the board is reset (``setbaud``), as on the real board.

Audio (the streaming wake word's ``ls``, ``play``, ``record_detections``, ``print_detections``,
``print_dutycycle``) is handled by an ``interface_audio_device.InterfaceAudio`` when the board
is given one; while ``play`` runs, host bytes wait in the queue as during a relay. Without one
the board has an empty SD card and no pin capture.

Arduino: the legacy EEMBC firmware is not public, so this part is our assumption. ``dut <cmd>``
works as above, ``name`` answers ``m-name-io-manager``, anything else just ``m-ready``; DUT
lines arriving outside a passthrough are relayed at once (``[dut]: <line>``), and the host
queue holds 64 bytes (the Arduino's serial receive buffer).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .interface_audio_device import AUDIO_COMMANDS, InterfaceAudio
from .io_manager_codec import ARDUINO_NAME, H573_NAME

__all__ = ["H573_DEFAULT_DUT_BAUD", "H573_MAX_DUT_BAUD", "IoManagerFirmware", "effective_baud"]

H573_DEFAULT_DUT_BAUD = 9600
H573_MAX_DUT_BAUD = 2_000_000
_KINDS = ("arduino", "h573")
_RX_QUEUE_BYTES = {"h573": 100, "arduino": 64}
_EOL = b"\r\n"
_READY = b"m-ready"
_STOI = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)")
# H573 menu order matters: a command is the first entry it starts with (Menu::HandleCommand).
_H573_MENU = (
    b"dut",
    b"name",
    b"ls",
    b"play",
    b"setbaud",
    b"checkbaud",
    b"record_detections",
    b"print_detections",
    b"print_dutycycle",
)


def effective_baud(stored: int) -> int:
    """The DUT-side baud the H573 uses for a value stored in flash (0 or > 2,000,000: 9600)."""
    return stored if 0 < stored <= H573_MAX_DUT_BAUD else H573_DEFAULT_DUT_BAUD


class IoManagerFirmware:
    """An IO-manager board between the host (``receive_from_host``) and the DUT UART."""

    def __init__(
        self,
        kind: str,
        emit_to_host: Callable[[bytes], None],
        send_to_dut: Callable[[bytes], None],
        dut_baud: int = H573_DEFAULT_DUT_BAUD,
        on_setbaud: Callable[[int], None] | None = None,
        audio: InterfaceAudio | None = None,
    ) -> None:
        if kind not in _KINDS:
            raise ValueError(f"IoManagerFirmware kind={kind!r}; use one of {_KINDS}.")
        self.kind = kind
        self._emit = emit_to_host
        self._send_to_dut = send_to_dut
        self._on_setbaud = on_setbaud
        self._dut_baud = effective_baud(dut_baud)
        self._queue_bytes = _RX_QUEUE_BYTES[kind]
        self._relays_unsolicited = kind == "arduino"
        self._running = False
        self.audio = audio
        self._busy = False  # a blocking audio command (play) has not ended yet
        self._reset_state()

    def _reset_state(self) -> None:
        self._host_queue = bytearray()  # host UART queue, not yet read by the menu
        self._command = bytearray()  # command the menu is assembling (up to its '%')
        self._dut_queue = bytearray()  # DUT UART queue, not yet read by the relay
        self._line = bytearray()  # relay: current DUT line
        self._eol_matched = 0  # relay: bytes of "\r\n" matched so far
        self._relaying = False

    @property
    def dut_baud(self) -> int:
        """Baud rate of the DUT-side UART."""
        return self._dut_baud

    @property
    def relaying(self) -> bool:
        """True while a passthrough waits for the DUT's ``m-ready``."""
        return self._relaying

    def receive_from_host(self, data: bytes) -> None:
        """Bytes from the host UART."""
        if self._relaying or self._running or self._busy:
            data = data[: max(0, self._queue_bytes - len(self._host_queue))]
        self._host_queue += data
        self._run()

    def receive_from_dut(self, data: bytes) -> None:
        """Bytes from the DUT UART."""
        if not (self._relaying or self._relays_unsolicited):
            data = data[: max(0, self._queue_bytes - len(self._dut_queue))]
        self._dut_queue += data
        self._run()

    # -- main loop -------------------------------------------------------------------------

    def _run(self) -> None:
        # Calls made from inside the callbacks only queue their bytes; the outer call works.
        if self._running:
            return
        self._running = True
        try:
            while True:
                if self._dut_queue and (self._relaying or self._relays_unsolicited):
                    self._relay()
                elif self._relaying or self._busy or not self._next_host_command():
                    break
        finally:
            self._running = False

    def _next_host_command(self) -> bool:
        end = self._host_queue.find(b"%")
        if end < 0:
            self._command += self._host_queue
            self._host_queue.clear()
            return False
        command = bytes(self._command + self._host_queue[:end])
        del self._host_queue[: end + 1]
        self._command.clear()
        if self.kind == "h573":
            self._h573_command(command)
        else:
            self._arduino_command(command)
        if self._relaying or self._busy:
            del self._host_queue[self._queue_bytes :]  # later bytes arrive while busy
        return True

    def _relay(self) -> None:
        # Uart::ReadUntil("\r\n"): a naive matcher; a lone '\n' or '\r' stays inside the line.
        queue, i = self._dut_queue, 0
        while (self._relaying or self._relays_unsolicited) and i < len(queue):
            byte = queue[i]
            i += 1
            if byte == _EOL[self._eol_matched]:
                self._eol_matched += 1
                if self._eol_matched == len(_EOL):
                    line = bytes(self._line)
                    self._line.clear()
                    self._eol_matched = 0
                    self._relaying = self._relaying and line != _READY
                    self._emit(b"[dut]: " + line + _EOL)
            else:
                self._line += _EOL[: self._eol_matched]
                self._eol_matched = 0
                self._line.append(byte)
        del queue[:i]
        if not (self._relaying or self._relays_unsolicited):
            del queue[self._queue_bytes :]

    # -- commands --------------------------------------------------------------------------

    def _reply(self, *lines: bytes) -> None:
        self._emit(b"".join(line + _EOL for line in lines))

    # -- BoardReplies, for the audio part ----------------------------------------------------
    def emit_lines(self, *lines: bytes) -> None:
        self._reply(*lines)

    def end_command(self) -> None:
        """``m-ready`` for an audio command; a blocked board reads its queue again."""
        self._reply(_READY)
        if self._busy:
            self._busy = False
            self._run()

    def _passthrough(self, dut_command: bytes) -> None:
        self._reply(b"m-dut-passthrough(" + dut_command + b")", _READY)
        self._relaying = True
        self._send_to_dut(dut_command + b"%")

    def _arduino_command(self, command: bytes) -> None:
        head, _, rest = command.partition(b" ")
        if head == b"dut":
            self._passthrough(rest)
        elif head == b"name":
            self._reply(ARDUINO_NAME.encode(), _READY)
        else:
            self._reply(_READY)

    def _h573_command(self, command: bytes) -> None:
        for name in _H573_MENU if command else ():
            if not command.startswith(name):
                continue
            if len(command) == len(name):
                self._h573_action(name, b"")
            elif len(command) > len(name) + 1 and command[len(name)] == ord(" "):
                self._h573_action(name, command[len(name) + 1 :])
            return  # a known prefix without a space (``dutx``, ``dut ``) gets no reply
        self._reply(_READY)

    def _h573_action(self, name: bytes, args: bytes) -> None:
        if name == b"dut":
            self._passthrough(args)
        elif name == b"name":
            self._reply(H573_NAME.encode(), _READY)
        elif name == b"setbaud":
            self._setbaud(args)
        elif name == b"checkbaud":
            self._emit(b"baud is: %d\n" % self._dut_baud + _READY + _EOL)
        elif self.audio is not None and name.decode() in AUDIO_COMMANDS:
            self._busy = True
            self.audio.command(name.decode(), args.decode("ascii", "replace"), self)
        elif name == b"record_detections":
            self._reply(b"Now recording detections", _READY)
        elif name == b"print_detections":
            self._reply(b"Detection Timestamps (ms)", _READY)  # no detection pin modelled
        else:
            # ls (an empty SD card), play, print_dutycycle: no SD card or capture modelled.
            self._reply(_READY)

    def _setbaud(self, args: bytes) -> None:
        match = _STOI.match(args)
        value = int(match[1]) if match and len(match[1]) <= 12 else None
        if value is None or not -(1 << 31) <= value < (1 << 31):
            # std::stoi throws and the board has no handler; we just answer m-ready instead.
            self._reply(_READY)
            return
        self._emit(b"set baud to: " + args + b"\n" + _READY + _EOL)
        # The board writes the value to flash and resets: queues and state are lost.
        self._reset_state()
        self._dut_baud = effective_baud(value)
        if self._on_setbaud is not None:
            self._on_setbaud(self._dut_baud)
