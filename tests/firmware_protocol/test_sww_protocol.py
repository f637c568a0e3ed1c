"""The streaming wake word firmware's protocol, both ends: the host codec against the device
model's bytes, for any split of them, and against garbage and truncation (spec 1.9)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.errors import ProtocolError
from tinyjoule.firmware_protocol.dut_codec import LineSplitter
from tinyjoule.firmware_protocol.sww_codec import (
    SWW_COMMAND_CHARS,
    SwwReply,
    SwwReplyAssembler,
    echoed_command,
    encode_sww_command,
    parse_activations,
)
from tinyjoule.firmware_protocol.sww_device import SwwFirmware, SwwFirmwareConfig

FAST = settings(max_examples=150, deadline=None)


class Hooks:
    """Records what the firmware does; ``fired`` are the activations ``stop`` reports."""

    def __init__(self, fired: tuple[int, ...] = ()) -> None:
        self.out = bytearray()
        self.pulses = 0
        self.listening = False
        self.fired = fired

    def emit(self, data: bytes) -> None:
        self.out += data

    def pulse_timestamp(self) -> None:
        self.pulses += 1

    def start_listening(self) -> None:
        self.listening = True

    def stop_listening(self) -> tuple[int, ...]:
        self.listening = False
        return self.fired


def _firmware(fired: tuple[int, ...] = ()) -> tuple[SwwFirmware, Hooks]:
    hooks = Hooks(fired)
    return SwwFirmware(SwwFirmwareConfig(vendor="ACME"), hooks), hooks


def _replies(data: bytes, commands: list[str], cuts: list[int] | None = None) -> list[SwwReply]:
    """Lines through the splitter (cut at ``cuts``), replies through the assembler."""
    splitter, assembler = LineSplitter(), SwwReplyAssembler()
    pieces, start = [], 0
    for cut in sorted(set(cuts or [])):
        pieces.append(data[start:cut])
        start = cut
    pieces.append(data[start:])
    lines = [line for piece in pieces for line in splitter.feed(piece)]
    out, pending = [], list(commands)
    for line in lines:
        if assembler.partial == () and pending and echoed_command(line) is not None:
            assembler.start(pending.pop(0))
        reply = assembler.feed_line(line)
        if reply is not None:
            out.append(reply)
    return out


def test_every_command_is_echoed_first_and_ends_with_m_ready() -> None:
    firmware, hooks = _firmware()
    for command in ("name", "profile", "help", "state", "log", "bogus 1 2"):
        hooks.out.clear()
        firmware.receive(encode_sww_command(command))
        lines = hooks.out.decode().split("\r\n")
        assert lines[0] == f"Received command: {command}"
        assert lines[-2:] == ["m-ready", ""]
    (reply,) = _replies(b"Received command: bogus 1 2\r\nUnrecognized command bogus 1 2\r\n"
                        b"m-ready\r\n", ["bogus 1 2"])  # fmt: skip
    assert reply.echoed and reply.unrecognized


def test_name_and_profile_answer_like_the_mlperf_tiny_api() -> None:
    firmware, hooks = _firmware()
    firmware.receive(b"name%profile%")
    name, profile = _replies(bytes(hooks.out), ["name", "profile"])
    assert name.lines[1] == "m-name-dut-[ACME]"
    assert profile.lines[1:] == ("m-profile-[MLPerf Tiny Firmware V0.1.0]", "m-model-[sww01]")


def test_start_and_stop_pulse_the_pin_and_report_the_activations() -> None:
    firmware, hooks = _firmware(fired=(12, 340, 341))
    firmware.receive(b"stop%")  # idle: still a pulse, no activations
    firmware.receive(b"start%")
    assert hooks.listening and firmware.streaming and hooks.pulses == 2
    firmware.receive(b"start%")  # already streaming: refused, no pulse
    firmware.receive(b"stop%")
    assert not hooks.listening and hooks.pulses == 3
    idle_stop, start, busy, stop = _replies(bytes(hooks.out), ["stop", "start", "start", "stop"])
    assert idle_stop.stopped and idle_stop.activations == ()
    assert start.echoed and not start.busy
    assert busy.busy
    assert stop.stopped and stop.activations == (12, 340, 341)


def test_the_command_buffer_keeps_1028_characters() -> None:
    firmware, hooks = _firmware()
    firmware.receive(b"x" * 2000 + b"%")
    first = hooks.out.decode().split("\r\n")[0]
    assert first == "Received command: " + "x" * SWW_COMMAND_CHARS
    with pytest.raises(ValueError, match="1028"):
        encode_sww_command("y" * 1029)
    for bad in ("", "a%b", "name\n"):
        with pytest.raises(ValueError):
            encode_sww_command(bad)


def test_activation_lists() -> None:
    assert parse_activations("target activations: []") == ()
    assert parse_activations("target activations: [3]") == (3,)
    assert parse_activations("target activations: [1, 22 ,333,]") == (1, 22, 333)
    assert parse_activations("Streaming stopped.") is None
    for bad in ("target activations: [1, x]", "target activations: 1, 2", "target activations:"):
        with pytest.raises(ProtocolError, match="target activations"):
            parse_activations(bad)


@FAST
@given(
    fired=st.lists(st.integers(0, 10**6), max_size=40).map(tuple),
    cuts=st.lists(st.integers(0, 4000), max_size=12),
)
def test_host_reads_the_device_for_any_split(fired: tuple[int, ...], cuts: list[int]) -> None:
    firmware, hooks = _firmware(fired)
    commands = ["name", "stop", "start", "stop", "profile"]
    for command in commands:
        firmware.receive(encode_sww_command(command))
    replies = _replies(bytes(hooks.out), commands, cuts)
    assert [r.command for r in replies] == commands
    assert all(r.echoed for r in replies)
    assert replies[3].activations == fired


@FAST
@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(0, 300), max_size=8))
def test_garbage_never_makes_a_reply_up(data: bytes, cuts: list[int]) -> None:
    """Random bytes: whatever comes out is a reply only where an echo and m-ready framed it,
    and reading the activations raises a ProtocolError at worst."""
    for reply in _replies(data, ["stop"] * 5, cuts):
        assert reply.command == "stop"
        with contextlib.suppress(ProtocolError):
            reply.activations  # noqa: B018


@FAST
@given(keep=st.integers(0, 200))
def test_a_truncated_reply_is_no_reply(keep: int) -> None:
    firmware, hooks = _firmware((5, 6))
    firmware.receive(b"stop%")
    data = bytes(hooks.out)
    replies = _replies(data[: min(keep, len(data) - len("m-ready\r\n"))], ["stop"])
    assert replies == []
